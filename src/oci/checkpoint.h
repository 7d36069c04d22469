/* checkpoint.h: checkpoint and restore of a running container through CRIU. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

struct checkpoint_opts {
        const char *root;       /* runtime state root */
        const char *id;
        const char *image_path; /* CRIU images directory; NULL: ./checkpoint */
        const char *work_path;  /* CRIU logs and work files; NULL: the image path */
        const char *bundle;     /* restore only; NULL: the cwd */
        bool leave_running;     /* checkpoint only */
        bool pre_dump;          /* checkpoint only: memory only, the container runs on */
        const char *manage_cgroups_mode; /* soft (NULL), full, strict or ignore */
        const char *pid_file;   /* restore only; may be NULL */
        const char *parent_path; /* checkpoint only: a pre-dump's images, relative to image_path */
        bool tcp_established;
        bool file_locks;
        bool ext_unix_sk;
        bool shell_job;
        bool empty_netns;       /* the network namespace is made empty, its content not dumped */
        bool detach;            /* restore only */
};

/* Dumps a running container's process tree with criu into image_path, then (unless
 * leave_running) deletes the container as runc does. -EOPNOTSUPP when CRIU cannot work
 * on this host (the message says why). */
int checkpoint_dump(const struct checkpoint_opts *o, struct err *err);

/* Recreates a container from a dump, with the bundle's config: state, cgroup, then criu
 * restores the processes into it. Unless detach, waits for the init like `run` and stores
 * its exit code. Same errors; nothing is left behind on failure. */
int checkpoint_restore(const struct checkpoint_opts *o, int *ret_exit_code, struct err *err);
