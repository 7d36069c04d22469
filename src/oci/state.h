/* state.h: one directory per container under the runtime root, holding state.json
 * (written atomically), the exec fifo, and a lock. Status is derived from the kernel
 * every time it is read, never trusted from the file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define STATE_DEFAULT_ROOT "/run/staple-oci"
#define STATE_FIFO "exec.fifo"

enum container_status {
        STATUS_CREATING,
        STATUS_CREATED,
        STATUS_RUNNING,
        STATUS_PAUSED,
        STATUS_STOPPED,
};

struct json_object;

struct state {
        char *id;
        pid_t pid;                    /* host pid of the container's init */
        uint64_t start_time;          /* field 22 of /proc/<pid>/stat, to detect pid reuse */
        char *bundle;                 /* absolute */
        char *rootfs;                 /* absolute */
        char *cgroup_path;            /* "/staple-test/c1" */
        char *created;                /* RFC 3339 */
        uid_t owner;
        struct json_object *annotations; /* owned reference; may be NULL */
        struct json_object *hooks;       /* "hooks" of config.json, for poststart and poststop; may be NULL */
        bool creating;                   /* written before create finishes (hooks may ask for state) */
};

/* A container id runc would accept: [A-Za-z0-9_+.-]{1,1024}, not "." or "..". */
int state_validate_id(const char *id, struct err *err);

/* Creates ROOT/ID exclusively (EEXIST: "container ID already exists") and locks it. */
int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct err *err);

/* Opens ROOT/ID (ENOENT: "container ID does not exist"), locked when `lock` (readers
 * such as `state` do not lock: state.json is replaced atomically). */
int state_dir_open(const char *root, const char *id, bool lock, int *ret_dirfd, struct err *err);

/* Removes ROOT/ID and everything in it. */
int state_dir_remove(const char *root, const char *id, struct err *err);

int state_write(int dirfd, const struct state *st, struct err *err);
int state_read(int dirfd, struct state **ret, struct err *err);
void state_free(struct state *st);

/* Start time of pid (field 22 of /proc/<pid>/stat); 0 with a negative errno when the
 * process is gone or a zombie. */
int state_pid_start_time(pid_t pid, uint64_t *ret);

/* Whether the recorded init is still the same live process. */
bool state_pid_alive(const struct state *st);

/* Derives the status: stopped when the init is gone, created while the exec fifo exists,
 * paused when the cgroup is frozen, else running. */
enum container_status state_status(int dirfd, const struct state *st);

const char *state_status_name(enum container_status s);

/* The OCI state document (runtime-spec runtime.md#state). Caller frees. */
char *state_to_json(const struct state *st, enum container_status status);
