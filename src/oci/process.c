#include "oci/process.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "oci/hooks.h"
#include "oci/namespaces.h"
#include "oci/rootfs.h"
#include "oci/seccomp_notify.h"
#include "oci/security.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fileutil.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct sync_header {
        uint32_t type;
        uint32_t len;
};

int sync_send(int fd, enum sync_type type, const void *payload, uint32_t len)
{
        struct sync_header h = { .type = type, .len = payload ? len : 0 };
        int r = write_all(fd, &h, sizeof(h));
        if (r < 0 || h.len == 0)
                return r;
        return write_all(fd, payload, h.len);
}

int sync_recv(int fd, enum sync_type *ret_type, char **ret_payload, struct err *err)
{
        struct sync_header h;
        int r = read_all(fd, &h, sizeof(h));
        if (r < 0)
                return r == -EPIPE ? r : err_errno(err, r, "read from container init");
        if (h.len > SYNC_PAYLOAD_MAX)
                return err_set(err, -EPROTO, "message from container init too long");
        _cleanup_free_ char *p = malloc(h.len + 1);
        if (!p)
                return err_errno(err, -ENOMEM, "read from container init");
        r = read_all(fd, p, h.len);
        if (r < 0)
                return err_errno(err, r, "read from container init");
        p[h.len] = '\0';
        *ret_type = (enum sync_type)h.type;
        *ret_payload = TAKE_PTR(p);
        return 0;
}

/* The runtime blocks signals it forwards; the container starts with a clean slate. */
static void reset_signals(void)
{
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

static int send_fd(int sock, int fd)
{
        char byte = 0;
        ssize_t n = fdpass_send(sock, fd, &byte, 1);
        return n < 0 ? (int)n : 0;
}

/* A new pty inside the container: the master goes to the console socket, the slave
 * becomes stdio and the controlling terminal. */
static int setup_terminal(const struct init_ctx *ctx, struct err *err)
{
        const struct spec_process *p = &ctx->spec->process;
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return err_errno(err, neg_errno(), "open /dev/ptmx");
        if (unlockpt(master) < 0)
                return err_errno(err, neg_errno(), "unlockpt");
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
        if (slave < 0)
                return err_errno(err, neg_errno(), "open pty slave");
        if (p->has_console_size) {
                struct winsize ws = { .ws_row = (unsigned short)p->console_height,
                                      .ws_col = (unsigned short)p->console_width };
                if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
                        return err_errno(err, neg_errno(), "set console size");
        }
        int r = send_fd(ctx->console_fd, master);
        if (r < 0)
                return err_errno(err, r, "send pty master to console socket");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return err_errno(err, neg_errno(), "dup pty to fd %d", fd);
        if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
                return err_errno(err, neg_errno(), "set controlling terminal");
        return 0;
}

static const char *env_get(char **env, const char *name)
{
        size_t n = strlen(name);
        for (; env && *env; env++)
                if (!strncmp(*env, name, n) && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

/* Finds args[0] as execvp would, in the container's PATH. ret is owned by the caller. */
static int find_executable(const struct spec_process *p, char **ret, struct err *err)
{
        const char *name = p->args[0];
        if (strchr(name, '/')) {
                if (access(name, X_OK) < 0)
                        return err_errno(err, neg_errno(), "exec \"%s\"", name);
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        const char *path = env_get(p->env, "PATH");
        _cleanup_free_ char *dirs = strdup(path ? path : DEFAULT_PATH);
        if (!dirs)
                return -ENOMEM;
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *full;
                if (asprintf(&full, "%s/%s", *d ? d : ".", name) < 0)
                        return -ENOMEM;
                struct stat st;
                if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
                        *ret = full;
                        return 0;
                }
                free(full);
        }
        return err_set(err, -ENOENT, "exec \"%s\": executable file not found in $PATH", name);
}

/* Namespaces' own settings: become root of a new user namespace, hostname, cgroup ns. */
static int setup_identity(const struct init_ctx *ctx, struct err *err)
{
        const struct spec *s = ctx->spec;
        if (ctx->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return err_errno(err, neg_errno(), "become root in the user namespace (is uid 0 mapped?)");
        const struct spec_namespace *cg = spec_namespace_find(s, SPEC_NS_CGROUP);
        if (cg && !cg->path && unshare(CLONE_NEWCGROUP) < 0)
                return err_errno(err, neg_errno(), "create cgroup namespace");
        if (setsid() < 0)
                return err_errno(err, neg_errno(), "setsid");
        int r = ns_creates(s, SPEC_NS_NETWORK) ? ns_loopback_up(err) : 0;
        if (r < 0)
                return r;
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return err_errno(err, neg_errno(), "set hostname %s", s->hostname);
        if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
                return err_errno(err, neg_errno(), "set domainname %s", s->domainname);
        return 0;
}

/* Mounts, hooks around pivot_root, and what needs the container's /proc and /dev. */
static int setup_root(const struct init_ctx *ctx, const char *state_json, struct err *err)
{
        const struct spec *s = ctx->spec;
        int r = rootfs_prepare(s, ctx->rootfs, err);
        if (r < 0)
                return r;
        if (s->hooks[SPEC_HOOK_PRESTART].n || s->hooks[SPEC_HOOK_CREATE_RUNTIME].n) {
                _cleanup_free_ char *reply = NULL;
                enum sync_type type;
                r = sync_send(ctx->sync_fd, SYNC_HOOKS, NULL, 0);
                if (r < 0)
                        return err_errno(err, r, "sync with runtime");
                r = sync_recv(ctx->sync_fd, &type, &reply, err);
                if (r < 0 || type != SYNC_HOOKS_DONE)
                        return err_set(err, -ECANCELED, "runtime aborted the container");
        }
        r = hooks_run(&s->hooks[SPEC_HOOK_CREATE_CONTAINER], SPEC_HOOK_CREATE_CONTAINER, state_json, err);
        if (r < 0)
                return r;
        r = rootfs_pivot(ctx->rootfs, ctx->no_pivot, err);
        if (r < 0)
                return r;
        r = rootfs_finalize(s, err);
        if (r < 0)
                return r;
        if (s->process.terminal) {
                r = setup_terminal(ctx, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Blocks until `start` writes to the exec fifo. The fifo stays open (close-on-exec):
 * `start` waits for its hangup, so that poststart hooks run only after the
 * startContainer hooks and the exec. */
static int wait_for_start(const struct init_ctx *ctx, struct err *err)
{
        char byte;
        ssize_t n;
        do
                n = read(ctx->fifo_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                return err_errno(err, n < 0 ? neg_errno() : -EPIPE, "wait on exec fifo");
        return 0;
}

/* The seccomp agent's socket, connected by the init before pivot_root (listenerPath is a
 * host path), and the state document it is sent with; -1 / NULL in exec and without agent. */
static int notify_sock = -1;
static const char *notify_state_json;

/* Loads the filter and hands its listener fd to the agent, if any. Without an agent (exec)
 * the fd is closed: notified syscalls then fail with ENOSYS. */
static int load_seccomp(const struct init_ctx *ctx, struct seccomp_plan *plan, struct err *err)
{
        int notify_fd = -1;
        int r = security_seccomp_load(plan, &notify_fd, err);
        if (r < 0 || notify_fd < 0)
                return r;
        if (notify_sock >= 0 && notify_state_json)
                r = seccomp_notify_send(notify_sock, notify_fd, ctx->spec->linux.seccomp, notify_state_json, err);
        close(notify_fd);
        closep(&notify_sock);
        notify_sock = -1;
        return r;
}

/* The last steps, in runc's order: seccomp goes last when no_new_privs allows loading it
 * unprivileged, else before capabilities are dropped. */
static int finish_and_exec(const struct init_ctx *ctx, const char *exe, struct seccomp_plan *plan,
                           struct err *err)
{
        const struct spec_process *p = &ctx->spec->process;
        int r;
        if ((r = security_apply_lsm(p, err)) < 0)
                return r;
        if (plan && !p->no_new_privileges && (r = load_seccomp(ctx, plan, err)) < 0)
                return r;
        if ((r = security_apply_user_and_caps(p, ctx->new_userns, err)) < 0)
                return r;
        if (chdir(p->cwd) < 0)
                return err_errno(err, neg_errno(), "chdir to cwd %s", p->cwd);
        if ((r = security_apply_no_new_privs(p, err)) < 0)
                return r;
        if (syscall(SYS_close_range, 3 + ctx->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "close_range");
        if (plan && p->no_new_privileges && (r = load_seccomp(ctx, plan, err)) < 0)
                return r;
        execve(exe, p->args, p->env);
        return err_errno(err, neg_errno(), "exec %s", exe);
}

static bool sync_closed; /* after start: errors can only go to the container's stderr */

static int init_run(const struct init_ctx *ctx, struct err *err)
{
        const struct spec *s = ctx->spec;
        _cleanup_free_ char *state_json = NULL;
        enum sync_type type;
        int r = sync_recv(ctx->sync_fd, &type, &state_json, err);
        if (r < 0 || type != SYNC_GO)
                return err_set(err, -ECANCELED, "runtime aborted the container");
        notify_state_json = state_json;
        if ((r = seccomp_notify_connect(s->linux.seccomp, &notify_sock, err)) < 0)
                return r;
        if ((r = setup_identity(ctx, err)) < 0 || (r = setup_root(ctx, state_json, err)) < 0)
                return r;
        if ((r = security_apply_rlimits(&s->process, err)) < 0 ||
            (r = security_apply_oom_score_adj(&s->process, err)) < 0)
                return r;
        _cleanup_free_ char *exe = NULL;
        /* as runc does, a missing cwd is created (as root, before the user switch) */
        if (chdir(s->process.cwd) < 0 && (errno != ENOENT || mkdir_p_at(AT_FDCWD, s->process.cwd, 0755) < 0 ||
                                          chdir(s->process.cwd) < 0))
                r = err_errno(err, neg_errno(), "chdir to cwd %s", s->process.cwd);
        else
                r = find_executable(&s->process, &exe, err);
        if (r >= 0 && (r = sync_send(ctx->sync_fd, SYNC_READY, NULL, 0)) < 0)
                err_errno(err, r, "sync with runtime");
        if (r >= 0)
                r = wait_for_start(ctx, err);
        if (r >= 0) {
                close(ctx->sync_fd);
                sync_closed = true;
                r = hooks_run(&s->hooks[SPEC_HOOK_START_CONTAINER], SPEC_HOOK_START_CONTAINER, state_json, err);
        }
        if (r >= 0)
                r = finish_and_exec(ctx, exe, ctx->seccomp, err);
        return r;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

/* Drops every fd the runtime had open but the init does not need: the state directory
 * (its lock must not outlive create), cgroup directories, the bundle. */
static void close_inherited_fds(const struct init_ctx *ctx)
{
        int keep[] = { ctx->sync_fd, ctx->fifo_fd, ctx->console_fd };
        qsort(keep, ARRAY_SIZE(keep), sizeof(int), cmp_int);
        unsigned int from = 3 + ctx->preserve_fds;
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                if (keep[i] < 0 || (unsigned int)keep[i] < from)
                        continue;
                if ((unsigned int)keep[i] > from)
                        syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0);
                from = (unsigned int)keep[i] + 1;
        }
        syscall(SYS_close_range, from, ~0U, 0);
}

_Noreturn void process_init(const struct init_ctx *ctx)
{
        struct err err = { 0 };
        close_inherited_fds(ctx);
        reset_signals();
        prctl(PR_SET_PDEATHSIG, 0);
        int r = init_run(ctx, &err);
        /* Before start the runtime reports the error; after it, only the container's own
         * stderr can (the socket is closed by then). */
        if (r < 0 && (sync_closed || sync_send(ctx->sync_fd, SYNC_ERROR, err.msg, (uint32_t)strlen(err.msg)) < 0))
                dprintf(STDERR_FILENO, "staple-oci: %s\n", err.msg);
        _exit(r < 0 ? 1 : 0);
}

/* --- shared with exec --- */

void process_reset_signals(void)
{
        reset_signals();
}

int process_setup_terminal(const struct init_ctx *ctx, struct err *err)
{
        return setup_terminal(ctx, err);
}

int process_find_executable(const struct spec_process *p, char **ret, struct err *err)
{
        return find_executable(p, ret, err);
}

int process_finish_and_exec(const struct init_ctx *ctx, const char *exe, struct seccomp_plan *plan,
                            struct err *err)
{
        return finish_and_exec(ctx, exe, plan, err);
}

int process_connect_console(const char *path, int *ret_fd, struct err *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return err_set(err, -ENAMETOOLONG, "console socket path %s is too long", path);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_errno(err, neg_errno(), "console socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return err_errno(err, neg_errno(), "connect to console socket %s", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void process_forwarded_signals(sigset_t *set)
{
        static const int keep[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
        sigfillset(set);
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
                sigdelset(set, keep[i]);
}

int process_wait_forwarding(pid_t pid, const sigset_t *set, int *ret_code, struct err *err)
{
        for (;;) {
                int status;
                pid_t w;
                while ((w = waitpid(-1, &status, __WALL | WNOHANG)) > 0)
                        if (w == pid) {
                                *ret_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                          : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
                                return 0;
                        }
                if (w < 0 && errno == ECHILD)
                        return err_set(err, -ECHILD, "lost track of process %d", (int)pid);
                int sig;
                if (sigwait(set, &sig) != 0)
                        return err_errno(err, -EINTR, "sigwait");
                if (sig != SIGCHLD)
                        kill(pid, sig);
        }
}

int process_write_pid_file(const char *path, pid_t pid, struct err *err)
{
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        int r = write_file_atomic_at(AT_FDCWD, path, buf, (size_t)n, 0644);
        return r < 0 ? err_errno(err, r, "write pid file %s", path) : 0;
}
