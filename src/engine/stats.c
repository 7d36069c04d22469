/* stats.c: docker-stats-like samples of engine containers. The numbers come from the
 * runtime library's cgroup statistics (oci/manage.h); this file only picks containers,
 * times the two readings and turns counters into rates and percentages:
 *   CPU %  = CPU time delta / wall-clock delta * 100 (100 = one full CPU, as docker)
 *   memory = usage - inactive file cache (v1 total_inactive_file, v2 inactive_file),
 *            over the limit in the container's config.json, else the host's RAM. */
#include "engine/stats.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "engine/record.h"
#include "oci/container.h"
#include "oci/manage.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

/* One container being sampled: its row and its first reading. */
struct sampler {
        struct container_watch *w; /* NULL: not running */
        uint64_t cpu0, t0;         /* CPU ns and monotonic ns of the first reading */
};

struct stat_list {
        const struct engine *e;
        struct engine_stat *v;
        struct sampler *s;
        size_t n;
};

void engine_stats_free(struct engine_stat *s, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                free(s[i].name);
        free(s);
}

static void stat_list_done(struct stat_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                container_watch_free(l->s[i].w);
        free(l->s);
        engine_stats_free(l->v, l->n);
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int stat_list_add(struct stat_list *l, const char *id, const char *name)
{
        struct engine_stat *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        l->v = v;
        struct sampler *s = realloc(l->s, (l->n + 1) * sizeof(*s));
        if (!s)
                return -ENOMEM;
        l->s = s;
        memset(&v[l->n], 0, sizeof(*v));
        memset(&s[l->n], 0, sizeof(*s));
        snprintf(v[l->n].id, sizeof(v[l->n].id), "%s", id);
        if (!(v[l->n].name = strdup(name && *name ? name : id)))
                return -ENOMEM;
        l->n++;
        return 0;
}

static int collect_one(const char *id, json_object *rec, void *u)
{
        return stat_list_add(u, id, record_str(rec, "name"));
}

static int collect_refs(struct stat_list *l, char **refs, size_t n, struct err *err)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *id = NULL, *dir = NULL;
                _cleanup_json_ json_object *rec = NULL;
                int r = record_lookup(l->e, refs[i], &id, err);
                if (r < 0)
                        return r;
                if (engine_dir(l->e, id, &dir) < 0)
                        return err_errno(err, -ENOMEM, "stats %s", refs[i]);
                if ((r = record_read(dir, &rec)) < 0)
                        return err_errno(err, r, "read the record of %s", dir);
                if (stat_list_add(l, id, record_str(rec, "name")) < 0)
                        return err_errno(err, -ENOMEM, "stats %s", refs[i]);
        }
        return 0;
}

/* Opens each container's cgroup and takes its first reading; a container that is not
 * running (no runtime state, stopped, its cgroup gone) keeps w NULL. */
static int sample_first(struct stat_list *l, struct cgroup_stats *cs, struct err *err)
{
        for (size_t i = 0; i < l->n; i++) {
                struct sampler *s = &l->s[i];
                struct err werr = { 0 };
                int r = container_watch_open(l->e->runtime_root, l->v[i].id, &s->w, &werr);
                if (r == -ENOENT || r == -ESRCH)
                        continue;
                if (r < 0)
                        return err_set(err, r, "stats %.12s: %s", l->v[i].id, werr.msg);
                if (container_watch_stats(s->w, cs, &werr) < 0) {
                        container_watch_free(TAKE_PTR(s->w)); /* gone meanwhile */
                        continue;
                }
                s->cpu0 = cs->cpu.total;
                s->t0 = now_ns();
        }
        return 0;
}

/* Drops the containers that are not running (the listing without names and without -a). */
static void keep_running(struct stat_list *l)
{
        size_t k = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (!l->s[i].w) {
                        free(l->v[i].name);
                        continue;
                }
                l->v[k] = l->v[i];
                l->s[k++] = l->s[i];
        }
        l->n = k;
}

static int wait_ms(unsigned interval_ms, struct err *err)
{
        struct timespec ts = { .tv_sec = interval_ms / 1000, .tv_nsec = (long)(interval_ms % 1000) * 1000000 };
        int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        if (r == EINTR)
                return err_set(err, -EINTR, "stats: interrupted");
        return r ? err_errno(err, -r, "stats: sleep") : 0;
}

static uint64_t raw_get(const struct cgroup_stats *cs, const char *key, bool *found)
{
        for (size_t i = 0; i < cs->memory.n_raw; i++)
                if (!strcmp(cs->memory.raw[i].key, key)) {
                        *found = true;
                        return cs->memory.raw[i].value;
                }
        return 0;
}

/* docker's "usage without the page cache that could be dropped". */
static uint64_t mem_usage(const struct cgroup_stats *cs)
{
        bool found = false;
        uint64_t inactive = raw_get(cs, "total_inactive_file", &found); /* v1, hierarchical */
        if (!found)
                inactive = raw_get(cs, "inactive_file", &found);        /* v2 */
        uint64_t u = cs->memory.usage.usage;
        return inactive < u ? u - inactive : u;
}

static void blkio_sum(const struct cgroup_blkio_list *b, uint64_t *ret_read, uint64_t *ret_write)
{
        for (size_t i = 0; i < b->n; i++) {
                if (!strcmp(b->e[i].op, "Read"))
                        *ret_read += b->e[i].value;
                else if (!strcmp(b->e[i].op, "Write"))
                        *ret_write += b->e[i].value;
        }
}

/* linux.resources.memory.limit of the container's config.json; 0 when none is set. */
static uint64_t config_memory_limit(const struct engine *e, const char *id)
{
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        if (engine_dir(e, id, &dir) < 0 || asprintf(&path, "%s/config.json", dir) < 0 ||
            read_file_at(AT_FDCWD, path, &text, NULL) < 0)
                return 0;
        _cleanup_json_ json_object *spec = json_tokener_parse(text);
        json_object *linux_, *res, *mem, *limit;
        if (!spec || !json_object_object_get_ex(spec, "linux", &linux_) ||
            !json_object_object_get_ex(linux_, "resources", &res) ||
            !json_object_object_get_ex(res, "memory", &mem) || !json_object_object_get_ex(mem, "limit", &limit))
                return 0;
        int64_t v = json_object_get_int64(limit);
        return v > 0 ? (uint64_t)v : 0;
}

static uint64_t host_memory(void)
{
        struct sysinfo si;
        return sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
}

/* Bytes received and sent on every interface but lo of the container's network namespace,
 * as /proc/<init>/net/dev counts them. */
static void net_bytes(const struct engine *e, const char *id, uint64_t *ret_rx, uint64_t *ret_tx)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        if (container_state(e->runtime_root, id, &text, &(struct err){ 0 }) < 0)
                return;
        _cleanup_json_ json_object *st = json_tokener_parse(text);
        int pid = st ? record_int(st, "pid", 0) : 0;
        if (pid <= 0 || asprintf(&path, "/proc/%d/net/dev", pid) < 0)
                return;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
                char name[64];
                unsigned long long rx, tx, skip;
                if (sscanf(line, " %63[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &rx, &skip, &skip,
                           &skip, &skip, &skip, &skip, &skip, &tx) == 10 &&
                    strcmp(name, "lo")) {
                        *ret_rx += rx;
                        *ret_tx += tx;
                }
        }
}

/* The second reading of a running container fills its row; one that ended meanwhile
 * becomes a row of zeros. */
static void sample_second(const struct engine *e, struct engine_stat *v, struct sampler *s,
                          struct cgroup_stats *cs)
{
        if (!s->w || container_watch_stats(s->w, cs, &(struct err){ 0 }) < 0 || !container_watch_alive(s->w))
                return;
        uint64_t t1 = now_ns();
        v->running = true;
        if (t1 > s->t0 && cs->cpu.total >= s->cpu0)
                v->cpu_percent = (double)(cs->cpu.total - s->cpu0) / (double)(t1 - s->t0) * 100.0;
        v->mem_usage = mem_usage(cs);
        v->mem_limit = config_memory_limit(e, v->id);
        if (!v->mem_limit)
                v->mem_limit = host_memory();
        if (v->mem_limit)
                v->mem_percent = (double)v->mem_usage / (double)v->mem_limit * 100.0;
        v->pids = cs->pids.current;
        blkio_sum(&cs->blkio.service_bytes, &v->block_read, &v->block_write);
        net_bytes(e, v->id, &v->net_rx, &v->net_tx);
}

static int by_name(const void *a, const void *b)
{
        const struct engine_stat *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->id, y->id);
}

int engine_stats(const struct engine *e, char **refs, size_t n, bool all, unsigned interval_ms,
                 struct engine_stat **ret, size_t *ret_n, struct err *err)
{
        _cleanup_free_ struct cgroup_stats *cs = malloc(sizeof(*cs));
        if (!cs)
                return err_errno(err, -ENOMEM, "stats");
        struct stat_list l = { .e = e };
        int r = n ? collect_refs(&l, refs, n, err) : records_foreach(e, collect_one, &l, err);
        if (r == -ENOMEM && !n)
                r = err_errno(err, r, "stats: containers");
        if (r >= 0)
                r = sample_first(&l, cs, err);
        if (r >= 0 && !n && !all)
                keep_running(&l);
        if (r >= 0)
                r = wait_ms(interval_ms, err);
        if (r < 0) {
                stat_list_done(&l);
                return r;
        }
        for (size_t i = 0; i < l.n; i++)
                sample_second(e, &l.v[i], &l.s[i], cs);
        for (size_t i = 0; i < l.n; i++)
                container_watch_free(l.s[i].w);
        free(l.s);
        if (l.n)
                qsort(l.v, l.n, sizeof(*l.v), by_name);
        *ret = l.v;
        *ret_n = l.n;
        return 0;
}
