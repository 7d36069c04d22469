/* cgroup.h: one interface over cgroup v1, the hybrid layout (v1 controllers plus a
 * cgroup2 at /sys/fs/cgroup/unified) and pure cgroup v2. The layout is detected once;
 * cgroup_v1.c and cgroup_v2.c each fill a table of operations behind this file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/err.h"

enum cgroup_layout {
        CGROUP_LAYOUT_V1,      /* v1 controllers only */
        CGROUP_LAYOUT_HYBRID,  /* v1 controllers, and a cgroup2 at /sys/fs/cgroup/unified */
        CGROUP_LAYOUT_V2,      /* pure cgroup v2 at /sys/fs/cgroup */
};

struct cgroup; /* opaque; owned by the caller of cgroup_create / cgroup_open */

/* Detects the host's layout (cached after the first call). */
int cgroup_layout_detect(enum cgroup_layout *ret, struct err *err);

/* Turns linux.cgroupsPath (or NULL) into the absolute cgroup path the container uses:
 * "/a/b" stays; "a/b" is taken relative to the hierarchy root; NULL gives "/staple/<id>"
 * (never nested under the caller's own cgroup). "slice:prefix:name" (systemd) is refused.
 * The result is owned by the caller. */
int cgroup_resolve_path(const char *cgroups_path, const char *id, char **ret, struct err *err);

/* Creates the cgroup at `path` on every hierarchy and applies `res` (may be NULL).
 * On failure nothing created is left behind. */
int cgroup_create(const char *path, const struct spec_resources *res, struct cgroup **ret,
                  struct err *err);

/* Opens an existing container cgroup (for kill --all, delete, pause, update, ps). */
int cgroup_open(const char *path, struct cgroup **ret, struct err *err);

/* A directory fd for clone3's CLONE_INTO_CGROUP, or -1 when the layout cannot use it
 * (v1, hybrid). The cgroup keeps ownership of the fd. */
int cgroup_clone_fd(const struct cgroup *cg);

/* Moves pid into the cgroup on every hierarchy (before the pid runs user code). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct err *err);

/* Applies resource limits to an existing cgroup (create and `update`). */
int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct err *err);

/* The pids in the cgroup (cgroup.procs). *ret is owned by the caller (free). */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct err *err);

/* Sends sig to every process in the cgroup; after SIGKILL a frozen cgroup is thawed so
 * the kill lands. */
int cgroup_kill_all(struct cgroup *cg, int sig, struct err *err);

/* Freezes (true) or thaws (false) the cgroup and waits until the kernel says it is so. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct err *err);

/* Whether the cgroup is frozen; false when it cannot tell. */
bool cgroup_is_frozen(struct cgroup *cg);

/* Removes the cgroup directories on every hierarchy. Processes still inside are killed
 * first (SIGKILL) and waited for. Missing directories are not an error. */
int cgroup_destroy(struct cgroup *cg, struct err *err);

/* The cgroup's absolute path ("/staple-test/c1"). */
const char *cgroup_path(const struct cgroup *cg);

void cgroup_free(struct cgroup *cg);

/* ---- statistics (runc's `events --stats` model; absent files leave fields zero) ---- */

#define CGROUP_STATS_CPUS 256
#define CGROUP_STATS_RAW 80
#define CGROUP_STATS_BLKIO 64
#define CGROUP_STATS_HUGE 8

struct cgroup_mem_entry {
        uint64_t limit, usage, max, failcnt; /* limit UINT64_MAX = unlimited */
};

struct cgroup_kv {
        char key[48];
        uint64_t value;
};

struct cgroup_blkio_entry {
        uint64_t major, minor;
        char op[16];             /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
        uint64_t value;
};

struct cgroup_blkio_list {
        struct cgroup_blkio_entry e[CGROUP_STATS_BLKIO];
        size_t n;
};

struct cgroup_hugetlb_stat {
        char size[16];           /* "2MB", "1GB" */
        uint64_t usage, max, failcnt;
};

struct cgroup_stats {
        struct {
                uint64_t total, kernel, user;               /* nanoseconds */
                uint64_t percpu[CGROUP_STATS_CPUS];
                uint64_t percpu_kernel[CGROUP_STATS_CPUS];
                uint64_t percpu_user[CGROUP_STATS_CPUS];
                size_t n_percpu, n_percpu_kernel, n_percpu_user; /* v1 only */
                uint64_t periods, throttled_periods, throttled_time; /* time in ns */
        } cpu;
        struct {
                uint64_t cache;
                struct cgroup_mem_entry usage, swap, kernel, kernel_tcp;
                struct cgroup_kv raw[CGROUP_STATS_RAW]; /* memory.stat */
                size_t n_raw;
                uint64_t oom_kill;                      /* processes the OOM killer took */
        } memory;
        struct {
                uint64_t current, limit;                /* limit 0 = unlimited */
        } pids;
        struct {
                struct cgroup_blkio_list service_bytes, serviced;
        } blkio;
        struct cgroup_hugetlb_stat hugetlb[CGROUP_STATS_HUGE];
        size_t n_hugetlb;
};

/* Fills *ret (zeroed first) from the cgroup's files on every hierarchy. Statistics are
 * best effort: a controller or file that is not there leaves its part zero. Fails only
 * when the cgroup itself cannot be opened. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct err *err);

/* How many times the OOM killer killed in this cgroup (v1 memory.oom_control
 * "oom_kill", v2 memory.events "oom_kill"); 0 when the kernel does not say. */
int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret, struct err *err);
