/* record.h: an engine container's record, <root>/containers/<id>/container.json: what it
 * was made from, its restart policy and what became of it (status, pid, exit code, times,
 * restart count). Written whole and atomically; while a container has a monitor, only the
 * monitor writes it (others ask it to stop through a marker file, see monitor.h). */
#pragma once

#include <stdbool.h>

#include "engine/run.h"
#include "util/err.h"

struct json_object;

void record_putp(struct json_object **o);
#define _cleanup_json_ _cleanup_(record_putp)

int record_read(const char *dir, struct json_object **ret);
int record_write(const char *dir, struct json_object *rec, struct err *err);

/* A string member, or NULL when missing or not a string. */
const char *record_str(struct json_object *rec, const char *key);
/* An integer member, or def when missing. */
int record_int(struct json_object *rec, const char *key, int def);
void record_set_str(struct json_object *rec, const char *key, const char *val);
void record_set_int(struct json_object *rec, const char *key, int val);

/* Reads dir's record, sets status (and with it pid, exit code, times as given: pid 0 and
 * code < 0 leave them out), writes it back. Errors are returned, not fatal to a caller. */
int record_update(const char *dir, const char *status, int pid, int exit_code, struct err *err);

/* Now as RFC 3339 UTC with nanoseconds; caller frees (NULL on ENOMEM). */
char *record_now(void);

/* Calls fn for each container record (unreadable ones are skipped); a non-zero return of
 * fn ends the walk and is returned. */
int records_foreach(const struct engine *e, int (*fn)(const char *id, struct json_object *rec, void *u), void *u,
                    struct err *err);

/* A container by id, unique id prefix or name. */
int record_lookup(const struct engine *e, const char *ref, char **ret_id, struct err *err);
