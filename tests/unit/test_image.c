/* test_image.c: the image store, layer unpacking and archives, on real files in a temp dir.
 *
 * Every test works under /tmp/staple-test-image-XXXXXX (removed by the fini hook). Hostile
 * tarballs are written with libarchive's writer; each must be refused with a message
 * naming the entry, with nothing written outside the target and the store unchanged. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/layer.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

static char tmpdir[256];
static char root[320];   /* the store */
static char work[320];   /* inputs made by the tests */

static void setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/staple-test-image-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
        snprintf(root, sizeof(root), "%s/store", tmpdir);
        snprintf(work, sizeof(work), "%s/work", tmpdir);
        cr_assert_eq(mkdir(work, 0755), 0);
}

static void teardown(void)
{
        rm_rf_at(AT_FDCWD, tmpdir);
}

TestSuite(image, .init = setup, .fini = teardown);

/* ---- helpers ---- */

struct tent {
        const char *path;
        mode_t type;          /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR; 0 = hard link */
        const char *data;     /* file contents, or link target */
        mode_t perm;
};

static void write_tar(const char *file, bool gz, const struct tent *e, size_t n)
{
        struct archive *a = archive_write_new();
        cr_assert_not_null(a);
        archive_write_set_format_pax_restricted(a);
        if (gz)
                archive_write_add_filter_gzip(a);
        cr_assert_eq(archive_write_open_filename(a, file), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *ae = archive_entry_new();
                archive_entry_set_pathname(ae, e[i].path);
                archive_entry_set_perm(ae, e[i].perm ? e[i].perm : 0644);
                archive_entry_set_mtime(ae, 1000000000, 0);
                archive_entry_set_uid(ae, 1000);
                archive_entry_set_gid(ae, 1000);
                if (e[i].type == 0) {
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_hardlink(ae, e[i].data);
                } else {
                        archive_entry_set_filetype(ae, e[i].type);
                }
                if (e[i].type == AE_IFLNK)
                        archive_entry_set_symlink(ae, e[i].data);
                if (e[i].type == AE_IFCHR)
                        archive_entry_set_rdev(ae, makedev(1, 3));
                if (e[i].type == AE_IFREG)
                        archive_entry_set_size(ae, e[i].data ? (la_int64_t)strlen(e[i].data) : 0);
                cr_assert_eq(archive_write_header(a, ae), ARCHIVE_OK, "%s", archive_error_string(a));
                if (e[i].type == AE_IFREG && e[i].data)
                        archive_write_data(a, e[i].data, strlen(e[i].data));
                archive_entry_free(ae);
        }
        cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static size_t count_in(const char *sub)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", root, sub);
        return count_entries(p);
}

__attribute__((format(printf, 1, 2))) static bool exists(const char *fmt, ...)
{
        char p[1024];
        struct stat s;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p, sizeof(p), fmt, ap);
        va_end(ap);
        return lstat(p, &s) == 0;
}

/* The store holds no blob, no layer, no temp file and no reference. */
static void assert_store_empty(void)
{
        cr_assert_eq(count_in("blobs/sha256"), 0, "blobs left behind");
        cr_assert_eq(count_in("blobs/tmp"), 0, "temp blobs left behind");
        cr_assert_eq(count_in("layers"), 0, "layers or layers/tmp-* left behind");
        cr_assert(!exists("%s/refs.json", root) || count_in(".") > 0);
        DIR *d = opendir(root);
        struct dirent *de;
        while ((de = readdir(d)))
                cr_assert(strncmp(de->d_name, "tmp-", 4), "temp dir %s left behind", de->d_name);
        closedir(d);
}

/* Imports a hostile tar; expects -code and a message containing want, nothing stored,
 * and no file named "evil" or "x" written anywhere under the temp dir or in /etc. */
static void expect_refused(const struct tent *e, size_t n, bool gz, const char *want)
{
        char tar[512];
        snprintf(tar, sizeof(tar), "%s/hostile.tar", work);
        write_tar(tar, gz, e, n);
        struct store *st = NULL;
        struct err err = { 0 };
        cr_assert_eq(store_open(root, &st, &err), 0, "%s", err.msg);
        int r = archive_import_rootfs(st, tar, "hostile:1", &err);
        cr_assert_lt(r, 0, "hostile tar accepted");
        cr_log_info("refused: %s", err.msg);
        cr_assert_not_null(strstr(err.msg, want), "message \"%s\" lacks \"%s\"", err.msg, want);
        assert_store_empty();
        cr_assert(!exists("%s/evil", tmpdir) && !exists("%s/store/evil", tmpdir) && !exists("%s/store/layers/evil", tmpdir));
        cr_assert(!exists("%s/x", root) && !exists("%s/layers/x", root));
        cr_assert(!exists("/etc/evil"));
        store_close(st);
}

static char *busybox_tar(bool gz)
{
        char cmd[1024], *tar = NULL;
        cr_assert(asprintf(&tar, "%s/busybox%s", work, gz ? ".tar.gz" : ".tar") > 0);
        snprintf(cmd, sizeof(cmd),
                 "set -e; d=%s/bb; if [ ! -d $d ]; then mkdir -p $d/bin $d/etc $d/tmp; cp /bin/busybox $d/bin/; ln -sf busybox $d/bin/sh;"
                 " echo 'root:x:0:0:root:/root:/bin/sh' > $d/etc/passwd; chmod 1777 $d/tmp; fi;"
                 " tar -C $d -c%sf %s .",
                 work, gz ? "z" : "", tar);
        cr_assert_eq(system(cmd), 0);
        return tar;
}

static struct store *open_store(void)
{
        struct store *st = NULL;
        struct err err = { 0 };
        cr_assert_eq(store_open(root, &st, &err), 0, "%s", err.msg);
        return st;
}

/* ---- blobs and refs ---- */

#define HELLO_DIGEST "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

Test(image, blob_put_and_verify)
{
        struct store *st = open_store();
        struct err err = { 0 };
        _cleanup_free_ char *d = NULL, *d2 = NULL;
        cr_assert_eq(store_put_blob_mem(st, "hello", 5, &d, &err), 0, "%s", err.msg);
        cr_assert_str_eq(d, HELLO_DIGEST);
        cr_assert(store_has_blob(st, HELLO_DIGEST));
        char f[512];
        snprintf(f, sizeof(f), "%s/hello", work);
        cr_assert_eq(write_file_at(AT_FDCWD, f, "hello", 5, 0644), 0);
        _cleanup_close_ int fd = open(f, O_RDONLY);
        cr_assert_eq(store_put_blob(st, fd, HELLO_DIGEST, &d2, &err), 0, "%s", err.msg);
        cr_assert_str_eq(d2, HELLO_DIGEST);
        _cleanup_close_ int bfd = -1;
        cr_assert_eq(store_open_blob(st, HELLO_DIGEST, &bfd, &err), 0);
        char buf[8] = { 0 };
        cr_assert_eq(read(bfd, buf, sizeof(buf)), 5);
        cr_assert_str_eq(buf, "hello");
        cr_assert_eq(count_in("blobs/sha256"), 1);
        cr_assert_eq(store_open_blob(st, "sha256:" "0000000000000000000000000000000000000000000000000000000000000000", &bfd,
                                     &err), -ENOENT);
        cr_assert_not_null(strstr(err.msg, "not found"));
        store_close(st);
}

Test(image, blob_mismatch_leaves_nothing)
{
        struct store *st = open_store();
        struct err err = { 0 };
        char f[512];
        snprintf(f, sizeof(f), "%s/evil", work);
        cr_assert_eq(write_file_at(AT_FDCWD, f, "hellO", 5, 0644), 0);
        _cleanup_close_ int fd = open(f, O_RDONLY);
        char *d = NULL;
        cr_assert_eq(store_put_blob(st, fd, HELLO_DIGEST, &d, &err), -EBADMSG);
        cr_assert_null(d);
        cr_assert_not_null(strstr(err.msg, "digest mismatch: expected " HELLO_DIGEST ", got sha256:"), "%s", err.msg);
        assert_store_empty();
        store_close(st);
}

Test(image, refs_tag_resolve_untag)
{
        struct store *st = open_store();
        struct err err = { 0 };
        _cleanup_free_ char *d = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL, *n = NULL;
        cr_assert_eq(store_put_blob_mem(st, "hello", 5, &d, &err), 0);
        cr_assert_eq(store_normalize_ref("busybox", &n, &err), 0);
        cr_assert_str_eq(n, "busybox:latest");
        cr_assert_eq(store_normalize_ref("Bad Name", &r3, &err), -EINVAL);
        cr_assert_eq(store_tag(st, "busybox", d, &err), 0, "%s", err.msg);
        cr_assert_eq(store_tag(st, "localhost/other:v1", d, &err), 0, "%s", err.msg);
        cr_assert_eq(store_resolve(st, "busybox:latest", &r1, &err), 0, "%s", err.msg);
        cr_assert_str_eq(r1, d);
        cr_assert_eq(store_resolve(st, "other:v1", &r2, &err), 0, "%s", err.msg); /* localhost/ fallback */
        free(r2);
        r2 = NULL;
        cr_assert_eq(store_resolve(st, "2cf24d", &r2, &err), 0, "%s", err.msg);
        cr_assert_str_eq(r2, d);
        char **refs = NULL, **digs = NULL;
        size_t cnt = 0;
        cr_assert_eq(store_list_refs(st, &refs, &digs, &cnt, &err), 0);
        cr_assert_eq(cnt, 2);
        strv_free(refs);
        strv_free(digs);
        cr_assert_eq(store_untag(st, "busybox", &err), 0, "%s", err.msg);
        char *gone = NULL;
        cr_assert_eq(store_resolve(st, "busybox", &gone, &err), -ENOENT);
        cr_assert_eq(store_untag(st, "busybox", &err), -ENOENT);
        store_close(st);
}

Test(image, store_lock_is_exclusive)
{
        struct store *st = open_store();
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                char p[512];
                snprintf(p, sizeof(p), "%s/lock", root);
                int fd = open(p, O_RDWR);
                _exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
        }
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a second opener got the lock");
        store_close(st);
}

/* ---- import, save, load ---- */

static void check_busybox_image(struct store *st, const char *ref)
{
        struct err err = { 0 };
        _cleanup_free_ char *d = NULL, *lp = NULL;
        struct image *img = NULL;
        cr_assert_eq(store_resolve(st, ref, &d, &err), 0, "%s", err.msg);
        cr_assert_eq(store_image_load(st, d, &img, &err), 0, "%s", err.msg);
        cr_assert_eq(img->n_layers, 1);
        cr_assert_eq(store_layer_path(st, img->layers[0], img->diff_ids[0], &lp, &err), 0, "%s", err.msg);
        char p[1024];
        struct stat s;
        snprintf(p, sizeof(p), "%s/bin/busybox", lp);
        cr_assert_eq(stat(p, &s), 0, "%s missing", p);
        cr_assert(s.st_mode & S_IXUSR);
        snprintf(p, sizeof(p), "%s/bin/sh", lp);
        cr_assert_eq(lstat(p, &s), 0);
        cr_assert(S_ISLNK(s.st_mode));
        snprintf(p, sizeof(p), "%s/tmp", lp);
        cr_assert_eq(stat(p, &s), 0);
        cr_assert_eq(s.st_mode & 07777, 01777);
        image_free(img);
}

Test(image, import_save_load_roundtrip)
{
        struct store *st = open_store();
        struct err err = { 0 };
        _cleanup_free_ char *tar = busybox_tar(false), *tgz = busybox_tar(true);
        cr_assert_eq(archive_import_rootfs(st, tar, "bb", &err), 0, "%s", err.msg);
        check_busybox_image(st, "bb");
        cr_assert_eq(archive_import_rootfs(st, tgz, "bbz:1", &err), 0, "%s", err.msg);
        check_busybox_image(st, "bbz:1");
        /* same content: the gzip image shares the plain image's unpacked layer */
        cr_assert_eq(count_in("layers"), 1);

        char out[512], root2[512];
        snprintf(out, sizeof(out), "%s/saved.tar", work);
        cr_assert_eq(archive_save(st, "bbz:1", out, &err), 0, "%s", err.msg);
        store_close(st);

        snprintf(root2, sizeof(root2), "%s/store2", tmpdir);
        struct store *st2 = NULL;
        cr_assert_eq(store_open(root2, &st2, &err), 0, "%s", err.msg);
        char **refs = NULL;
        cr_assert_eq(archive_load(st2, out, &refs, &err), 0, "%s", err.msg);
        cr_assert_not_null(refs);
        cr_assert_str_eq(refs[0], "bbz:1");
        cr_assert_null(refs[1]);
        strv_free(refs);
        check_busybox_image(st2, "bbz:1");
        cr_assert_eq(count_entries(root2) >= 4, 1);
        store_close(st2);
}

/* podman with a storage and config of our own under the temp dir. */
static int podman(const char *args)
{
        char cmd[8192];
        snprintf(cmd, sizeof(cmd),
                 "cd %s && printf '[containers]\\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\\n"
                 "[engine]\\ncgroup_manager = \"cgroupfs\"\\nevents_logger = \"file\"\\n' > containers.conf &&"
                 " printf '[storage]\\ndriver = \"vfs\"\\ngraphroot = \"%s/pg\"\\nrunroot = \"%s/pr\"\\n' > storage.conf &&"
                 " CONTAINERS_CONF=%s/containers.conf CONTAINERS_STORAGE_CONF=%s/storage.conf podman %s >%s/podman.log 2>&1",
                 work, tmpdir, tmpdir, work, work, args, work);
        return system(cmd);
}

static void podman_cleanup(void)
{
        podman("rmi -a -f");
        char p[512];
        snprintf(p, sizeof(p), "%s/pr", tmpdir);
        rm_rf_at(AT_FDCWD, p); /* vfs keeps no mounts; the run root is plain files */
}

Test(image, podman_archives_load_and_staple_save_loads_into_podman)
{
        _cleanup_free_ char *tar = busybox_tar(false);
        char args[1024];
        snprintf(args, sizeof(args), "import %s mybox:v1", tar);
        if (podman(args) != 0)
                cr_skip_test("podman unusable here (see %s/podman.log)", work);
        snprintf(args, sizeof(args), "save --format docker-archive -o %s/d.tar mybox:v1", work);
        cr_assert_eq(podman(args), 0);
        snprintf(args, sizeof(args), "save --format oci-archive -o %s/o.tar mybox:v1", work);
        cr_assert_eq(podman(args), 0);

        struct store *st = open_store();
        struct err err = { 0 };
        char f[512];
        char **refs = NULL;
        snprintf(f, sizeof(f), "%s/d.tar", work);
        cr_assert_eq(archive_load(st, f, &refs, &err), 0, "%s", err.msg);
        cr_assert_str_eq(refs[0], "localhost/mybox:v1");
        strv_free(refs);
        check_busybox_image(st, "mybox:v1");
        cr_assert_eq(store_untag(st, "localhost/mybox:v1", &err), 0);
        snprintf(f, sizeof(f), "%s/o.tar", work);
        cr_assert_eq(archive_load(st, f, &refs, &err), 0, "%s", err.msg);
        cr_assert_str_eq(refs[0], "localhost/mybox:v1");
        strv_free(refs);
        check_busybox_image(st, "localhost/mybox:v1");

        snprintf(f, sizeof(f), "%s/staple-saved.tar", work);
        cr_assert_eq(archive_save(st, "localhost/mybox:v1", f, &err), 0, "%s", err.msg);
        store_close(st);
        cr_assert_eq(podman("rmi -a -f"), 0);
        snprintf(args, sizeof(args), "load -i %s/staple-saved.tar", work);
        int r = podman(args);
        char log[600];
        snprintf(log, sizeof(log), "%s/podman.log", work);
        _cleanup_free_ char *text = NULL;
        read_file_at(AT_FDCWD, log, &text, NULL);
        cr_assert_eq(r, 0, "podman load failed: %s", text ? text : "");
        cr_assert_eq(podman("image exists localhost/mybox:v1"), 0);
        podman_cleanup();
}

Test(image, oci_layout_directory_with_tampered_blob_is_refused)
{
        _cleanup_free_ char *tar = busybox_tar(false);
        char args[1024];
        snprintf(args, sizeof(args), "import %s mybox:v1", tar);
        if (podman(args) != 0)
                cr_skip_test("podman unusable here (see %s/podman.log)", work);
        snprintf(args, sizeof(args), "save --format oci-dir -o %s/odir mybox:v1", work);
        int r = podman(args);
        podman_cleanup();
        if (r != 0)
                cr_skip_test("podman save --format oci-dir failed");
        /* flip one byte of the config blob (the smallest: not the layer) */
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "cd %s/odir/blobs/sha256 && f=$(ls -S | tail -1) && chmod u+w $f && printf X | dd of=$f bs=1 seek=2 conv=notrunc 2>/dev/null",
                 work);
        cr_assert_eq(system(cmd), 0);
        struct store *st = open_store();
        struct err err = { 0 };
        char d[512];
        snprintf(d, sizeof(d), "%s/odir", work);
        r = archive_load(st, d, NULL, &err);
        cr_assert_eq(r, -EBADMSG, "%d %s", r, err.msg);
        cr_assert_not_null(strstr(err.msg, "digest mismatch"), "%s", err.msg);
        assert_store_empty();
        store_close(st);
}

/* ---- layers: semantics ---- */

Test(image, layer_whiteouts_links_modes)
{
        const struct tent e[] = {
                { "a/", AE_IFDIR, NULL, 0755 },
                { "a/file", AE_IFREG, "data", 04755 },
                { "a/hl", 0, "a/file", 0 },
                { "a/sym", AE_IFLNK, "/etc/passwd", 0777 },
                { ".wh.gone", AE_IFREG, NULL, 0 },
                { "d/.wh..wh..opq", AE_IFREG, NULL, 0 },
                { "d/new", AE_IFREG, "n", 0 },
                { "/abs/file", AE_IFREG, "inside", 0 },
        };
        char tar[512], tgt[512];
        snprintf(tar, sizeof(tar), "%s/l.tar", work);
        write_tar(tar, true, e, ARRAY_SIZE(e));
        for (int overlay = 0; overlay <= 1; overlay++) {
                snprintf(tgt, sizeof(tgt), "%s/t%d", work, overlay);
                cr_assert_eq(mkdir(tgt, 0755), 0);
                int tfd = open(tgt, O_RDONLY | O_DIRECTORY);
                cr_assert_eq(mkdirat(tfd, "gone", 0755), 0);
                cr_assert_eq(mkdirat(tfd, "d", 0755), 0);
                cr_assert_eq(write_file_at(tfd, "d/old", "o", 1, 0644), 0);
                int fd = open(tar, O_RDONLY);
                struct layer_opts o = { .whiteouts_as_overlay = overlay };
                struct err err = { 0 };
                _cleanup_free_ char *diff = NULL;
                cr_assert_eq(layer_unpack(fd, tfd, &o, &diff, &err), 0, "%s", err.msg);
                close(fd);
                cr_assert_not_null(strstr(diff, "sha256:"));
                struct stat s, s2;
                cr_assert_eq(fstatat(tfd, "a/file", &s, AT_SYMLINK_NOFOLLOW), 0);
                cr_assert_eq(s.st_mode & 07777, 04755);
                cr_assert_eq(s.st_uid, 1000);
                cr_assert_eq(s.st_mtime, 1000000000);
                cr_assert_eq(fstatat(tfd, "a/hl", &s2, AT_SYMLINK_NOFOLLOW), 0);
                cr_assert_eq(s.st_ino, s2.st_ino);
                char lnk[64] = { 0 };
                cr_assert_gt(readlinkat(tfd, "a/sym", lnk, sizeof(lnk) - 1), 0);
                cr_assert_str_eq(lnk, "/etc/passwd");
                cr_assert_eq(fstatat(tfd, "abs/file", &s, 0), 0);
                cr_assert_eq(fstatat(tfd, "d/new", &s, 0), 0);
                int gone = fstatat(tfd, "gone", &s, AT_SYMLINK_NOFOLLOW);
                if (overlay) {
                        cr_assert_eq(gone, 0);
                        cr_assert(S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0));
                        char v[4] = { 0 };
                        char p[600];
                        snprintf(p, sizeof(p), "%s/d", tgt);
                        cr_assert_eq(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
                        cr_assert_eq(v[0], 'y');
                } else {
                        cr_assert_eq(gone, -1, "whiteout did not remove gone");
                        cr_assert_neq(fstatat(tfd, "d/old", &s, 0), 0, "opaque did not empty d");
                }
                cr_assert_neq(fstatat(tfd, ".wh.gone", &s, AT_SYMLINK_NOFOLLOW), 0);
                close(tfd);
        }
}

Test(image, layer_diff_id_of_gzip_is_of_the_tar)
{
        const struct tent e[] = { { "f", AE_IFREG, "x", 0 } };
        char a[512], b[512];
        snprintf(a, sizeof(a), "%s/p.tar", work);
        snprintf(b, sizeof(b), "%s/p.tar.gz", work);
        write_tar(a, false, e, 1);
        write_tar(b, true, e, 1);
        struct store *st = open_store();
        struct err err = { 0 };
        _cleanup_free_ char *da = NULL, *db = NULL, *dplain = NULL;
        int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
        cr_assert_eq(layer_diff_id(fa, &da, &err), 0, "%s", err.msg);
        cr_assert_eq(layer_diff_id(fb, &db, &err), 0, "%s", err.msg);
        cr_assert_str_eq(da, db);
        lseek(fa, 0, SEEK_SET);
        cr_assert_eq(store_put_blob(st, fa, NULL, &dplain, &err), 0);
        cr_assert_str_eq(dplain, da); /* plain tar: diff-id == blob digest */
        close(fa);
        close(fb);
        store_close(st);
}

/* ---- hostile tarballs ---- */

Test(image, hostile_dotdot)
{
        const struct tent e[] = { { "../evil", AE_IFREG, "x", 0 } };
        expect_refused(e, 1, false, "layer entry ../evil: path escapes the layer");
}

Test(image, hostile_dotdot_deep)
{
        const struct tent e[] = { { "a/../../evil", AE_IFREG, "x", 0 } };
        expect_refused(e, 1, true, "layer entry a/../../evil: path escapes the layer");
}

Test(image, hostile_absolute_lands_inside)
{
        const struct tent e[] = { { "/etc/evil", AE_IFREG, "x", 0 } };
        char tar[512];
        snprintf(tar, sizeof(tar), "%s/abs.tar", work);
        write_tar(tar, false, e, 1);
        struct store *st = open_store();
        struct err err = { 0 };
        cr_assert_eq(archive_import_rootfs(st, tar, "abs", &err), 0, "%s", err.msg);
        cr_assert(!exists("/etc/evil"));
        _cleanup_free_ char *d = NULL;
        struct image *img = NULL;
        char *lp = NULL;
        cr_assert_eq(store_resolve(st, "abs", &d, &err), 0);
        cr_assert_eq(store_image_load(st, d, &img, &err), 0);
        cr_assert_eq(store_layer_path(st, img->layers[0], img->diff_ids[0], &lp, &err), 0);
        cr_assert(exists("%s/etc/evil", lp));
        free(lp);
        image_free(img);
        store_close(st);
}

Test(image, hostile_symlink_parent)
{
        const struct tent e[] = {
                { "lnk", AE_IFLNK, "/", 0 },
                { "lnk/evil", AE_IFREG, "x", 0 },
        };
        expect_refused(e, 2, false, "layer entry lnk/evil: parent lnk is a symlink");
}

Test(image, hostile_symlink_parent_relative)
{
        const struct tent e[] = {
                { "up", AE_IFLNK, "../../..", 0 },
                { "up/tmp/evil", AE_IFREG, "x", 0 },
        };
        expect_refused(e, 2, false, "layer entry up/tmp/evil: parent up is a symlink");
}

Test(image, hostile_hardlink_out)
{
        const struct tent e[] = { { "hl", 0, "../../etc/passwd", 0 } };
        expect_refused(e, 1, false, "layer entry hl: hard link target escapes the layer");
}

Test(image, hostile_hardlink_through_symlink)
{
        const struct tent e[] = {
                { "lnk", AE_IFLNK, "/etc", 0 },
                { "hl", 0, "lnk/passwd", 0 },
        };
        expect_refused(e, 2, false, "layer entry hl: parent lnk is a symlink");
}

Test(image, hostile_whiteout_out)
{
        const struct tent e[] = { { ".wh.../../x", AE_IFREG, NULL, 0 } };
        expect_refused(e, 1, false, "layer entry .wh.../../x: path escapes the layer");
}

Test(image, hostile_whiteout_dotdot_name)
{
        const struct tent e[] = { { "a/.wh...", AE_IFREG, NULL, 0 } };
        expect_refused(e, 1, false, "layer entry a/.wh...: whiteout escapes the layer");
}

Test(image, hostile_device_without_allow)
{
        const struct tent e[] = { { "dev/null", AE_IFCHR, NULL, 0666 } };
        char tar[512], tgt[512];
        snprintf(tar, sizeof(tar), "%s/dev.tar", work);
        snprintf(tgt, sizeof(tgt), "%s/t", work);
        write_tar(tar, false, e, 1);
        cr_assert_eq(mkdir(tgt, 0755), 0);
        int fd = open(tar, O_RDONLY), tfd = open(tgt, O_RDONLY | O_DIRECTORY);
        struct layer_opts o = { 0 };
        struct err err = { 0 };
        cr_assert_eq(layer_unpack(fd, tfd, &o, NULL, &err), -EPERM);
        cr_assert_str_eq(err.msg, "layer entry dev/null: device nodes are not allowed");
        cr_assert(!exists("%s/t/dev/null", work));
        close(fd);
        close(tfd);
}

Test(image, hostile_docker_archive_diff_id_mismatch)
{
        const struct tent e[] = { { "f", AE_IFREG, "x", 0 } };
        char p[512];
        snprintf(p, sizeof(p), "%s/da/layer.tar", work);
        cr_assert_eq(mkdir_p_at(AT_FDCWD, p, 0755), 0);
        rmdir(p);
        write_tar(p, false, e, 1);
        const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                          "[\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"]}}";
        const char *man = "[{\"Config\":\"c.json\",\"RepoTags\":[\"evil:1\"],\"Layers\":[\"layer.tar\"]}]";
        snprintf(p, sizeof(p), "%s/da/c.json", work);
        cr_assert_eq(write_file_at(AT_FDCWD, p, cfg, strlen(cfg), 0644), 0);
        snprintf(p, sizeof(p), "%s/da/manifest.json", work);
        cr_assert_eq(write_file_at(AT_FDCWD, p, man, strlen(man), 0644), 0);
        snprintf(p, sizeof(p), "%s/da", work);
        struct store *st = open_store();
        struct err err = { 0 };
        cr_assert_eq(archive_load(st, p, NULL, &err), -EBADMSG);
        cr_assert_not_null(strstr(err.msg, "layer layer.tar: digest mismatch: expected sha256:1111"), "%s", err.msg);
        assert_store_empty();
        store_close(st);
}

Test(image, hostile_docker_archive_escaping_layer_path)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/da", work);
        cr_assert_eq(mkdir(p, 0755), 0);
        const char *cfg = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                          "[\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"]}}";
        const char *man = "[{\"Config\":\"c.json\",\"RepoTags\":[\"evil:1\"],\"Layers\":[\"../../../../etc/passwd\"]}]";
        snprintf(p, sizeof(p), "%s/da/c.json", work);
        cr_assert_eq(write_file_at(AT_FDCWD, p, cfg, strlen(cfg), 0644), 0);
        snprintf(p, sizeof(p), "%s/da/manifest.json", work);
        cr_assert_eq(write_file_at(AT_FDCWD, p, man, strlen(man), 0644), 0);
        snprintf(p, sizeof(p), "%s/da", work);
        struct store *st = open_store();
        struct err err = { 0 };
        cr_assert_lt(archive_load(st, p, NULL, &err), 0);
        cr_assert_not_null(strstr(err.msg, "layer ../../../../etc/passwd"), "%s", err.msg);
        assert_store_empty();
        store_close(st);
}

Test(image, hostile_truncated_gzip)
{
        _cleanup_free_ char *tgz = busybox_tar(true);
        struct stat s;
        cr_assert_eq(stat(tgz, &s), 0);
        cr_assert_eq(truncate(tgz, s.st_size / 2), 0);
        struct store *st = open_store();
        struct err err = { 0 };
        cr_assert_lt(archive_import_rootfs(st, tgz, "trunc", &err), 0);
        cr_log_info("refused: %s", err.msg);
        cr_assert(strstr(err.msg, "runcat") || strstr(err.msg, "rematur"), "%s", err.msg);
        assert_store_empty();
        store_close(st);
}

/* ---- prune ---- */

Test(image, prune_keeps_referenced)
{
        const struct tent e1[] = { { "one", AE_IFREG, "1", 0 } }, e2[] = { { "two", AE_IFREG, "2", 0 } };
        char t1[512], t2[512];
        snprintf(t1, sizeof(t1), "%s/1.tar", work);
        snprintf(t2, sizeof(t2), "%s/2.tar", work);
        write_tar(t1, false, e1, 1);
        write_tar(t2, true, e2, 1);
        struct store *st = open_store();
        struct err err = { 0 };
        cr_assert_eq(archive_import_rootfs(st, t1, "one", &err), 0, "%s", err.msg);
        cr_assert_eq(archive_import_rootfs(st, t2, "two", &err), 0, "%s", err.msg);
        cr_assert_eq(count_in("blobs/sha256"), 6);
        cr_assert_eq(count_in("layers"), 2);
        size_t freed = 0;
        cr_assert_eq(store_prune(st, NULL, &freed, &err), 0, "%s", err.msg);
        cr_assert_eq(freed, 0);
        cr_assert_eq(count_in("blobs/sha256"), 6);
        cr_assert_eq(store_untag(st, "two", &err), 0);
        cr_assert_eq(store_prune(st, NULL, &freed, &err), 0, "%s", err.msg);
        cr_assert_gt(freed, 0);
        cr_assert_eq(count_in("blobs/sha256"), 3);
        cr_assert_eq(count_in("layers"), 1);
        _cleanup_free_ char *d = NULL;
        struct image *img = NULL;
        cr_assert_eq(store_resolve(st, "one", &d, &err), 0);
        cr_assert_eq(store_image_load(st, d, &img, &err), 0, "%s", err.msg);
        char lp[600];
        snprintf(lp, sizeof(lp), "%s/layers/%s", root, img->diff_ids[0] + 7);
        cr_assert(exists("%s", lp), "layer of the referenced image pruned");
        image_free(img);
        store_close(st);
}
