/* cgroup.h: one interface over cgroup v1, the hybrid layout (v1 controllers plus a
 * cgroup2 at /sys/fs/cgroup/unified) and pure cgroup v2. The layout is detected once;
 * cgroup_v1.c and cgroup_v2.c each fill a table of operations behind this file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/* Sends sig to every process in the cgroup. */
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
