#include "oci/container.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "oci/console.h"
#include "oci/hooks.h"
#include "oci/namespaces.h"
#include "oci/process.h"
#include "oci/security.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"

/* Everything create owns until it either hands the container over or undoes it. */
struct create_ctx {
        const struct container_opts *o;
        struct spec *spec;
        char *bundle;
        char *rootfs;
        int state_fd;
        int fifo_fd;
        int console_fd;
        int sync[2];          /* [0] runtime end, [1] init end */
        struct cgroup *cg;
        struct seccomp_plan *seccomp; /* compiled (or cached) before the init is cloned */
        pid_t pid;
        bool in_cgroup;       /* cloned straight into its cgroup (clone3 CLONE_INTO_CGROUP) */
        struct state st;
};

static void create_ctx_free(struct create_ctx *c)
{
        spec_free(c->spec);
        free(c->bundle);
        free(c->rootfs);
        closep(&c->state_fd);
        closep(&c->fifo_fd);
        closep(&c->console_fd);
        closep(&c->sync[0]);
        closep(&c->sync[1]);
        cgroup_free(c->cg);
        security_seccomp_free(c->seccomp);
        free(c->st.created);
        free(c->st.cgroup_path);
        json_object_put(c->st.annotations);
        json_object_put(c->st.hooks);
}

static char *now_rfc3339(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[64], *out;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
                return NULL;
        return out;
}

/* Socket activation as runc does it: the container's init is pid 1 of its namespace and
 * gets the n sockets as fds 3.. (preserved), so LISTEN_FDS=n and LISTEN_PID=1 are set,
 * replacing any value config.json had. The strings live as long as the process. */
static int add_listen_env(struct spec_process *p, unsigned int n, struct err *err)
{
        static char fds_var[32];
        static char pid_var[] = "LISTEN_PID=1";
        snprintf(fds_var, sizeof(fds_var), "LISTEN_FDS=%u", n);
        size_t len = 0, keep = 0;
        while (p->env[len])
                len++;
        for (size_t i = 0; i < len; i++)
                if (strncmp(p->env[i], "LISTEN_FDS=", 11) && strncmp(p->env[i], "LISTEN_PID=", 11))
                        p->env[keep++] = p->env[i];
        char **env = realloc(p->env, (keep + 3) * sizeof(char *));
        if (!env)
                return err_errno(err, -ENOMEM, "socket activation");
        env[keep] = fds_var;
        env[keep + 1] = pid_var;
        env[keep + 2] = NULL;
        p->env = env;
        return 0;
}

int container_open_bundle(const char *dir, struct spec **ret_spec, char **ret_bundle, char **ret_rootfs,
                          struct err *err)
{
        _cleanup_free_ char *bundle = realpath(dir ? dir : ".", NULL);
        if (!bundle)
                return err_errno(err, neg_errno(), "bundle %s", dir ? dir : ".");
        _cleanup_close_ int bfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bfd < 0)
                return err_errno(err, neg_errno(), "open bundle %s", bundle);
        struct spec *spec = NULL;
        int r = spec_load(bfd, &spec, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = NULL;
        if (spec->root_path[0] == '/')
                root = strdup(spec->root_path);
        else if (asprintf(&root, "%s/%s", bundle, spec->root_path) < 0)
                root = NULL;
        char *rootfs = root ? realpath(root, NULL) : NULL;
        struct stat st;
        if (!root)
                r = err_errno(err, -ENOMEM, "rootfs");
        else if (!rootfs || stat(rootfs, &st) < 0)
                r = err_errno(err, neg_errno(), "rootfs %s", root);
        else if (!S_ISDIR(st.st_mode))
                r = err_set(err, -ENOTDIR, "rootfs %s: not a directory", root);
        if (r < 0) {
                free(rootfs);
                spec_free(spec);
                return r;
        }
        *ret_spec = spec;
        *ret_bundle = TAKE_PTR(bundle);
        *ret_rootfs = rootfs;
        return 0;
}

/* Plan: everything about the bundle and the flags is checked before the system changes. */
static int create_plan(struct create_ctx *c, struct err *err)
{
        const struct container_opts *o = c->o;
        int r = state_validate_id(o->id, err);
        if (r < 0)
                return r;
        if ((r = container_open_bundle(o->bundle, &c->spec, &c->bundle, &c->rootfs, err)) < 0)
                return r;
        if (!c->spec->has_process)
                return err_set(err, -EINVAL, "config.json: process: required to create a container");
        if ((r = security_check_lsm(&c->spec->process, c->spec->linux.mount_label, err)) < 0)
                return r;
        if (o->listen_fds && (r = add_listen_env(&c->spec->process, o->listen_fds, err)) < 0)
                return r;
        if (c->spec->process.terminal && !o->console_socket)
                return err_set(err, -EINVAL, "process.terminal is true: --console-socket is required");
        for (unsigned int i = 0; i < o->preserve_fds; i++)
                if (fcntl(3 + (int)i, F_GETFD) < 0)
                        return err_errno(err, neg_errno(), "--preserve-fds: fd %u", 3 + i);
        if (o->console_socket && (r = process_connect_console(o->console_socket, &c->console_fd, err)) < 0)
                return r;
        return security_seccomp_prepare(c->spec->linux.seccomp, o->root, &c->seccomp, err);
}

/* clone3 into the new namespaces (and, on cgroup v2, straight into the cgroup). */
static int clone_init(struct create_ctx *c, const struct init_ctx *ictx, pid_t *ret_pid, struct err *err)
{
        int cgfd = c->cg ? cgroup_clone_fd(c->cg) : -1;
        struct clone_args args = {
                .flags = (uint64_t)ns_clone_flags(c->spec) | (cgfd >= 0 ? CLONE_INTO_CGROUP : 0),
                .exit_signal = SIGCHLD,
                .cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0 && errno == ENOSYS) {
                /* no clone3 (old kernel, valgrind, a seccomp profile answering ENOSYS):
                 * plain clone, and the parent moves the init into its cgroup */
                args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
                pid = (pid_t)syscall(SYS_clone, (unsigned long)args.flags | SIGCHLD, NULL, NULL, NULL, NULL);
        }
        if (pid < 0)
                return err_errno(err, neg_errno(), "clone container init");
        c->in_cgroup = (args.flags & CLONE_INTO_CGROUP) != 0;
        if (pid == 0)
                process_init(ictx);
        *ret_pid = pid;
        return 0;
}

/* Joining namespaces by path, or a time namespace, changes the caller's own namespaces:
 * a short-lived intermediate does that, clones the init and reports its pid. */
static int spawn_via_intermediate(struct create_ctx *c, const struct init_ctx *ictx, struct err *err)
{
        pid_t mid = fork();
        if (mid < 0)
                return err_errno(err, neg_errno(), "fork");
        if (mid == 0) {
                struct err e = { 0 };
                pid_t pid;
                int r = ns_enter_paths_and_time(c->spec, &e);
                if (r >= 0)
                        r = clone_init(c, ictx, &pid, &e);
                if (r >= 0)
                        sync_send(c->sync[1], SYNC_PID, &pid, sizeof(pid));
                else
                        sync_send(c->sync[1], SYNC_ERROR, e.msg, (uint32_t)strlen(e.msg));
                _exit(r < 0);
        }
        int status;
        while (waitpid(mid, &status, 0) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "wait for intermediate process");
        enum sync_type type;
        _cleanup_free_ char *payload = NULL;
        int r = sync_recv(c->sync[0], &type, &payload, err);
        if (r < 0)
                return r == -EPIPE ? err_set(err, r, "intermediate process died") : r;
        if (type == SYNC_ERROR)
                return err_set(err, -ECANCELED, "%s", payload);
        if (type != SYNC_PID)
                return err_set(err, -EPROTO, "unexpected message from intermediate process");
        memcpy(&c->pid, payload, sizeof(pid_t));
        return 0;
}

static int spawn_init(struct create_ctx *c, struct err *err)
{
        struct init_ctx ictx = {
                .spec = c->spec,
                .rootfs = c->rootfs,
                .sync_fd = c->sync[1],
                .fifo_fd = c->fifo_fd,
                .console_fd = c->console_fd,
                .preserve_fds = c->o->preserve_fds,
                .no_pivot = c->o->no_pivot,
                .new_userns = ns_creates(c->spec, SPEC_NS_USER),
                .seccomp = c->seccomp,
        };
        int r = ns_needs_intermediate(c->spec) ? spawn_via_intermediate(c, &ictx, err)
                                               : clone_init(c, &ictx, &c->pid, err);
        closep(&c->sync[1]);
        closep(&c->console_fd);
        return r;
}

static int run_create_hooks(struct create_ctx *c, struct err *err)
{
        _cleanup_free_ char *json = state_to_json(&c->st, STATUS_CREATING);
        if (!json)
                return err_errno(err, -ENOMEM, "state");
        c->st.creating = true; /* a hook may run `state ID` */
        c->st.start_time = 0;
        state_pid_start_time(c->pid, &c->st.start_time);
        int r = state_write(c->state_fd, &c->st, err);
        if (r < 0)
                return r;
        r = hooks_run(&c->spec->hooks[SPEC_HOOK_PRESTART], SPEC_HOOK_PRESTART, json, err);
        if (r >= 0)
                r = hooks_run(&c->spec->hooks[SPEC_HOOK_CREATE_RUNTIME], SPEC_HOOK_CREATE_RUNTIME, json, err);
        return r;
}

/* An unprivileged caller may write a gid_map only after setgroups is denied in the new
 * namespace (user_namespaces(7)), and may map only its own ids. */
static int write_id_maps(pid_t pid, const struct spec *s, struct err *err)
{
        char path[64];
        int r;
        if (geteuid() != 0) {
                snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
                if ((r = write_file_at(AT_FDCWD, path, "deny", 4, 0)) < 0)
                        return err_errno(err, r, "rootless: write %s", path);
        }
        r = ns_write_id_maps(pid, s, err);
        if (r == -EPERM && geteuid() != 0)
                return err_wrap(err, "rootless (uid %u): only a single-id map of the caller's own uid and gid "
                                "is allowed (no newuidmap support)", (unsigned)geteuid());
        return r;
}

/* Parent's side of the handshake: ids and cgroup, GO, hooks when asked, READY. */
static int drive_init(struct create_ctx *c, struct err *err)
{
        int r;
        /* idempotent when the init was cloned into it by an intermediate process */
        if (c->cg && !c->in_cgroup && (r = cgroup_enter(c->cg, c->pid, err)) < 0)
                return r;
        if (ns_creates(c->spec, SPEC_NS_USER) && (r = write_id_maps(c->pid, c->spec, err)) < 0)
                return r;
        c->st.pid = c->pid;
        _cleanup_free_ char *json = state_to_json(&c->st, STATUS_CREATING);
        if (!json)
                return err_errno(err, -ENOMEM, "state");
        if ((r = sync_send(c->sync[0], SYNC_GO, json, (uint32_t)strlen(json))) < 0)
                return err_errno(err, r, "start container init");
        for (;;) {
                enum sync_type type;
                _cleanup_free_ char *payload = NULL;
                r = sync_recv(c->sync[0], &type, &payload, err);
                if (r == -EPIPE)
                        return err_set(err, r, "container init exited before it was ready");
                if (r < 0)
                        return r;
                if (type == SYNC_READY)
                        return 0;
                if (type == SYNC_ERROR)
                        return err_set(err, -ECANCELED, "%s", payload);
                if (type != SYNC_HOOKS)
                        return err_set(err, -EPROTO, "unexpected message from container init");
                if ((r = run_create_hooks(c, err)) < 0)
                        return r;
                if ((r = sync_send(c->sync[0], SYNC_HOOKS_DONE, NULL, 0)) < 0)
                        return err_errno(err, r, "sync with container init");
        }
}

/* runc's allowed devices: what every container needs whatever its rules say. */
static const struct spec_device_rule default_device_rules[] = {
        { true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },   { true, 'c', 1, 3, "rwm" },
        { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 7, "rwm" },   { true, 'c', 1, 8, "rwm" },
        { true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },   { true, 'c', 5, 1, "rwm" },
        { true, 'c', 5, 2, "rwm" },  { true, 'c', 136, -1, "rwm" },
};

/* The resources to apply: the config's, with device access for the default devices and
 * linux.devices appended after its own rules. *ret_rules is owned by the caller. */
static int effective_resources(const struct spec *s, struct spec_resources *res,
                               struct spec_device_rule **ret_rules)
{
        size_t n_def = ARRAY_SIZE(default_device_rules);
        if (s->linux.has_resources)
                *res = s->linux.resources;
        else
                memset(res, 0, sizeof(*res));
        size_t n = res->n_devices + n_def + s->linux.n_devices;
        struct spec_device_rule *rules = calloc(n, sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        if (res->n_devices)
                memcpy(rules, res->devices, res->n_devices * sizeof(*rules));
        memcpy(rules + res->n_devices, default_device_rules, sizeof(default_device_rules));
        for (size_t i = 0; i < s->linux.n_devices; i++) {
                const struct spec_device *d = &s->linux.devices[i];
                rules[res->n_devices + n_def + i] = (struct spec_device_rule){
                        .allow = true, .type = d->type == 'u' ? 'c' : d->type,
                        .major = d->major, .minor = d->minor, .access = "rwm",
                };
        }
        res->devices = rules;
        res->n_devices = n;
        *ret_rules = rules;
        return 0;
}

/* A non-root caller that may not create cgroups runs without one, unless the config asks
 * for resource limits (devices alone are enforced by the user namespace already). */
static bool rootless_without_cgroup(const struct spec *s, int r)
{
        json_object *l, *res;
        if (geteuid() == 0 || (r != -EACCES && r != -EPERM && r != -EROFS))
                return false;
        if (!json_object_object_get_ex(s->json, "linux", &l) || !json_object_object_get_ex(l, "resources", &res))
                return true;
        json_object_object_foreach(res, key, val) {
                if (strcmp(key, "devices") != 0 && val)
                        return false;
        }
        return true;
}

int container_make_cgroup(const struct spec *s, const char *id, struct cgroup **ret, char **ret_path,
                          struct err *err)
{
        _cleanup_free_ char *path = NULL;
        *ret = NULL;
        *ret_path = NULL;
        int r = cgroup_resolve_path(s->linux.cgroups_path, id, &path, err);
        if (r < 0)
                return r;
        struct spec_resources res;
        _cleanup_free_ struct spec_device_rule *rules = NULL;
        if ((r = effective_resources(s, &res, &rules)) < 0)
                return err_errno(err, r, "device rules");
        if ((r = cgroup_create(path, &res, ret, err)) < 0 && !rootless_without_cgroup(s, r))
                return r;
        if (r < 0) { /* rootless, as runc: no cgroup rather than no container */
                *err = (struct err){ 0 };
                return 0;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

int container_state_fill(struct state *st, const struct spec *s, struct err *err)
{
        st->created = now_rfc3339();
        if (!st->created)
                return err_errno(err, -ENOMEM, "state");
        st->owner = getuid();
        json_object *v;
        if (json_object_object_get_ex(s->json, "annotations", &v))
                st->annotations = json_object_get(v);
        if (json_object_object_get_ex(s->json, "hooks", &v))
                st->hooks = json_object_get(v);
        return 0;
}

/* The system side of create, in order; undone by create_undo on failure. */
static int create_execute(struct create_ctx *c, struct err *err)
{
        const struct container_opts *o = c->o;
        _cleanup_free_ char *cgpath = NULL;
        int r = state_dir_create(o->root, o->id, &c->state_fd, err);
        if (r < 0)
                return r;
        if (mkfifoat(c->state_fd, STATE_FIFO, 0600) < 0)
                return err_errno(err, neg_errno(), "create exec fifo");
        c->fifo_fd = openat(c->state_fd, STATE_FIFO, O_RDWR | O_CLOEXEC);
        if (c->fifo_fd < 0)
                return err_errno(err, neg_errno(), "open exec fifo");
        if ((r = container_make_cgroup(c->spec, o->id, &c->cg, &cgpath, err)) < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sync) < 0)
                return err_errno(err, neg_errno(), "socketpair");

        c->st.id = (char *)o->id;
        c->st.bundle = c->bundle;
        c->st.rootfs = c->rootfs;
        c->st.cgroup_path = TAKE_PTR(cgpath);
        if ((r = container_state_fill(&c->st, c->spec, err)) < 0)
                return r;

        log_debug("create %s: bundle %s, rootfs %s, cgroup %s", o->id, c->bundle, c->rootfs,
                  c->st.cgroup_path ? c->st.cgroup_path : "(none)");
        if ((r = spawn_init(c, err)) < 0)
                return r;
        log_debug("create %s: init %d cloned%s", o->id, (int)c->pid, c->in_cgroup ? " into its cgroup" : "");
        if ((r = drive_init(c, err)) < 0)
                return r;
        closep(&c->fifo_fd);
        c->st.creating = false;
        if ((r = state_pid_start_time(c->pid, &c->st.start_time)) < 0)
                return err_errno(err, r, "container init vanished");
        if ((r = state_write(c->state_fd, &c->st, err)) < 0)
                return r;
        if (o->pid_file && (r = process_write_pid_file(o->pid_file, c->pid, err)) < 0)
                return r;
        return 0;
}

/* Kills the init if it got that far, removes the cgroup and the state directory. */
static void create_undo(struct create_ctx *c)
{
        struct err e = { 0 };
        if (c->pid > 0) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, __WALL); /* ECHILD at once when it is not our child */
        }
        if (c->cg && cgroup_destroy(c->cg, &e) < 0)
                log_warn("%s", e.msg);
        if (c->state_fd >= 0 && state_dir_remove(c->o->root, c->o->id, &e) < 0)
                log_warn("%s", e.msg);
}

/* create, keeping the init's pid for run (which waits for it). */
static int create_container(const struct container_opts *o, pid_t *ret_pid, struct err *err)
{
        struct create_ctx c = { .o = o, .state_fd = -1, .fifo_fd = -1, .console_fd = -1, .sync = { -1, -1 } };
        int r = create_plan(&c, err);
        if (r >= 0) {
                r = create_execute(&c, err);
                if (r < 0)
                        create_undo(&c);
        }
        if (r >= 0 && ret_pid)
                *ret_pid = c.pid;
        create_ctx_free(&c);
        if (r < 0)
                return err_wrap(err, "create %s", o->id);
        return 0;
}

int container_create(const struct container_opts *o, struct err *err)
{
        return create_container(o, NULL, err);
}

static int load(const char *root, const char *id, bool lock, int *ret_fd, struct state **ret, struct err *err)
{
        _cleanup_close_ int fd = -1;
        int r = state_validate_id(id, err);
        if (r < 0)
                return r;
        if ((r = state_dir_open(root, id, lock, &fd, err)) < 0)
                return r;
        if ((r = state_read(fd, ret, err)) < 0)
                return err_wrap(err, "container %s", id);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void state_freep(struct state **st)
{
        state_free(*st);
}
#define _cleanup_state_ _cleanup_(state_freep)

static void run_state_hooks(const struct state *st, enum container_status status, const char *name,
                            enum spec_hook_kind kind)
{
        json_object *list;
        if (!st->hooks || !json_object_object_get_ex(st->hooks, name, &list))
                return;
        _cleanup_free_ char *json = state_to_json(st, status);
        struct err e = { 0 };
        if (json && hooks_run_json(list, kind, json, &e) < 0)
                log_warn("%s", e.msg); /* runtime-spec: poststart/poststop failures only warn */
}

/* Wakes the init blocked on the exec fifo and waits until it has exec'd the user's
 * process (poststart hooks run after that): the init holds the fifo open O_RDWR with
 * CLOEXEC, so our read end sees POLLHUP once exec (or death) closed the last writer.
 * The read end is opened before our write end so that the kernel reports that hangup. */
static int release_init(int state_fd, struct err *err)
{
        _cleanup_close_ int rd = openat(state_fd, STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (rd < 0)
                return err_errno(err, neg_errno(), "open exec fifo");
        _cleanup_close_ int wr = openat(state_fd, STATE_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (wr < 0)
                return err_errno(err, neg_errno(), "open exec fifo");
        char byte = 0;
        if (write(wr, &byte, 1) != 1)
                return err_errno(err, neg_errno(), "write exec fifo");
        closep(&wr);
        wr = -1;
        struct pollfd p = { .fd = rd, .events = 0 };
        while (poll(&p, 1, -1) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "wait for the container's exec");
        return 0;
}

int container_start(const char *root, const char *id, struct err *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_state_ struct state *st = NULL;
        int r = load(root, id, true, &fd, &st, err);
        if (r < 0)
                return r;
        enum container_status status = state_status(fd, st);
        if (status != STATUS_CREATED)
                return err_set(err, -EINVAL, "cannot start container %s: it is %s, not created", id,
                               state_status_name(status));
        if ((r = release_init(fd, err)) < 0)
                return err_wrap(err, "start %s", id);
        if (unlinkat(fd, STATE_FIFO, 0) < 0)
                return err_errno(err, neg_errno(), "start %s: remove exec fifo", id);
        log_debug("start %s: init %d has exec'd the process", id, (int)st->pid);
        run_state_hooks(st, STATUS_RUNNING, "poststart", SPEC_HOOK_POSTSTART);
        return 0;
}

/* Waits up to timeout_ms for a process (not necessarily our child) to die. */
static int wait_pid_gone(const struct state *st, int timeout_ms)
{
        int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n = poll(&p, 1, timeout_ms);
                close(pidfd);
                return n > 0 ? 0 : -ETIMEDOUT;
        }
        for (int waited = 0; state_pid_alive(st); waited += 10) {
                if (waited >= timeout_ms)
                        return -ETIMEDOUT;
                usleep(10000);
        }
        return 0;
}

static int signal_init(const struct state *st, int sig, struct err *err)
{
        int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
        if (pidfd < 0)
                return err_errno(err, neg_errno(), "container %s: open its init %d", st->id, (int)st->pid);
        /* the pidfd pins the process: check it is still the init we started */
        int r = 0;
        if (!state_pid_alive(st))
                r = err_set(err, -ESRCH, "cannot signal container %s: container not running", st->id);
        else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                r = err_errno(err, neg_errno(), "container %s: signal %d", st->id, sig);
        close(pidfd);
        return r;
}

static int kill_all(const struct state *st, int sig, struct err *err)
{
        struct cgroup *cg = NULL;
        int r = cgroup_open(st->cgroup_path, &cg, err);
        if (r >= 0)
                r = cgroup_kill_all(cg, sig, err);
        cgroup_free(cg);
        return r;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct err *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_state_ struct state *st = NULL;
        int r = load(root, id, true, &fd, &st, err);
        if (r < 0)
                return r;
        /* runc's wording: the containerd shim matches "container not running" */
        if (state_status(fd, st) == STATUS_STOPPED)
                return all ? 0 : err_set(err, -ESRCH, "cannot signal container %s: container not running", id);
        return all ? kill_all(st, sig, err) : signal_init(st, sig, err);
}

/* Removes what a container leaves once its init is dead: cgroup, state; poststop hooks. */
static int destroy(const char *root, const struct state *st, struct err *err)
{
        struct cgroup *cg = NULL;
        int r = 0;
        if (st->cgroup_path && cgroup_open(st->cgroup_path, &cg, err) >= 0) {
                r = cgroup_destroy(cg, err);
                cgroup_free(cg);
                if (r < 0)
                        return r;
        }
        run_state_hooks(st, STATUS_STOPPED, "poststop", SPEC_HOOK_POSTSTOP);
        return state_dir_remove(root, st->id, err);
}

int container_delete(const char *root, const char *id, bool force, struct err *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_state_ struct state *st = NULL;
        int r = state_validate_id(id, err);
        if (r < 0 || (r = state_dir_open(root, id, true, &fd, err)) < 0)
                return r;
        if ((r = state_read(fd, &st, err)) < 0) {
                /* a state directory without a readable state.json: a create that was killed
                 * before it could undo itself; --force clears it */
                if (force)
                        return state_dir_remove(root, id, err);
                return err_wrap(err, "container %s", id);
        }
        enum container_status status = state_status(fd, st);
        log_debug("delete %s: %s, init %d, cgroup %s", id, state_status_name(status), (int)st->pid,
                  st->cgroup_path ? st->cgroup_path : "(none)");
        if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force)
                return err_set(err, -EBUSY, "cannot delete container %s that is not stopped: %s", id,
                               state_status_name(status));
        if (status != STATUS_STOPPED) {
                if (kill_all(st, SIGKILL, err) < 0)
                        signal_init(st, SIGKILL, err);
                if (wait_pid_gone(st, 10000) < 0)
                        return err_set(err, -ETIMEDOUT, "delete %s: its init %d did not die", id, (int)st->pid);
        }
        r = destroy(root, st, err);
        return r < 0 ? err_wrap(err, "delete %s", id) : 0;
}

int container_state(const char *root, const char *id, char **ret, struct err *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_state_ struct state *st = NULL;
        int r = load(root, id, false, &fd, &st, err);
        if (r < 0)
                return r;
        *ret = state_to_json(st, state_status(fd, st));
        return *ret ? 0 : err_errno(err, -ENOMEM, "state");
}

int container_list(const char *root, struct container_info **ret, size_t *ret_n, struct err *err)
{
        *ret = NULL;
        *ret_n = 0;
        _cleanup_closedir_ DIR *d = opendir(root);
        if (!d)
                return errno == ENOENT ? 0 : err_errno(err, neg_errno(), "open runtime root %s", root);
        struct container_info *list = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -1;
                _cleanup_state_ struct state *st = NULL;
                struct err ignored = { 0 };
                if (de->d_name[0] == '.' || load(root, de->d_name, false, &fd, &st, &ignored) < 0)
                        continue;
                struct container_info *nl = realloc(list, (n + 1) * sizeof(*list));
                if (!nl) {
                        container_list_free(list, n);
                        return err_errno(err, -ENOMEM, "list");
                }
                list = nl;
                list[n] = (struct container_info){
                        .id = TAKE_PTR(st->id),
                        .pid = st->pid,
                        .status = state_status(fd, st),
                        .bundle = TAKE_PTR(st->bundle),
                        .created = TAKE_PTR(st->created),
                        .owner = st->owner,
                };
                n++;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

void container_list_free(struct container_info *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(list[i].id);
                free(list[i].bundle);
                free(list[i].created);
        }
        free(list);
}

/* runc's foreground run with a terminal and no --console-socket: the runtime itself is
 * the console. Only a bundle asking for a terminal needs it, so peek at its config. */
static bool run_needs_console(const struct container_opts *o, bool detach)
{
        if (detach || o->console_socket)
                return false;
        _cleanup_close_ int bfd = open(o->bundle ? o->bundle : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct spec *s = NULL;
        if (bfd < 0 || spec_load(bfd, &s, &(struct err){ 0 }) < 0)
                return false; /* create reports the error */
        bool yes = s->has_process && s->process.terminal;
        spec_free(s);
        return yes;
}

/* The runtime's side of the terminal: master received, the caller's tty raw. */
struct run_console {
        struct console_listener l;
        struct console_raw raw;
        int master;
};

static void run_console_done(struct run_console *rc)
{
        console_raw_leave(&rc->raw);
        console_listener_done(&rc->l);
        closep(&rc->master);
}

static int run_console_attach(struct run_console *rc, struct err *err)
{
        int r = console_receive_master(&rc->l, &rc->master, err);
        if (r < 0)
                return r;
        console_listener_done(&rc->l);
        /* a tty's own size wins over consoleSize, which the init applied already */
        if ((r = console_copy_winsize(STDIN_FILENO, rc->master)) < 0)
                return err_errno(err, r, "copy the window size to the container's pty");
        return console_raw_enter(&rc->raw, STDIN_FILENO, err);
}

/* create + start, with the runtime as the console when it must be. */
static int run_create_start(const struct container_opts *o, struct run_console *rc, pid_t *ret_pid,
                            struct err *err)
{
        struct container_opts co = *o;
        int r;
        if (rc) {
                if ((r = console_listen(&rc->l, err)) < 0)
                        return r;
                co.console_socket = rc->l.path;
        }
        if ((r = create_container(&co, ret_pid, err)) < 0)
                return r;
        if ((rc && (r = run_console_attach(rc, err)) < 0) || (r = container_start(o->root, o->id, err)) < 0)
                container_delete(o->root, o->id, true, &(struct err){ 0 });
        return r;
}

int container_run(const struct container_opts *o, bool detach, int *ret_exit_code, struct err *err)
{
        sigset_t set, old;
        process_forwarded_signals(&set);
        /* Block first: a signal arriving between start and the wait loop must not be lost.
         * As subreaper the runtime also reaps an init cloned by an intermediate. */
        if (!detach && (sigprocmask(SIG_BLOCK, &set, &old) < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0))
                return err_errno(err, neg_errno(), "run %s: prepare signals", o->id);
        struct run_console rc = { .master = -1, .l = { .fd = -1 } };
        bool console = run_needs_console(o, detach);
        pid_t pid = 0;
        int r = run_create_start(o, console ? &rc : NULL, &pid, err);
        if (r < 0 || detach) {
                run_console_done(&rc);
                if (!detach)
                        sigprocmask(SIG_SETMASK, &old, NULL);
                *ret_exit_code = r < 0 ? 1 : 0;
                return r;
        }
        r = console ? console_relay(rc.master, pid, &set, ret_exit_code, err)
                    : process_wait_forwarding(pid, &set, ret_exit_code, err);
        run_console_done(&rc);
        struct err derr = { 0 };
        if (container_delete(o->root, o->id, true, &derr) < 0 && r >= 0)
                r = err_set(err, derr.code, "%s", derr.msg);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
