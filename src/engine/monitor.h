/* monitor.h: the one process that stays with a detached container. No daemon: `staple run -d`
 * and `staple start` fork a monitor (in its own session) that starts the container as its
 * child, owns its stdout and stderr (written to dir/ctr.log, see logs.h), records its exit
 * code and applies the restart policy. Its liveness is a lock: the monitor holds
 * dir/monitor.lock for its whole life, so others can test or wait for it without pids.
 * Only the monitor writes the record while it lives; others ask it to stop by creating
 * dir/stop-requested, which it reads before each restart. */
#pragma once

#include <stdbool.h>

#include "engine/run.h"
#include "util/err.h"

#define MONITOR_LOG_FILE "ctr.log"

struct restart_policy {
        char name[16]; /* "no", "always", "unless-stopped", "on-failure" */
        int max;       /* on-failure:N; 0: no limit */
};

/* "no", "always", "unless-stopped", "on-failure[:N]". */
int restart_policy_parse(const char *s, struct restart_policy *ret, struct err *err);

/* Starts the container whose bundle is dir (made by the engine, record included) under a
 * new monitor and returns once its process runs, or with the error that kept it from
 * running (then nothing of the attempt is left but the directory). */
int monitor_spawn(const struct engine *e, const char *id, const char *dir, struct err *err);

/* Whether dir's container has a live monitor. */
bool monitor_alive(const char *dir);

/* Blocks until dir's monitor (if any) has ended. */
int monitor_wait(const char *dir, struct err *err);

/* Tells dir's monitor not to restart its container again (until the next start). */
int monitor_request_stop(const char *dir, struct err *err);
