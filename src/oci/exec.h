/* exec.h: a new process in a running container: it joins every namespace and the cgroup
 * of the container's init and gets the container's security settings (runc's `exec`). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define EXEC_MAX_ITEMS 1024 /* bound on --env, --cap and --additional-gids */

struct exec_opts {
        const char *root;             /* runtime state root */
        const char *id;
        const char *process_path;     /* --process process.json; then args and the overrides
                                       * below are not allowed (runc takes the file as is) */
        char **args;                  /* the command, NULL-terminated; NULL with process_path */
        int tty;                      /* 1: --tty; -1: none (process.json decides, else no tty) */
        const char *console_socket;   /* required when the process gets a terminal */
        const char *cwd;              /* may be NULL */
        char **env;                   /* "K=V": replaces K or is appended */
        size_t n_env;
        bool has_user, has_gid;       /* --user uid[:gid] */
        uint32_t uid, gid;
        bool has_additional_gids;     /* --additional-gids replaces the config's list */
        uint32_t *additional_gids;
        size_t n_additional_gids;
        const char **caps;            /* --cap: added to bounding, effective, permitted, ambient */
        size_t n_caps;
        bool no_new_privs;
        const char *apparmor;         /* may be NULL */
        const char *process_label;    /* may be NULL */
        bool detach;
        const char *pid_file;         /* may be NULL */
        unsigned int preserve_fds;    /* fds 3 .. 3+n-1 pass into the process */
        bool ignore_paused;
        const char *cgroup;           /* a sub-cgroup of the container's to join, or NULL */
};

/* Runs the process. Without detach, waits for it, forwarding signals, and stores its
 * exit code (128 + signal when killed) in *ret_exit_code; with detach, returns once the
 * process has exec'd. Fails before anything runs when the container is not running
 * (paused without ignore_paused, created, stopped) or the options are invalid. */
int exec_process(const struct exec_opts *o, int *ret_exit_code, struct err *err);
