/* exec.c: a new process in a running container.
 *
 * runtime ──clone3 (into the cgroup on v2)──► joiner ──fork──► process ──execve
 *                                              setns(pidfd)     rlimits, pty, LSM, seccomp,
 *                                              (all namespaces) user, caps, cwd, fds
 *
 * The joiner exists because a new pid namespace applies to children only. It reports the
 * process's pid and exits; the runtime (a subreaper) then waits for the process itself.
 * The sync socket is close-on-exec: end of file after the pid means the execve happened. */
#include "oci/exec.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "oci/process.h"
#include "oci/security.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_ctx {
        const struct exec_opts *o;
        struct state *st;
        struct spec *config;          /* the bundle's config.json */
        struct spec *proc_spec;       /* --process, or NULL */
        struct spec view;             /* shallow copy of config with the effective process */
        char **env;                   /* owned array of borrowed strings */
        gid_t *gids;                  /* owned */
        char **args_view;             /* borrowed from the options */
        struct seccomp_plan *seccomp;
        struct cgroup *cg;
        int pidfd;                    /* the container's init */
        int root_fd;                  /* the init's root directory (O_PATH) */
        int console_fd;
        int sync[2];                  /* [0] runtime, [1] joiner and process */
        int ns_flags;                 /* CLONE_NEW* of the init's namespaces that differ from ours */
        pid_t joiner, pid;
};

static void exec_ctx_free(struct exec_ctx *c)
{
        state_free(c->st);
        spec_free(c->config);
        spec_free(c->proc_spec);
        free(c->env);
        free(c->gids);
        security_seccomp_free(c->seccomp);
        cgroup_free(c->cg);
        closep(&c->pidfd);
        closep(&c->root_fd);
        closep(&c->console_fd);
        closep(&c->sync[0]);
        closep(&c->sync[1]);
}

/* ---- plan ----------------------------------------------------------------------------- */

static int load_state(struct exec_ctx *c, struct err *err)
{
        const struct exec_opts *o = c->o;
        _cleanup_close_ int fd = -1;
        int r = state_validate_id(o->id, err);
        if (r < 0 || (r = state_dir_open(o->root, o->id, false, &fd, err)) < 0)
                return r;
        if ((r = state_read(fd, &c->st, err)) < 0)
                return err_wrap(err, "container %s", o->id);
        enum container_status s = state_status(fd, c->st);
        if (s == STATUS_PAUSED && !o->ignore_paused)
                return err_set(err, -EBUSY, "container %s is paused (resume it, or use --ignore-paused)", o->id);
        if (s != STATUS_RUNNING && s != STATUS_PAUSED)
                return err_set(err, -EINVAL, "cannot exec in container %s: it is %s, not running", o->id,
                               state_status_name(s));
        return 0;
}

static int load_specs(struct exec_ctx *c, struct err *err)
{
        const struct exec_opts *o = c->o;
        _cleanup_close_ int bfd = open(c->st->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bfd < 0)
                return err_errno(err, neg_errno(), "open bundle %s", c->st->bundle);
        int r = spec_load(bfd, &c->config, err);
        if (r < 0)
                return err_wrap(err, "bundle %s", c->st->bundle);
        c->view = *c->config;
        if (!o->process_path) {
                if (!c->config->has_process)
                        return err_set(err, -EINVAL, "config.json has no process: use --process");
                return 0;
        }
        _cleanup_free_ char *text = NULL;
        size_t len;
        if ((r = read_file_at(AT_FDCWD, o->process_path, &text, &len)) < 0)
                return err_errno(err, r, "read --process %s", o->process_path);
        if ((r = spec_parse_process(o->process_path, text, len, &c->proc_spec, err)) < 0)
                return r;
        c->view.process = c->proc_spec->process;
        return 0;
}

/* --env K=V: replaces K in base or is appended. The result borrows every string. */
static int env_merge(char **base, char **add, size_t n_add, char ***ret, struct err *err)
{
        size_t n = 0;
        while (base && base[n])
                n++;
        char **env = calloc(n + n_add + 1, sizeof(*env));
        if (!env)
                return err_errno(err, -ENOMEM, "environment");
        memcpy(env, base, n * sizeof(*env));
        for (size_t i = 0; i < n_add; i++) {
                const char *eq = strchr(add[i], '=');
                if (!eq || eq == add[i]) {
                        free(env);
                        return err_set(err, -EINVAL, "--env %s: expected KEY=VALUE", add[i]);
                }
                size_t k = (size_t)(eq - add[i]) + 1, j;
                for (j = 0; j < n && strncmp(env[j], add[i], k) != 0; j++)
                        ;
                env[j] = add[i];
                if (j == n)
                        n++;
        }
        *ret = env;
        return 0;
}

/* --cap CAP_X (case-insensitive, the CAP_ prefix optional) as a capability number. */
static int cap_parse(const char *name, cap_value_t *ret, struct err *err)
{
        const char *rest = strncasecmp(name, "CAP_", 4) ? name : name + 4;
        char full[64];
        cap_value_t v;
        /* libcap also takes numbers: a name is wanted here */
        if (!*rest || strspn(rest, "0123456789") == strlen(rest) ||
            snprintf(full, sizeof(full), "CAP_%s", rest) >= (int)sizeof(full) || cap_from_name(full, &v) < 0)
                return err_set(err, -EINVAL, "--cap %s: unknown capability", name);
        if (v >= cap_max_bits() || v > 63)
                return err_set(err, -EINVAL, "--cap %s: not supported by this kernel", name);
        *ret = v;
        return 0;
}

static int apply_caps(struct exec_ctx *c, struct err *err)
{
        struct spec_capabilities *caps = &c->view.process.caps;
        for (size_t i = 0; i < c->o->n_caps; i++) {
                cap_value_t v = 0;
                int r = cap_parse(c->o->caps[i], &v, err);
                if (r < 0)
                        return r;
                uint64_t bit = UINT64_C(1) << v;
                /* ambient is raised only when also inheritable (security.c masks it) */
                caps->bounding |= bit;
                caps->effective |= bit;
                caps->permitted |= bit;
                caps->ambient |= bit;
        }
        return 0;
}

static bool has_overrides(const struct exec_opts *o)
{
        return o->args || o->cwd || o->n_env || o->has_user || o->has_additional_gids || o->n_caps ||
               o->no_new_privs || o->apparmor || o->process_label;
}

/* The command line's changes to the config's process (runc's exec flags). */
static int apply_overrides(struct exec_ctx *c, struct err *err)
{
        const struct exec_opts *o = c->o;
        struct spec_process *p = &c->view.process;
        if (o->process_path)
                return has_overrides(o) ? err_set(err, -EINVAL, "--process cannot be combined with a command "
                                                                "or with --cwd, --env, --user, --additional-gids, "
                                                                "--cap, --no-new-privs, --apparmor, --process-label")
                                        : 0;
        if (!o->args || !o->args[0])
                return err_set(err, -EINVAL, "exec: a command is required (or --process)");
        p->args = o->args;
        for (p->n_args = 0; o->args[p->n_args]; p->n_args++)
                ;
        if (o->cwd && o->cwd[0] != '/')
                return err_set(err, -EINVAL, "--cwd %s: must be an absolute path", o->cwd);
        if (o->cwd)
                p->cwd = o->cwd;
        int r = env_merge(p->env, o->env, o->n_env, &c->env, err);
        if (r < 0)
                return r;
        p->env = c->env;
        if (o->has_user)
                p->user.uid = o->uid;
        if (o->has_gid)
                p->user.gid = o->gid;
        if (o->has_additional_gids) {
                c->gids = calloc(o->n_additional_gids + 1, sizeof(gid_t));
                if (!c->gids)
                        return err_errno(err, -ENOMEM, "--additional-gids");
                for (size_t i = 0; i < o->n_additional_gids; i++)
                        c->gids[i] = o->additional_gids[i];
                p->user.additional_gids = c->gids;
                p->user.n_additional_gids = o->n_additional_gids;
        }
        p->no_new_privileges |= o->no_new_privs;
        if (o->apparmor)
                p->apparmor_profile = o->apparmor;
        if (o->process_label)
                p->selinux_label = o->process_label;
        return apply_caps(c, err);
}

static int plan_terminal(struct exec_ctx *c, struct err *err)
{
        const struct exec_opts *o = c->o;
        /* runc: a command line's process has a terminal only with --tty; a process.json
         * says so itself unless --tty is given */
        if (o->tty >= 0 || !o->process_path)
                c->view.process.terminal = o->tty > 0;
        if (!c->view.process.terminal)
                return 0;
        if (!o->console_socket)
                return err_set(err, -EINVAL, "the process has a terminal: --console-socket is required");
        return process_connect_console(o->console_socket, &c->console_fd, err);
}

static const struct {
        const char *name; /* under /proc/PID/ns */
        int flag;
} ns_files[] = {
        { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },      { "uts", CLONE_NEWUTS },
        { "net", CLONE_NEWNET },   { "pid", CLONE_NEWPID },      { "mnt", CLONE_NEWNS },
        { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

/* Pins the init with a pidfd, checks it is still the container's, and finds which of its
 * namespaces differ from ours (joining one's own user namespace is an error). */
static int plan_namespaces(struct exec_ctx *c, struct err *err)
{
        pid_t pid = c->st->pid;
        c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (c->pidfd < 0)
                return err_errno(err, neg_errno(), "container %s: open its init %d", c->o->id, (int)pid);
        /* where the init's / is: the mount namespace's root only if the runtime that made
         * it was not itself chrooted (pivot_root moves the caller's root, not the ns's) */
        char root[64];
        snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
        c->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0)
                return err_errno(err, neg_errno(), "container %s: open %s", c->o->id, root);
        for (size_t i = 0; i < ARRAY_SIZE(ns_files); i++) {
                char path[64];
                struct stat theirs, ours;
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
                if (stat(path, &theirs) < 0) {
                        if (errno == ENOENT)
                                continue; /* a kernel without this namespace type */
                        return err_errno(err, neg_errno(), "stat %s", path);
                }
                snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_files[i].name);
                if (stat(path, &ours) < 0)
                        return err_errno(err, neg_errno(), "stat %s", path);
                if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
                        c->ns_flags |= ns_files[i].flag;
        }
        if (!state_pid_alive(c->st))
                return err_set(err, -ESRCH, "cannot exec in container %s: container not running", c->o->id);
        return 0;
}

/* --cgroup SUB: a cgroup below the container's (runc's "controller:path" form is refused). */
static int plan_cgroup(struct exec_ctx *c, struct err *err)
{
        const char *sub = c->o->cgroup;
        if (!c->st->cgroup_path)
                return err_set(err, -EINVAL, "container %s has no cgroup in its state", c->o->id);
        if (!sub || !*sub)
                return cgroup_open(c->st->cgroup_path, &c->cg, err);
        if (strchr(sub, ':'))
                return err_set(err, -EOPNOTSUPP, "--cgroup %s: per-controller paths are not supported", sub);
        for (const char *p = sub; *p; p += strcspn(p, "/"), p += *p == '/')
                if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
                        return err_set(err, -EINVAL, "--cgroup %s: must stay below the container's cgroup", sub);
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", c->st->cgroup_path, sub) < 0)
                return err_errno(err, -ENOMEM, "--cgroup");
        return cgroup_open(path, &c->cg, err);
}

static int exec_plan(struct exec_ctx *c, struct err *err)
{
        const struct exec_opts *o = c->o;
        int r;
        for (unsigned int i = 0; i < o->preserve_fds; i++)
                if (fcntl(3 + (int)i, F_GETFD) < 0)
                        return err_errno(err, neg_errno(), "--preserve-fds: fd %u", 3 + i);
        if ((r = load_state(c, err)) < 0 || (r = load_specs(c, err)) < 0 ||
            (r = apply_overrides(c, err)) < 0 || (r = security_check_lsm(&c->view.process, NULL, err)) < 0)
                return r;
        if ((r = security_seccomp_prepare(c->view.linux.seccomp, o->root, &c->seccomp, err)) < 0)
                return err_wrap(err, "config.json");
        if ((r = plan_cgroup(c, err)) < 0 || (r = plan_terminal(c, err)) < 0)
                return r;
        return plan_namespaces(c, err);
}

/* ---- the joiner and the process ------------------------------------------------------- */

/* Asks the kernel to label the program execve runs next (AppArmor, SELinux). */
/* In the container's namespaces and cgroup: the process's own settings, then execve. */
static int process_run(struct exec_ctx *c, struct err *err)
{
        const struct spec_process *p = &c->view.process;
        struct init_ctx ictx = {
                .spec = &c->view,
                .sync_fd = -1,
                .fifo_fd = -1,
                .console_fd = c->console_fd,
                .preserve_fds = c->o->preserve_fds,
                .new_userns = (c->ns_flags & CLONE_NEWUSER) != 0,
        };
        int r;
        process_reset_signals();
        if (setsid() < 0)
                return err_errno(err, neg_errno(), "setsid");
        if (p->terminal && (r = process_setup_terminal(&ictx, err)) < 0)
                return r;
        closep(&c->console_fd);
        if ((r = security_apply_rlimits(p, err)) < 0 || (r = security_apply_oom_score_adj(p, err)) < 0)
                return r;
        _cleanup_free_ char *exe = NULL;
        if (chdir(p->cwd) < 0)
                return err_errno(err, neg_errno(), "chdir to cwd %s", p->cwd);
        if ((r = process_find_executable(p, &exe, err)) < 0)
                return r;
        return process_finish_and_exec(&ictx, exe, c->seccomp, err);
}

static _Noreturn void report_and_exit(int fd, const struct err *e)
{
        sync_send(fd, SYNC_ERROR, e->msg, (uint32_t)strlen(e->msg));
        _exit(127);
}

/* Waits for the runtime's go (it moves us into the cgroup on v1), joins the init's
 * namespaces, forks the process and reports its pid. */
static _Noreturn void joiner_run(struct exec_ctx *c)
{
        struct err e = { 0 };
        enum sync_type type;
        _cleanup_free_ char *payload = NULL;
        closep(&c->sync[0]);
        if (sync_recv(c->sync[1], &type, &payload, &e) < 0 || type != SYNC_GO)
                _exit(1);
        if (c->ns_flags && setns(c->pidfd, c->ns_flags) < 0) {
                err_errno(&e, neg_errno(), "join the namespaces of container %s (setns %#x)", c->o->id,
                          (unsigned)c->ns_flags);
                report_and_exit(c->sync[1], &e);
        }
        if ((c->ns_flags & CLONE_NEWNS) && (fchdir(c->root_fd) < 0 || chroot(".") < 0)) {
                err_errno(&e, neg_errno(), "enter the root of container %s", c->o->id);
                report_and_exit(c->sync[1], &e);
        }
        closep(&c->pidfd);
        closep(&c->root_fd);
        pid_t pid = fork();
        if (pid < 0) {
                err_errno(&e, neg_errno(), "fork in the container's namespaces");
                report_and_exit(c->sync[1], &e);
        }
        if (pid == 0) {
                process_run(c, &e);
                report_and_exit(c->sync[1], &e);
        }
        _exit(sync_send(c->sync[1], SYNC_PID, &pid, sizeof(pid)) < 0);
}

/* ---- the runtime's side --------------------------------------------------------------- */

static int wait_child(pid_t pid, int *ret_status, struct err *err)
{
        while (waitpid(pid, ret_status, __WALL) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "wait for process %d", (int)pid);
        return 0;
}

/* The joiner's pid message, then the process's error or end of file (it exec'd). */
static int collect(struct exec_ctx *c, struct err *err)
{
        enum sync_type type;
        _cleanup_free_ char *payload = NULL;
        int r = sync_recv(c->sync[0], &type, &payload, err);
        wait_child(c->joiner, NULL, &(struct err){ 0 });
        c->joiner = 0;
        if (r == -EPIPE)
                return err_set(err, r, "the exec process died before it started");
        if (r < 0)
                return r;
        if (type == SYNC_ERROR)
                return err_set(err, -ECANCELED, "%s", payload);
        if (type != SYNC_PID)
                return err_set(err, -EPROTO, "unexpected message from the exec process");
        memcpy(&c->pid, payload, sizeof(pid_t));
        free(payload);
        payload = NULL;
        r = sync_recv(c->sync[0], &type, &payload, err);
        if (r == -EPIPE)
                return 0;
        wait_child(c->pid, NULL, &(struct err){ 0 });
        c->pid = 0;
        if (r < 0)
                return r;
        return err_set(err, -ECANCELED, "%s", type == SYNC_ERROR ? payload : "unexpected message");
}

static int exec_spawn(struct exec_ctx *c, struct err *err)
{
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sync) < 0)
                return err_errno(err, neg_errno(), "socketpair");
        int cgfd = cgroup_clone_fd(c->cg);
        struct clone_args args = {
                .flags = cgfd >= 0 ? CLONE_INTO_CGROUP : 0,
                .exit_signal = SIGCHLD,
                .cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return err_errno(err, neg_errno(), "clone exec process");
        if (pid == 0)
                joiner_run(c);
        c->joiner = pid;
        closep(&c->sync[1]);
        int r;
        if (cgfd < 0 && (r = cgroup_enter(c->cg, pid, err)) < 0)
                return r;
        if ((r = sync_send(c->sync[0], SYNC_GO, NULL, 0)) < 0)
                return err_errno(err, r, "start exec process");
        return collect(c, err);
}

static int exec_execute(struct exec_ctx *c, const sigset_t *set, int *ret_code, struct err *err)
{
        int r = exec_spawn(c, err);
        if (r < 0)
                return r;
        log_debug("exec %s: process %d", c->o->id, (int)c->pid);
        if (c->o->pid_file && (r = process_write_pid_file(c->o->pid_file, c->pid, err)) < 0) {
                kill(c->pid, SIGKILL);
                return r;
        }
        if (c->o->detach)
                return 0;
        closep(&c->console_fd);
        return process_wait_forwarding(c->pid, set, ret_code, err);
}

int exec_process(const struct exec_opts *o, int *ret_exit_code, struct err *err)
{
        struct exec_ctx c = { .o = o, .pidfd = -1, .root_fd = -1, .console_fd = -1, .sync = { -1, -1 } };
        sigset_t set, old;
        int r = exec_plan(&c, err);
        *ret_exit_code = 1;
        if (r < 0) {
                exec_ctx_free(&c);
                return err_wrap(err, "exec %s", o->id);
        }
        /* Block before the process exists so no signal is lost; as subreaper the runtime
         * inherits the process when the joiner exits. */
        process_forwarded_signals(&set);
        sigprocmask(SIG_BLOCK, &set, &old); /* EINVAL only, for a bad `how` */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                r = err_errno(err, neg_errno(), "become child subreaper");
        else
                r = exec_execute(&c, &set, ret_exit_code, err);
        if (r >= 0 && o->detach)
                *ret_exit_code = 0;
        if (c.joiner > 0) {
                kill(c.joiner, SIGKILL);
                wait_child(c.joiner, NULL, &(struct err){ 0 });
        }
        prctl(PR_SET_CHILD_SUBREAPER, 0);
        sigprocmask(SIG_SETMASK, &old, NULL);
        exec_ctx_free(&c);
        return r < 0 ? err_wrap(err, "exec %s", o->id) : 0;
}
