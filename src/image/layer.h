/* layer.h: unpacking one layer tarball (gzip, zstd or plain) onto a directory, with OCI
 * whiteouts, hard links within the layer, symlinks, xattrs, ownership and modes, and never
 * a write outside the target: absolute paths, "..", symlinked parents and hard links
 * pointing out are refused with an error naming the entry. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

struct layer_opts {
        bool allow_devices;   /* create device nodes (else: error naming the entry) */
        bool whiteouts_as_overlay; /* .wh.X -> overlayfs char 0:0 + opaque xattr, for overlay lowerdirs */
};

/* Unpacks the archive read from fd into target_dirfd. *ret_diff_id (may be NULL) is the
 * sha256 of the uncompressed tar stream, "sha256:<hex>", owned by the caller. */
int layer_unpack(int fd, int target_dirfd, const struct layer_opts *o, char **ret_diff_id, struct err *err);

/* The diff-id ("sha256:<hex>" of the uncompressed stream) of the archive read from fd,
 * without unpacking it. *ret owned by the caller. */
int layer_diff_id(int fd, char **ret, struct err *err);
