/* bundle.h: image config + the user's flags -> an OCI bundle's config.json, with secure
 * defaults (the default capabilities, seccomp profile, masked and read-only paths). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "util/err.h"

/* The image's StopSignal, kept in the bundle's annotations. */
#define ANNOTATION_STOP_SIGNAL "org.opencontainers.image.stopSignal"

struct run_opts {
        const char *name;          /* container name/id */
        char **cmd;                /* user's CMD (NULL-terminated; may be NULL) */
        const char *entrypoint;    /* --entrypoint; may be NULL */
        char **env;                /* -e K=V (NULL-terminated; may be NULL) */
        const char *workdir;       /* -w; may be NULL */
        const char *user;          /* -u user[:group] names or ids; may be NULL */
        const char *hostname;      /* may be NULL: the name */
        bool tty;
        bool read_only;
        const char *cgroup_parent; /* default "/staple" */
};

/* Writes bundle_dir/config.json for a rootfs at bundle_dir/rootfs (already there).
 * User names are resolved through the rootfs' /etc/passwd and /etc/group. */
int bundle_write_config(const struct image *img, const struct run_opts *o, const char *bundle_dir,
                        struct err *err);

/* "user[:group]" (names or ids) as resolved through rootfs' /etc/passwd and /etc/group. */
int bundle_user_ids(const char *rootfs, const char *spec, uint32_t *ret_uid, uint32_t *ret_gid, struct err *err);
