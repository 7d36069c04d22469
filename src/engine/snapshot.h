/* snapshot.h: a container's root filesystem: an overlayfs mount whose lowerdirs are the
 * image's unpacked layers and whose upper and work dirs are the container's own, with a
 * copying fallback where overlayfs is not available. */
#pragma once

#include <stddef.h>

#include "util/err.h"

/* Builds dir/rootfs from the layers (base first). dir is created; its upper/ and work/
 * hold the container's changes. */
int snapshot_create(const char *dir, char *const *layer_dirs, size_t n, struct err *err);

/* Mounts dir/rootfs again (after snapshot_unmount) over the same layers; a rootfs that is
 * mounted or a copy is left as it is. */
int snapshot_mount(const char *dir, char *const *layer_dirs, size_t n, struct err *err);

/* Unmounts dir/rootfs and removes dir. Missing is fine. */
int snapshot_remove(const char *dir, struct err *err);

/* Unmounts dir/rootfs (a stopped container keeps its upper dir). Not mounted is fine. */
int snapshot_unmount(const char *dir, struct err *err);
