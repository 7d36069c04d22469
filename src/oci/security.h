/* security.h: what the container's init applies to itself just before exec:
 * rlimits, oom_score_adj, user and groups, capabilities, no_new_privs, seccomp. */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/err.h"

struct seccomp_plan; /* a compiled filter (a BPF program, or a libseccomp ctx for notify), owned by the caller */

/* Sets every process.rlimits entry with setrlimit; EPERM above the hard limit is reported
 * as such ("setrlimit RLIMIT_NOFILE 30000:30000: Operation not permitted"). */
int security_apply_rlimits(const struct spec_process *p, struct err *err);

/* Writes /proc/self/oom_score_adj when process.oomScoreAdj is set. */
int security_apply_oom_score_adj(const struct spec_process *p, struct err *err);

/* Drops the bounding set to caps->bounding, then switches to user->uid/gid with
 * additionalGids (setgroups), keeping capabilities across the uid change, then sets the
 * effective, permitted and inheritable sets and raises the ambient ones, and the umask.
 * With caps->present false, capabilities are left as they are. */
int security_apply_user_and_caps(const struct spec_process *p, bool in_user_ns, struct err *err);

/* Sets PR_SET_NO_NEW_PRIVS when process.noNewPrivileges. */
int security_apply_no_new_privs(const struct spec_process *p, struct err *err);

/* Compiles linux.seccomp into a filter without loading it (validation happens here, so
 * errors are reported before the container runs). *ret is NULL when sc is NULL. */
int security_seccomp_compile(const struct spec_seccomp *sc, struct seccomp_plan **ret,
                             struct err *err);

/* security_seccomp_compile, in the runtime before the init exists: with root (the runtime's
 * --root) the program is taken from, or stored to, the cache under it (oci/seccomp_cache.h);
 * a cache problem is only a miss. Profiles with SCMP_ACT_NOTIFY are never cached. */
int security_seccomp_prepare(const struct spec_seccomp *sc, const char *root, struct seccomp_plan **ret,
                             struct err *err);

/* Loads the filter into the calling process with the profile's flags, never setting
 * no_new_privs. When the profile has a SCMP_ACT_NOTIFY rule
 * *ret_notify_fd receives the listener fd, else -1. */
int security_seccomp_load(struct seccomp_plan *plan, int *ret_notify_fd, struct err *err);

void security_seccomp_free(struct seccomp_plan *plan);

/* Refuses process.apparmorProfile / selinuxLabel on a host whose kernel has no such LSM
 * enabled (rather than running unconfined), and linux.mountLabel (not supported yet). */
int security_check_lsm(const struct spec_process *p, const char *mount_label, struct err *err);

/* Sets the AppArmor profile / SELinux label the next execve of this thread enters. */
int security_apply_lsm(const struct spec_process *p, struct err *err);
