/* health.c: health checks: their configuration from the image and the flags, and the
 * monitor's scheduling, running and recording of them. See health.h. */
#include "engine/health.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/record.h"
#include "oci/exec.h"
#include "oci/manage.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define HEALTH_OUT_FILE "health.out"
#define DEFAULT_INTERVAL_MS 30000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_RETRIES 3
#define KILL_GRACE_MS 1000

int64_t health_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

/* The image's Test: ["CMD", args...], ["CMD-SHELL", cmd] or ["NONE"] -> argv (NULL: none). */
static json_object *image_test(json_object *hc)
{
        json_object *t = NULL;
        if (!hc || !json_object_object_get_ex(hc, "Test", &t) || !json_object_is_type(t, json_type_array) ||
            json_object_array_length(t) < 2)
                return NULL;
        const char *kind = json_object_get_string(json_object_array_get_idx(t, 0));
        json_object *argv = json_object_new_array();
        if (kind && !strcmp(kind, "CMD-SHELL")) {
                json_object_array_add(argv, json_object_new_string("/bin/sh"));
                json_object_array_add(argv, json_object_new_string("-c"));
        } else if (!kind || strcmp(kind, "CMD")) {
                json_object_put(argv);
                return NULL;
        }
        for (size_t i = 1; i < json_object_array_length(t); i++)
                json_object_array_add(argv, json_object_new_string(
                                                    json_object_get_string(json_object_array_get_idx(t, i)) ?: ""));
        return argv;
}

/* A flag's duration, else the image's (nanoseconds; 0 = unset), else def. */
static int duration(const char *flag, const char *name, json_object *hc, const char *key, int64_t def,
                    int64_t *ret, struct err *err)
{
        uint64_t ms;
        json_object *v = NULL;
        if (flag) {
                if (manage_parse_duration_ms(flag, &ms) < 0 || (ms == 0 && strcmp(name, "--health-start-period")))
                        return err_set(err, -EINVAL, "invalid %s \"%s\": a duration such as 30s or 500ms", name, flag);
                *ret = (int64_t)ms;
        } else if (hc && json_object_object_get_ex(hc, key, &v) && json_object_get_int64(v) > 0) {
                *ret = json_object_get_int64(v) / 1000000;
        } else {
                *ret = def;
        }
        return 0;
}

static int retries(const struct health_opts *o, json_object *hc, int *ret, struct err *err)
{
        json_object *v = NULL;
        *ret = DEFAULT_RETRIES;
        if (o->retries) {
                char *end = NULL;
                long n = strtol(o->retries, &end, 10);
                if (!*o->retries || *end || n < 1 || n > 1000000)
                        return err_set(err, -EINVAL, "invalid --health-retries \"%s\": a number from 1", o->retries);
                *ret = (int)n;
        } else if (hc && json_object_object_get_ex(hc, "Retries", &v) && json_object_get_int(v) > 0) {
                *ret = json_object_get_int(v);
        }
        return 0;
}

int health_config(json_object *image_hc, const struct health_opts *o, json_object **ret, struct err *err)
{
        static const struct health_opts none = { 0 };
        if (!o)
                o = &none;
        *ret = NULL;
        bool flags = o->interval || o->timeout || o->start_period || o->retries;
        if (o->none && (o->cmd || flags))
                return err_set(err, -EINVAL, "--no-healthcheck conflicts with the other --health-* flags");
        json_object *test = o->none ? NULL : image_test(image_hc);
        if (o->cmd) {
                if (test)
                        json_object_put(test);
                test = json_object_new_array();
                json_object_array_add(test, json_object_new_string("/bin/sh"));
                json_object_array_add(test, json_object_new_string("-c"));
                json_object_array_add(test, json_object_new_string(o->cmd));
        }
        if (!test)
                return flags ? err_set(err, -EINVAL, "--health-* flags need --health-cmd or an image with a Healthcheck")
                             : 0;
        _cleanup_json_ json_object *cfg = json_object_new_object();
        json_object_object_add(cfg, "test", test);
        int64_t interval, timeout, start;
        int n;
        int r;
        if ((r = duration(o->interval, "--health-interval", image_hc, "Interval", DEFAULT_INTERVAL_MS, &interval, err)) < 0 ||
            (r = duration(o->timeout, "--health-timeout", image_hc, "Timeout", DEFAULT_TIMEOUT_MS, &timeout, err)) < 0 ||
            (r = duration(o->start_period, "--health-start-period", image_hc, "StartPeriod", 0, &start, err)) < 0 ||
            (r = retries(o, image_hc, &n, err)) < 0)
                return r;
        json_object_object_add(cfg, "interval_ms", json_object_new_int64(interval));
        json_object_object_add(cfg, "timeout_ms", json_object_new_int64(timeout));
        json_object_object_add(cfg, "start_period_ms", json_object_new_int64(start));
        json_object_object_add(cfg, "retries", json_object_new_int(n));
        *ret = TAKE_PTR(cfg);
        return 0;
}

/* ---- the monitor's side ---- */

static int64_t cfg_ms(json_object *cfg, const char *key)
{
        json_object *v = NULL;
        return json_object_object_get_ex(cfg, key, &v) ? json_object_get_int64(v) : 0;
}

int health_load(struct health *h, const char *dir, struct err *err)
{
        memset(h, 0, sizeof(*h));
        _cleanup_json_ json_object *rec = NULL;
        int r = record_read(dir, &rec);
        if (r < 0)
                return err_errno(err, r, "read the record of %s", dir);
        json_object *cfg = NULL, *test = NULL;
        if (!json_object_object_get_ex(rec, "health", &cfg) || !json_object_object_get_ex(cfg, "test", &test) ||
            !json_object_is_type(test, json_type_array) || json_object_array_length(test) == 0)
                return 0;
        size_t n = json_object_array_length(test);
        if (!(h->test = calloc(n + 1, sizeof(char *))))
                return err_errno(err, -ENOMEM, "health check");
        for (size_t i = 0; i < n; i++)
                if (!(h->test[i] = strdup(json_object_get_string(json_object_array_get_idx(test, i)) ?: "")))
                        return err_errno(err, -ENOMEM, "health check");
        h->interval_ms = cfg_ms(cfg, "interval_ms");
        h->timeout_ms = cfg_ms(cfg, "timeout_ms");
        h->start_period_ms = cfg_ms(cfg, "start_period_ms");
        h->retries = (int)cfg_ms(cfg, "retries");
        if (h->interval_ms <= 0 || h->timeout_ms <= 0 || h->retries <= 0)
                return err_set(err, -EBADMSG, "the record of %s: a bad health check", dir);
        return 0;
}

void health_free(struct health *h)
{
        strv_free(h->test);
        h->test = NULL;
        free(h->check_start);
        h->check_start = NULL;
}

/* Reads dir's record, lets fn change it, writes it back; errors are dropped (best effort:
 * a record we cannot write says less, the container goes on). */
static void record_edit(const char *dir, void (*fn)(json_object *rec, void *u), void *u)
{
        _cleanup_json_ json_object *rec = NULL;
        if (record_read(dir, &rec) < 0)
                return;
        fn(rec, u);
        record_write(dir, rec, &(struct err){ 0 });
}

static void set_starting(json_object *rec, void *u)
{
        (void)u;
        record_set_str(rec, "health_status", "starting");
        record_set_int(rec, "health_failing_streak", 0);
}

void health_reset(struct health *h, const char *dir, int64_t now_ms)
{
        if (!h->test)
                return;
        h->started_ms = now_ms;
        h->next_ms = now_ms + h->interval_ms;
        record_edit(dir, set_starting, NULL);
}

int health_wait_ms(const struct health *h, int64_t now_ms)
{
        if (!h->test)
                return -1;
        int64_t due = h->pid ? h->check_started_ms + h->timeout_ms + (int64_t)h->kills * KILL_GRACE_MS : h->next_ms;
        int64_t ms = due - now_ms;
        return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* The check's child: stdio to dir/health.out, the test exec'd into the container. */
static _Noreturn void run_check(const struct health *h, const char *runtime_root, const char *id, const char *dir)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" HEALTH_OUT_FILE, dir) < 0)
                _exit(126);
        int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (out < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(out, STDERR_FILENO) < 0)
                _exit(126);
        struct exec_opts o = { .root = runtime_root, .id = id, .args = h->test, .tty = -1 };
        struct err err = { 0 };
        int code = 126;
        if (exec_process(&o, &code, &err) < 0) {
                dprintf(STDERR_FILENO, "%s\n", err.msg);
                _exit(126);
        }
        _exit(code & 0xff);
}

void health_tick(struct health *h, const char *runtime_root, const char *id, const char *dir, int64_t now_ms)
{
        if (!h->test)
                return;
        if (h->pid) { /* past its timeout: TERM (exec forwards it), then KILL */
                if (now_ms >= h->check_started_ms + h->timeout_ms + (int64_t)h->kills * KILL_GRACE_MS)
                        kill(h->pid, h->kills++ ? SIGKILL : SIGTERM);
                return;
        }
        if (now_ms < h->next_ms)
                return;
        free(h->check_start);
        h->check_start = record_now();
        pid_t pid = fork();
        if (pid == 0)
                run_check(h, runtime_root, id, dir);
        h->next_ms = now_ms + h->interval_ms;
        if (pid < 0)
                return; /* tried again at the next interval */
        h->pid = pid;
        h->kills = 0;
        h->check_started_ms = now_ms;
}

struct result {
        const struct health *h;
        int code;
        const char *output, *start;
        bool in_start_period;
};

static void record_result(json_object *rec, void *u)
{
        const struct result *res = u;
        const char *status = record_str(rec, "health_status");
        int streak = record_int(rec, "health_failing_streak", 0);
        if (res->code == 0) {
                status = "healthy";
                streak = 0;
        } else if (!(res->in_start_period && status && !strcmp(status, "starting"))) {
                streak++;
                if (streak >= res->h->retries)
                        status = "unhealthy";
        }
        _cleanup_free_ char *end = record_now();
        json_object *entry = json_object_new_object();
        record_set_str(entry, "Start", res->start);
        record_set_str(entry, "End", end);
        record_set_int(entry, "ExitCode", res->code);
        record_set_str(entry, "Output", res->output);
        json_object *log = NULL;
        if (!json_object_object_get_ex(rec, "health_log", &log) || !json_object_is_type(log, json_type_array)) {
                log = json_object_new_array();
                json_object_object_add(rec, "health_log", log);
        }
        json_object_array_add(log, entry);
        size_t n = json_object_array_length(log);
        if (n > HEALTH_LOG_MAX)
                json_object_array_del_idx(log, 0, n - HEALTH_LOG_MAX);
        record_set_str(rec, "health_status", status ? status : "starting");
        record_set_int(rec, "health_failing_streak", streak);
}

/* The check's output, at most HEALTH_OUTPUT_MAX bytes of it. */
static char *check_output(const char *dir)
{
        _cleanup_free_ char *path = NULL;
        char buf[HEALTH_OUTPUT_MAX + 1];
        if (asprintf(&path, "%s/" HEALTH_OUT_FILE, dir) < 0)
                return NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n = fd < 0 ? 0 : read(fd, buf, HEALTH_OUTPUT_MAX);
        buf[n > 0 ? n : 0] = '\0';
        unlink(path);
        return strdup(buf);
}

bool health_reaped(struct health *h, pid_t pid, int status, const char *dir, int64_t now_ms)
{
        if (!h->test || !pid || pid != h->pid)
                return false;
        h->pid = 0;
        _cleanup_free_ char *out = check_output(dir), *msg = NULL;
        struct result res = { .h = h, .output = out, .start = h->check_start,
                              .in_start_period = now_ms - h->started_ms < h->start_period_ms };
        res.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (h->kills && asprintf(&msg, "the health check ran past its timeout of %lld ms",
                                 (long long)h->timeout_ms) >= 0) {
                res.code = -1;
                res.output = msg;
        }
        record_edit(dir, record_result, &res);
        return true;
}
