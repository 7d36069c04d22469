/* manage.c: pause, resume, update, ps and statistics of an existing container. Each
 * loads the container's state, checks its status, and acts on its cgroup. */
#include "oci/manage.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/state.h"
#include "util/cleanup.h"

#define PS_OUTPUT_MAX (16u << 20)

extern char **environ;

struct container_watch {
        int dirfd;
        struct state *st;
        enum container_status status;
        struct cgroup *cg;
};

void container_watch_free(struct container_watch *w)
{
        if (!w)
                return;
        closep(&w->dirfd);
        state_free(w->st);
        cgroup_free(w->cg);
        free(w);
}

static void watch_freep(struct container_watch **w)
{
        container_watch_free(*w);
}

/* Loads ROOT/ID (locked when lock), its status and its cgroup. */
static int watch_load(const char *root, const char *id, bool lock, struct container_watch **ret,
                      struct err *err)
{
        int r = state_validate_id(id, err);
        if (r < 0)
                return r;
        _cleanup_(watch_freep) struct container_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return err_set(err, -ENOMEM, "out of memory");
        w->dirfd = -1;
        if ((r = state_dir_open(root, id, lock, &w->dirfd, err)) < 0)
                return r;
        if ((r = state_read(w->dirfd, &w->st, err)) < 0)
                return err_wrap(err, "container %s", id);
        w->status = state_status(w->dirfd, w->st);
        if (!w->st->cgroup_path)
                return err_set(err, -ENOENT, "container %s has no cgroup", id);
        if ((r = cgroup_open(w->st->cgroup_path, &w->cg, err)) < 0)
                return err_wrap(err, "container %s", id);
        *ret = TAKE_PTR(w);
        return 0;
}

int container_watch_open(const char *root, const char *id, struct container_watch **ret,
                         struct err *err)
{
        struct container_watch *w;
        int r = watch_load(root, id, false, &w, err);
        if (r < 0)
                return r;
        if (w->status == STATUS_STOPPED) {
                container_watch_free(w);
                return err_set(err, -ESRCH, "container %s is not running", id);
        }
        *ret = w;
        return 0;
}

bool container_watch_alive(const struct container_watch *w)
{
        return state_pid_alive(w->st);
}

int container_watch_stats(struct container_watch *w, struct cgroup_stats *ret, struct err *err)
{
        int r = cgroup_stats(w->cg, ret, err);
        return r < 0 ? err_wrap(err, "container %s: stats", w->st->id) : 0;
}

int container_watch_oom_kills(struct container_watch *w, uint64_t *ret, struct err *err)
{
        int r = cgroup_oom_kills(w->cg, ret, err);
        return r < 0 ? err_wrap(err, "container %s", w->st->id) : 0;
}

int container_pause(const char *root, const char *id, struct err *err)
{
        _cleanup_(watch_freep) struct container_watch *w = NULL;
        int r = watch_load(root, id, true, &w, err);
        if (r < 0)
                return r;
        if (w->status == STATUS_PAUSED)
                return err_set(err, -EINVAL, "container %s is already paused", id);
        if (w->status != STATUS_RUNNING)
                return err_set(err, -EINVAL, "container %s is not running (%s)", id,
                               state_status_name(w->status));
        r = cgroup_freeze(w->cg, true, err);
        return r < 0 ? err_wrap(err, "pause %s", id) : 0;
}

int container_resume(const char *root, const char *id, struct err *err)
{
        _cleanup_(watch_freep) struct container_watch *w = NULL;
        int r = watch_load(root, id, true, &w, err);
        if (r < 0)
                return r;
        if (w->status != STATUS_PAUSED)
                return err_set(err, -EINVAL, "container %s is not paused (%s)", id,
                               state_status_name(w->status));
        r = cgroup_freeze(w->cg, false, err);
        return r < 0 ? err_wrap(err, "resume %s", id) : 0;
}

int container_update(const char *root, const char *id, const struct spec_resources *res,
                     struct err *err)
{
        _cleanup_(watch_freep) struct container_watch *w = NULL;
        int r = watch_load(root, id, true, &w, err);
        if (r < 0)
                return r;
        if (w->status == STATUS_STOPPED)
                return err_set(err, -EINVAL, "container %s is not running (stopped)", id);
        /* the rules in force include the default devices; a partial list would drop them */
        if (res->n_devices > 0)
                return err_set(err, -ENOTSUP, "update %s: device rules cannot be changed by update",
                               id);
        r = cgroup_update(w->cg, res, err);
        return r < 0 ? err_wrap(err, "update %s", id) : 0;
}

int container_ps(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct err *err)
{
        _cleanup_(watch_freep) struct container_watch *w = NULL;
        int r = watch_load(root, id, false, &w, err);
        if (r < 0)
                return r;
        if (w->status == STATUS_STOPPED)
                return err_set(err, -EINVAL, "container %s is not running (stopped)", id);
        r = cgroup_pids(w->cg, ret, ret_n, err);
        return r < 0 ? err_wrap(err, "ps %s", id) : 0;
}

/* ---- ps as a table ---- */

/* Index of the "PID" column in the header line; -1 when there is none. */
static int pid_column(const char *header, size_t len)
{
        int col = 0;
        for (size_t i = 0; i < len;) {
                i += strspn(header + i, " \t");
                size_t w = strcspn(header + i, " \t\n");
                if (w == 0)
                        break;
                if (w == 3 && !strncmp(header + i, "PID", 3))
                        return col;
                col++;
                i += w;
        }
        return -1;
}

static bool line_has_pid(const char *line, size_t len, int col, const pid_t *pids, size_t n)
{
        size_t i = 0;
        for (int c = 0; i < len; c++) {
                i += strspn(line + i, " \t");
                size_t w = strcspn(line + i, " \t\n");
                if (w == 0 || i >= len)
                        return false;
                if (c == col) {
                        char buf[16];
                        if (w >= sizeof(buf))
                                return false;
                        memcpy(buf, line + i, w);
                        buf[w] = '\0';
                        char *end;
                        long pid = strtol(buf, &end, 10);
                        for (size_t k = 0; *end == '\0' && k < n; k++)
                                if (pids[k] == pid)
                                        return true;
                        return false;
                }
                i += w;
        }
        return false;
}

int manage_ps_filter(const char *text, const pid_t *pids, size_t n, char **ret, struct err *err)
{
        size_t hlen = strcspn(text, "\n");
        int col = pid_column(text, hlen);
        if (col < 0)
                return err_set(err, -EINVAL, "ps: no PID column in the output's header");
        _cleanup_free_ char *out = malloc(strlen(text) + 2);
        if (!out)
                return err_set(err, -ENOMEM, "out of memory");
        size_t used = 0;
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                if (p == text || line_has_pid(p, len, col, pids, n)) {
                        memcpy(out + used, p, len);
                        used += len;
                        out[used++] = '\n';
                }
                p += len;
                if (*p)
                        p++;
        }
        out[used] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static int read_fd_all(int fd, char **ret, struct err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (len + 4096 + 1 > cap) {
                        if (cap >= PS_OUTPUT_MAX)
                                return err_set(err, -EFBIG, "ps: output too large");
                        cap = cap ? cap * 2 : 16384;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return err_set(err, -ENOMEM, "out of memory");
                        buf = nb;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return err_errno(err, neg_errno(), "read ps output");
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Runs ps with args; its stdout in *ret. */
static int run_ps(char *const *ps_args, char **ret, struct err *err)
{
        char *argv[256] = { (char *)"ps" };
        size_t n = 1;
        for (; ps_args && ps_args[n - 1]; n++)
                if (n + 1 >= ARRAY_SIZE(argv))
                        return err_set(err, -E2BIG, "ps: too many arguments");
                else
                        argv[n] = ps_args[n - 1];
        if (n == 1)
                argv[n++] = (char *)"-ef";
        argv[n] = NULL;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "pipe");
        _cleanup_close_ int rd = p[0], wr = p[1];
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, wr, STDOUT_FILENO);
        pid_t pid;
        int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return err_errno(err, -r, "run ps");
        closep(&wr);
        wr = -EBADF;
        _cleanup_free_ char *out = NULL;
        int rr = read_fd_all(rd, &out, err);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (rr < 0)
                return rr;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return err_set(err, -EIO, "ps %s failed (status %d)", argv[1],
                               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        *ret = TAKE_PTR(out);
        return 0;
}

int container_ps_table(const char *root, const char *id, char *const *ps_args, char **ret,
                       struct err *err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = container_ps(root, id, &pids, &n, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *out = NULL;
        if ((r = run_ps(ps_args, &out, err)) < 0)
                return r;
        return manage_ps_filter(out, pids, n, ret, err);
}

/* ---- parsing sizes and durations ---- */

static const struct {
        char letter;
        int shift;
} size_units[] = { { 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 }, { 'p', 50 } };

int manage_parse_size(const char *s, int64_t *ret)
{
        if (!strcmp(s, "-1")) {
                *ret = -1;
                return 0;
        }
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0 || !isfinite(v) || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        int shift = 0;
        if (*end == ' ')
                end++;
        for (size_t i = 0; *end && i < ARRAY_SIZE(size_units); i++)
                if ((*end | 0x20) == size_units[i].letter) {
                        shift = size_units[i].shift;
                        end++;
                        if ((*end | 0x20) == 'i')
                                end++;
                        break;
                }
        if ((*end | 0x20) == 'b')
                end++;
        if (*end)
                return -EINVAL;
        double bytes = v * (double)(1ULL << shift);
        if (bytes >= 9.2e18)
                return -ERANGE;
        *ret = (int64_t)bytes;
        return 0;
}

static const struct {
        const char *unit;
        double ms;
} duration_units[] = {
        { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
        { "s", 1000 },  { "m", 60000 }, { "h", 3600000 },
};

int manage_parse_duration_ms(const char *s, uint64_t *ret)
{
        double total = 0;
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                if (end == s || v < 0 || !isfinite(v))
                        return -EINVAL;
                size_t best = 0;
                int which = -1;
                for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
                        size_t len = strlen(duration_units[i].unit);
                        if (!strncmp(end, duration_units[i].unit, len) && len > best) {
                                best = len;
                                which = (int)i;
                        }
                }
                if (which < 0)
                        return -EINVAL;
                total += v * duration_units[which].ms;
                s = end + best;
        }
        if (total > 1e12)
                return -ERANGE;
        *ret = (uint64_t)total;
        return 0;
}

/* ---- statistics as runc's events JSON ---- */

/* Go's `omitempty`: runc leaves zero numbers out of many fields. */
static void add_u64(json_object *o, const char *key, uint64_t v, bool omitempty)
{
        if (!omitempty || v)
                json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_u64_array(json_object *o, const char *key, const uint64_t *v, size_t n)
{
        if (n == 0)
                return;
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_object_new_uint64(v[i]));
        json_object_object_add(o, key, a);
}

static json_object *cpu_json(const struct cgroup_stats *s)
{
        json_object *cpu = json_object_new_object(), *u = json_object_new_object(),
                    *t = json_object_new_object();
        add_u64(u, "total", s->cpu.total, true);
        add_u64_array(u, "percpu", s->cpu.percpu, s->cpu.n_percpu);
        add_u64_array(u, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel);
        add_u64_array(u, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user);
        add_u64(u, "kernel", s->cpu.kernel, false);
        add_u64(u, "user", s->cpu.user, false);
        add_u64(t, "periods", s->cpu.periods, true);
        add_u64(t, "throttledPeriods", s->cpu.throttled_periods, true);
        add_u64(t, "throttledTime", s->cpu.throttled_time, true);
        json_object_object_add(cpu, "usage", u);
        json_object_object_add(cpu, "throttling", t);
        return cpu;
}

static json_object *mem_entry_json(const struct cgroup_mem_entry *e)
{
        json_object *o = json_object_new_object();
        add_u64(o, "limit", e->limit, false);
        add_u64(o, "usage", e->usage, true);
        add_u64(o, "max", e->max, true);
        add_u64(o, "failcnt", e->failcnt, false);
        return o;
}

static json_object *memory_json(const struct cgroup_stats *s)
{
        json_object *m = json_object_new_object();
        add_u64(m, "cache", s->memory.cache, true);
        json_object_object_add(m, "usage", mem_entry_json(&s->memory.usage));
        json_object_object_add(m, "swap", mem_entry_json(&s->memory.swap));
        json_object_object_add(m, "kernel", mem_entry_json(&s->memory.kernel));
        json_object_object_add(m, "kernelTCP", mem_entry_json(&s->memory.kernel_tcp));
        if (s->memory.n_raw) {
                json_object *raw = json_object_new_object();
                for (size_t i = 0; i < s->memory.n_raw; i++)
                        add_u64(raw, s->memory.raw[i].key, s->memory.raw[i].value, false);
                json_object_object_add(m, "raw", raw);
        }
        return m;
}

static void add_blkio(json_object *o, const char *key, const struct cgroup_blkio_list *l)
{
        if (l->n == 0)
                return;
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < l->n; i++) {
                json_object *e = json_object_new_object();
                add_u64(e, "major", l->e[i].major, true);
                add_u64(e, "minor", l->e[i].minor, true);
                if (l->e[i].op[0])
                        json_object_object_add(e, "op", json_object_new_string(l->e[i].op));
                add_u64(e, "value", l->e[i].value, true);
                json_object_array_add(a, e);
        }
        json_object_object_add(o, key, a);
}

static json_object *stats_data_json(const struct cgroup_stats *s)
{
        json_object *d = json_object_new_object();
        json_object_object_add(d, "cpu", cpu_json(s));
        json_object_object_add(d, "memory", memory_json(s));
        json_object *pids = json_object_new_object();
        add_u64(pids, "current", s->pids.current, true);
        add_u64(pids, "limit", s->pids.limit, true);
        json_object_object_add(d, "pids", pids);
        json_object *blkio = json_object_new_object();
        add_blkio(blkio, "ioServiceBytesRecursive", &s->blkio.service_bytes);
        add_blkio(blkio, "ioServicedRecursive", &s->blkio.serviced);
        json_object_object_add(d, "blkio", blkio);
        json_object *huge = json_object_new_object();
        for (size_t i = 0; i < s->n_hugetlb; i++) {
                json_object *h = json_object_new_object();
                add_u64(h, "usage", s->hugetlb[i].usage, true);
                add_u64(h, "max", s->hugetlb[i].max, true);
                add_u64(h, "failcnt", s->hugetlb[i].failcnt, false);
                json_object_object_add(huge, s->hugetlb[i].size, h);
        }
        json_object_object_add(d, "hugetlb", huge);
        return d;
}

static char *event_json(const char *type, const char *id, json_object *data)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "id", json_object_new_string(id));
        if (data)
                json_object_object_add(o, "data", data);
        char *out = strdup(json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return out;
}

char *container_stats_event_json(const char *id, const struct cgroup_stats *s)
{
        return event_json("stats", id, stats_data_json(s));
}

char *container_event_json(const char *type, const char *id)
{
        return event_json(type, id, NULL);
}
