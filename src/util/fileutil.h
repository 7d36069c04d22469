/* fileutil.h: small fd-first file helpers shared by every module. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FILE_READ_MAX (16u << 20) /* config.json and friends larger than this are refused */

/* Reads the whole file at dirfd/path into a NUL-terminated buffer owned by the caller.
 * Returns 0 or a negative errno (-EFBIG beyond FILE_READ_MAX). */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);

/* Writes data to dirfd/path (O_CREAT|O_TRUNC, mode). Returns 0 or a negative errno. */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode);

/* Writes dirfd/path atomically: a temporary file in the same directory, then rename.
 * Readers see the old or the new content, never a mix; not fsync'd (runtime state). */
int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode);

/* The same, with an fsync before the rename: the new content survives a crash (store). */
int write_file_durable_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode);

/* Writes a whole buffer to fd, retrying on short writes and EINTR. */
int write_all(int fd, const void *data, size_t len);

/* Reads exactly len bytes, retrying on EINTR; -EPIPE on early end of file. */
int read_all(int fd, void *data, size_t len);

/* mkdir -p relative to dirfd; existing directories are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);

/* rm -rf of dirfd/path without crossing mount points; a missing path is fine. */
int rm_rf_at(int dirfd, const char *path);

/* Wrapper for openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: opens `path`
 * as if root_fd were "/", so neither ".." nor a symlink leads out of it. */
int openat_in_root(int root_fd, const char *path, int flags, mode_t mode);
