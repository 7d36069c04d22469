/* archive_lazy.h: libarchive loaded with dlopen when a layer is unpacked, hashed or saved.
 * libarchive drags in libxml2, ICU (30 MB of libicudata), libstdc++, lz4, bz2, lzma, nettle,
 * acl...: linking it made every `staple` command, `staple run` included, relocate them at
 * start although only load/import/pull/save use it (bench/README.md).
 * Include this instead of <archive.h>: the archive_* calls below go through the table. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util/err.h"

/* Every libarchive function layer.c and archive.c call; a new call needs a line here and a
 * #define below (-Werror=implicit-function-declaration does not catch a missing #define:
 * the link does, since libarchive is not linked). */
#define ARCHIVE_LAZY_FUNCTIONS(X)                                                              \
        X(archive_error_string) X(archive_set_error)                                           \
        X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_all)            \
        X(archive_read_support_format_raw) X(archive_read_support_format_tar)                  \
        X(archive_read_open) X(archive_read_open_fd) X(archive_read_next_header)               \
        X(archive_read_data) X(archive_read_data_block)                                        \
        X(archive_write_new) X(archive_write_free) X(archive_write_set_format_pax_restricted)  \
        X(archive_write_open_fd) X(archive_write_header) X(archive_write_data)                 \
        X(archive_write_close)                                                                 \
        X(archive_entry_new) X(archive_entry_free) X(archive_entry_pathname)                   \
        X(archive_entry_hardlink) X(archive_entry_symlink) X(archive_entry_filetype)           \
        X(archive_entry_perm) X(archive_entry_uid) X(archive_entry_gid) X(archive_entry_rdev)  \
        X(archive_entry_size) X(archive_entry_mtime) X(archive_entry_mtime_nsec)               \
        X(archive_entry_atime) X(archive_entry_atime_nsec) X(archive_entry_atime_is_set)       \
        X(archive_entry_xattr_reset) X(archive_entry_xattr_next)                               \
        X(archive_entry_set_pathname) X(archive_entry_set_filetype) X(archive_entry_set_perm)  \
        X(archive_entry_set_size) X(archive_entry_set_mtime)

/* One pointer per function, typed from libarchive's own prototype. */
#define ARCHIVE_LAZY_FIELD(f) __typeof__(f) *f;
struct archive_lazy {
        ARCHIVE_LAZY_FUNCTIONS(ARCHIVE_LAZY_FIELD)
};
#undef ARCHIVE_LAZY_FIELD

extern struct archive_lazy archive_lazy;

/* Loads libarchive.so.13 once (later calls return 0 at once); a clear error when it is not
 * installed. Call it before the first archive_* call of an operation. */
int archive_lazy_load(struct err *err);

#ifndef ARCHIVE_LAZY_NO_MACROS
#define archive_error_string archive_lazy.archive_error_string
#define archive_set_error archive_lazy.archive_set_error
#define archive_read_new archive_lazy.archive_read_new
#define archive_read_free archive_lazy.archive_read_free
#define archive_read_support_filter_all archive_lazy.archive_read_support_filter_all
#define archive_read_support_format_raw archive_lazy.archive_read_support_format_raw
#define archive_read_support_format_tar archive_lazy.archive_read_support_format_tar
#define archive_read_open archive_lazy.archive_read_open
#define archive_read_open_fd archive_lazy.archive_read_open_fd
#define archive_read_next_header archive_lazy.archive_read_next_header
#define archive_read_data archive_lazy.archive_read_data
#define archive_read_data_block archive_lazy.archive_read_data_block
#define archive_write_new archive_lazy.archive_write_new
#define archive_write_free archive_lazy.archive_write_free
#define archive_write_set_format_pax_restricted archive_lazy.archive_write_set_format_pax_restricted
#define archive_write_open_fd archive_lazy.archive_write_open_fd
#define archive_write_header archive_lazy.archive_write_header
#define archive_write_data archive_lazy.archive_write_data
#define archive_write_close archive_lazy.archive_write_close
#define archive_entry_new archive_lazy.archive_entry_new
#define archive_entry_free archive_lazy.archive_entry_free
#define archive_entry_pathname archive_lazy.archive_entry_pathname
#define archive_entry_hardlink archive_lazy.archive_entry_hardlink
#define archive_entry_symlink archive_lazy.archive_entry_symlink
#define archive_entry_filetype archive_lazy.archive_entry_filetype
#define archive_entry_perm archive_lazy.archive_entry_perm
#define archive_entry_uid archive_lazy.archive_entry_uid
#define archive_entry_gid archive_lazy.archive_entry_gid
#define archive_entry_rdev archive_lazy.archive_entry_rdev
#define archive_entry_size archive_lazy.archive_entry_size
#define archive_entry_mtime archive_lazy.archive_entry_mtime
#define archive_entry_mtime_nsec archive_lazy.archive_entry_mtime_nsec
#define archive_entry_atime archive_lazy.archive_entry_atime
#define archive_entry_atime_nsec archive_lazy.archive_entry_atime_nsec
#define archive_entry_atime_is_set archive_lazy.archive_entry_atime_is_set
#define archive_entry_xattr_reset archive_lazy.archive_entry_xattr_reset
#define archive_entry_xattr_next archive_lazy.archive_entry_xattr_next
#define archive_entry_set_pathname archive_lazy.archive_entry_set_pathname
#define archive_entry_set_filetype archive_lazy.archive_entry_set_filetype
#define archive_entry_set_perm archive_lazy.archive_entry_set_perm
#define archive_entry_set_size archive_lazy.archive_entry_set_size
#define archive_entry_set_mtime archive_lazy.archive_entry_set_mtime
#endif
