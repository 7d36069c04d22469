/* process.h: the container's init between clone and execve, and the small protocol it
 * speaks with the runtime over a socketpair while it is being created. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/err.h"

enum sync_type {
        SYNC_GO = 1,        /* runtime -> init: ids mapped, cgroup joined; payload: state JSON */
        SYNC_HOOKS,         /* init -> runtime: mounts done, run prestart/createRuntime hooks */
        SYNC_HOOKS_DONE,    /* runtime -> init */
        SYNC_READY,         /* init -> runtime: waiting for start on the exec fifo */
        SYNC_ERROR,         /* init -> runtime: payload is the error message */
        SYNC_PID,           /* intermediate -> runtime: payload is the init's pid */
};

#define SYNC_PAYLOAD_MAX (256u << 10)

/* Sends a message; payload may be NULL. */
int sync_send(int fd, enum sync_type type, const void *payload, uint32_t len);

/* Receives a message. *ret_payload (NUL-terminated, may be empty) is owned by the caller.
 * -EPIPE when the peer closed the socket. */
int sync_recv(int fd, enum sync_type *ret_type, char **ret_payload, struct err *err);

struct seccomp_plan;

struct init_ctx {
        const struct spec *spec;
        const char *rootfs;        /* absolute host path */
        int sync_fd;               /* socketpair end */
        int fifo_fd;               /* exec fifo opened O_RDWR: a read blocks until start */
        int console_fd;            /* connected --console-socket, or -1 */
        unsigned int preserve_fds; /* fds 3 .. 3+n-1 pass into the container */
        bool no_pivot;
        bool new_userns;           /* the init is in a new user namespace */
        struct seccomp_plan *seccomp; /* prepared by the runtime (owned by it), or NULL */
};

/* Body of the container's init. On success it execs the user's process and never
 * returns; on failure it reports the error over sync_fd and exits. */
_Noreturn void process_init(const struct init_ctx *ctx);

/* --- shared with exec --- */

/* Default dispositions for every signal and an empty signal mask. */
void process_reset_signals(void);

/* A pty opened in the caller's /dev: the master goes to ctx->console_fd, the slave becomes
 * stdio and the controlling terminal (the caller must lead a session). */
int process_setup_terminal(const struct init_ctx *ctx, struct err *err);

/* p->args[0] resolved as execvp would with the process's PATH; *ret owned by the caller. */
int process_find_executable(const struct spec_process *p, char **ret, struct err *err);

/* seccomp, user and capabilities, cwd, no_new_privs, fds closed past the preserved ones,
 * then execve. Returns only on failure. */
int process_finish_and_exec(const struct init_ctx *ctx, const char *exe, struct seccomp_plan *plan,
                            struct err *err);

/* Connects to a --console-socket path; *ret_fd is owned by the caller. */
int process_connect_console(const char *path, int *ret_fd, struct err *err);

/* The signals a foreground run or exec forwards: all but those the kernel must deliver
 * itself (SIGKILL, SIGSTOP and the synchronous faults). */
void process_forwarded_signals(sigset_t *set);

/* With `set` blocked: reaps children until pid exits, forwarding every other signal of
 * the set to it. *ret_code is the exit status, 128 + signal on death by signal. */
int process_wait_forwarding(pid_t pid, const sigset_t *set, int *ret_code, struct err *err);

/* Writes pid (decimal, no newline, as runc does) to path atomically. */
int process_write_pid_file(const char *path, pid_t pid, struct err *err);
