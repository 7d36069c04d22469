/* cgroup_internal.h: what cgroup.c shares with cgroup_v1.c, cgroup_v2.c, cgroup_stats.c
 * and cgroup_bpf.c. Only those (and the cgroup unit test) include this; everyone else
 * uses cgroup.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_UNIFIED_HYBRID "/sys/fs/cgroup/unified"
#define CGROUP_HIER_MAX 16
#define CGROUP_WAIT_MS 5000 /* bound on every wait for the kernel (kill, freeze, rmdir) */

/* One mounted hierarchy: a v1 controller set, or a cgroup2 (pure v2, or the hybrid one). */
struct cgroup_hier {
        char *mount;       /* "/sys/fs/cgroup/memory" */
        char *options;     /* v1 super options: "rw,memory" (NULL for cgroup2) */
        bool is_v2;
        int root_fd;       /* O_DIRECTORY fd of the mount point */
        int created_from;  /* create: index of the first path component we made; -1 none */
};

struct cgroup_ops {
        int (*init)(struct cgroup *cg, struct err *err); /* find hierarchies; no changes */
        int (*create)(struct cgroup *cg, struct err *err);
        int (*enter)(struct cgroup *cg, pid_t pid, struct err *err);
        int (*update)(struct cgroup *cg, const struct spec_resources *res, struct err *err);
        int (*pids)(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct err *err);
        int (*kill_all)(struct cgroup *cg, int sig, struct err *err);
        int (*freeze)(struct cgroup *cg, bool frozen, struct err *err);
        bool (*is_frozen)(struct cgroup *cg);
        int (*destroy)(struct cgroup *cg, struct err *err);
        int (*stats)(struct cgroup *cg, struct cgroup_stats *ret, struct err *err);
        int (*oom_kills)(struct cgroup *cg, uint64_t *ret, struct err *err);
};

struct cgroup {
        const struct cgroup_ops *ops;
        enum cgroup_layout layout;
        char *path;        /* normalised absolute path: "/staple-test/c1" */
        const char *rel;   /* path + 1: relative to a hierarchy root */
        int leaf_fd;       /* v2: the leaf directory (CLONE_INTO_CGROUP), else -1 */
        struct cgroup_hier hier[CGROUP_HIER_MAX];
        size_t n_hier;
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Adds a hierarchy mounted at `mount`; opens its root. `options` may be NULL. */
int cgroup_hier_add(struct cgroup *cg, const char *mount, const char *options, bool is_v2,
                    struct err *err);

/* Writes value to dirfd/file in one write(2). Error: "write memory.max=abc: Invalid argument". */
int cgroup_write(int dirfd, const char *file, const char *value, struct err *err);
/* One rdma.max line for d ("mlx5_1 hca_handle=3 hca_object=max"), the same on v1 and v2. */
struct spec_rdma_limit;
int cgroup_write_rdma(int dirfd, const struct spec_rdma_limit *d, struct err *err);

int cgroup_writef(int dirfd, const char *file, struct err *err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Reads dirfd/file with trailing whitespace removed; *ret owned by the caller. */
int cgroup_read(int dirfd, const char *file, char **ret);

/* Opens the container's directory in hierarchy h (O_RDONLY|O_DIRECTORY). */
int cgroup_open_leaf(const struct cgroup *cg, const struct cgroup_hier *h);

/* Called for each level of the path while it is created, root side first. parent_fd is the
 * level above; created says whether this call made the directory. */
typedef int (*cgroup_step_fn)(int parent_fd, int fd, const char *name, bool created,
                              bool is_leaf, void *userdata, struct err *err);

/* mkdir -p of the container path in h, calling step (may be NULL) on each level.
 * Records h->created_from. */
int cgroup_hier_mkdir(struct cgroup *cg, struct cgroup_hier *h, cgroup_step_fn step,
                      void *userdata, struct err *err);

/* Removes the leaf of h, then its parents up to (not including) the root, stopping
 * quietly at the first that is busy or not empty. stop_at: -1 for every parent, or the
 * index of the first component to keep (create rollback). Missing leaf is fine. */
int cgroup_hier_rmdir(struct cgroup *cg, struct cgroup_hier *h, int stop_at, struct err *err);

/* Appends the pids of dirfd/cgroup.procs to *pids, skipping ones already there. */
int cgroup_read_procs(int dirfd, pid_t **pids, size_t *n, struct err *err);

/* Sends sig to each pid; pids that are gone already are fine. */
int cgroup_signal_pids(const pid_t *pids, size_t n, int sig, struct err *err);

/* Sleeps about ms milliseconds (for bounded polling). */
void cgroup_sleep_ms(unsigned int ms);

/* Common "kill what is left and wait until empty" used by both destroy implementations. */
int cgroup_kill_and_wait(struct cgroup *cg, struct err *err);

/* ---- reading statistics (cgroup_stats.c) ---- */

/* A number file: "max" reads as UINT64_MAX. -ENOENT when the file is missing. */
int cgroup_read_u64(int dirfd, const char *file, uint64_t *ret);

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events, ...); -ENOENT when
 * the file or the key is missing. */
int cgroup_read_key(int dirfd, const char *file, const char *key, uint64_t *ret);

/* Parses "key N" lines into out (at most cap); returns the count. */
size_t cgroup_parse_kv(const char *text, struct cgroup_kv *out, size_t cap);

/* Parses whitespace-separated numbers into out (at most cap); returns the count. */
size_t cgroup_parse_u64s(const char *text, uint64_t *out, size_t cap);

/* v1 blkio: "8:0 Read 4096" lines ("Total N" lines are skipped). */
void cgroup_parse_blkio_v1(const char *text, struct cgroup_blkio_list *out);

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" lines, as runc maps
 * them: bytes to Read/Write service_bytes, ios to Read/Write serviced. */
void cgroup_parse_io_stat(const char *text, struct cgroup_blkio_list *bytes,
                          struct cgroup_blkio_list *ios);

/* Adds each huge page size that has files in fd (v1 or v2 names) to s->hugetlb. */
void cgroup_stats_hugetlb(int fd, bool v2, struct cgroup_stats *s);

/* memory.stat of fd into s->memory.raw; a missing file leaves it empty. */
void cgroup_stats_raw(int fd, const char *file, struct cgroup_stats *s);
uint64_t cgroup_stats_raw_get(const struct cgroup_stats *s, const char *key);

/* The host's huge page sizes as the cgroup files name them ("2MB", "1GB"). */
size_t cgroup_hugepage_sizes(char (*out)[16], size_t cap);

/* ---- cgroup v2 device control (cgroup_bpf.c) ---- */

/* Builds a BPF_PROG_TYPE_CGROUP_DEVICE program from the rules (the last matching rule
 * decides; no match allows), loads it, attaches it to cgroup_fd with BPF_F_ALLOW_MULTI,
 * then detaches the programs that were attached there before (an update). */
int cgroup_bpf_devices_apply(int cgroup_fd, const struct spec_device_rule *rules, size_t n,
                             struct err *err);

struct bpf_insn;
/* The program for rules; *ret_n instructions in out (cap at least cgroup_bpf_insn_max(n)). */
size_t cgroup_bpf_insn_max(size_t n_rules);
size_t cgroup_bpf_devices_program(const struct spec_device_rule *rules, size_t n,
                                  struct bpf_insn *out);
