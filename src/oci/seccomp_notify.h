/* seccomp_notify.h: hands the SECCOMP_RET_USER_NOTIF listener fd to the agent named by
 * linux.seccomp.listenerPath, with the runtime-spec "containerProcessState" document. */
#pragma once

#include "oci/spec.h"
#include "util/err.h"

/* true when the profile has a SCMP_ACT_NOTIFY rule and a listenerPath. */
bool seccomp_notify_wanted(const struct spec_seccomp *sc);

/* Connects to sc->listener_path (a unix stream socket). *ret_fd is owned by the caller,
 * -1 when no agent is wanted. Called in the init before pivot_root: the path is a host path. */
int seccomp_notify_connect(const struct spec_seccomp *sc, int *ret_fd, struct err *err);

/* Sends notify_fd (SCM_RIGHTS) and {"ociVersion","fds":["seccompFd"],"pid","metadata","state"}
 * over sock; state_json is the container's OCI state document. Closes nothing. */
int seccomp_notify_send(int sock, int notify_fd, const struct spec_seccomp *sc, const char *state_json,
                        struct err *err);
