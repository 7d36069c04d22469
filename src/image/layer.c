/* layer.c: one layer tarball onto a directory, never writing outside it.
 *
 * One pass computes the diff-id and extracts: an outer libarchive reader (every filter,
 * format "raw") decompresses the fd; an inner reader (format tar) pulls its bytes through
 * a callback that also feeds SHA-256. After the tar's end the rest of the decompressed
 * stream (padding) is drained into the hash too, so the digest covers the whole stream.
 *
 * Paths: every entry path is normalised ("/" and "." dropped, ".." refused); parents are
 * walked one component at a time with O_NOFOLLOW|O_DIRECTORY, so a symlinked parent is
 * refused instead of followed; the final component is created with *at() calls relative
 * to that parent and never followed. */
#include "image/layer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive_lazy.h"
#include "image/internal.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define LAYER_BUF_SIZE (1 << 17)
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct stream {
        struct archive *raw;  /* decompressor */
        EVP_MD_CTX *ctx;
        char *buf;
        bool eof;
};

static void stream_free(struct stream *s)
{
        if (s->raw)
                archive_read_free(s->raw);
        EVP_MD_CTX_free(s->ctx);
        free(s->buf);
}

static int stream_open(struct stream *s, int fd, struct err *err)
{
        struct archive_entry *e;
        *s = (struct stream){ 0 };
        int r = archive_lazy_load(err);
        if (r < 0 || (r = crypto_lazy_load(err)) < 0)
                return r;
        s->raw = archive_read_new();
        s->ctx = EVP_MD_CTX_new();
        s->buf = malloc(LAYER_BUF_SIZE);
        if (!s->raw || !s->ctx || !s->buf || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
                return err_set(err, -ENOMEM, "layer: cannot allocate a reader");
        archive_read_support_filter_all(s->raw);
        archive_read_support_format_raw(s->raw);
        if (archive_read_open_fd(s->raw, fd, LAYER_BUF_SIZE) != ARCHIVE_OK ||
            archive_read_next_header(s->raw, &e) != ARCHIVE_OK)
                return err_set(err, -EBADMSG, "layer: %s", archive_error_string(s->raw) ?: "empty stream");
        return 0;
}

/* Next chunk of the decompressed stream, hashed; 0 at its end. */
static ssize_t stream_read(struct stream *s, const void **ret)
{
        if (s->eof)
                return 0;
        la_ssize_t n = archive_read_data(s->raw, s->buf, LAYER_BUF_SIZE);
        if (n < 0)
                return -1;
        if (n == 0)
                s->eof = true;
        EVP_DigestUpdate(s->ctx, s->buf, (size_t)n);
        *ret = s->buf;
        return n;
}

static la_ssize_t inner_read_cb(struct archive *a, void *data, const void **ret)
{
        struct stream *s = data;
        ssize_t n = stream_read(s, ret);
        if (n < 0)
                archive_set_error(a, EIO, "%s", archive_error_string(s->raw) ?: "read error");
        return n;
}

/* Reads the decompressed stream to its end; returns the diff-id in out. */
static int stream_finish(struct stream *s, char out[DIGEST_STR_LEN + 1], struct err *err)
{
        const void *p;
        ssize_t n;
        while ((n = stream_read(s, &p)) > 0)
                ;
        if (n < 0)
                return err_set(err, -EBADMSG, "layer: %s", archive_error_string(s->raw) ?: "read error");
        digest_final(s->ctx, out);
        return 0;
}

int layer_diff_id(int fd, char **ret, struct err *err)
{
        struct stream s;
        char d[DIGEST_STR_LEN + 1];
        int r = stream_open(&s, fd, err);
        if (r >= 0)
                r = stream_finish(&s, d, err);
        stream_free(&s);
        if (r >= 0 && !(*ret = strdup(d)))
                r = err_errno(err, -ENOMEM, "layer diff-id");
        return r;
}

int layer_decompress(int in, int out, struct err *err)
{
        struct stream s;
        int r = stream_open(&s, in, err);
        while (r >= 0) {
                const void *p;
                ssize_t n = stream_read(&s, &p);
                if (n < 0)
                        r = err_set(err, -EBADMSG, "layer: %s", archive_error_string(s.raw) ?: "read error");
                else if (n == 0)
                        break;
                else if ((r = write_all(out, p, (size_t)n)) < 0)
                        err_errno(err, r, "layer: write decompressed data");
        }
        stream_free(&s);
        return r;
}

const char *layer_media_type(int fd)
{
        unsigned char m[4] = { 0 };
        if (pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m)) {
                if (m[0] == 0x1f && m[1] == 0x8b)
                        return MT_OCI_LAYER "+gzip";
                if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                        return MT_OCI_LAYER "+zstd";
        }
        return MT_OCI_LAYER;
}

/* ---- paths ---- */

/* "./a//b/" -> "a/b"; "/etc/x" -> "etc/x" (layer paths are relative); ".." refused. */
static int path_normalize(const char *entry, const char *raw, char out[PATH_MAX], const char *what, struct err *err)
{
        size_t o = 0;
        const char *p = raw;
        while (*p) {
                while (*p == '/')
                        p++;
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 2 && !strncmp(p, "..", 2))
                        return err_set(err, -EPERM, "layer entry %s: %s escapes the layer", entry, what);
                if (!(n == 1 && *p == '.')) {
                        if (o + n + 2 >= PATH_MAX)
                                return err_set(err, -ENAMETOOLONG, "layer entry %s: path too long", entry);
                        if (o)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
        }
        out[o] = '\0';
        return 0;
}

/* Opens the parent directory of rel (normalised, non-empty) under root, one component at a
 * time, never following a symlink; missing parents are created when create is set.
 * *ret_name points into rel. */
static int open_parent(int root, const char *entry, const char *rel, bool create, int *ret_fd,
                       const char **ret_name, struct err *err)
{
        char comp[PATH_MAX];
        _cleanup_close_ int cur = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return err_errno(err, neg_errno(), "layer entry %s: open target", entry);
        const char *p = rel, *slash;
        while ((slash = strchr(p, '/'))) {
                size_t n = (size_t)(slash - p);
                memcpy(comp, p, n);
                comp[n] = '\0';
                int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT && create) {
                        if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
                                return err_errno(err, neg_errno(), "layer entry %s: create %.*s", entry,
                                                 (int)(slash - rel), rel);
                        fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (fd < 0) {
                        int e = errno;
                        struct stat s;
                        if ((e == ELOOP || e == ENOTDIR) && fstatat(cur, comp, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(s.st_mode))
                                return err_set(err, -ELOOP, "layer entry %s: parent %.*s is a symlink", entry,
                                               (int)(slash - rel), rel);
                        return err_errno(err, -e, "layer entry %s: parent %.*s", entry, (int)(slash - rel), rel);
                }
                close(cur);
                cur = fd;
                p = slash + 1;
        }
        *ret_fd = TAKE_FD(cur);
        *ret_name = p;
        return 0;
}

/* ---- entries ---- */

struct unpack {
        struct archive *a;
        int root;
        const struct layer_opts *o;
        struct archive_entry *e;
        const char *entry;  /* the raw path, for messages */
        char path[PATH_MAX];
        int parent;         /* O_PATH fd of the entry's parent */
        const char *name;   /* last component */
        struct dir_time *dirs;
        size_t n_dirs, cap_dirs;
        char cache_path[PATH_MAX]; /* the last parent walked, and its fd: tars list */
        int cache_fd;              /* a directory's entries together */
};

struct dir_time {
        char *path;
        struct timespec ts[2];
};

/* Removes what is at parent/name unless both it and the new entry are directories. */
/* Anything removed may be (inside) the cached parent: walk again next time. */
static void cache_drop(struct unpack *u)
{
        if (u->cache_fd >= 0)
                close(u->cache_fd);
        u->cache_fd = -EBADF;
        u->cache_path[0] = '\0';
}

/* The entry's parent fd in u->parent: from the cache or by a fresh walk. */
static int parent_get(struct unpack *u, struct err *err)
{
        const char *slash = strrchr(u->path, '/');
        size_t n = slash ? (size_t)(slash - u->path) : 0;
        if (u->cache_fd >= 0 && strlen(u->cache_path) == n && !strncmp(u->cache_path, u->path, n)) {
                u->parent = fcntl(u->cache_fd, F_DUPFD_CLOEXEC, 3);
                u->name = slash ? slash + 1 : u->path;
                return u->parent < 0 ? err_errno(err, neg_errno(), "layer entry %s: dup", u->entry) : 0;
        }
        int r = open_parent(u->root, u->entry, u->path, true, &u->parent, &u->name, err);
        if (r < 0)
                return r;
        cache_drop(u);
        u->cache_fd = fcntl(u->parent, F_DUPFD_CLOEXEC, 3);
        if (u->cache_fd >= 0) {
                memcpy(u->cache_path, u->path, n);
                u->cache_path[n] = '\0';
        }
        return 0;
}

static int clear_slot(struct unpack *u, bool want_dir)
{
        struct stat s;
        if (fstatat(u->parent, u->name, &s, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : neg_errno();
        if (want_dir && S_ISDIR(s.st_mode))
                return 1;
        cache_drop(u);
        return rm_rf_at(u->parent, u->name);
}

static bool xattr_skipped(const char *name)
{
        /* overlay's own attributes would let a layer redirect or hide lower files */
        return !strncmp(name, "trusted.overlay.", 16);
}

static int apply_xattrs(struct unpack *u, int fd, struct err *err)
{
        const char *name;
        const void *val;
        size_t size;
        char proc[64 + PATH_MAX];
        if (fd < 0)
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", u->parent, u->name);
        archive_entry_xattr_reset(u->e);
        while (archive_entry_xattr_next(u->e, &name, &val, &size) == ARCHIVE_OK) {
                if (xattr_skipped(name))
                        continue;
                int r = fd >= 0 ? fsetxattr(fd, name, val, size, 0) : lsetxattr(proc, name, val, size, 0);
                if (r < 0 && (errno == ENOTSUP || errno == EPERM) && strncmp(name, "user.", 5))
                        continue; /* security.* and trusted.* where the filesystem has none */
                if (r < 0)
                        return err_errno(err, neg_errno(), "layer entry %s: set xattr %s", u->entry, name);
        }
        return 0;
}

/* Owner, then mode (chown clears setuid), xattrs, times. fd < 0: by name (no follow). */
static int apply_meta(struct unpack *u, int fd, bool is_link, struct err *err)
{
        struct archive_entry *e = u->e;
        uid_t uid = (uid_t)archive_entry_uid(e);
        gid_t gid = (gid_t)archive_entry_gid(e);
        mode_t mode = archive_entry_perm(e) & 07777;
        int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(u->parent, u->name, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return err_errno(err, neg_errno(), "layer entry %s: chown %u:%u", u->entry, uid, gid);
        if (!is_link) {
                r = fd >= 0 ? fchmod(fd, mode) : fchmodat(u->parent, u->name, mode, AT_SYMLINK_NOFOLLOW);
                if (r < 0)
                        return err_errno(err, neg_errno(), "layer entry %s: chmod %04o", u->entry, mode);
        }
        if ((r = apply_xattrs(u, fd, err)) < 0)
                return r;
        struct timespec ts[2] = {
                { archive_entry_atime(e), archive_entry_atime_nsec(e) },
                { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
        };
        if (!archive_entry_atime_is_set(e))
                ts[0] = ts[1];
        r = fd >= 0 ? futimens(fd, ts) : utimensat(u->parent, u->name, ts, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return err_errno(err, neg_errno(), "layer entry %s: set times", u->entry);
        return 0;
}

static int unpack_file(struct unpack *u, struct err *err)
{
        _cleanup_close_ int fd = openat(u->parent, u->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_errno(err, neg_errno(), "layer entry %s: create", u->entry);
        const void *buf;
        size_t size;
        la_int64_t off;
        int r;
        while ((r = archive_read_data_block(u->a, &buf, &size, &off)) == ARCHIVE_OK) {
                const char *p = buf;
                while (size > 0) {
                        ssize_t n = pwrite(fd, p, size, (off_t)off);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return err_errno(err, neg_errno(), "layer entry %s: write", u->entry);
                        p += n, off += n, size -= (size_t)n;
                }
        }
        if (r != ARCHIVE_EOF)
                return err_set(err, -EBADMSG, "layer entry %s: %s", u->entry, archive_error_string(u->a) ?: "read error");
        if (ftruncate(fd, (off_t)archive_entry_size(u->e)) < 0) /* a sparse file's hole at the end */
                return err_errno(err, neg_errno(), "layer entry %s: truncate", u->entry);
        return apply_meta(u, fd, false, err);
}

static int dir_time_defer(struct unpack *u)
{
        if (u->n_dirs == u->cap_dirs) {
                size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 64;
                struct dir_time *nd = realloc(u->dirs, cap * sizeof(*nd));
                if (!nd)
                        return -ENOMEM;
                u->dirs = nd;
                u->cap_dirs = cap;
        }
        struct dir_time *d = &u->dirs[u->n_dirs];
        if (!(d->path = strdup(u->path)))
                return -ENOMEM;
        d->ts[1] = (struct timespec){ archive_entry_mtime(u->e), archive_entry_mtime_nsec(u->e) };
        d->ts[0] = d->ts[1];
        u->n_dirs++;
        return 0;
}

static int unpack_dir(struct unpack *u, struct err *err)
{
        if (mkdirat(u->parent, u->name, 0700) < 0 && errno != EEXIST)
                return err_errno(err, neg_errno(), "layer entry %s: mkdir", u->entry);
        _cleanup_close_ int fd = openat(u->parent, u->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "layer entry %s: open directory", u->entry);
        int r = apply_meta(u, fd, false, err);
        if (r >= 0 && dir_time_defer(u) < 0) /* children change the mtime: set it again at the end */
                r = err_errno(err, -ENOMEM, "layer entry %s", u->entry);
        return r;
}

static int unpack_symlink(struct unpack *u, struct err *err)
{
        const char *target = archive_entry_symlink(u->e);
        if (!target)
                return err_set(err, -EBADMSG, "layer entry %s: symlink without a target", u->entry);
        if (symlinkat(target, u->parent, u->name) < 0) /* the target is data: never followed here */
                return err_errno(err, neg_errno(), "layer entry %s: symlink", u->entry);
        return apply_meta(u, -1, true, err);
}

static int unpack_hardlink(struct unpack *u, const char *link, struct err *err)
{
        char tpath[PATH_MAX];
        int r = path_normalize(u->entry, link, tpath, "hard link target", err);
        if (r < 0)
                return r;
        if (!tpath[0])
                return err_set(err, -EPERM, "layer entry %s: hard link to the layer root", u->entry);
        _cleanup_close_ int tparent = -EBADF;
        const char *tname;
        if ((r = open_parent(u->root, u->entry, tpath, false, &tparent, &tname, err)) < 0)
                return r;
        if (linkat(tparent, tname, u->parent, u->name, 0) < 0) /* flags 0: a symlink is linked, not followed */
                return err_errno(err, neg_errno(), "layer entry %s: hard link to %s", u->entry, tpath);
        return 0;
}

static int unpack_node(struct unpack *u, mode_t type, struct err *err)
{
        if ((type == S_IFCHR || type == S_IFBLK) && !u->o->allow_devices)
                return err_set(err, -EPERM, "layer entry %s: device nodes are not allowed", u->entry);
        if (mknodat(u->parent, u->name, type | 0600, archive_entry_rdev(u->e)) < 0)
                return err_errno(err, neg_errno(), "layer entry %s: mknod", u->entry);
        return apply_meta(u, -1, false, err);
}

/* .wh..wh..opq: the parent directory hides the layers below it. */
static int whiteout_opaque(struct unpack *u, struct err *err)
{
        _cleanup_close_ int fd = openat(u->parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "layer entry %s: open directory", u->entry);
        if (u->o->whiteouts_as_overlay) {
                if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return err_errno(err, neg_errno(), "layer entry %s: set opaque", u->entry);
                return 0;
        }
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d)
                return err_errno(err, neg_errno(), "layer entry %s: read directory", u->entry);
        fd = -EBADF; /* d owns it */
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                        int r = rm_rf_at(dirfd(d), de->d_name);
                        if (r < 0)
                                return err_errno(err, r, "layer entry %s: remove %s", u->entry, de->d_name);
                }
        return 0;
}

static int unpack_whiteout(struct unpack *u, struct err *err)
{
        cache_drop(u);
        if (!strcmp(u->name, WH_OPAQUE))
                return whiteout_opaque(u, err);
        if (!strncmp(u->name, WH_PREFIX WH_PREFIX, 8))
                return 0; /* aufs metadata (.wh..wh.plnk and friends): nothing to do */
        const char *victim = u->name + strlen(WH_PREFIX);
        if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                return err_set(err, -EPERM, "layer entry %s: whiteout escapes the layer", u->entry);
        int r = rm_rf_at(u->parent, victim);
        if (r < 0)
                return err_errno(err, r, "layer entry %s: remove %s", u->entry, victim);
        if (u->o->whiteouts_as_overlay && mknodat(u->parent, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
                return err_errno(err, neg_errno(), "layer entry %s: create overlay whiteout", u->entry);
        return 0;
}

static int unpack_entry(struct unpack *u, struct err *err)
{
        u->entry = archive_entry_pathname(u->e);
        if (!u->entry)
                return err_set(err, -EBADMSG, "layer entry without a path");
        int r = path_normalize(u->entry, u->entry, u->path, "path", err);
        if (r < 0)
                return r;
        if (!u->path[0])
                return 0; /* the layer root itself: its directory is ours */
        if ((r = parent_get(u, err)) < 0)
                return r;
        if (!strncmp(u->name, WH_PREFIX, strlen(WH_PREFIX)))
                return unpack_whiteout(u, err);
        mode_t type = archive_entry_filetype(u->e);
        const char *link = archive_entry_hardlink(u->e);
        if ((r = clear_slot(u, !link && type == AE_IFDIR)) < 0)
                return err_errno(err, r, "layer entry %s: replace existing", u->entry);
        if (link)
                return unpack_hardlink(u, link, err);
        switch (type) {
        case AE_IFREG:
                return unpack_file(u, err);
        case AE_IFDIR:
                return unpack_dir(u, err);
        case AE_IFLNK:
                return unpack_symlink(u, err);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
        case AE_IFSOCK:
                return unpack_node(u, type, err);
        default:
                return err_set(err, -EBADMSG, "layer entry %s: unknown file type %o", u->entry, type);
        }
}

static void dir_times_apply(struct unpack *u)
{
        for (size_t i = 0; i < u->n_dirs; i++) {
                struct err e;
                int pfd = -EBADF;
                const char *name;
                if (open_parent(u->root, u->dirs[i].path, u->dirs[i].path, false, &pfd, &name, &e) >= 0) {
                        utimensat(pfd, name, u->dirs[i].ts, AT_SYMLINK_NOFOLLOW); /* best effort */
                        close(pfd);
                }
                free(u->dirs[i].path);
        }
        free(u->dirs);
}

static int unpack_all(struct unpack *u, struct err *err)
{
        int r = 0;
        for (;;) {
                int ar = archive_read_next_header(u->a, &u->e);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
                        return err_set(err, -EBADMSG, "layer: %s", archive_error_string(u->a) ?: "bad tar header");
                u->parent = -EBADF;
                r = unpack_entry(u, err);
                if (u->parent >= 0)
                        close(u->parent);
                if (r < 0)
                        return r;
        }
        return 0;
}

int layer_unpack(int fd, int target_dirfd, const struct layer_opts *o, char **ret_diff_id, struct err *err)
{
        static const struct layer_opts defaults = { 0 };
        struct stream s;
        struct unpack u = { .root = target_dirfd, .o = o ? o : &defaults, .cache_fd = -EBADF };
        int r = stream_open(&s, fd, err);
        if (r >= 0 && !(u.a = archive_read_new()))
                r = err_set(err, -ENOMEM, "layer: cannot allocate a reader");
        if (r >= 0) {
                archive_read_support_format_tar(u.a);
                if (archive_read_open(u.a, &s, NULL, inner_read_cb, NULL) != ARCHIVE_OK)
                        r = err_set(err, -EBADMSG, "layer: %s", archive_error_string(u.a) ?: "not a tar stream");
        }
        if (r >= 0)
                r = unpack_all(&u, err);
        dir_times_apply(&u);
        cache_drop(&u);
        char d[DIGEST_STR_LEN + 1];
        if (r >= 0)
                r = stream_finish(&s, d, err);
        if (u.a)
                archive_read_free(u.a);
        stream_free(&s);
        if (r >= 0 && ret_diff_id && !(*ret_diff_id = strdup(d)))
                r = err_errno(err, -ENOMEM, "layer diff-id");
        return r;
}
