/* spec_resources.c: linux.resources of config.json (runtime-spec config-linux.md, "Control
 * groups"), also the whole input of `update -r`. Checked here, applied by cgroup.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec_internal.h"

static int parse_device_rule(struct pctx *c, json_object *o, const char *p, void *item,
                             void *data)
{
        struct spec_device_rule *d = item;
        char pk[JPATH_MAX];
        const char *type = NULL, *access = NULL;
        bool has_allow = false;
        const struct spec_field fields[] = {
                JF_BOOL("allow", &d->allow, &has_allow),
                JF_STR("type", &type),
                JF_I64("major", &d->major, NULL, -1, UINT32_MAX),
                JF_I64("minor", &d->minor, NULL, -1, UINT32_MAX),
                JF_STR("access", &access),
        };
        int r;

        d->major = d->minor = -1;
        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jfields(c, o, p, fields, ARRAY_SIZE(fields))) < 0)
                return r;
        if (!has_allow)
                return spec_perr(c, spec_jkey(pk, p, "allow"), "required boolean is missing");
        if (!type || !*type)
                type = "a";
        if (strlen(type) != 1 || !strchr("acb", type[0]))
                return spec_perr(c, spec_jkey(pk, p, "type"),
                                 "expected \"a\", \"c\" or \"b\", got \"%s\"", type);
        d->type = type[0];
        if (!access || !*access)
                access = "rwm";
        size_t len = strlen(access);
        if (len > 3 || strspn(access, "rwm") != len)
                return spec_perr(c, spec_jkey(pk, p, "access"),
                                 "expected a subset of \"rwm\", got \"%s\"", access);
        memcpy(d->access, access, len + 1);
        return 0;
}

static int parse_memory(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        json_object *o;
        int64_t ignored; /* kernel memory limits are refused by cgroup.c, not kept */
        const struct spec_field fields[] = {
                JF_I64("limit", &rs->memory_limit, &rs->has_memory_limit, -1, INT64_MAX),
                JF_I64("reservation", &rs->memory_reservation, &rs->has_memory_reservation, -1,
                       INT64_MAX),
                JF_I64("swap", &rs->memory_swap, &rs->has_memory_swap, -1, INT64_MAX),
                JF_U64("swappiness", &rs->memory_swappiness, &rs->has_memory_swappiness, 100),
                JF_BOOL("disableOOMKiller", &rs->disable_oom_killer, &rs->has_disable_oom_killer),
                JF_BOOL("useHierarchy", &rs->memory_use_hierarchy, &rs->has_memory_use_hierarchy),
                JF_BOOL("checkBeforeUpdate", &rs->memory_check_before_update, NULL),
                JF_I64("kernel", &ignored, &rs->has_memory_kernel, INT64_MIN, INT64_MAX),
                JF_I64("kernelTCP", &ignored, &rs->has_memory_kernel_tcp, INT64_MIN, INT64_MAX),
        };

        int r = spec_jobj(c, res, "linux.resources", "memory", &o);
        if (r < 0 || !o)
                return r;
        return spec_jfields(c, o, "linux.resources.memory", fields, ARRAY_SIZE(fields));
}

static int parse_cpu(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        json_object *o;
        const struct spec_field fields[] = {
                JF_U64("shares", &rs->cpu_shares, &rs->has_cpu_shares, UINT64_MAX),
                JF_I64("quota", &rs->cpu_quota, &rs->has_cpu_quota, -1, INT64_MAX),
                JF_U64("period", &rs->cpu_period, &rs->has_cpu_period, UINT64_MAX),
                JF_I64("realtimeRuntime", &rs->cpu_rt_runtime, &rs->has_cpu_rt_runtime, -1,
                       INT64_MAX),
                JF_U64("realtimePeriod", &rs->cpu_rt_period, &rs->has_cpu_rt_period, UINT64_MAX),
                JF_STR("cpus", &rs->cpu_cpus),
                JF_STR("mems", &rs->cpu_mems),
                JF_U64("burst", &rs->cpu_burst, &rs->has_cpu_burst, UINT64_MAX),
                JF_I64("idle", &rs->cpu_idle, &rs->has_cpu_idle, 0, 1),
        };

        int r = spec_jobj(c, res, "linux.resources", "cpu", &o);
        if (r < 0 || !o)
                return r;
        return spec_jfields(c, o, "linux.resources.cpu", fields, ARRAY_SIZE(fields));
}

/* A weight of blockIO: 0 means "not set" (runc), else 10..1000. */
static int check_weight(struct pctx *c, const char *parent, const char *key, uint64_t *w,
                        bool *present)
{
        char pk[JPATH_MAX];

        if (*present && *w == 0)
                *present = false;
        if (*present && *w < 10)
                return spec_perr(c, spec_jkey(pk, parent, key),
                                 "must be between 10 and 1000, got %" PRIu64, *w);
        return 0;
}

/* weight and leafWeight of blockIO or of one of its weightDevice entries. */
static int parse_weights(struct pctx *c, json_object *o, const char *p, uint64_t *w,
                         bool *has_w, uint64_t *leaf, bool *has_leaf)
{
        int r;

        if ((r = spec_ju64(c, o, p, "weight", 1000, w, has_w)) < 0 ||
            (r = spec_ju64(c, o, p, "leafWeight", 1000, leaf, has_leaf)) < 0 ||
            (r = check_weight(c, p, "weight", w, has_w)) < 0)
                return r;
        return check_weight(c, p, "leafWeight", leaf, has_leaf);
}

static int parse_blkio_major_minor(struct pctx *c, json_object *o, const char *p,
                                   struct spec_blkio_device *d)
{
        char pk[JPATH_MAX];
        bool has_major = false, has_minor = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_ji64(c, o, p, "major", 0, UINT32_MAX, &d->major, &has_major)) < 0 ||
            (r = spec_ji64(c, o, p, "minor", 0, UINT32_MAX, &d->minor, &has_minor)) < 0)
                return r;
        if (!has_major || !has_minor)
                return spec_perr(c, spec_jkey(pk, p, has_major ? "minor" : "major"),
                                 "required integer is missing");
        return 0;
}

static int parse_weight_device(struct pctx *c, json_object *o, const char *p, void *item,
                               void *data)
{
        struct spec_blkio_device *d = item;
        int r = parse_blkio_major_minor(c, o, p, d);

        if (r < 0)
                return r;
        return parse_weights(c, o, p, &d->weight, &d->has_weight, &d->leaf_weight,
                             &d->has_leaf_weight);
}

static int parse_throttle_device(struct pctx *c, json_object *o, const char *p, void *item,
                                 void *data)
{
        struct spec_blkio_device *d = item;
        char pk[JPATH_MAX];
        bool has_rate = false;
        int r;

        if ((r = parse_blkio_major_minor(c, o, p, d)) < 0 ||
            (r = spec_ju64(c, o, p, "rate", UINT64_MAX, &d->rate, &has_rate)) < 0)
                return r;
        return has_rate ? 0 : spec_perr(c, spec_jkey(pk, p, "rate"), "required integer is missing");
}

static int parse_blkio(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        static const char *const throttles[SPEC_THROTTLE_COUNT] = {
                [SPEC_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
                [SPEC_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
                [SPEC_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
                [SPEC_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        const char *p = "linux.resources.blockIO";
        const size_t size = sizeof(struct spec_blkio_device);
        json_object *o;

        int r = spec_jobj(c, res, "linux.resources", "blockIO", &o);
        if (r < 0 || !o)
                return r;
        if ((r = parse_weights(c, o, p, &rs->blkio_weight, &rs->has_blkio_weight,
                               &rs->blkio_leaf_weight, &rs->has_blkio_leaf_weight)) < 0 ||
            (r = spec_jlist(c, o, p, "weightDevice", size, parse_weight_device, NULL,
                            (void **)&rs->blkio_weight_devices, &rs->n_blkio_weight_devices)) < 0)
                return r;
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                if ((r = spec_jlist(c, o, p, throttles[i], size, parse_throttle_device, NULL,
                                    (void **)&rs->blkio_throttle[i], &rs->n_blkio_throttle[i])) < 0)
                        return r;
        return 0;
}

/* "2MB", "1GB", "64KB": what the hugetlb cgroup files are named after. */
static bool valid_page_size(const char *s)
{
        size_t n = strspn(s, "0123456789");
        return n > 0 && n < 8 && s[0] != '0' && strchr("KMG", s[n]) && s[n] &&
               !strcmp(s + n + 1, "B");
}

static int parse_hugepage(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_hugepage_limit *h = item;
        char pk[JPATH_MAX];
        bool has_limit = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "pageSize", true, &h->page_size)) < 0 ||
            (r = spec_ju64(c, o, p, "limit", UINT64_MAX, &h->limit, &has_limit)) < 0)
                return r;
        if (!valid_page_size(h->page_size))
                return spec_perr(c, spec_jkey(pk, p, "pageSize"),
                                 "expected a size like \"2MB\" or \"1GB\", got \"%s\"",
                                 h->page_size);
        if (!has_limit)
                return spec_perr(c, spec_jkey(pk, p, "limit"), "required integer is missing");
        return 0;
}

/* linux.resources.rdma: {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}} */
static int parse_rdma(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.rdma";
        char pk[JPATH_MAX];
        json_object *m;

        int r = spec_jobj(c, res, "linux.resources", "rdma", &m);
        if (r < 0 || !m)
                return r;
        size_t n = (size_t)json_object_object_length(m);
        if (n > SPEC_MAX_ITEMS)
                return spec_perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        rs->rdma = calloc(n ? n : 1, sizeof(*rs->rdma));
        if (!rs->rdma)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object_object_foreach(m, k, v) {
                struct spec_rdma_limit *l = &rs->rdma[rs->n_rdma++];
                l->device = k;
                spec_jkey(pk, p, k);
                if (!k[0] || strpbrk(k, " \n="))
                        return spec_perr(c, pk, "bad device name");
                if ((r = spec_want(c, pk, v, json_type_object)) < 0 ||
                    (r = spec_ju32(c, v, pk, "hcaHandles", &l->handles, &l->has_handles)) < 0 ||
                    (r = spec_ju32(c, v, pk, "hcaObjects", &l->objects, &l->has_objects)) < 0)
                        return r;
        }
        return 0;
}

static int parse_net_priority(struct pctx *c, json_object *o, const char *p, void *item,
                              void *data)
{
        struct spec_net_priority *np = item;
        bool has_prio = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "name", true, &np->name)) < 0 ||
            (r = spec_ju32(c, o, p, "priority", &np->priority, &has_prio)) < 0)
                return r;
        if (!has_prio)
                return spec_perr(c, p, "required integer \"priority\" is missing");
        return 0;
}

static int parse_network(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.network";
        json_object *o;

        int r = spec_jobj(c, res, "linux.resources", "network", &o);
        if (r < 0 || !o)
                return r;
        if ((r = spec_ju32(c, o, p, "classID", &rs->net_class_id, &rs->has_net_class_id)) < 0)
                return r;
        return spec_jlist(c, o, p, "priorities", sizeof(*rs->net_priorities), parse_net_priority,
                          NULL, (void **)&rs->net_priorities, &rs->n_net_priorities);
}

int spec_parse_linux_resources(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        const char *p = "linux.resources";
        json_object *res, *o;
        struct spec_resources *rs = &l->resources;

        int r = spec_jobj(c, lo, "linux", "resources", &res);
        if (r < 0 || !res)
                return r;
        l->has_resources = true;
        if ((r = parse_memory(c, res, rs)) < 0 || (r = parse_cpu(c, res, rs)) < 0 ||
            (r = spec_jobj(c, res, p, "pids", &o)) < 0)
                return r;
        if (o && (r = spec_ji64(c, o, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX,
                                &rs->pids_limit, &rs->has_pids_limit)) < 0)
                return r;
        if ((r = parse_blkio(c, res, rs)) < 0 ||
            (r = spec_jlist(c, res, p, "hugepageLimits", sizeof(*rs->hugepage_limits),
                            parse_hugepage, NULL, (void **)&rs->hugepage_limits,
                            &rs->n_hugepage_limits)) < 0 ||
            (r = parse_rdma(c, res, rs)) < 0 || (r = parse_network(c, res, rs)) < 0 ||
            (r = spec_jstrmap(c, res, p, "unified", &rs->unified_keys, &rs->unified_values,
                              &rs->n_unified)) < 0)
                return r;
        return spec_jlist(c, res, p, "devices", sizeof(*rs->devices), parse_device_rule, NULL,
                          (void **)&rs->devices, &rs->n_devices);
}

void spec_resources_free(struct spec_resources *rs)
{
        free(rs->devices);
        free(rs->blkio_weight_devices);
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                free(rs->blkio_throttle[i]);
        free(rs->hugepage_limits);
        free(rs->rdma);
        free(rs->net_priorities);
        free(rs->unified_keys);
        free(rs->unified_values);
}
