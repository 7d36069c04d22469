/* archive.h: image tarballs in and out of the store: docker-archive (docker save),
 * OCI image layout (directory or tar), and plain root filesystem tarballs. */
#pragma once

#include <stddef.h>

#include "image/store.h"
#include "util/err.h"

/* staple load -i FILE: a docker-archive or an OCI layout (tar or directory). Every image
 * found is stored and tagged; *ret_refs (NULL-terminated, may be NULL) lists the refs. */
int archive_load(struct store *st, const char *path, char ***ret_refs, struct err *err);

/* staple import ROOTFS.tar NAME[:TAG]: a one-layer image with a minimal config. */
int archive_import_rootfs(struct store *st, const char *tar_path, const char *ref, struct err *err);

/* staple save -o FILE REF: a docker-archive readable by podman load / docker load. */
int archive_save(struct store *st, const char *ref, const char *out_path, struct err *err);
