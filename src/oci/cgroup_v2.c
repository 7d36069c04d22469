/* cgroup_v2.c: the unified hierarchy at /sys/fs/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cgroup_internal.h"
#include "util/cleanup.h"

#define V2_PLAN_MAX 16

static const char *const v2_wanted[] = { "cpu", "memory", "pids", "cpuset", "io", "hugetlb",
                                          "rdma" };

static int v2_init(struct cgroup *cg, struct err *err)
{
        int r = cgroup_hier_add(cg, CGROUP_ROOT, NULL, true, err);
        if (r < 0)
                return r;
        /* an existing cgroup (open) can take CLONE_INTO_CGROUP too, e.g. for exec */
        int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        cg->leaf_fd = fd >= 0 ? fd : -1;
        return 0;
}

/* Whether the space-separated list holds word. */
static bool word_in(const char *list, const char *word)
{
        size_t len = strlen(word);
        for (const char *p = list; *p;) {
                p += strspn(p, " \n");
                size_t n = strcspn(p, " \n");
                if (n == len && !strncmp(p, word, len))
                        return true;
                p += n;
        }
        return false;
}

/* Enables in the parent's subtree_control each wanted controller it has and lacks. */
static int v2_enable_step(int parent_fd, int fd, const char *name, bool created, bool is_leaf,
                          void *userdata, struct err *err)
{
        _cleanup_free_ char *avail = NULL, *on = NULL;
        int r = cgroup_read(parent_fd, "cgroup.controllers", &avail);
        if (r < 0)
                return err_errno(err, r, "read cgroup.controllers");
        r = cgroup_read(parent_fd, "cgroup.subtree_control", &on);
        if (r < 0)
                return err_errno(err, r, "read cgroup.subtree_control");
        for (size_t i = 0; i < ARRAY_SIZE(v2_wanted); i++) {
                if (!word_in(avail, v2_wanted[i]) || word_in(on, v2_wanted[i]))
                        continue;
                r = cgroup_writef(parent_fd, "cgroup.subtree_control", err, "+%s", v2_wanted[i]);
                if (r < 0)
                        return err_wrap(err, "parent of %s", name);
        }
        return 0;
}

static int v2_create(struct cgroup *cg, struct err *err)
{
        struct cgroup_hier *h = &cg->hier[0];
        int r = cgroup_hier_mkdir(cg, h, v2_enable_step, NULL, err);
        if (r < 0)
                return r;
        int fd = cgroup_open_leaf(cg, h);
        if (fd < 0)
                return err_errno(err, fd, "open %s%s", h->mount, cg->path);
        closep(&cg->leaf_fd);
        cg->leaf_fd = fd;
        return 0;
}

static int v2_leaf(struct cgroup *cg, struct err *err)
{
        int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        return fd < 0 ? err_errno(err, fd, "open %s%s", cg->hier[0].mount, cg->path) : fd;
}

static int v2_enter(struct cgroup *cg, pid_t pid, struct err *err)
{
        _cleanup_close_ int fd = v2_leaf(cg, err);
        if (fd < 0)
                return fd;
        int r = cgroup_writef(fd, "cgroup.procs", err, "%d", (int)pid);
        return r < 0 ? err_wrap(err, "join %s%s", cg->hier[0].mount, cg->path) : 0;
}

struct v2_setting {
        const char *file;
        const char *value; /* points at buf, or at a string of the spec */
        char buf[48];
};

struct v2_plan {
        struct v2_setting s[V2_PLAN_MAX];
        size_t n;
};

__attribute__((format(printf, 3, 4)))
static void plan_addf(struct v2_plan *pl, const char *file, const char *fmt, ...)
{
        struct v2_setting *s = &pl->s[pl->n++]; /* V2_PLAN_MAX exceeds what the planners add */
        s->file = file;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->buf, sizeof(s->buf), fmt, ap);
        va_end(ap);
        s->value = s->buf;
}

static void plan_adds(struct v2_plan *pl, const char *file, const char *value)
{
        struct v2_setting *s = &pl->s[pl->n++];
        *s = (struct v2_setting){ .file = file, .value = value };
}

/* Adds "file=<bytes|max>"; -1 means no limit. */
static void plan_bytes(struct v2_plan *pl, const char *file, int64_t v)
{
        if (v < 0)
                plan_adds(pl, file, "max");
        else
                plan_addf(pl, file, "%" PRId64, v);
}

/* v1's memory.swap counts memory+swap; v2's memory.swap.max counts swap alone (as runc). */
static int v2_plan_swap(const struct spec_resources *res, struct v2_plan *pl, struct err *err)
{
        int64_t swap = res->memory_swap;
        int64_t mem = res->has_memory_limit ? res->memory_limit : 0;
        if (swap == 0 && mem == -1)
                swap = -1; /* "unlimited memory, swap unset": both unlimited */
        if (swap == -1) {
                plan_adds(pl, "memory.swap.max", "max");
                return 0;
        }
        if (swap == 0)
                return 0;
        if (mem <= 0)
                return err_set(err, -EINVAL, "memory.swap needs a memory.limit on cgroup v2");
        if (swap < mem)
                return err_set(err, -EINVAL, "memory.swap (%" PRId64 ") is below memory.limit "
                               "(%" PRId64 ")", swap, mem);
        plan_addf(pl, "memory.swap.max", "%" PRId64, swap - mem);
        return 0;
}

/* cpu.max is "<quota|max> <period>": keep the half the spec leaves out. */
static int v2_plan_cpu_max(struct cgroup *cg, const struct spec_resources *res,
                           struct v2_plan *pl, struct err *err)
{
        char quota[24] = "max";
        uint64_t period = 100000;
        _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        _cleanup_free_ char *cur = NULL;
        if (fd >= 0 && cgroup_read(fd, "cpu.max", &cur) >= 0)
                sscanf(cur, "%23s %" SCNu64, quota, &period);
        if (res->has_cpu_quota) {
                if (res->cpu_quota < 0)
                        snprintf(quota, sizeof(quota), "max");
                else
                        snprintf(quota, sizeof(quota), "%" PRId64, res->cpu_quota);
        }
        if (res->has_cpu_period)
                period = res->cpu_period;
        plan_addf(pl, "cpu.max", "%s %" PRIu64, quota, period);
        return 0;
}

static int v2_plan_cpu(struct cgroup *cg, const struct spec_resources *res, struct v2_plan *pl,
                       struct err *err)
{
        if (res->has_cpu_rt_runtime || res->has_cpu_rt_period)
                return err_set(err, -ENOTSUP, "cpu realtime runtime/period need cgroup v1");
        if (res->has_cpu_shares && res->cpu_shares != 0) {
                /* shares [2, 262144] onto weight [1, 10000], linearly (as runc) */
                uint64_t s = res->cpu_shares < 2 ? 2 : res->cpu_shares > 262144 ? 262144
                                                                              : res->cpu_shares;
                plan_addf(pl, "cpu.weight", "%" PRIu64, 1 + ((s - 2) * 9999) / 262142);
        }
        if (res->has_cpu_quota || res->has_cpu_period) {
                int r = v2_plan_cpu_max(cg, res, pl, err);
                if (r < 0)
                        return r;
        }
        if (res->has_cpu_burst) /* after cpu.max: the burst may not exceed the quota */
                plan_addf(pl, "cpu.max.burst", "%" PRIu64, res->cpu_burst);
        if (res->has_cpu_idle)
                plan_addf(pl, "cpu.idle", "%" PRId64, res->cpu_idle);
        if (res->cpu_cpus)
                plan_adds(pl, "cpuset.cpus", res->cpu_cpus);
        if (res->cpu_mems)
                plan_adds(pl, "cpuset.mems", res->cpu_mems);
        return 0;
}

/* io.bfq.weight shares blkio's 10..1000 scale; io.weight (1..10000) is converted as
 * runc does. */
static int v2_plan_io(struct cgroup *cg, const struct spec_resources *res, struct v2_plan *pl,
                      struct err *err)
{
        if (!res->has_blkio_weight)
                return 0;
        _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        if (fd >= 0 && faccessat(fd, "io.bfq.weight", F_OK, 0) == 0) {
                plan_addf(pl, "io.bfq.weight", "%" PRIu64, res->blkio_weight);
                return 0;
        }
        if (fd >= 0 && faccessat(fd, "io.weight", F_OK, 0) == 0) {
                plan_addf(pl, "io.weight", "default %" PRIu64,
                          1 + (res->blkio_weight - 10) * 9999 / 990);
                return 0;
        }
        return err_set(err, -ENOTSUP, "blockIO.weight: this kernel has neither io.bfq.weight nor "
                       "io.weight");
}

/* What cgroup v2 has no file for: refused, never ignored. */
static int v2_check_refused(const struct spec_resources *res, struct err *err)
{
        bool leaf_dev = false;
        for (size_t i = 0; i < res->n_blkio_weight_devices; i++)
                leaf_dev |= res->blkio_weight_devices[i].has_leaf_weight;
        if (res->has_memory_kernel || res->has_memory_kernel_tcp)
                return err_set(err, -ENOTSUP, "linux.resources.memory.%s: kernel memory limits are "
                               "not supported on cgroup v2",
                               res->has_memory_kernel ? "kernel" : "kernelTCP");
        if (res->has_memory_use_hierarchy && !res->memory_use_hierarchy)
                return err_set(err, -ENOTSUP, "linux.resources.memory.useHierarchy: cgroup v2 is "
                               "always hierarchical");
        if (res->has_net_class_id || res->n_net_priorities)
                return err_set(err, -ENOTSUP, "linux.resources.network needs the net_cls/net_prio "
                               "cgroup of v1; cgroup v2 has no such controller");
        if (res->has_blkio_leaf_weight || leaf_dev)
                return err_set(err, -ENOTSUP, "linux.resources.blockIO.leafWeight needs cgroup v1");
        return 0;
}

/* runtime-spec: checkBeforeUpdate refuses a memory limit below the current usage. */
static int v2_check_memory(int fd, const struct spec_resources *res, struct err *err)
{
        uint64_t cur;
        if (!res->memory_check_before_update || !res->has_memory_limit || res->memory_limit < 0 ||
            fd < 0 || cgroup_read_u64(fd, "memory.current", &cur) < 0)
                return 0;
        if (cur > (uint64_t)res->memory_limit)
                return err_set(err, -EBUSY, "linux.resources.memory.limit %" PRId64 " is below the "
                               "current usage %" PRIu64 " (checkBeforeUpdate)", res->memory_limit, cur);
        return 0;
}

/* Each per-device or per-size file must exist before the first write. */
static int v2_check_files(int fd, const struct spec_resources *res, struct err *err)
{
        static const char *const wd[] = { "io.bfq.weight", "io.weight" };
        bool throttle = false;
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                throttle |= res->n_blkio_throttle[i] > 0;
        if (throttle && faccessat(fd, "io.max", F_OK, 0) < 0)
                return err_set(err, -ENOTSUP, "linux.resources.blockIO throttle: no io.max (the io "
                               "controller is not enabled)");
        if (res->n_blkio_weight_devices && faccessat(fd, wd[0], F_OK, 0) < 0 &&
            faccessat(fd, wd[1], F_OK, 0) < 0)
                return err_set(err, -ENOTSUP, "linux.resources.blockIO.weightDevice: this kernel "
                               "has neither io.bfq.weight nor io.weight");
        if (res->n_rdma && faccessat(fd, "rdma.max", F_OK, 0) < 0)
                return err_set(err, -ENOTSUP, "linux.resources.rdma needs the rdma cgroup "
                               "controller, not available on this host");
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                char f[64];
                snprintf(f, sizeof(f), "hugetlb.%s.max", res->hugepage_limits[i].page_size);
                if (faccessat(fd, f, F_OK, 0) < 0)
                        return err_set(err, -ENOTSUP, "linux.resources.hugepageLimits: no %s (no "
                                       "hugetlb controller, or page size %s not supported)", f,
                                       res->hugepage_limits[i].page_size);
        }
        return 0;
}

static int v2_write_io(int fd, const struct spec_resources *res, struct err *err)
{
        static const char *const keys[SPEC_THROTTLE_COUNT] = { "rbps", "wbps", "riops", "wiops" };
        bool bfq = faccessat(fd, "io.bfq.weight", F_OK, 0) == 0;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < res->n_blkio_weight_devices; i++) {
                const struct spec_blkio_device *d = &res->blkio_weight_devices[i];
                if (d->has_weight)
                        r = cgroup_writef(fd, bfq ? "io.bfq.weight" : "io.weight", err,
                                          "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                                          bfq ? d->weight : 1 + (d->weight - 10) * 9999 / 990);
                if (r < 0) /* EOPNOTSUPP: the device's I/O scheduler has no weights */
                        return err_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
        }
        for (size_t t = 0; r >= 0 && t < SPEC_THROTTLE_COUNT; t++)
                for (size_t i = 0; r >= 0 && i < res->n_blkio_throttle[t]; i++) {
                        const struct spec_blkio_device *d = &res->blkio_throttle[t][i];
                        r = cgroup_writef(fd, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                                          d->major, d->minor, keys[t], d->rate);
                }
        return r;
}

static int v2_write_lists(int fd, const struct spec_resources *res, struct err *err)
{
        int r = v2_write_io(fd, res, err);
        for (size_t i = 0; r >= 0 && i < res->n_hugepage_limits; i++) {
                char f[64];
                snprintf(f, sizeof(f), "hugetlb.%s.max", res->hugepage_limits[i].page_size);
                r = cgroup_writef(fd, f, err, "%" PRIu64, res->hugepage_limits[i].limit);
        }
        for (size_t i = 0; r >= 0 && i < res->n_rdma; i++)
                r = cgroup_write_rdma(fd, &res->rdma[i], err);
        return r;
}

static int v2_check_unified(const struct spec_resources *res, struct err *err)
{
        for (size_t i = 0; i < res->n_unified; i++) {
                const char *k = res->unified_keys[i];
                if (!k[0] || strchr(k, '/') || !strcmp(k, ".") || !strcmp(k, ".."))
                        return err_set(err, -EINVAL, "linux.resources.unified: bad file name \"%s\"",
                                       k);
        }
        return 0;
}

/* Plans every write (validating everything) before the first one is made. */
static int v2_plan(struct cgroup *cg, const struct spec_resources *res, struct v2_plan *pl,
                   struct err *err)
{
        if (res->has_memory_limit)
                plan_bytes(pl, "memory.max", res->memory_limit);
        if (res->has_memory_swap) {
                int r = v2_plan_swap(res, pl, err);
                if (r < 0)
                        return r;
        }
        if (res->has_memory_reservation)
                plan_bytes(pl, "memory.low", res->memory_reservation);
        /* memory.swappiness and oom_control have no v2 file; runc ignores them too */
        int r = v2_plan_cpu(cg, res, pl, err);
        if (r < 0 || (r = v2_plan_io(cg, res, pl, err)) < 0)
                return r;
        if (res->has_pids_limit) {
                if (res->pids_limit > 0)
                        plan_addf(pl, "pids.max", "%" PRId64, res->pids_limit);
                else
                        plan_adds(pl, "pids.max", "max");
        }
        /* device rules: a BPF program, built and attached by v2_update (cgroup_bpf.c) */
        return v2_check_unified(res, err);
}

static int v2_update(struct cgroup *cg, const struct spec_resources *res, struct err *err)
{
        struct v2_plan pl = { .n = 0 };
        int r = v2_check_refused(res, err);
        if (r < 0 || (r = v2_plan(cg, res, &pl, err)) < 0)
                return r;
        _cleanup_close_ int fd = v2_leaf(cg, err);
        if (fd < 0)
                return fd;
        if ((r = v2_check_memory(fd, res, err)) < 0 || (r = v2_check_files(fd, res, err)) < 0)
                return r;
        for (size_t i = 0; i < pl.n; i++) {
                r = cgroup_write(fd, pl.s[i].file, pl.s[i].value, err);
                if (r < 0)
                        return r;
        }
        if ((r = v2_write_lists(fd, res, err)) < 0)
                return r;
        for (size_t i = 0; i < res->n_unified; i++) {
                r = cgroup_write(fd, res->unified_keys[i], res->unified_values[i], err);
                if (r < 0)
                        return r;
        }
        if (res->n_devices > 0)
                return cgroup_bpf_devices_apply(fd, res->devices, res->n_devices, err);
        return 0;
}

static int v2_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct err *err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        if (fd < 0 && fd != -ENOENT)
                return err_errno(err, fd, "open %s%s", cg->hier[0].mount, cg->path);
        if (fd >= 0) {
                int r = cgroup_read_procs(fd, &pids, &n, err);
                if (r < 0)
                        return err_wrap(err, "%s%s", cg->hier[0].mount, cg->path);
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

static int v2_kill_all(struct cgroup *cg, int sig, struct err *err)
{
        _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        /* cgroup.kill (5.14+) also catches processes forked while we kill */
        if (sig == SIGKILL && fd >= 0 && faccessat(fd, "cgroup.kill", F_OK, 0) == 0)
                return cgroup_write(fd, "cgroup.kill", "1", err);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = v2_pids(cg, &pids, &n, err);
        return r < 0 ? r : cgroup_signal_pids(pids, n, sig, err);
}

/* cgroup.events says "frozen 1" once every task has stopped (or the cgroup is empty). */
static int v2_read_frozen(int fd, bool *ret)
{
        _cleanup_free_ char *ev = NULL;
        int r = cgroup_read(fd, "cgroup.events", &ev);
        if (r < 0)
                return r;
        char *p = strstr(ev, "frozen ");
        *ret = p && p[7] == '1';
        return 0;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct err *err)
{
        _cleanup_close_ int fd = v2_leaf(cg, err);
        if (fd < 0)
                return fd;
        int r = cgroup_write(fd, "cgroup.freeze", frozen ? "1" : "0", err);
        if (r < 0)
                return r;
        for (unsigned int waited = 0;; waited++) {
                bool now;
                r = v2_read_frozen(fd, &now);
                if (r < 0)
                        return err_errno(err, r, "read cgroup.events");
                if (now == frozen)
                        return 0;
                if (waited >= CGROUP_WAIT_MS) {
                        if (frozen)
                                (void)cgroup_write(fd, "cgroup.freeze", "0", err);
                        return err_set(err, -EBUSY, "cgroup %s: not %s after %d ms", cg->path,
                                       frozen ? "frozen" : "thawed", CGROUP_WAIT_MS);
                }
                cgroup_sleep_ms(1);
        }
}

static bool v2_is_frozen(struct cgroup *cg)
{
        _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[0]);
        bool frozen = false;
        return fd >= 0 && v2_read_frozen(fd, &frozen) >= 0 && frozen;
}

/* Removes the directory; cgroup_destroy has emptied the cgroup first. */
static int v2_destroy(struct cgroup *cg, struct err *err)
{
        closep(&cg->leaf_fd);
        cg->leaf_fd = -1;
        return cgroup_hier_rmdir(cg, &cg->hier[0], -1, err);
}

static uint64_t usec_to_ns(uint64_t us)
{
        return us > UINT64_MAX / 1000 ? UINT64_MAX : us * 1000;
}

static void v2_stats_cpu(int fd, struct cgroup_stats *s)
{
        uint64_t v;
        if (cgroup_read_key(fd, "cpu.stat", "usage_usec", &v) >= 0)
                s->cpu.total = usec_to_ns(v);
        if (cgroup_read_key(fd, "cpu.stat", "user_usec", &v) >= 0)
                s->cpu.user = usec_to_ns(v);
        if (cgroup_read_key(fd, "cpu.stat", "system_usec", &v) >= 0)
                s->cpu.kernel = usec_to_ns(v);
        (void)cgroup_read_key(fd, "cpu.stat", "nr_periods", &s->cpu.periods);
        (void)cgroup_read_key(fd, "cpu.stat", "nr_throttled", &s->cpu.throttled_periods);
        if (cgroup_read_key(fd, "cpu.stat", "throttled_usec", &v) >= 0)
                s->cpu.throttled_time = usec_to_ns(v);
}

static uint64_t add_limit(uint64_t a, uint64_t b)
{
        return a == UINT64_MAX || b == UINT64_MAX || a + b < a ? UINT64_MAX : a + b;
}

/* v2 swap counts swap alone; report memory+swap, as v1's memsw and runc do. */
static void v2_stats_memory(int fd, struct cgroup_stats *s)
{
        struct cgroup_mem_entry *u = &s->memory.usage, *w = &s->memory.swap;
        (void)cgroup_read_u64(fd, "memory.current", &u->usage);
        (void)cgroup_read_u64(fd, "memory.max", &u->limit);
        (void)cgroup_read_u64(fd, "memory.peak", &u->max);
        (void)cgroup_read_key(fd, "memory.events", "max", &u->failcnt);
        (void)cgroup_read_key(fd, "memory.events", "oom_kill", &s->memory.oom_kill);
        if (cgroup_read_u64(fd, "memory.swap.current", &w->usage) >= 0) {
                w->usage += u->usage;
                (void)cgroup_read_u64(fd, "memory.swap.max", &w->limit);
                w->limit = add_limit(w->limit, u->limit);
                (void)cgroup_read_u64(fd, "memory.swap.peak", &w->max);
                (void)cgroup_read_key(fd, "memory.swap.events", "max", &w->failcnt);
        }
        cgroup_stats_raw(fd, "memory.stat", s);
        s->memory.cache = cgroup_stats_raw_get(s, "file");
}

static int v2_stats(struct cgroup *cg, struct cgroup_stats *s, struct err *err)
{
        _cleanup_close_ int fd = v2_leaf(cg, err);
        if (fd < 0)
                return fd;
        v2_stats_cpu(fd, s);
        v2_stats_memory(fd, s);
        (void)cgroup_read_u64(fd, "pids.current", &s->pids.current);
        if (cgroup_read_u64(fd, "pids.max", &s->pids.limit) >= 0 && s->pids.limit == UINT64_MAX)
                s->pids.limit = 0;
        _cleanup_free_ char *io = NULL;
        if (cgroup_read(fd, "io.stat", &io) >= 0)
                cgroup_parse_io_stat(io, &s->blkio.service_bytes, &s->blkio.serviced);
        cgroup_stats_hugetlb(fd, true, s);
        return 0;
}

static int v2_oom_kills(struct cgroup *cg, uint64_t *ret, struct err *err)
{
        _cleanup_close_ int fd = v2_leaf(cg, err);
        if (fd < 0)
                return fd;
        int r = cgroup_read_key(fd, "memory.events", "oom_kill", ret);
        return r < 0 && r != -ENOENT ? err_errno(err, r, "read memory.events") : 0;
}

const struct cgroup_ops cgroup_v2_ops = {
        .init = v2_init,
        .create = v2_create,
        .enter = v2_enter,
        .update = v2_update,
        .pids = v2_pids,
        .kill_all = v2_kill_all,
        .freeze = v2_freeze,
        .is_frozen = v2_is_frozen,
        .destroy = v2_destroy,
        .stats = v2_stats,
        .oom_kills = v2_oom_kills,
};
