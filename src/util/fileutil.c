#include "util/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"

int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return neg_errno();
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int read_all(int fd, void *data, size_t len)
{
        char *p = data;
        while (len > 0) {
                ssize_t n = read(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return neg_errno();
                }
                if (n == 0)
                        return -EPIPE;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return neg_errno();

        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= FILE_READ_MAX)
                                return -EFBIG;
                        cap *= 2;
                        char *nbuf = realloc(buf, cap);
                        if (!nbuf)
                                return -ENOMEM;
                        buf = nbuf;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return neg_errno();
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0)
                return neg_errno();
        int r = write_all(fd, data, len);
        if (r < 0)
                return r;
        if (close(TAKE_FD(fd)) < 0)
                return neg_errno();
        return 0;
}

static int write_file_replace(int dirfd, const char *path, const char *data, size_t len, mode_t mode,
                              bool durable)
{
        char tmp[4096];
        int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;

        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0)
                return neg_errno();
        int r = write_all(fd, data, len);
        if (r >= 0 && durable && fsync(fd) < 0)
                r = neg_errno();
        if (r >= 0 && renameat(dirfd, tmp, dirfd, path) < 0)
                r = neg_errno();
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}

int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode)
{
        return write_file_replace(dirfd, path, data, len, mode, false);
}

int write_file_durable_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode)
{
        return write_file_replace(dirfd, path, data, len, mode, true);
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; ; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                        return neg_errno();
                *s = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

static int rm_rf_children(int fd, dev_t dev)
{
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return neg_errno();
        }
        _cleanup_closedir_ DIR *dir = d;
        int r = 0;
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                r = neg_errno();
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev) {
                                r = -EBUSY; /* a mount point: never cross it */
                                continue;
                        }
                        int cfd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0) {
                                r = neg_errno();
                                continue;
                        }
                        int k = rm_rf_children(cfd, dev);
                        if (k < 0)
                                r = k;
                        if (unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                r = neg_errno();
                } else if (unlinkat(dirfd(dir), de->d_name, 0) < 0 && errno != ENOENT) {
                        r = neg_errno();
                }
        }
        return r;
}

int rm_rf_at(int dirfd, const char *path)
{
        struct stat st;
        if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : neg_errno();
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, path, 0) < 0 && errno != ENOENT ? neg_errno() : 0;
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return neg_errno();
        int r = rm_rf_children(fd, st.st_dev);
        if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT && r >= 0)
                r = neg_errno();
        return r;
}

int openat_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;
        do
                fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? neg_errno() : fd;
}
