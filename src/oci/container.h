/* container.h: the runtime's operations on one container, as library calls the CLI
 * and the tests make: create, start, run, kill, delete, state, list. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/state.h"
#include "util/err.h"

struct container_opts {
        const char *root;           /* runtime state root */
        const char *id;
        const char *bundle;         /* bundle directory; relative to the cwd or absolute */
        const char *pid_file;       /* may be NULL */
        const char *console_socket; /* may be NULL */
        bool no_pivot;
        unsigned int preserve_fds;   /* counts the listen_fds too */
        unsigned int listen_fds;     /* socket activation: the first preserved fds are sockets */
};

/* Creates the container and leaves its init waiting on the exec fifo. Nothing is left
 * behind on failure (state directory, cgroup, process). */
int container_create(const struct container_opts *o, struct err *err);

/* Lets a created container's init exec the user's process, then runs poststart hooks. */
int container_start(const char *root, const char *id, struct err *err);

/* create + start; unless detach, waits for the container, forwarding signals, deletes
 * it and stores the exit code (128 + signal on death by signal) in *ret_exit_code. */
int container_run(const struct container_opts *o, bool detach, int *ret_exit_code, struct err *err);

/* Sends sig to the init, or with all to every process of the container's cgroup. */
int container_kill(const char *root, const char *id, int sig, bool all, struct err *err);

/* Deletes a stopped (or created) container; force kills a running one first. */
int container_delete(const char *root, const char *id, bool force, struct err *err);

/* The OCI state JSON of one container. *ret is owned by the caller. */
int container_state(const char *root, const char *id, char **ret, struct err *err);

struct container_info {
        char *id;
        pid_t pid;
        enum container_status status;
        char *bundle;
        char *created;
        uid_t owner;
};

/* Every container under root (unreadable ones are skipped). Free with container_list_free. */
int container_list(const char *root, struct container_info **ret, size_t *ret_n, struct err *err);
void container_list_free(struct container_info *list, size_t n);

/* ---- shared with checkpoint/restore, which makes containers without create ---- */
struct spec;
struct cgroup;

/* Loads BUNDLE/config.json (dir NULL: the cwd) and resolves the bundle and rootfs to
 * absolute paths. The three results are owned by the caller (spec_free, free). */
int container_open_bundle(const char *dir, struct spec **ret_spec, char **ret_bundle, char **ret_rootfs,
                          struct err *err);

/* Creates the container's cgroup with its resources (and the default device rules).
 * A rootless caller that may not create cgroups gets none: *ret and *ret_path NULL. */
int container_make_cgroup(const struct spec *s, const char *id, struct cgroup **ret, char **ret_path,
                          struct err *err);

/* Sets created, owner, annotations and hooks of a new container's state from its spec. */
int container_state_fill(struct state *st, const struct spec *s, struct err *err);
