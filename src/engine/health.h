/* health.h: health checks of detached containers, as docker runs them. The check (the
 * image's Healthcheck or --health-cmd) is exec'd into the container every interval by the
 * container's monitor, from a child of its own, so the monitor keeps logging meanwhile. The
 * record keeps the outcome: health_status starting|healthy|unhealthy, the failing streak
 * and the last HEALTH_LOG_MAX results. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define HEALTH_LOG_MAX 5
#define HEALTH_OUTPUT_MAX 4096 /* bytes of a check's output kept */

struct json_object;

/* The user's flags (strings as given; NULL: not given). */
struct health_opts {
        const char *cmd;          /* --health-cmd: run by /bin/sh -c */
        const char *interval;     /* Go durations: "30s", "500ms", "1m30s" */
        const char *timeout;
        const char *start_period;
        const char *retries;
        bool none;                /* --no-healthcheck */
};

/* The check to record from the image config's Healthcheck (may be NULL) and the flags:
 * {"test": [argv], "interval_ms", "timeout_ms", "start_period_ms", "retries"}; *ret NULL
 * when there is none. A flag that is given without a test anywhere, or a bad value, fails. */
int health_config(struct json_object *image_hc, const struct health_opts *o, struct json_object **ret,
                  struct err *err);

/* The monitor's side: one check at a time. */
struct health {
        char **test;              /* NULL: no check */
        int64_t interval_ms, timeout_ms, start_period_ms;
        int retries;
        int64_t started_ms;       /* when the container (re)started */
        int64_t next_ms;          /* when the next check is due */
        pid_t pid;                /* the running check, or 0 */
        int64_t check_started_ms;
        int kills;                /* signals sent to a check that timed out */
        char *check_start;        /* its start, RFC 3339 */
};

/* From dir's record; no check when it has none. */
int health_load(struct health *h, const char *dir, struct err *err);
void health_free(struct health *h);

/* The container (re)started at now: status "starting", first check after one interval. */
void health_reset(struct health *h, const char *dir, int64_t now_ms);

/* Milliseconds until health_tick has something to do (-1: never). */
int health_wait_ms(const struct health *h, int64_t now_ms);

/* Starts a due check (exec of the test into the container, output to dir/health.out) or
 * ends one that ran past its timeout. */
void health_tick(struct health *h, const char *runtime_root, const char *id, const char *dir, int64_t now_ms);

/* True when pid was the check: its result is recorded in dir's record. */
bool health_reaped(struct health *h, pid_t pid, int status, const char *dir, int64_t now_ms);

/* Monotonic milliseconds. */
int64_t health_now_ms(void);
