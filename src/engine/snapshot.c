/* snapshot.c: a container's rootfs as an overlayfs mount over the image's layers, mounted
 * with the new mount API (one "lowerdir+" per layer, so no page-size limit on the option
 * string), or, where overlayfs is refused, a private copy of the layers. */
#include "engine/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

static int overlay_mount(const char *dir, char *const *layer_dirs, size_t n, struct err *err)
{
        _cleanup_free_ char *upper = NULL, *work = NULL, *rootfs = NULL;
        if (asprintf(&upper, "%s/upper", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
            asprintf(&rootfs, "%s/rootfs", dir) < 0)
                return err_errno(err, -ENOMEM, "snapshot %s", dir);
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return err_errno(err, neg_errno(), "snapshot %s: open overlay", dir);
        /* overlayfs: the first lower layer given is the top-most one. */
        for (size_t i = n; i-- > 0;)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", layer_dirs[i], 0) < 0)
                        return err_errno(err, neg_errno(), "snapshot %s: overlay lowerdir %s", dir,
                                         layer_dirs[i]);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
                return err_errno(err, neg_errno(), "snapshot %s: overlay upper/work", dir);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return err_errno(err, neg_errno(), "snapshot %s: create overlay", dir);
        _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (mnt < 0)
                return err_errno(err, neg_errno(), "snapshot %s: fsmount overlay", dir);
        if (move_mount(mnt, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return err_errno(err, neg_errno(), "snapshot %s: mount overlay on %s", dir, rootfs);
        return 0;
}

/* ---- the copying fallback ---- */

static int copy_tree(int src, int dst, const char *where, struct err *err);

/* A whiteout as the unpacker may have left it: ".wh.NAME" or an overlay char 0:0 node. */
static bool is_overlay_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int copy_xattrs(int src, int dst)
{
        char names[4096];
        ssize_t len = flistxattr(src, names, sizeof(names));
        if (len <= 0)
                return 0; /* none, or unsupported: not an error for a copy */
        for (char *k = names; k < names + len; k += strlen(k) + 1) {
                char val[4096];
                if (!strcmp(k, OVERLAY_OPAQUE_XATTR))
                        continue;
                ssize_t vl = fgetxattr(src, k, val, sizeof(val));
                if (vl >= 0 && fsetxattr(dst, k, val, (size_t)vl, 0) < 0 && errno != ENOTSUP)
                        return neg_errno();
        }
        return 0;
}

static int copy_regular(int src_dir, const char *name, const struct stat *st, int dst_dir)
{
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return neg_errno();
        _cleanup_close_ int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         st->st_mode & 07777);
        if (out < 0)
                return neg_errno();
        for (;;) {
                ssize_t k = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return neg_errno();
                if (k == 0)
                        break;
        }
        if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
                return neg_errno();
        return copy_xattrs(in, out);
}

static int copy_entry(int src, int dst, const char *name, const struct stat *st, const char *where,
                      struct err *err)
{
        int r = 0;
        if (S_ISDIR(st->st_mode)) {
                if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
                        return err_errno(err, neg_errno(), "copy %s/%s", where, name);
                _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || d < 0)
                        return err_errno(err, neg_errno(), "copy %s/%s", where, name);
                char opq[2];
                bool opaque = fgetxattr(s, OVERLAY_OPAQUE_XATTR, opq, sizeof(opq)) == 1 && opq[0] == 'y';
                if (opaque && (r = rm_rf_at(dst, name)) >= 0 && mkdirat(dst, name, 0700) < 0)
                        r = neg_errno();
                if (opaque && r >= 0) {
                        closep(&d);
                        d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = d < 0 ? neg_errno() : 0;
                }
                if (r < 0)
                        return err_errno(err, r, "copy %s/%s", where, name);
                _cleanup_free_ char *sub = NULL;
                if (asprintf(&sub, "%s/%s", where, name) < 0)
                        return err_errno(err, -ENOMEM, "copy %s", where);
                if ((r = copy_tree(s, d, sub, err)) < 0)
                        return r;
                if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0 ||
                    copy_xattrs(s, d) < 0)
                        return err_errno(err, neg_errno(), "copy %s/%s: attributes", where, name);
                return 0;
        }
        /* A later layer's entry replaces whatever an earlier one had there. */
        if (unlinkat(dst, name, 0) < 0 && errno != ENOENT) {
                if (errno != EISDIR && errno != EPERM)
                        return err_errno(err, neg_errno(), "copy %s/%s: replace", where, name);
                if ((r = rm_rf_at(dst, name)) < 0)
                        return err_errno(err, r, "copy %s/%s: replace", where, name);
        }
        if (S_ISREG(st->st_mode)) {
                r = copy_regular(src, name, st, dst);
        } else if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t len = readlinkat(src, name, target, sizeof(target) - 1);
                if (len < 0)
                        return err_errno(err, neg_errno(), "copy %s/%s: readlink", where, name);
                target[len] = '\0';
                if (symlinkat(target, dst, name) < 0 || fchownat(dst, name, st->st_uid, st->st_gid,
                                                                  AT_SYMLINK_NOFOLLOW) < 0)
                        r = neg_errno();
        } else if (mknodat(dst, name, st->st_mode, st->st_rdev) < 0 ||
                   fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
                r = neg_errno();
        }
        if (r < 0)
                return err_errno(err, r, "copy %s/%s", where, name);
        return 0;
}

/* Copies the directory src onto dst, applying the whiteouts found in src. */
static int copy_tree(int src, int dst, const char *where, struct err *err)
{
        int fd = dup(src);
        if (fd < 0)
                return err_errno(err, neg_errno(), "copy %s", where);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return err_errno(err, neg_errno(), "copy %s", where);
        }
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                const char *name = de->d_name;
                if (!strcmp(name, ".") || !strcmp(name, ".."))
                        continue;
                if (!strcmp(name, WHITEOUT_OPAQUE)) {
                        continue; /* handled by the parent: see copy_entry */
                }
                if (!strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX))) {
                        rm_rf_at(dst, name + strlen(WHITEOUT_PREFIX));
                        continue;
                }
                struct stat st;
                if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return err_errno(err, neg_errno(), "copy %s/%s: stat", where, name);
                if (is_overlay_whiteout(&st)) {
                        rm_rf_at(dst, name);
                        continue;
                }
                int r = copy_entry(src, dst, name, &st, where, err);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return err_errno(err, neg_errno(), "copy %s: readdir", where);
        return 0;
}

/* A ".wh..wh..opq" marker inside a layer directory hides what earlier layers had there. */
static int copy_layers(const char *dir, char *const *layer_dirs, size_t n, struct err *err)
{
        _cleanup_free_ char *rootfs = NULL;
        if (asprintf(&rootfs, "%s/rootfs", dir) < 0)
                return err_errno(err, -ENOMEM, "snapshot %s", dir);
        _cleanup_close_ int dst = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
                return err_errno(err, neg_errno(), "snapshot: open %s", rootfs);
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int src = open(layer_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (src < 0)
                        return err_errno(err, neg_errno(), "snapshot: open layer %s", layer_dirs[i]);
                struct stat st;
                if (fstat(src, &st) < 0)
                        return err_errno(err, neg_errno(), "snapshot: stat layer %s", layer_dirs[i]);
                int r = copy_tree(src, dst, layer_dirs[i], err);
                if (r < 0)
                        return err_wrap(err, "snapshot %s (copy)", dir);
                if (i == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
                        return err_errno(err, neg_errno(), "snapshot %s: rootfs attributes", dir);
        }
        return 0;
}

static bool overlay_unsupported(int code)
{
        return code == -EINVAL || code == -ENODEV || code == -EPERM || code == -ENOSYS;
}

int snapshot_create(const char *dir, char *const *layer_dirs, size_t n, struct err *err)
{
        if (mkdir(dir, 0700) < 0)
                return err_errno(err, neg_errno(), "snapshot: create %s", dir);
        static const char *const subdirs[] = { "rootfs", "upper", "work", "empty" };
        for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
                _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 || mkdirat(dfd, subdirs[i], 0755) < 0) {
                        int r = err_errno(err, neg_errno(), "snapshot: create %s/%s", dir, subdirs[i]);
                        rm_rf_at(AT_FDCWD, dir);
                        return r;
                }
        }
        /* An image without layers still needs one lower layer: an empty one of our own. */
        _cleanup_free_ char *empty = NULL;
        char *empty_v[1];
        if (n == 0) {
                if (asprintf(&empty, "%s/empty", dir) < 0)
                        return err_errno(err, -ENOMEM, "snapshot %s", dir);
                empty_v[0] = empty;
                layer_dirs = empty_v;
                n = 1;
        }
        struct err oerr = { 0 };
        int r = overlay_mount(dir, layer_dirs, n, &oerr);
        if (r < 0 && overlay_unsupported(r))
                r = copy_layers(dir, layer_dirs, n, err);
        else if (r < 0)
                *err = oerr;
        if (r < 0)
                snapshot_remove(dir, &(struct err){ 0 });
        return r;
}

/* An unmounted overlay rootfs is an empty directory; a copied one is not. */
static int rootfs_empty(const char *rootfs, bool *ret)
{
        _cleanup_closedir_ DIR *d = opendir(rootfs);
        if (!d)
                return neg_errno();
        struct dirent *de;
        *ret = true;
        while ((errno = 0, de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        *ret = false;
        return errno ? neg_errno() : 0;
}

int snapshot_mount(const char *dir, char *const *layer_dirs, size_t n, struct err *err)
{
        _cleanup_free_ char *rootfs = NULL, *empty = NULL;
        if (asprintf(&rootfs, "%s/rootfs", dir) < 0 || asprintf(&empty, "%s/empty", dir) < 0)
                return err_errno(err, -ENOMEM, "snapshot %s", dir);
        bool is_empty;
        int r = rootfs_empty(rootfs, &is_empty);
        if (r < 0)
                return err_errno(err, r, "snapshot: read %s", rootfs);
        if (!is_empty) /* mounted already, or a copy */
                return 0;
        char *empty_v[1] = { empty };
        return n ? overlay_mount(dir, layer_dirs, n, err) : overlay_mount(dir, empty_v, 1, err);
}

int snapshot_unmount(const char *dir, struct err *err)
{
        _cleanup_free_ char *rootfs = NULL;
        if (asprintf(&rootfs, "%s/rootfs", dir) < 0)
                return err_errno(err, -ENOMEM, "snapshot %s", dir);
        /* Detach: a process that still has a file open there must not keep us from removing. */
        if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return err_errno(err, neg_errno(), "snapshot: unmount %s", rootfs);
        return 0;
}

int snapshot_remove(const char *dir, struct err *err)
{
        int r = snapshot_unmount(dir, err);
        if (r < 0)
                return r;
        /* rm_rf_at does not cross mount points: a rootfs still mounted would fail here,
         * never be emptied through the mount. */
        r = rm_rf_at(AT_FDCWD, dir);
        if (r < 0)
                return err_errno(err, r, "snapshot: remove %s", dir);
        return 0;
}
