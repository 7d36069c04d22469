#include "oci/checkpoint.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "oci/container.h"
#include "oci/criu.h"
#include "oci/process.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

/* What the container's stdio were at the dump (runc's file name and format): restore
 * hands the caller's own stdio to criu for those that were pipes. */
#define DESCRIPTORS "descriptors.json"
#define CRIU_ROOT "criu-root"     /* in the state dir: the rootfs bound for criu's --root */
#define CRIU_PIDFILE "criu.pid"   /* in the state dir: the restored init's pid */
#define EXT_NETNS "extRootNetNS"  /* key of a joined network namespace (runc's name) */

static void spec_freep(struct spec **s)
{
        spec_free(*s);
}

static void state_freep(struct state **st)
{
        state_free(*st);
}

/* Everything one checkpoint or restore owns. */
struct ck {
        const struct checkpoint_opts *o;
        struct spec *spec;
        char *bundle, *rootfs;
        char *img, *work, *log; /* absolute */
};

static void ck_done(struct ck *c)
{
        spec_freep(&c->spec);
        free(c->bundle);
        free(c->rootfs);
        free(c->img);
        free(c->work);
        free(c->log);
}

/* What CRIU cannot carry across, refused before anything is dumped or created. */
static int ck_supported(const struct spec *s, const char *what, const char *id, struct err *err)
{
        if (geteuid() != 0)
                return err_set(err, -EPERM, "%s %s: CRIU needs root", what, id);
        if (s->process.terminal)
                return err_set(err, -EOPNOTSUPP,
                               "%s %s: containers with a terminal (process.terminal) cannot be checkpointed "
                               "or restored", what, id);
        for (size_t i = 0; i < s->linux.n_namespaces; i++) {
                const struct spec_namespace *ns = &s->linux.namespaces[i];
                if (ns->path && ns->type != SPEC_NS_NETWORK)
                        return err_set(err, -EOPNOTSUPP,
                                       "%s %s: the container joined the %s namespace at %s; of joined "
                                       "namespaces only a network namespace can be checkpointed",
                                       what, id, spec_ns_type_name(ns->type), ns->path);
        }
        return 0;
}

/* mkdir -p of path (relative to the cwd) and its absolute name. */
static int ck_dir(const char *path, bool create, char **ret, struct err *err)
{
        int r = create ? mkdir_p_at(AT_FDCWD, path, 0700) : 0;
        if (r < 0)
                return err_errno(err, r, "create %s", path);
        *ret = realpath(path, NULL);
        return *ret ? 0 : err_errno(err, neg_errno(), "%s", path);
}

/* Image and work directories, and the log criu will write in the work directory. */
static int ck_paths(struct ck *c, bool restore, struct err *err)
{
        const char *img = c->o->image_path ? c->o->image_path : "checkpoint";
        int r = ck_dir(img, !restore, &c->img, err);
        if (r < 0)
                return r;
        if (restore) {
                _cleanup_free_ char *inv = NULL;
                if (asprintf(&inv, "%s/inventory.img", c->img) < 0)
                        return err_errno(err, -ENOMEM, "image path");
                if (access(inv, R_OK) < 0)
                        return err_errno(err, neg_errno(), "no checkpoint in %s", c->img);
        }
        if ((r = ck_dir(c->o->work_path ? c->o->work_path : c->img, true, &c->work, err)) < 0)
                return r;
        if (asprintf(&c->log, "%s/%s.log", c->work, restore ? "restore" : c->o->pre_dump ? "pre-dump" : "dump") < 0)
                return err_errno(err, -ENOMEM, "log path");
        if (unlink(c->log) < 0 && errno != ENOENT)
                return err_errno(err, neg_errno(), "remove old %s", c->log);
        return 0;
}

/* Flags dump and restore share. */
static void ck_common_args(const struct ck *c, struct criu_argv *a)
{
        const struct checkpoint_opts *o = c->o;
        criu_argv_add(a, "--images-dir=%s", c->img);
        criu_argv_add(a, "--work-dir=%s", c->work);
        criu_argv_add(a, "--log-file=%s", c->log);
        criu_argv_add(a, "-v4");
        criu_argv_add(a, "--manage-cgroups=%s", o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft");
        if (o->tcp_established)
                criu_argv_add(a, "--tcp-established");
        if (o->file_locks)
                criu_argv_add(a, "--file-locks");
        if (o->ext_unix_sk)
                criu_argv_add(a, "--ext-unix-sk");
        if (o->shell_job)
                criu_argv_add(a, "--shell-job");
        if (o->empty_netns)
                criu_argv_add(a, "--empty-ns=net");
}

/* Bind mounts come from outside the container: dumped by destination, restored from
 * their source (relative sources are relative to the bundle, as create has them). */
static void ck_mount_args(const struct ck *c, bool restore, struct criu_argv *a)
{
        for (size_t i = 0; i < c->spec->n_mounts; i++) {
                const struct spec_mount *m = &c->spec->mounts[i];
                if (!m->bind || !m->source)
                        continue;
                if (!restore)
                        criu_argv_add(a, "--ext-mount-map=%s:%s", m->destination, m->destination);
                else if (m->source[0] == '/')
                        criu_argv_add(a, "--ext-mount-map=%s:%s", m->destination, m->source);
                else
                        criu_argv_add(a, "--ext-mount-map=%s:%s/%s", m->destination, c->bundle, m->source);
        }
}

/* Where criu freezes the whole cgroup, so that processes exec'd into it stop too. */
static int ck_freezer_dir(const char *cgroup_path, char **ret, struct err *err)
{
        enum cgroup_layout layout;
        int r = cgroup_layout_detect(&layout, err);
        if (r < 0)
                return r;
        const char *base = layout == CGROUP_LAYOUT_V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
        if (asprintf(ret, "%s%s", base, cgroup_path) < 0)
                return err_errno(err, -ENOMEM, "freezer path");
        return 0;
}

/* runc's descriptors.json: what fds 0-2 of the init pointed to. */
static int ck_write_descriptors(const struct ck *c, pid_t pid, struct err *err)
{
        json_object *arr = json_object_new_array();
        for (int fd = 0; arr && fd < 3; fd++) {
                char path[64], target[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                json_object_array_add(arr, json_object_new_string(target));
        }
        const char *json = arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN) : NULL;
        _cleanup_free_ char *path = NULL;
        int r = json && asprintf(&path, "%s/%s", c->img, DESCRIPTORS) >= 0
                        ? write_file_at(AT_FDCWD, path, json, strlen(json), 0600)
                        : -ENOMEM;
        json_object_put(arr);
        return r < 0 ? err_errno(err, r, "write %s/%s", c->img, DESCRIPTORS) : 0;
}

/* A failed criu run: when CRIU cannot work here at all, `criu check` says why better. */
static int ck_explain(int r, const char *what, const char *id, struct err *err)
{
        char why[512];
        if (criu_check(why, sizeof(why)) < 0)
                return err_set(err, -EOPNOTSUPP, "%s %s: CRIU cannot work on this host (%s)", what, id, why);
        return err_wrap(err, "%s %s", what, id), r;
}

static int dump_args(struct ck *c, const struct state *st, struct criu_argv *a, struct err *err)
{
        _cleanup_free_ char *freezer = NULL;
        int r = st->cgroup_path ? ck_freezer_dir(st->cgroup_path, &freezer, err) : 0;
        if (r < 0)
                return r;
        criu_argv_add(a, "criu");
        criu_argv_add(a, c->o->pre_dump ? "pre-dump" : "dump");
        criu_argv_add(a, "--tree=%d", (int)st->pid);
        ck_common_args(c, a);
        ck_mount_args(c, false, a);
        if (freezer)
                criu_argv_add(a, "--freeze-cgroup=%s", freezer);
        if (c->o->leave_running && !c->o->pre_dump)
                criu_argv_add(a, "--leave-running");
        if (c->o->parent_path)
                criu_argv_add(a, "--prev-images-dir=%s", c->o->parent_path);
        const struct spec_namespace *net = spec_namespace_find(c->spec, SPEC_NS_NETWORK);
        if (net && net->path) {
                struct stat sb;
                if (stat(net->path, &sb) < 0)
                        return err_errno(err, neg_errno(), "network namespace %s", net->path);
                criu_argv_add(a, "--external=net[%lu]:%s", (unsigned long)sb.st_ino, EXT_NETNS);
        }
        return 0;
}

int checkpoint_dump(const struct checkpoint_opts *o, struct err *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_(state_freep) struct state *st = NULL;
        _cleanup_(ck_done) struct ck c = { .o = o };
        struct criu_argv a = { 0 };
        int r = state_validate_id(o->id, err);
        if (r < 0 || (r = state_dir_open(o->root, o->id, true, &fd, err)) < 0)
                return r;
        if ((r = state_read(fd, &st, err)) < 0)
                return err_wrap(err, "checkpoint: container %s", o->id);
        enum container_status s = state_status(fd, st);
        if (s != STATUS_RUNNING)
                return err_set(err, -EINVAL, "checkpoint %s: container is %s, not running", o->id,
                               state_status_name(s));
        if ((r = container_open_bundle(st->bundle, &c.spec, &c.bundle, &c.rootfs, err)) < 0 ||
            (r = ck_supported(c.spec, "checkpoint", o->id, err)) < 0 || (r = ck_paths(&c, false, err)) < 0 ||
            (r = ck_write_descriptors(&c, st->pid, err)) < 0 || (r = dump_args(&c, st, &a, err)) < 0)
                goto out;
        r = criu_run(&(struct criu_run){ .argv = &a, .log_path = c.log, .what = o->pre_dump ? "pre-dump" : "dump" },
                     err);
        if (r < 0) {
                r = ck_explain(r, "checkpoint", o->id, err);
                goto out;
        }
        closep(&fd); /* delete takes the lock itself */
        fd = -1;
        /* as runc: a container dumped without --leave-running is gone; restore recreates it */
        if (!o->leave_running && !o->pre_dump && (r = container_delete(o->root, o->id, true, err)) < 0)
                err_wrap(err, "checkpoint %s: dumped, but", o->id);
out:
        criu_argv_done(&a);
        return r;
}

/* ---- restore ---- */

/* Everything restore creates, undone in reverse when it fails. */
struct rst {
        struct ck c;
        int state_fd;
        struct cgroup *cg;
        char *criu_root;       /* absolute; bound while criu runs */
        bool bound;
        int keep[4];           /* stdio copies and a joined netns, for --inherit-fd */
        size_t n_keep;
        pid_t pid;
        struct state st;
};

static void rst_done(struct rst *r)
{
        ck_done(&r->c);
        closep(&r->state_fd);
        cgroup_free(r->cg);
        free(r->criu_root);
        for (size_t i = 0; i < r->n_keep; i++)
                closep(&r->keep[i]);
        free(r->st.created);
        free(r->st.cgroup_path);
        json_object_put(r->st.annotations);
        json_object_put(r->st.hooks);
}

static void rst_unbind(struct rst *r)
{
        if (r->bound && umount2(r->criu_root, MNT_DETACH) < 0)
                fprintf(stderr, "restore: unmount %s: %s\n", r->criu_root, strerror(errno));
        r->bound = false;
        if (r->criu_root)
                unlinkat(r->state_fd, CRIU_ROOT, AT_REMOVEDIR);
}

static void rst_undo(struct rst *r, const char *root, const char *id)
{
        struct err e = { 0 };
        rst_unbind(r);
        if (r->pid > 0)
                kill(r->pid, SIGKILL);
        if (r->cg && cgroup_destroy(r->cg, &e) < 0)
                fprintf(stderr, "restore: %s\n", e.msg);
        if (r->state_fd >= 0 && state_dir_remove(root, id, &e) < 0)
                fprintf(stderr, "restore: %s\n", e.msg);
}

/* criu pivots into --root: the rootfs bound on STATE/criu-root. It keeps the host's
 * propagation: criu copies the sharing of the dumped root (a slave of the host's) from it. */
static int rst_bind_root(struct rst *r, const char *root, const char *id, struct err *err)
{
        if (asprintf(&r->criu_root, "%s/%s/%s", root, id, CRIU_ROOT) < 0) {
                r->criu_root = NULL;
                return err_errno(err, -ENOMEM, "criu root");
        }
        if (mkdirat(r->state_fd, CRIU_ROOT, 0700) < 0)
                return err_errno(err, neg_errno(), "mkdir %s", r->criu_root);
        if (mount(r->c.rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return err_errno(err, neg_errno(), "bind %s on %s", r->c.rootfs, r->criu_root);
        r->bound = true;
        return 0;
}

/* An fd criu inherits as the resource `key` ("pipe:[1234]", extRootNetNS). */
static int rst_inherit(struct rst *r, struct criu_argv *a, int fd, const char *key, struct err *err)
{
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        if (copy < 0)
                return err_errno(err, neg_errno(), "inherit %s", key);
        r->keep[r->n_keep++] = copy;
        criu_argv_add(a, "--inherit-fd=fd[%d]:%s", copy, key);
        return 0;
}

/* Our own stdio replaces the container's where it had pipes (as runc: the new caller,
 * a shim or a terminal's pipes, takes the place of the old one). */
static int rst_stdio_args(struct rst *r, struct criu_argv *a, struct err *err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        if (asprintf(&path, "%s/%s", r->c.img, DESCRIPTORS) < 0)
                return err_errno(err, -ENOMEM, "descriptors");
        int ret = read_file_at(AT_FDCWD, path, &text, &len);
        if (ret == -ENOENT)
                return 0; /* a checkpoint made by plain criu */
        if (ret < 0)
                return err_errno(err, ret, "read %s", path);
        json_object *arr = json_tokener_parse(text);
        for (int fd = 0; ret >= 0 && fd < 3 && json_object_is_type(arr, json_type_array) &&
                         (size_t)fd < json_object_array_length(arr);
             fd++) {
                const char *key = json_object_get_string(json_object_array_get_idx(arr, fd));
                if (key && !strncmp(key, "pipe:", 5))
                        ret = rst_inherit(r, a, fd, key, err);
        }
        json_object_put(arr);
        return ret;
}

static int rst_args(struct rst *r, const char *root, const char *id, struct criu_argv *a, struct err *err)
{
        criu_argv_add(a, "criu");
        criu_argv_add(a, "restore");
        ck_common_args(&r->c, a);
        ck_mount_args(&r->c, true, a);
        criu_argv_add(a, "--root=%s", r->criu_root);
        criu_argv_add(a, "--restore-detached");
        criu_argv_add(a, "--restore-sibling"); /* the init becomes our child */
        criu_argv_add(a, "--pidfile=%s/%s/%s", root, id, CRIU_PIDFILE);
        if (r->st.cgroup_path)
                criu_argv_add(a, "--cgroup-root=%s", r->st.cgroup_path);
        const struct spec_namespace *net = spec_namespace_find(r->c.spec, SPEC_NS_NETWORK);
        if (net && net->path) {
                _cleanup_close_ int nfd = open(net->path, O_RDONLY | O_CLOEXEC);
                int ret = nfd < 0 ? err_errno(err, neg_errno(), "network namespace %s", net->path)
                                  : rst_inherit(r, a, nfd, EXT_NETNS, err);
                if (ret < 0)
                        return ret;
        }
        return rst_stdio_args(r, a, err);
}

/* The restored init's pid, and the state that makes it a container again. */
static int rst_record(struct rst *r, const char *id, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int ret = read_file_at(r->state_fd, CRIU_PIDFILE, &text, &len);
        if (ret < 0)
                return err_errno(err, ret, "read criu's pid file");
        r->pid = (pid_t)strtol(text, NULL, 10);
        unlinkat(r->state_fd, CRIU_PIDFILE, 0);
        if (r->pid <= 0)
                return err_set(err, -EIO, "criu's pid file: bad pid \"%s\"", text);
        r->st.id = (char *)id;
        r->st.pid = r->pid;
        r->st.bundle = r->c.bundle;
        r->st.rootfs = r->c.rootfs;
        if ((ret = state_pid_start_time(r->pid, &r->st.start_time)) < 0)
                return err_errno(err, ret, "restored init %d vanished", (int)r->pid);
        if ((ret = container_state_fill(&r->st, r->c.spec, err)) < 0 ||
            (ret = state_write(r->state_fd, &r->st, err)) < 0)
                return ret;
        if (r->c.o->pid_file)
                return process_write_pid_file(r->c.o->pid_file, r->pid, err);
        return 0;
}

/* Plan, then the system: state dir, cgroup, bound root, criu, state. */
static int rst_execute(struct rst *r, const char *root, const char *id, struct err *err)
{
        struct criu_argv a = { 0 };
        int ret = state_dir_create(root, id, &r->state_fd, err);
        if (ret < 0)
                return ret;
        if ((ret = container_make_cgroup(r->c.spec, id, &r->cg, &r->st.cgroup_path, err)) < 0 ||
            (ret = rst_bind_root(r, root, id, err)) < 0 || (ret = rst_args(r, root, id, &a, err)) < 0)
                goto out;
        ret = criu_run(&(struct criu_run){ .argv = &a, .cgroup = r->cg, .keep_fds = r->keep,
                                           .n_keep_fds = r->n_keep, .log_path = r->c.log, .what = "restore" },
                       err);
        rst_unbind(r);
        if (ret < 0)
                ret = ck_explain(ret, "restore", id, err);
        else
                ret = rst_record(r, id, err);
out:
        criu_argv_done(&a);
        return ret;
}

int checkpoint_restore(const struct checkpoint_opts *o, int *ret_exit_code, struct err *err)
{
        struct rst r = { .c = { .o = o }, .state_fd = -1 };
        *ret_exit_code = 1;
        int ret = state_validate_id(o->id, err);
        if (ret < 0)
                return ret;
        _cleanup_close_ int fd = -1;
        if (state_dir_open(o->root, o->id, false, &fd, &(struct err){ 0 }) >= 0)
                return err_set(err, -EEXIST, "restore %s: container already exists", o->id);
        sigset_t set, old;
        process_forwarded_signals(&set);
        /* foreground: block first, so that no signal for the init is lost before the wait */
        if (!o->detach && sigprocmask(SIG_BLOCK, &set, &old) < 0)
                return err_errno(err, neg_errno(), "restore %s: block signals", o->id);
        if ((ret = container_open_bundle(o->bundle, &r.c.spec, &r.c.bundle, &r.c.rootfs, err)) < 0 ||
            (ret = ck_supported(r.c.spec, "restore", o->id, err)) < 0 || (ret = ck_paths(&r.c, true, err)) < 0)
                ret = err_wrap(err, "restore %s", o->id);
        else if ((ret = rst_execute(&r, o->root, o->id, err)) < 0)
                rst_undo(&r, o->root, o->id);
        pid_t pid = r.pid;
        rst_done(&r);
        if (ret >= 0 && !o->detach) {
                ret = process_wait_forwarding(pid, &set, ret_exit_code, err);
                struct err derr = { 0 };
                if (container_delete(o->root, o->id, true, &derr) < 0 && ret >= 0)
                        ret = err_set(err, derr.code, "%s", derr.msg);
        } else if (ret >= 0) {
                *ret_exit_code = 0;
        }
        if (!o->detach)
                sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
