/* cgroup_stats.c: parsing the kernel's statistics files, shared by the v1 and v2
 * implementations of cgroup_stats. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cgroup_internal.h"
#include "util/cleanup.h"

#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages"

static bool parse_u64(const char *s, uint64_t *ret)
{
        if (!strcmp(s, "max")) {
                *ret = UINT64_MAX;
                return true;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || (*end && *end != '\n' && *end != ' '))
                return false;
        *ret = v;
        return true;
}

int cgroup_read_u64(int dirfd, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *buf = NULL;
        int r = cgroup_read(dirfd, file, &buf);
        if (r < 0)
                return r;
        return parse_u64(buf, ret) ? 0 : -EINVAL;
}

int cgroup_read_key(int dirfd, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *buf = NULL;
        int r = cgroup_read(dirfd, file, &buf);
        if (r < 0)
                return r;
        size_t len = strlen(key);
        for (char *p = buf, *line; (line = strsep(&p, "\n"));)
                if (!strncmp(line, key, len) && line[len] == ' ')
                        return parse_u64(line + len + 1, ret) ? 0 : -EINVAL;
        return -ENOENT;
}

size_t cgroup_parse_kv(const char *text, struct cgroup_kv *out, size_t cap)
{
        size_t n = 0;
        for (const char *p = text; *p && n < cap;) {
                size_t len = strcspn(p, "\n");
                char key[sizeof(out->key)];
                unsigned long long v;
                char line[128];
                snprintf(line, sizeof(line), "%.*s", (int)len, p);
                if (sscanf(line, "%47s %llu", key, &v) == 2) {
                        snprintf(out[n].key, sizeof(out[n].key), "%s", key);
                        out[n++].value = v;
                }
                p += len;
                if (*p)
                        p++;
        }
        return n;
}

size_t cgroup_parse_u64s(const char *text, uint64_t *out, size_t cap)
{
        size_t n = 0;
        const char *p = text;
        while (n < cap) {
                char *end;
                p += strspn(p, " \t\n");
                if (!*p)
                        break;
                unsigned long long v = strtoull(p, &end, 10);
                if (end == p)
                        break;
                out[n++] = v;
                p = end;
        }
        return n;
}

static void blkio_add(struct cgroup_blkio_list *l, uint64_t major, uint64_t minor, const char *op,
                      uint64_t value)
{
        if (l->n >= CGROUP_STATS_BLKIO)
                return;
        struct cgroup_blkio_entry *e = &l->e[l->n++];
        e->major = major;
        e->minor = minor;
        snprintf(e->op, sizeof(e->op), "%s", op);
        e->value = value;
}

void cgroup_parse_blkio_v1(const char *text, struct cgroup_blkio_list *out)
{
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                char line[160], op[16];
                unsigned long long maj, min, v;
                snprintf(line, sizeof(line), "%.*s", (int)len, p);
                if (sscanf(line, "%llu:%llu %15s %llu", &maj, &min, op, &v) == 4)
                        blkio_add(out, maj, min, op, v);
                p += len;
                if (*p)
                        p++;
        }
}

/* io.stat keys and where runc puts them. */
static const struct {
        const char *key;
        const char *op;
        bool bytes;
} io_stat_keys[] = {
        { "rbytes", "Read", true },
        { "wbytes", "Write", true },
        { "rios", "Read", false },
        { "wios", "Write", false },
};

static void io_stat_field(const char *field, uint64_t maj, uint64_t min,
                          struct cgroup_blkio_list *bytes, struct cgroup_blkio_list *ios)
{
        const char *eq = strchr(field, '=');
        uint64_t v;
        if (!eq || !parse_u64(eq + 1, &v))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(io_stat_keys); i++) {
                size_t klen = strlen(io_stat_keys[i].key);
                if ((size_t)(eq - field) == klen && !strncmp(field, io_stat_keys[i].key, klen))
                        blkio_add(io_stat_keys[i].bytes ? bytes : ios, maj, min,
                                  io_stat_keys[i].op, v);
        }
}

void cgroup_parse_io_stat(const char *text, struct cgroup_blkio_list *bytes,
                          struct cgroup_blkio_list *ios)
{
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                char line[512];
                unsigned long long maj, min;
                int off = 0;
                snprintf(line, sizeof(line), "%.*s", (int)len, p);
                if (sscanf(line, "%llu:%llu%n", &maj, &min, &off) == 2) {
                        char *save = NULL;
                        for (char *f = strtok_r(line + off, " ", &save); f;
                             f = strtok_r(NULL, " ", &save))
                                io_stat_field(f, maj, min, bytes, ios);
                }
                p += len;
                if (*p)
                        p++;
        }
}

/* "hugepages-2048kB" -> "2MB" (the kernel's own naming in hugetlb.<size>.*). */
static bool hugepage_name(const char *dname, char *out, size_t cap)
{
        static const char *const units[] = { "KB", "MB", "GB" };
        unsigned long long v;
        if (sscanf(dname, "hugepages-%llukB", &v) != 1)
                return false;
        size_t u = 0;
        while (u + 1 < ARRAY_SIZE(units) && v >= 1024 && v % 1024 == 0) {
                v /= 1024;
                u++;
        }
        int n = snprintf(out, cap, "%llu%s", v, units[u]);
        return n > 0 && (size_t)n < cap;
}

size_t cgroup_hugepage_sizes(char (*out)[16], size_t cap)
{
        _cleanup_closedir_ DIR *d = opendir(HUGEPAGES_DIR);
        size_t n = 0;
        if (!d)
                return 0;
        struct dirent *de;
        while (n < cap && (de = readdir(d)))
                if (hugepage_name(de->d_name, out[n], sizeof(out[n])))
                        n++;
        return n;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct err *err)
{
        memset(ret, 0, sizeof(*ret));
        return cg->ops->stats(cg, ret, err);
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *ret, struct err *err)
{
        *ret = 0;
        return cg->ops->oom_kills(cg, ret, err);
}

void cgroup_stats_hugetlb(int fd, bool v2, struct cgroup_stats *s)
{
        char sizes[CGROUP_STATS_HUGE][16];
        size_t n = cgroup_hugepage_sizes(sizes, CGROUP_STATS_HUGE);
        for (size_t i = 0; i < n && s->n_hugetlb < CGROUP_STATS_HUGE; i++) {
                struct cgroup_hugetlb_stat *h = &s->hugetlb[s->n_hugetlb];
                char f[64];
                snprintf(f, sizeof(f), "hugetlb.%s.%s", sizes[i], v2 ? "current" : "usage_in_bytes");
                if (cgroup_read_u64(fd, f, &h->usage) < 0)
                        continue;
                snprintf(h->size, sizeof(h->size), "%s", sizes[i]);
                if (v2) {
                        snprintf(f, sizeof(f), "hugetlb.%s.events", sizes[i]);
                        (void)cgroup_read_key(fd, f, "max", &h->failcnt);
                } else {
                        snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
                        (void)cgroup_read_u64(fd, f, &h->max);
                        snprintf(f, sizeof(f), "hugetlb.%s.failcnt", sizes[i]);
                        (void)cgroup_read_u64(fd, f, &h->failcnt);
                }
                s->n_hugetlb++;
        }
}

void cgroup_stats_raw(int fd, const char *file, struct cgroup_stats *s)
{
        _cleanup_free_ char *buf = NULL;
        if (cgroup_read(fd, file, &buf) >= 0)
                s->memory.n_raw = cgroup_parse_kv(buf, s->memory.raw, CGROUP_STATS_RAW);
}

uint64_t cgroup_stats_raw_get(const struct cgroup_stats *s, const char *key)
{
        for (size_t i = 0; i < s->memory.n_raw; i++)
                if (!strcmp(s->memory.raw[i].key, key))
                        return s->memory.raw[i].value;
        return 0;
}
