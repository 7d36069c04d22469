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

/* docker's resource flags of `run`; 0 is "not given" everywhere. */
struct run_resources {
        int64_t memory;      /* -m/--memory: bytes */
        int64_t memory_swap; /* --memory-swap: memory + swap, bytes; -1 unlimited */
        int64_t cpu_quota;   /* --cpus N: N * BUNDLE_CPU_PERIOD microseconds per period */
        uint64_t cpu_shares; /* --cpu-shares */
        int64_t pids_limit;  /* --pids-limit; -1 unlimited */
};

#define BUNDLE_CPU_PERIOD 100000 /* microseconds, the CFS period --cpus is a share of */

struct json_object;

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
        struct run_resources res;  /* linux.resources */
        /* the engine's last word on the config before it is written (may be NULL) */
        int (*finish)(struct json_object *spec, void *u, struct err *err);
        void *finish_u;
};

/* Parses the value of a resource flag of `run` (flag: "memory", "memory-swap", "cpus",
 * "cpu-shares" or "pids-limit") into res; -EINVAL with a message naming the flag. */
int bundle_parse_resource(struct run_resources *res, const char *flag, const char *value, struct err *err);

/* The checks across flags (--memory-swap needs --memory and is not below it). */
int bundle_check_resources(const struct run_resources *res, struct err *err);

/* Writes bundle_dir/config.json for a rootfs at bundle_dir/rootfs (already there).
 * User names are resolved through the rootfs' /etc/passwd and /etc/group. */
int bundle_write_config(const struct image *img, const struct run_opts *o, const char *bundle_dir,
                        struct err *err);

/* "user[:group]" (names or ids) as resolved through rootfs' /etc/passwd and /etc/group. */
int bundle_user_ids(const char *rootfs, const char *spec, uint32_t *ret_uid, uint32_t *ret_gid, struct err *err);
