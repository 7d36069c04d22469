/* rootfs.h: the container's root file system, built inside its new mount namespace by
 * the container's init. Three steps so the caller can run createContainer hooks between
 * prepare and pivot (runtime-spec config.md#createcontainer-hooks). */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/err.h"

/* Makes the root a mount point (rbind of `rootfs` onto itself), applies rootfsPropagation,
 * performs every spec mount in order with its destination resolved inside the rootfs
 * (never following a symlink out of it), creates /dev with the default devices, symlinks,
 * /dev/pts/ptmx and linux.devices. `rootfs` is an absolute host path. Runs in the new
 * mount namespace, before pivot_root. */
int rootfs_prepare(const struct spec *s, const char *rootfs, struct err *err);

/* Makes `rootfs` the root: pivot_root (or chroot after MS_MOVE when no_pivot), then
 * detaches the old root and chdirs to "/". */
int rootfs_pivot(const char *rootfs, bool no_pivot, struct err *err);

/* After pivot: writes linux.sysctl, points stdio that is the host's /dev/null at the
 * container's, masks maskedPaths, makes readonlyPaths read-only and
 * remounts "/" read-only when root.readonly is set. */
int rootfs_finalize(const struct spec *s, struct err *err);
