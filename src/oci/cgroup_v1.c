/* cgroup_v1.c: cgroup v1 (one directory per mounted hierarchy), and the hybrid layout,
 * where the cgroup2 at /sys/fs/cgroup/unified is one more hierarchy without controllers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cgroup_internal.h"
#include "util/cleanup.h"

#define V1_PLAN_MAX 24

/* mountinfo escapes space, tab, newline and backslash as \ooo; undo it in place. */
static void unescape_octal(char *s)
{
        char *out = s;
        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else {
                        *out++ = *p;
                }
        }
        *out = '\0';
}

/* Splits a mountinfo line; returns false for lines that are not a v1 cgroup mount. */
static bool parse_cgroup_mount(char *line, char **dev, char **mount, char **opts)
{
        char *fields[5] = { 0 };
        char *p = line;
        for (int i = 0; i < 5; i++)
                if (!(fields[i] = strsep(&p, " ")))
                        return false;
        char *sep = p ? strstr(p, " - ") : NULL;
        if (!sep)
                return false;
        p = sep + 3;
        char *fstype = strsep(&p, " ");
        char *source = strsep(&p, " ");
        char *super = strsep(&p, " \n");
        if (!fstype || !source || !super || strcmp(fstype, "cgroup"))
                return false;
        *dev = fields[2];
        *mount = fields[4];
        *opts = super;
        unescape_octal(*mount);
        return true;
}

static int v1_init(struct cgroup *cg, struct err *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return err_errno(err, neg_errno(), "open /proc/self/mountinfo");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        char seen[CGROUP_HIER_MAX][32];
        size_t n_seen = 0;
        while (getline(&line, &cap, f) > 0) {
                char *dev, *mount, *opts;
                if (!parse_cgroup_mount(line, &dev, &mount, &opts))
                        continue;
                bool dup = false;
                for (size_t i = 0; i < n_seen && !dup; i++)
                        dup = !strcmp(seen[i], dev); /* the same hierarchy mounted twice */
                if (dup || n_seen >= CGROUP_HIER_MAX)
                        continue;
                snprintf(seen[n_seen++], sizeof(seen[0]), "%s", dev);
                int r = cgroup_hier_add(cg, mount, opts, false, err);
                if (r < 0)
                        return r;
        }
        if (cg->n_hier == 0)
                return err_set(err, -ENOENT, "no cgroup v1 hierarchy is mounted");
        if (cg->layout == CGROUP_LAYOUT_HYBRID)
                return cgroup_hier_add(cg, CGROUP_UNIFIED_HYBRID, NULL, true, err);
        return 0;
}

static bool hier_has(const struct cgroup_hier *h, const char *ctrl)
{
        if (!h->options)
                return false;
        size_t len = strlen(ctrl);
        for (const char *p = h->options; *p;) {
                size_t n = strcspn(p, ",");
                if (n == len && !strncmp(p, ctrl, len))
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

static struct cgroup_hier *v1_find(struct cgroup *cg, const char *ctrl)
{
        for (size_t i = 0; i < cg->n_hier; i++)
                if (hier_has(&cg->hier[i], ctrl))
                        return &cg->hier[i];
        return NULL;
}

/* A cpuset level with empty cpus or mems cannot take processes (ENOSPC): copy the parent's. */
static int v1_cpuset_step(int parent_fd, int fd, const char *name, bool created, bool is_leaf,
                          void *userdata, struct err *err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *cur = NULL, *parent = NULL;
                int r = cgroup_read(fd, files[i], &cur);
                if (r < 0)
                        return err_errno(err, r, "read %s", files[i]);
                if (cur[0])
                        continue;
                r = cgroup_read(parent_fd, files[i], &parent);
                if (r < 0)
                        return err_errno(err, r, "read parent's %s", files[i]);
                r = cgroup_write(fd, files[i], parent, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_create(struct cgroup *cg, struct err *err)
{
        for (size_t i = 0; i < cg->n_hier; i++) {
                struct cgroup_hier *h = &cg->hier[i];
                int r = cgroup_hier_mkdir(cg, h, hier_has(h, "cpuset") ? v1_cpuset_step : NULL,
                                          NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_enter(struct cgroup *cg, pid_t pid, struct err *err)
{
        for (size_t i = 0; i < cg->n_hier; i++) {
                struct cgroup_hier *h = &cg->hier[i];
                _cleanup_close_ int fd = cgroup_open_leaf(cg, h);
                if (fd < 0)
                        return err_errno(err, fd, "open %s%s", h->mount, cg->path);
                int r = cgroup_writef(fd, "cgroup.procs", err, "%d", (int)pid);
                if (r < 0)
                        return err_wrap(err, "join %s%s", h->mount, cg->path);
        }
        return 0;
}

static int v1_leaf_of(struct cgroup *cg, const char *ctrl);

/* Plan, then execute: every value is formatted before the first write. */
struct v1_setting {
        const char *ctrl, *file;
        const char *value; /* points at buf, or at a string of the spec */
        char buf[32];
};

struct v1_plan {
        struct v1_setting s[V1_PLAN_MAX];
        size_t n;
};

__attribute__((format(printf, 4, 5)))
static void plan_addf(struct v1_plan *pl, const char *ctrl, const char *file, const char *fmt, ...)
{
        struct v1_setting *s = &pl->s[pl->n++]; /* V1_PLAN_MAX exceeds what the planners add */
        s->ctrl = ctrl;
        s->file = file;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->buf, sizeof(s->buf), fmt, ap);
        va_end(ap);
        s->value = s->buf;
}

static void plan_adds(struct v1_plan *pl, const char *ctrl, const char *file, const char *value)
{
        struct v1_setting *s = &pl->s[pl->n++];
        *s = (struct v1_setting){ .ctrl = ctrl, .file = file, .value = value };
}

/* memory+swap must stay >= memory: when the new memsw is above the current one (or
 * unlimited), write it before memory.limit_in_bytes, else after. */
static bool v1_memsw_first(struct cgroup *cg, const struct spec_resources *res)
{
        if (res->memory_swap == -1)
                return true;
        struct cgroup_hier *h = v1_find(cg, "memory");
        _cleanup_close_ int fd = h ? cgroup_open_leaf(cg, h) : -EBADF;
        _cleanup_free_ char *cur = NULL;
        if (fd < 0 || cgroup_read(fd, "memory.memsw.limit_in_bytes", &cur) < 0)
                return false;
        return (uint64_t)res->memory_swap > strtoull(cur, NULL, 10);
}

static bool v1_has_memsw(struct cgroup *cg)
{
        struct cgroup_hier *h = v1_find(cg, "memory");
        _cleanup_close_ int fd = h ? cgroup_open_leaf(cg, h) : -EBADF;
        return fd >= 0 && faccessat(fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0;
}

static int v1_plan_memory(struct cgroup *cg, const struct spec_resources *res, struct v1_plan *pl,
                          struct err *err)
{
        bool swap = res->has_memory_swap;
        if (swap && !v1_has_memsw(cg)) {
                if (res->memory_swap != -1)
                        return err_set(err, -ENOTSUP, "memory.swap: this kernel has no swap "
                                       "accounting (memory.memsw.limit_in_bytes)");
                swap = false;
        }
        bool swap_first = swap && v1_memsw_first(cg, res);
        if (swap_first)
                plan_addf(pl, "memory", "memory.memsw.limit_in_bytes", "%" PRId64, res->memory_swap);
        if (res->has_memory_limit)
                plan_addf(pl, "memory", "memory.limit_in_bytes", "%" PRId64, res->memory_limit);
        if (swap && !swap_first)
                plan_addf(pl, "memory", "memory.memsw.limit_in_bytes", "%" PRId64, res->memory_swap);
        if (res->has_memory_reservation)
                plan_addf(pl, "memory", "memory.soft_limit_in_bytes", "%" PRId64,
                          res->memory_reservation);
        if (res->has_memory_swappiness)
                plan_addf(pl, "memory", "memory.swappiness", "%" PRIu64, res->memory_swappiness);
        if (res->has_disable_oom_killer)
                plan_addf(pl, "memory", "memory.oom_control", "%d", res->disable_oom_killer ? 1 : 0);
        return 0;
}

static void v1_plan_cpu(const struct spec_resources *res, struct v1_plan *pl)
{
        if (res->has_memory_use_hierarchy)
                plan_addf(pl, "memory", "memory.use_hierarchy", "%d", res->memory_use_hierarchy);
        if (res->has_cpu_shares)
                plan_addf(pl, "cpu", "cpu.shares", "%" PRIu64, res->cpu_shares);
        if (res->has_cpu_period)
                plan_addf(pl, "cpu", "cpu.cfs_period_us", "%" PRIu64, res->cpu_period);
        if (res->has_cpu_quota)
                plan_addf(pl, "cpu", "cpu.cfs_quota_us", "%" PRId64, res->cpu_quota);
        if (res->has_cpu_burst) /* after the quota: the burst may not exceed it */
                plan_addf(pl, "cpu", "cpu.cfs_burst_us", "%" PRIu64, res->cpu_burst);
        if (res->has_cpu_idle)
                plan_addf(pl, "cpu", "cpu.idle", "%" PRId64, res->cpu_idle);
        if (res->has_cpu_rt_period)
                plan_addf(pl, "cpu", "cpu.rt_period_us", "%" PRIu64, res->cpu_rt_period);
        if (res->has_cpu_rt_runtime)
                plan_addf(pl, "cpu", "cpu.rt_runtime_us", "%" PRId64, res->cpu_rt_runtime);
        if (res->cpu_cpus)
                plan_adds(pl, "cpuset", "cpuset.cpus", res->cpu_cpus);
        if (res->cpu_mems)
                plan_adds(pl, "cpuset", "cpuset.mems", res->cpu_mems);
        if (res->has_pids_limit) {
                if (res->pids_limit > 0)
                        plan_addf(pl, "pids", "pids.max", "%" PRId64, res->pids_limit);
                else
                        plan_adds(pl, "pids", "pids.max", "max");
        }
}

static int v1_write_ctrl(struct cgroup *cg, const char *ctrl, const char *file, const char *value,
                         struct err *err)
{
        struct cgroup_hier *h = v1_find(cg, ctrl);
        if (!h)
                return err_set(err, -ENOTSUP, "%s needs the %s cgroup controller, which is not "
                               "mounted", file, ctrl);
        _cleanup_close_ int fd = cgroup_open_leaf(cg, h);
        if (fd < 0)
                return err_errno(err, fd, "open %s%s", h->mount, cg->path);
        return cgroup_write(fd, file, value, err);
}

/* "c 1:3 rwm"; '*' stands for a wildcard number. */
static void v1_device_rule(const struct spec_device_rule *d, char *buf, size_t cap)
{
        char maj[24] = "*", min[24] = "*";
        if (d->type == 'a') {
                snprintf(buf, cap, "a");
                return;
        }
        if (d->major >= 0)
                snprintf(maj, sizeof(maj), "%" PRId64, d->major);
        if (d->minor >= 0)
                snprintf(min, sizeof(min), "%" PRId64, d->minor);
        snprintf(buf, cap, "%c %s:%s %s", d->type, maj, min, d->access[0] ? d->access : "rwm");
}

static int v1_apply_devices(struct cgroup *cg, const struct spec_resources *res, struct err *err)
{
        if (res->n_devices == 0)
                return 0;
        int r = v1_write_ctrl(cg, "devices", "devices.deny", "a", err);
        for (size_t i = 0; r >= 0 && i < res->n_devices; i++) {
                const struct spec_device_rule *d = &res->devices[i];
                char rule[80];
                v1_device_rule(d, rule, sizeof(rule));
                r = v1_write_ctrl(cg, "devices", d->allow ? "devices.allow" : "devices.deny", rule,
                                  err);
        }
        return r;
}

/* blkio.weight went with CFQ; BFQ has blkio.bfq.weight, same 10..1000 scale. */
static int v1_plan_blkio(struct cgroup *cg, const struct spec_resources *res, struct v1_plan *pl,
                         struct err *err)
{
        static const char *const files[] = { "blkio.weight", "blkio.bfq.weight" };
        if (!res->has_blkio_weight)
                return 0;
        struct cgroup_hier *h = v1_find(cg, "blkio");
        _cleanup_close_ int fd = h ? cgroup_open_leaf(cg, h) : -EBADF;
        for (size_t i = 0; fd >= 0 && i < ARRAY_SIZE(files); i++)
                if (faccessat(fd, files[i], F_OK, 0) == 0) {
                        plan_addf(pl, "blkio", files[i], "%" PRIu64, res->blkio_weight);
                        return 0;
                }
        return err_set(err, -ENOTSUP, "blockIO.weight: this kernel has neither blkio.weight nor "
                       "blkio.bfq.weight");
}

/* The first of files that dirfd has, or NULL. */
static const char *first_present(int dirfd, const char *const *files, size_t n)
{
        for (size_t i = 0; dirfd >= 0 && i < n; i++)
                if (faccessat(dirfd, files[i], F_OK, 0) == 0)
                        return files[i];
        return NULL;
}

/* Per-device lists: files chosen (and checked) before the first write. */
struct v1_lists {
        int blkio_fd, huge_fd, rdma_fd, net_cls_fd, net_prio_fd;
        const char *weight_dev, *leaf_weight_dev, *leaf_weight;
        bool huge_v2;
};

static void v1_lists_close(struct v1_lists *l)
{
        int *fds[] = { &l->blkio_fd, &l->huge_fd, &l->rdma_fd, &l->net_cls_fd, &l->net_prio_fd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                closep(fds[i]);
}

static bool has_throttles(const struct spec_resources *res)
{
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                if (res->n_blkio_throttle[i] > 0)
                        return true;
        return false;
}

static int v1_plan_blkio_lists(struct cgroup *cg, const struct spec_resources *res,
                               struct v1_lists *l, struct err *err)
{
        static const char *const wd[] = { "blkio.weight_device", "blkio.bfq.weight_device" };
        static const char *const lwd[] = { "blkio.leaf_weight_device" };
        static const char *const lw[] = { "blkio.leaf_weight" };
        bool leaf_dev = false;
        for (size_t i = 0; i < res->n_blkio_weight_devices; i++)
                leaf_dev |= res->blkio_weight_devices[i].has_leaf_weight;
        if (!has_throttles(res) && !res->n_blkio_weight_devices && !res->has_blkio_leaf_weight)
                return 0;
        l->blkio_fd = v1_leaf_of(cg, "blkio");
        if (l->blkio_fd < 0)
                return err_errno(err, l->blkio_fd, "linux.resources.blockIO: open the blkio cgroup");
        if (res->n_blkio_weight_devices && !(l->weight_dev = first_present(l->blkio_fd, wd, 2)))
                return err_set(err, -ENOTSUP, "linux.resources.blockIO.weightDevice: this kernel has "
                               "neither blkio.weight_device nor blkio.bfq.weight_device");
        if (leaf_dev && !(l->leaf_weight_dev = first_present(l->blkio_fd, lwd, 1)))
                return err_set(err, -ENOTSUP, "linux.resources.blockIO.weightDevice.leafWeight: "
                               "this kernel has no blkio.leaf_weight_device");
        if (res->has_blkio_leaf_weight && !(l->leaf_weight = first_present(l->blkio_fd, lw, 1)))
                return err_set(err, -ENOTSUP, "linux.resources.blockIO.leafWeight: this kernel has "
                               "no blkio.leaf_weight");
        return 0;
}

/* hybrid: hugetlb lives on the cgroup2; enable it from the root down to the leaf's parent. */
static int v1_unified_enable(struct cgroup *cg, struct cgroup_hier *h, const char *ctrl,
                             struct err *err)
{
        const char *rel = cg->rel;
        for (size_t end = 0; rel[end]; end++) {
                if (end > 0 && rel[end] != '/')
                        continue;
                char prefix[4096];
                snprintf(prefix, sizeof(prefix), "%.*s", (int)end, rel);
                _cleanup_close_ int fd = openat(h->root_fd, end ? prefix : ".",
                                                O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return err_errno(err, neg_errno(), "open %s/%s", h->mount, prefix);
                int r = cgroup_writef(fd, "cgroup.subtree_control", err, "+%s", ctrl);
                if (r < 0)
                        return err_wrap(err, "%s/%s", h->mount, prefix);
        }
        return 0;
}

/* The hugetlb directory: a v1 hierarchy, or the hybrid cgroup2. -ENOENT (err unset) when
 * neither has the controller. */
static int v1_huge_leaf(struct cgroup *cg, struct v1_lists *l, struct err *err)
{
        struct cgroup_hier *h = v1_find(cg, "hugetlb");
        for (size_t i = 0; !h && i < cg->n_hier; i++) {
                _cleanup_free_ char *ctrls = NULL;
                if (!cg->hier[i].is_v2 || cgroup_read(cg->hier[i].root_fd, "cgroup.controllers",
                                                       &ctrls) < 0 || !strstr(ctrls, "hugetlb"))
                        continue;
                int r = v1_unified_enable(cg, &cg->hier[i], "hugetlb", err);
                if (r < 0)
                        return r;
                h = &cg->hier[i];
                l->huge_v2 = true;
        }
        if (!h)
                return -ENOENT;
        l->huge_fd = cgroup_open_leaf(cg, h);
        return l->huge_fd < 0 ? err_errno(err, l->huge_fd, "open %s%s", h->mount, cg->path) : 0;
}

static int v1_plan_other_lists(struct cgroup *cg, const struct spec_resources *res,
                               struct v1_lists *l, struct err *err)
{
        if (res->has_net_class_id || res->n_net_priorities) {
                l->net_cls_fd = v1_leaf_of(cg, "net_cls");
                l->net_prio_fd = v1_leaf_of(cg, "net_prio");
                if ((res->has_net_class_id && l->net_cls_fd < 0) ||
                    (res->n_net_priorities && l->net_prio_fd < 0))
                        return err_set(err, -ENOTSUP, "linux.resources.network needs the "
                                       "net_cls/net_prio cgroup, not mounted on this host");
        }
        if (res->n_rdma && (l->rdma_fd = v1_leaf_of(cg, "rdma")) < 0)
                return err_set(err, -ENOTSUP, "linux.resources.rdma needs the rdma cgroup, not "
                               "mounted on this host");
        if (res->n_hugepage_limits == 0)
                return 0;
        int r = v1_huge_leaf(cg, l, err);
        if (r == -ENOENT)
                return err_set(err, -ENOTSUP, "linux.resources.hugepageLimits needs the hugetlb "
                               "cgroup, not available on this host");
        if (r < 0)
                return r;
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                char f[64];
                snprintf(f, sizeof(f), l->huge_v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
                         res->hugepage_limits[i].page_size);
                if (faccessat(l->huge_fd, f, F_OK, 0) < 0)
                        return err_set(err, -ENOTSUP, "linux.resources.hugepageLimits: no %s "
                                       "(huge page size %s not supported here)", f,
                                       res->hugepage_limits[i].page_size);
        }
        return 0;
}

static int v1_check_kmem(struct cgroup *cg, const struct spec_resources *res, struct err *err)
{
        if (!res->has_memory_kernel && !res->has_memory_kernel_tcp)
                return 0;
        return err_set(err, -ENOTSUP, "linux.resources.memory.%s: kernel memory limits are not "
                       "supported (removed from Linux 5.16+ cgroups)",
                       res->has_memory_kernel ? "kernel" : "kernelTCP");
}

static int v1_write_blkio_lists(const struct spec_resources *res, const struct v1_lists *l,
                                struct err *err)
{
        static const char *const throttle_files[SPEC_THROTTLE_COUNT] = {
                "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
        };
        int r = 0;
        if (res->has_blkio_leaf_weight)
                r = cgroup_writef(l->blkio_fd, l->leaf_weight, err, "%" PRIu64, res->blkio_leaf_weight);
        for (size_t i = 0; r >= 0 && i < res->n_blkio_weight_devices; i++) {
                const struct spec_blkio_device *d = &res->blkio_weight_devices[i];
                if (d->has_weight)
                        r = cgroup_writef(l->blkio_fd, l->weight_dev, err, "%" PRId64 ":%" PRId64
                                          " %" PRIu64, d->major, d->minor, d->weight);
                if (r >= 0 && d->has_leaf_weight)
                        r = cgroup_writef(l->blkio_fd, l->leaf_weight_dev, err, "%" PRId64 ":%" PRId64
                                          " %" PRIu64, d->major, d->minor, d->leaf_weight);
                if (r < 0) /* EOPNOTSUPP: the device's I/O scheduler has no weights (not BFQ) */
                        return err_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
        }
        for (size_t t = 0; r >= 0 && t < SPEC_THROTTLE_COUNT; t++)
                for (size_t i = 0; r >= 0 && i < res->n_blkio_throttle[t]; i++) {
                        const struct spec_blkio_device *d = &res->blkio_throttle[t][i];
                        r = cgroup_writef(l->blkio_fd, throttle_files[t], err, "%" PRId64 ":%"
                                          PRId64 " %" PRIu64, d->major, d->minor, d->rate);
                }
        return r;
}

static int v1_write_other_lists(const struct spec_resources *res, const struct v1_lists *l,
                                struct err *err)
{
        int r = 0;
        for (size_t i = 0; r >= 0 && i < res->n_hugepage_limits; i++) {
                const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
                char f[64];
                snprintf(f, sizeof(f), l->huge_v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
                         h->page_size);
                r = cgroup_writef(l->huge_fd, f, err, "%" PRIu64, h->limit);
        }
        if (r >= 0 && res->has_net_class_id)
                r = cgroup_writef(l->net_cls_fd, "net_cls.classid", err, "%" PRIu32,
                                  res->net_class_id);
        for (size_t i = 0; r >= 0 && i < res->n_net_priorities; i++)
                r = cgroup_writef(l->net_prio_fd, "net_prio.ifpriomap", err, "%s %" PRIu32,
                                  res->net_priorities[i].name, res->net_priorities[i].priority);
        for (size_t i = 0; r >= 0 && i < res->n_rdma; i++)
                r = cgroup_write_rdma(l->rdma_fd, &res->rdma[i], err);
        return r;
}

static int v1_update(struct cgroup *cg, const struct spec_resources *res, struct err *err)
{
        if (res->n_unified > 0)
                return err_set(err, -ENOTSUP, "linux.resources.unified needs cgroup v2");
        struct v1_plan pl = { .n = 0 };
        struct v1_lists l = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, NULL, NULL, NULL, false };
        int r = v1_check_kmem(cg, res, err);
        if (r < 0 || (r = v1_plan_memory(cg, res, &pl, err)) < 0)
                return r;
        v1_plan_cpu(res, &pl);
        if ((r = v1_plan_blkio(cg, res, &pl, err)) < 0 ||
            (r = v1_plan_blkio_lists(cg, res, &l, err)) < 0 ||
            (r = v1_plan_other_lists(cg, res, &l, err)) < 0)
                goto out;
        for (size_t i = 0; i < pl.n; i++) {
                r = v1_write_ctrl(cg, pl.s[i].ctrl, pl.s[i].file, pl.s[i].value, err);
                if (r < 0)
                        goto out;
        }
        if ((r = v1_write_blkio_lists(res, &l, err)) >= 0 &&
            (r = v1_write_other_lists(res, &l, err)) >= 0)
                r = v1_apply_devices(cg, res, err);
out:
        v1_lists_close(&l);
        return r;
}

/* The union of cgroup.procs over every hierarchy; a missing directory has none. */
static int v1_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct err *err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        for (size_t i = 0; i < cg->n_hier; i++) {
                struct cgroup_hier *h = &cg->hier[i];
                _cleanup_close_ int fd = cgroup_open_leaf(cg, h);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return err_errno(err, fd, "open %s%s", h->mount, cg->path);
                int r = cgroup_read_procs(fd, &pids, &n, err);
                if (r < 0)
                        return err_wrap(err, "%s%s", h->mount, cg->path);
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

static int v1_kill_all(struct cgroup *cg, int sig, struct err *err)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = v1_pids(cg, &pids, &n, err);
        return r < 0 ? r : cgroup_signal_pids(pids, n, sig, err);
}

static int v1_freezer_leaf(struct cgroup *cg, struct err *err)
{
        struct cgroup_hier *h = v1_find(cg, "freezer");
        if (!h)
                return err_set(err, -ENOTSUP, "the freezer cgroup controller is not mounted");
        int fd = cgroup_open_leaf(cg, h);
        return fd < 0 ? err_errno(err, fd, "open %s%s", h->mount, cg->path) : fd;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct err *err)
{
        const char *target = frozen ? "FROZEN" : "THAWED";
        _cleanup_close_ int fd = v1_freezer_leaf(cg, err);
        if (fd < 0)
                return fd;
        for (unsigned int waited = 0;; waited++) {
                /* a task busy in the kernel can stall FREEZING: ask again now and then */
                if (waited % 100 == 0) {
                        int r = cgroup_write(fd, "freezer.state", target, err);
                        if (r < 0)
                                return r;
                }
                _cleanup_free_ char *state = NULL;
                int r = cgroup_read(fd, "freezer.state", &state);
                if (r < 0)
                        return err_errno(err, r, "read freezer.state");
                if (!strcmp(state, target))
                        return 0;
                if (waited >= CGROUP_WAIT_MS) {
                        if (frozen)
                                (void)cgroup_write(fd, "freezer.state", "THAWED", err);
                        return err_set(err, -EBUSY, "cgroup %s: freezer.state still %s after %d ms",
                                       cg->path, state, CGROUP_WAIT_MS);
                }
                cgroup_sleep_ms(1);
        }
}

static bool v1_is_frozen(struct cgroup *cg)
{
        struct err ignored = { 0 };
        _cleanup_close_ int fd = v1_freezer_leaf(cg, &ignored);
        _cleanup_free_ char *state = NULL;
        return fd >= 0 && cgroup_read(fd, "freezer.state", &state) >= 0 && !strcmp(state, "FROZEN");
}

/* Removes the directories; cgroup_destroy has emptied the cgroup first. */
static int v1_destroy(struct cgroup *cg, struct err *err)
{
        int first = 0;
        for (size_t i = 0; i < cg->n_hier; i++) {
                struct err e = { 0 };
                int r = cgroup_hier_rmdir(cg, &cg->hier[i], -1, &e);
                if (r < 0 && first == 0)
                        first = err_set(err, r, "%s", e.msg);
        }
        return first;
}

/* The container's directory in the hierarchy holding ctrl; -ENOENT when none does. */
static int v1_leaf_of(struct cgroup *cg, const char *ctrl)
{
        struct cgroup_hier *h = v1_find(cg, ctrl);
        return h ? cgroup_open_leaf(cg, h) : -ENOENT;
}

static void v1_stats_cpu(struct cgroup *cg, struct cgroup_stats *s)
{
        _cleanup_close_ int acct = v1_leaf_of(cg, "cpuacct");
        if (acct >= 0) {
                _cleanup_free_ char *pc = NULL, *pu = NULL, *pk = NULL;
                (void)cgroup_read_u64(acct, "cpuacct.usage", &s->cpu.total);
                (void)cgroup_read_u64(acct, "cpuacct.usage_user", &s->cpu.user);
                (void)cgroup_read_u64(acct, "cpuacct.usage_sys", &s->cpu.kernel);
                if (cgroup_read(acct, "cpuacct.usage_percpu", &pc) >= 0)
                        s->cpu.n_percpu = cgroup_parse_u64s(pc, s->cpu.percpu, CGROUP_STATS_CPUS);
                if (cgroup_read(acct, "cpuacct.usage_percpu_user", &pu) >= 0)
                        s->cpu.n_percpu_user = cgroup_parse_u64s(pu, s->cpu.percpu_user,
                                                                 CGROUP_STATS_CPUS);
                if (cgroup_read(acct, "cpuacct.usage_percpu_sys", &pk) >= 0)
                        s->cpu.n_percpu_kernel = cgroup_parse_u64s(pk, s->cpu.percpu_kernel,
                                                                   CGROUP_STATS_CPUS);
        }
        _cleanup_close_ int cpu = v1_leaf_of(cg, "cpu");
        if (cpu >= 0) {
                (void)cgroup_read_key(cpu, "cpu.stat", "nr_periods", &s->cpu.periods);
                (void)cgroup_read_key(cpu, "cpu.stat", "nr_throttled", &s->cpu.throttled_periods);
                (void)cgroup_read_key(cpu, "cpu.stat", "throttled_time", &s->cpu.throttled_time);
        }
}

/* prefix "memory", "memory.memsw", "memory.kmem" or "memory.kmem.tcp". */
static void v1_mem_entry(int fd, const char *prefix, struct cgroup_mem_entry *e)
{
        static const char *const suffix[] = { "limit_in_bytes", "usage_in_bytes",
                                              "max_usage_in_bytes", "failcnt" };
        uint64_t *dst[] = { &e->limit, &e->usage, &e->max, &e->failcnt };
        for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
                char f[64];
                snprintf(f, sizeof(f), "%s.%s", prefix, suffix[i]);
                (void)cgroup_read_u64(fd, f, dst[i]);
        }
}

static int v1_stats(struct cgroup *cg, struct cgroup_stats *s, struct err *err)
{
        _cleanup_close_ int mem = v1_leaf_of(cg, "memory");
        if (mem < 0 && mem != -ENOENT)
                return err_errno(err, mem, "open memory cgroup %s", cg->path);
        if (mem >= 0) {
                v1_mem_entry(mem, "memory", &s->memory.usage);
                v1_mem_entry(mem, "memory.memsw", &s->memory.swap);
                v1_mem_entry(mem, "memory.kmem", &s->memory.kernel);
                v1_mem_entry(mem, "memory.kmem.tcp", &s->memory.kernel_tcp);
                cgroup_stats_raw(mem, "memory.stat", s);
                s->memory.cache = cgroup_stats_raw_get(s, "cache");
                (void)cgroup_read_key(mem, "memory.oom_control", "oom_kill", &s->memory.oom_kill);
        }
        v1_stats_cpu(cg, s);
        _cleanup_close_ int pids = v1_leaf_of(cg, "pids");
        if (pids >= 0) {
                (void)cgroup_read_u64(pids, "pids.current", &s->pids.current);
                if (cgroup_read_u64(pids, "pids.max", &s->pids.limit) >= 0 &&
                    s->pids.limit == UINT64_MAX)
                        s->pids.limit = 0;
        }
        _cleanup_close_ int blk = v1_leaf_of(cg, "blkio");
        _cleanup_free_ char *bytes = NULL, *ios = NULL;
        if (blk >= 0 && cgroup_read(blk, "blkio.throttle.io_service_bytes_recursive", &bytes) >= 0)
                cgroup_parse_blkio_v1(bytes, &s->blkio.service_bytes);
        if (blk >= 0 && cgroup_read(blk, "blkio.throttle.io_serviced_recursive", &ios) >= 0)
                cgroup_parse_blkio_v1(ios, &s->blkio.serviced);
        _cleanup_close_ int huge = v1_leaf_of(cg, "hugetlb");
        if (huge >= 0)
                cgroup_stats_hugetlb(huge, false, s);
        /* hybrid: hugetlb may live on the cgroup2 at /sys/fs/cgroup/unified */
        for (size_t i = 0; i < cg->n_hier && s->n_hugetlb == 0; i++) {
                if (!cg->hier[i].is_v2)
                        continue;
                _cleanup_close_ int fd = cgroup_open_leaf(cg, &cg->hier[i]);
                if (fd >= 0)
                        cgroup_stats_hugetlb(fd, true, s);
        }
        return 0;
}

static int v1_oom_kills(struct cgroup *cg, uint64_t *ret, struct err *err)
{
        _cleanup_close_ int mem = v1_leaf_of(cg, "memory");
        if (mem == -ENOENT)
                return 0;
        if (mem < 0)
                return err_errno(err, mem, "open memory cgroup %s", cg->path);
        int r = cgroup_read_key(mem, "memory.oom_control", "oom_kill", ret);
        return r < 0 && r != -ENOENT ? err_errno(err, r, "read memory.oom_control") : 0;
}

const struct cgroup_ops cgroup_v1_ops = {
        .init = v1_init,
        .create = v1_create,
        .enter = v1_enter,
        .update = v1_update,
        .pids = v1_pids,
        .kill_all = v1_kill_all,
        .freeze = v1_freeze,
        .is_frozen = v1_is_frozen,
        .destroy = v1_destroy,
        .stats = v1_stats,
        .oom_kills = v1_oom_kills,
};
