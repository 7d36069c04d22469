/* control.h: what the engine does to containers that exist: start, stop, kill, wait,
 * exec, inspect and logs. A container is named by id, unique id prefix or name. */
#pragma once

#include <stdbool.h>

#include "engine/logs.h"
#include "engine/run.h"
#include "util/err.h"

struct json_object;

#define ENGINE_STOP_TIMEOUT 10 /* seconds between the stop signal and SIGKILL */

/* Starts an exited container again under a new monitor (its rootfs mounted again). */
int engine_start(const struct engine *e, const char *ref, struct err *err);

/* The image's StopSignal (default SIGTERM) to PID 1, SIGKILL to all after timeout_s; the
 * restart policy does not restart it. Returns once it has exited and its monitor ended.
 * Not running is not an error. */
int engine_stop(const struct engine *e, const char *ref, unsigned int timeout_s, struct err *err);

/* sig to the container's PID 1; the restart policy applies when it dies of it. */
int engine_kill(const struct engine *e, const char *ref, int sig, struct err *err);

/* Freezes (pause) or thaws the container's processes (its cgroup's freezer). */
int engine_pause(const struct engine *e, const char *ref, bool pause, struct err *err);

/* `ps ps_args` (NULL: -ef) on the host, only the container's processes; caller frees. */
int engine_top(const struct engine *e, const char *ref, char *const *ps_args, char **ret, struct err *err);

/* Blocks until the container has ended for good; *ret_code: its last exit code. */
int engine_wait(const struct engine *e, const char *ref, int *ret_code, struct err *err);

struct engine_exec {
        char **cmd;          /* NULL-terminated */
        char **env;          /* "K=V", NULL-terminated; may be NULL */
        const char *workdir; /* may be NULL */
        const char *user;    /* user[:group], names or ids; may be NULL */
        bool interactive;    /* pass stdin; else the process reads /dev/null */
};
int engine_exec(const struct engine *e, const char *ref, const struct engine_exec *x, int *ret_code,
                struct err *err);

/* docker-inspect-like JSON of the container's record and live state. */
int engine_inspect(const struct engine *e, const char *ref, struct json_object **ret, struct err *err);

/* Prints the container's log (o->done and o->u are set here: the monitor has ended). */
int engine_logs(const struct engine *e, const char *ref, struct logs_opts *o, int out_fd, int err_fd,
                struct err *err);
