/* control.c: start, stop, kill, wait, exec, inspect and logs of engine containers. The
 * runtime library does the work; the monitor (monitor.h) owns a detached container. */
#include "engine/control.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/bundle.h"
#include "engine/monitor.h"
#include "engine/network.h"
#include "engine/record.h"
#include "oci/container.h"
#include "oci/exec.h"
#include "oci/manage.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/signals.h"

/* A container by ref: its id, dir and record. */
struct ctr {
        char *id, *dir;
        json_object *rec;
};

static void ctr_done(struct ctr *c)
{
        free(c->id);
        free(c->dir);
        record_putp(&c->rec);
}
#define _cleanup_ctr_ _cleanup_(ctr_done)

static int ctr_open(const struct engine *e, const char *ref, struct ctr *c, struct err *err)
{
        int r = record_lookup(e, ref, &c->id, err);
        if (r < 0)
                return r;
        if (engine_dir(e, c->id, &c->dir) < 0)
                return err_errno(err, -ENOMEM, "%s", ref);
        if ((r = record_read(c->dir, &c->rec)) < 0)
                return err_errno(err, r, "read the record of %.12s", c->id);
        return 0;
}

/* The runtime's status of the container ("running", "paused", ...), or NULL when it has none. */
static char *runtime_status(const struct engine *e, const char *id, pid_t *ret_pid)
{
        _cleanup_free_ char *text = NULL;
        if (container_state(e->runtime_root, id, &text, &(struct err){ 0 }) < 0)
                return NULL;
        _cleanup_json_ json_object *st = json_tokener_parse(text);
        const char *s = st ? record_str(st, "status") : NULL;
        if (ret_pid)
                *ret_pid = st ? record_int(st, "pid", 0) : 0;
        return s ? strdup(s) : NULL;
}

static bool is_running(const struct engine *e, const char *id)
{
        _cleanup_free_ char *s = runtime_status(e, id, NULL);
        return s && (!strcmp(s, "running") || !strcmp(s, "paused"));
}

int engine_start(const struct engine *e, const char *ref, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        if (monitor_alive(c.dir) || is_running(e, c.id))
                return err_set(err, -EBUSY, "container %.12s is already running", c.id);
        const char *digest = record_str(c.rec, "image_digest");
        if (!digest)
                return err_set(err, -EBADMSG, "container %.12s: its record names no image", c.id);
        /* a foreground run's container left its state behind only if staple was killed */
        container_delete(e->runtime_root, c.id, true, &(struct err){ 0 });
        if ((r = engine_remount(e, c.dir, digest, err)) < 0)
                return err_wrap(err, "start %.12s", c.id);
        return monitor_spawn(e, c.id, c.dir, err);
}

/* The image's StopSignal from the bundle's annotations; SIGTERM without one. */
static int stop_signal(const char *dir)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        if (asprintf(&path, "%s/config.json", dir) < 0 || read_file_at(AT_FDCWD, path, &text, NULL) < 0)
                return SIGTERM;
        _cleanup_json_ json_object *cfg = json_tokener_parse(text);
        json_object *ann = NULL;
        const char *s = cfg && json_object_object_get_ex(cfg, "annotations", &ann)
                                ? record_str(ann, ANNOTATION_STOP_SIGNAL)
                                : NULL;
        int sig = s ? signal_parse(s) : -1;
        return sig > 0 ? sig : SIGTERM;
}

/* Polls until the container's init is gone (or timeout_ms passes); true when gone. */
static bool wait_gone(const struct engine *e, const char *id, long timeout_ms)
{
        for (; timeout_ms > 0; timeout_ms -= 50) {
                if (!is_running(e, id))
                        return true;
                nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
        }
        return !is_running(e, id);
}

int engine_stop(const struct engine *e, const char *ref, unsigned int timeout_s, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        bool monitored = monitor_alive(c.dir);
        if (monitored && (r = monitor_request_stop(c.dir, err)) < 0)
                return r;
        if (is_running(e, c.id)) {
                struct err kerr = { 0 };
                if (container_kill(e->runtime_root, c.id, stop_signal(c.dir), false, &kerr) < 0 ||
                    !wait_gone(e, c.id, (long)timeout_s * 1000))
                        container_kill(e->runtime_root, c.id, SIGKILL, true, &kerr);
        }
        if (monitored)
                return monitor_wait(c.dir, err);
        /* a foreground run: its staple deletes the state once the init is reaped */
        if (!wait_gone(e, c.id, 10000))
                return err_set(err, -ETIMEDOUT, "stop %.12s: still running after SIGKILL", c.id);
        return 0;
}

static int ctr_open_running(const struct engine *e, const char *ref, struct ctr *c, struct err *err)
{
        int r = ctr_open(e, ref, c, err);
        if (r >= 0 && !is_running(e, c->id))
                r = err_set(err, -ESRCH, "container %.12s is not running", c->id);
        return r;
}

int engine_kill(const struct engine *e, const char *ref, int sig, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open_running(e, ref, &c, err);
        return r < 0 ? r : container_kill(e->runtime_root, c.id, sig, false, err);
}

int engine_pause(const struct engine *e, const char *ref, bool pause, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        return pause ? container_pause(e->runtime_root, c.id, err) : container_resume(e->runtime_root, c.id, err);
}

int engine_top(const struct engine *e, const char *ref, char *const *ps_args, char **ret, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open_running(e, ref, &c, err);
        return r < 0 ? r : container_ps_table(e->runtime_root, c.id, ps_args, ret, err);
}

int engine_wait(const struct engine *e, const char *ref, int *ret_code, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        if ((r = monitor_wait(c.dir, err)) < 0)
                return r;
        if (!wait_gone(e, c.id, LONG_MAX))
                return err_set(err, -EIO, "wait %.12s", c.id);
        record_putp(&c.rec);
        if ((r = record_read(c.dir, &c.rec)) < 0)
                return err_set(err, r, "container %.12s was removed when it ended (--rm)", c.id);
        *ret_code = record_int(c.rec, "exit_code", -1);
        return 0;
}

static size_t strv_len(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* Runs x->cmd with stdin from /dev/null unless interactive (fd 0 restored afterwards). */
static int exec_with_stdin(const struct exec_opts *o, bool interactive, int *ret_code, struct err *err)
{
        if (interactive)
                return exec_process(o, ret_code, err);
        _cleanup_close_ int saved = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        _cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0)
                return err_errno(err, neg_errno(), "exec: stdin from /dev/null");
        int r = exec_process(o, ret_code, err);
        if (saved >= 0)
                dup2(saved, STDIN_FILENO);
        else
                close(STDIN_FILENO);
        return r;
}

int engine_exec(const struct engine *e, const char *ref, const struct engine_exec *x, int *ret_code,
                struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open_running(e, ref, &c, err);
        if (r < 0)
                return r;
        struct exec_opts o = { .root = e->runtime_root, .id = c.id, .args = x->cmd, .tty = -1,
                               .cwd = x->workdir, .env = x->env, .n_env = strv_len(x->env) };
        if (x->user && *x->user) {
                _cleanup_free_ char *rootfs = NULL;
                if (asprintf(&rootfs, "%s/rootfs", c.dir) < 0)
                        return err_errno(err, -ENOMEM, "exec %.12s", c.id);
                if ((r = bundle_user_ids(rootfs, x->user, &o.uid, &o.gid, err)) < 0)
                        return err_wrap(err, "exec %.12s", c.id);
                o.has_user = o.has_gid = true;
        }
        return exec_with_stdin(&o, x->interactive, ret_code, err);
}

static const char *live_status(const struct engine *e, const struct ctr *c, pid_t *ret_pid)
{
        _cleanup_free_ char *s = runtime_status(e, c->id, ret_pid);
        const char *rec = record_str(c->rec, "status");
        if (s && (!strcmp(s, "running") || !strcmp(s, "paused")))
                return !strcmp(s, "running") ? "running" : "paused";
        *ret_pid = 0;
        if (rec && (!strcmp(rec, "running") || !strcmp(rec, "restarting")) && !monitor_alive(c->dir))
                return "exited"; /* its monitor was killed */
        return rec ? rec : "created";
}

static void add_str(json_object *o, const char *key, const char *val)
{
        json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

/* State.Health as docker shows it, when the container has a check. */
static void add_health(json_object *st, json_object *rec)
{
        json_object *cfg = NULL, *log = NULL;
        if (!json_object_object_get_ex(rec, "health", &cfg))
                return;
        json_object *h = json_object_new_object();
        const char *status = record_str(rec, "health_status");
        add_str(h, "Status", status ? status : "starting");
        json_object_object_add(h, "FailingStreak", json_object_new_int(record_int(rec, "health_failing_streak", 0)));
        json_object_object_add(h, "Log", json_object_object_get_ex(rec, "health_log", &log)
                                                 ? json_object_get(log)
                                                 : json_object_new_array());
        json_object_object_add(st, "Health", h);
}

/* NetworkSettings: the mode, the -p mappings and, while it runs, a bridged address. */
static void add_network(json_object *o, json_object *rec, bool running)
{
        json_object *net = NULL, *ports = NULL, *ns = json_object_new_object();
        json_object_object_get_ex(rec, "network", &net);
        add_str(ns, "NetworkMode", network_mode(net));
        add_str(ns, "IPAddress", running ? record_str(rec, "ip_address") : "");
        json_object_object_add(ns, "Ports", net && json_object_object_get_ex(net, "ports", &ports)
                                                    ? json_object_get(ports)
                                                    : json_object_new_array());
        json_object_object_add(o, "NetworkSettings", ns);
}

int engine_inspect(const struct engine *e, const char *ref, json_object **ret, struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        pid_t pid = 0;
        const char *status = live_status(e, &c, &pid);
        json_object *o = json_object_new_object(), *st = json_object_new_object(),
                    *hc = json_object_new_object(), *rp = json_object_new_object();
        add_str(o, "Id", c.id);
        add_str(o, "Name", record_str(c.rec, "name"));
        add_str(o, "Image", record_str(c.rec, "image"));
        add_str(o, "ImageDigest", record_str(c.rec, "image_digest"));
        add_str(o, "Created", record_str(c.rec, "created"));
        json_object *labels = NULL, *cfg = json_object_new_object();
        json_object_object_add(cfg, "Labels", json_object_object_get_ex(c.rec, "labels", &labels)
                                                      ? json_object_get(labels)
                                                      : json_object_new_object());
        json_object_object_add(o, "Config", cfg);
        json_object_object_add(o, "RestartCount", json_object_new_int(record_int(c.rec, "restart_count", 0)));
        add_str(st, "Status", status);
        json_object_object_add(st, "Running", json_object_new_boolean(!strcmp(status, "running")));
        json_object_object_add(st, "Paused", json_object_new_boolean(!strcmp(status, "paused")));
        json_object_object_add(st, "Pid", json_object_new_int(pid));
        json_object_object_add(st, "ExitCode", json_object_new_int(record_int(c.rec, "exit_code", 0)));
        add_str(st, "StartedAt", record_str(c.rec, "started_at"));
        add_str(st, "FinishedAt", record_str(c.rec, "finished_at"));
        add_health(st, c.rec);
        json_object_object_add(o, "State", st);
        const char *policy = record_str(c.rec, "restart_policy");
        add_str(rp, "Name", policy ? policy : "no");
        json_object_object_add(rp, "MaximumRetryCount", json_object_new_int(record_int(c.rec, "restart_max", 0)));
        json_object_object_add(hc, "RestartPolicy", rp);
        json_object_object_add(hc, "AutoRemove", json_object_new_boolean(record_int(c.rec, "auto_remove", 0)));
        json_object_object_add(o, "HostConfig", hc);
        add_network(o, c.rec, !strcmp(status, "running") || !strcmp(status, "paused"));
        _cleanup_free_ char *log = NULL;
        if (asprintf(&log, "%s/" MONITOR_LOG_FILE, c.dir) >= 0)
                add_str(o, "LogPath", log);
        *ret = o;
        return 0;
}

static bool monitor_gone(void *dir)
{
        return !monitor_alive(dir);
}

int engine_logs(const struct engine *e, const char *ref, struct logs_opts *o, int out_fd, int err_fd,
                struct err *err)
{
        _cleanup_ctr_ struct ctr c = { 0 };
        int r = ctr_open(e, ref, &c, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" MONITOR_LOG_FILE, c.dir) < 0)
                return err_errno(err, -ENOMEM, "logs %.12s", c.id);
        o->done = monitor_gone;
        o->u = c.dir;
        return logs_print(path, o, out_fd, err_fd, err);
}
