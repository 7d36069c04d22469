/* manage.h: operations on a container that exists already, through its cgroup:
 * pause, resume, update, ps, stats and the events stream's pieces. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/cgroup.h"
#include "oci/spec.h"
#include "util/err.h"

/* Freezes a running container ("container X is not running" otherwise). */
int container_pause(const char *root, const char *id, struct err *err);

/* Thaws a paused container ("container X is not paused" otherwise). */
int container_resume(const char *root, const char *id, struct err *err);

/* Applies res to the cgroup of a created, running or paused container. */
int container_update(const char *root, const char *id, const struct spec_resources *res,
                     struct err *err);

/* The pids in the container's cgroup; *ret is owned by the caller (free). */
int container_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct err *err);

/* Runs `ps ps_args...` (NULL-terminated; NULL or empty: "-ef") on the host and keeps
 * the header and the lines whose PID column is one of the container's. Caller frees. */
int container_ps_table(const char *root, const char *id, char *const *ps_args, char **ret,
                       struct err *err);

/* The filter of container_ps_table: text is ps output, the first line its header. */
int manage_ps_filter(const char *text, const pid_t *pids, size_t n, char **ret, struct err *err);

/* An open container for repeated statistics (events). */
struct container_watch;

int container_watch_open(const char *root, const char *id, struct container_watch **ret,
                         struct err *err);
/* Whether the container's init is still the process it was. */
bool container_watch_alive(const struct container_watch *w);
int container_watch_stats(struct container_watch *w, struct cgroup_stats *ret, struct err *err);
int container_watch_oom_kills(struct container_watch *w, uint64_t *ret, struct err *err);
void container_watch_free(struct container_watch *w);

/* {"type":"stats","id":ID,"data":{...}} in runc's field names, one line. Caller frees;
 * NULL when out of memory. */
char *container_stats_event_json(const char *id, const struct cgroup_stats *s);

/* {"type":TYPE,"id":ID} (an "oom" event), one line. Caller frees. */
char *container_event_json(const char *type, const char *id);

/* runc's memory size syntax: "1024", "64m", "1.5g", "64MiB", "512kb"; 1024-based;
 * "-1" is unlimited. -EINVAL when it is not one. */
int manage_parse_size(const char *s, int64_t *ret);

/* A Go duration as runc's --interval takes it: "5s", "100ms", "1m30s". */
int manage_parse_duration_ms(const char *s, uint64_t *ret);
