/* cgroup.c: detects the layout once, picks cgroup_v1_ops or cgroup_v2_ops, and holds
 * the helpers both use (paths, reading and writing control files, mkdir and rmdir). */
#include "oci/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "oci/cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define CGROUP_PATH_MAX 4096
#define CGROUP_PIDS_MAX (1u << 22)

static int statfs_magic(const char *path, long *ret)
{
        struct statfs st;
        if (statfs(path, &st) < 0)
                return neg_errno();
        *ret = (long)st.f_type;
        return 0;
}

int cgroup_layout_detect(enum cgroup_layout *ret, struct err *err)
{
        static int cached = -1;
        if (cached >= 0) {
                *ret = (enum cgroup_layout)cached;
                return 0;
        }
        long magic;
        int r = statfs_magic(CGROUP_ROOT, &magic);
        if (r < 0)
                return err_errno(err, r, "statfs %s", CGROUP_ROOT);
        if (magic == CGROUP2_SUPER_MAGIC) {
                cached = CGROUP_LAYOUT_V2;
        } else if (magic == TMPFS_MAGIC) {
                long umagic;
                bool hybrid = statfs_magic(CGROUP_UNIFIED_HYBRID, &umagic) == 0 &&
                              umagic == CGROUP2_SUPER_MAGIC;
                cached = hybrid ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1;
        } else {
                return err_set(err, -ENOTSUP, "%s is neither cgroup2 nor a tmpfs of v1 hierarchies",
                               CGROUP_ROOT);
        }
        *ret = (enum cgroup_layout)cached;
        return 0;
}

/* Appends one path component to out ("/a" + "b"), refusing "." and "..". */
static int path_append(char *out, size_t cap, const char *comp, size_t len)
{
        if ((len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
                return -EINVAL;
        size_t used = strlen(out);
        if (used + 1 + len + 1 > cap)
                return -ENAMETOOLONG;
        out[used] = '/';
        memcpy(out + used + 1, comp, len);
        out[used + 1 + len] = '\0';
        return 0;
}

/* "a//b/" -> "/a/b"; refuses "..", "." and the root itself. */
static int path_normalize(const char *in, char **ret)
{
        _cleanup_free_ char *out = calloc(1, CGROUP_PATH_MAX);
        if (!out)
                return -ENOMEM;
        for (const char *p = in; *p;) {
                size_t len = strcspn(p, "/");
                if (len > 0) {
                        int r = path_append(out, CGROUP_PATH_MAX, p, len);
                        if (r < 0)
                                return r;
                }
                p += len;
                if (*p == '/')
                        p++;
        }
        if (out[0] == '\0')
                return -EINVAL;
        *ret = TAKE_PTR(out);
        return 0;
}

int cgroup_resolve_path(const char *cgroups_path, const char *id, char **ret, struct err *err)
{
        if (!cgroups_path) {
                if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
                        return err_set(err, -EINVAL, "container id \"%s\" cannot name a cgroup",
                                       id ? id : "");
                char buf[CGROUP_PATH_MAX];
                int n = snprintf(buf, sizeof(buf), "/staple/%s", id);
                if (n < 0 || (size_t)n >= sizeof(buf))
                        return err_set(err, -ENAMETOOLONG, "container id too long for a cgroup path");
                int r = path_normalize(buf, ret);
                return r < 0 ? err_set(err, r, "bad cgroup path %s", buf) : 0;
        }
        if (cgroups_path[0] != '/' && strchr(cgroups_path, ':'))
                return err_set(err, -ENOTSUP,
                               "cgroupsPath \"%s\": systemd slice paths are not supported "
                               "(no systemd cgroup manager)", cgroups_path);
        int r = path_normalize(cgroups_path, ret);
        if (r == -ENAMETOOLONG)
                return err_set(err, r, "cgroupsPath too long");
        if (r < 0)
                return err_set(err, r, "cgroupsPath \"%s\": must name a cgroup below the root, "
                               "without \".\" or \"..\" components", cgroups_path);
        return 0;
}

/* Refuses a path equal to or below the caller's own (non-root) cgroup on any hierarchy:
 * killing or removing it would hit the runtime itself. */
static int check_not_own(const char *path, struct err *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return err_errno(err, neg_errno(), "open /proc/self/cgroup");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                line[strcspn(line, "\n")] = '\0';
                char *own = strchr(line, ':');
                own = own ? strchr(own + 1, ':') : NULL;
                if (!own || !strcmp(own + 1, "/"))
                        continue;
                own++;
                size_t len = strlen(own);
                if (!strncmp(path, own, len) && (path[len] == '\0' || path[len] == '/'))
                        return err_set(err, -EPERM, "cgroup %s is inside the runtime's own cgroup %s",
                                       path, own);
        }
        return 0;
}

int cgroup_hier_add(struct cgroup *cg, const char *mount, const char *options, bool is_v2,
                    struct err *err)
{
        if (cg->n_hier >= CGROUP_HIER_MAX)
                return err_set(err, -E2BIG, "more than %d cgroup hierarchies", CGROUP_HIER_MAX);
        int fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open %s", mount);
        struct cgroup_hier *h = &cg->hier[cg->n_hier];
        *h = (struct cgroup_hier){ .is_v2 = is_v2, .root_fd = fd, .created_from = -1 };
        h->mount = strdup(mount);
        h->options = options ? strdup(options) : NULL;
        cg->n_hier++;
        if (!h->mount || (options && !h->options))
                return err_set(err, -ENOMEM, "out of memory");
        return 0;
}

static int cgroup_new(const char *path, struct cgroup **ret, struct err *err)
{
        enum cgroup_layout layout;
        int r = cgroup_layout_detect(&layout, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *norm = NULL;
        r = path_normalize(path ? path : "", &norm);
        if (r < 0)
                return err_set(err, r, "bad cgroup path \"%s\"", path ? path : "");
        r = check_not_own(norm, err);
        if (r < 0)
                return r;
        struct cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg)
                return err_set(err, -ENOMEM, "out of memory");
        cg->layout = layout;
        cg->ops = layout == CGROUP_LAYOUT_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
        cg->path = TAKE_PTR(norm);
        cg->rel = cg->path + 1;
        cg->leaf_fd = -1;
        r = cg->ops->init(cg, err);
        if (r < 0) {
                cgroup_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

static void cgroup_rollback(struct cgroup *cg)
{
        struct err ignored = { 0 };
        for (size_t i = 0; i < cg->n_hier; i++)
                if (cg->hier[i].created_from >= 0)
                        cgroup_hier_rmdir(cg, &cg->hier[i], cg->hier[i].created_from, &ignored);
}

int cgroup_create(const char *path, const struct spec_resources *res, struct cgroup **ret,
                  struct err *err)
{
        struct cgroup *cg = NULL;
        int r = cgroup_new(path, &cg, err);
        if (r < 0)
                return r;
        r = cg->ops->create(cg, err);
        if (r >= 0 && res)
                r = cg->ops->update(cg, res, err);
        if (r < 0) {
                cgroup_rollback(cg);
                cgroup_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

int cgroup_open(const char *path, struct cgroup **ret, struct err *err)
{
        return cgroup_new(path, ret, err);
}

int cgroup_clone_fd(const struct cgroup *cg)
{
        return cg->leaf_fd;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct err *err)
{
        return cg->ops->enter(cg, pid, err);
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct err *err)
{
        return res ? cg->ops->update(cg, res, err) : 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n, struct err *err)
{
        return cg->ops->pids(cg, ret, ret_n, err);
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct err *err)
{
        int r = cg->ops->kill_all(cg, sig, err);
        /* a frozen task dies of SIGKILL only once thawed (v1 freezer; a paused container) */
        if (r >= 0 && sig == SIGKILL && cg->ops->is_frozen(cg))
                r = cg->ops->freeze(cg, false, err);
        return r;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct err *err)
{
        return cg->ops->freeze(cg, frozen, err);
}

bool cgroup_is_frozen(struct cgroup *cg)
{
        return cg->ops->is_frozen(cg);
}

int cgroup_destroy(struct cgroup *cg, struct err *err)
{
        /* a frozen task does not die until thawed; then nothing may be left inside */
        int r = cg->ops->is_frozen(cg) ? cg->ops->freeze(cg, false, err) : 0;
        if (r >= 0)
                r = cgroup_kill_and_wait(cg, err);
        return r < 0 ? r : cg->ops->destroy(cg, err);
}

const char *cgroup_path(const struct cgroup *cg)
{
        return cg->path;
}

void cgroup_free(struct cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n_hier; i++) {
                closep(&cg->hier[i].root_fd);
                free(cg->hier[i].mount);
                free(cg->hier[i].options);
        }
        closep(&cg->leaf_fd);
        free(cg->path);
        free(cg);
}

/* ---- helpers shared by cgroup_v1.c and cgroup_v2.c ---- */

int cgroup_write(int dirfd, const char *file, const char *value, struct err *err)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_errno(err, neg_errno(), "write %s=%s", file, value);
        /* one write(2): the kernel parses each write as a whole value */
        ssize_t n = write(fd, value, strlen(value));
        if (n < 0)
                return err_errno(err, neg_errno(), "write %s=%s", file, value);
        if ((size_t)n != strlen(value))
                return err_set(err, -EIO, "write %s=%s: short write", file, value);
        return 0;
}

int cgroup_write_rdma(int dirfd, const struct spec_rdma_limit *d, struct err *err)
{
        char hs[16] = "max", os[16] = "max";
        if (d->has_handles)
                snprintf(hs, sizeof(hs), "%" PRIu32, d->handles);
        if (d->has_objects)
                snprintf(os, sizeof(os), "%" PRIu32, d->objects);
        return cgroup_writef(dirfd, "rdma.max", err, "%s hca_handle=%s hca_object=%s", d->device, hs, os);
}

int cgroup_writef(int dirfd, const char *file, struct err *err, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return err_set(err, -ENAMETOOLONG, "value for %s too long", file);
        return cgroup_write(dirfd, file, buf, err);
}

int cgroup_read(int dirfd, const char *file, char **ret)
{
        char *buf = NULL;
        size_t len = 0;
        int r = read_file_at(dirfd, file, &buf, &len);
        if (r < 0)
                return r;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                buf[--len] = '\0';
        *ret = buf;
        return 0;
}

int cgroup_open_leaf(const struct cgroup *cg, const struct cgroup_hier *h)
{
        int fd = openat(h->root_fd, cg->rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? neg_errno() : fd;
}

static int hier_mkdir_once(struct cgroup *cg, struct cgroup_hier *h, cgroup_step_fn step,
                           void *userdata, struct err *err)
{
        int parent = h->root_fd;
        _cleanup_close_ int owned = -EBADF;
        int idx = 0;
        for (const char *p = cg->rel; *p; idx++) {
                size_t len = strcspn(p, "/");
                char name[NAME_MAX + 1];
                if (len > NAME_MAX)
                        return err_set(err, -ENAMETOOLONG, "cgroup path component too long");
                memcpy(name, p, len);
                name[len] = '\0';
                int shown = (int)(p - cg->path + len); /* "/a/b" up to this level */
                p += len;
                if (*p == '/')
                        p++;
                bool created = mkdirat(parent, name, 0755) == 0;
                if (!created && errno != EEXIST)
                        return err_errno(err, neg_errno(), "mkdir %s%.*s", h->mount, shown,
                                         cg->path);
                if (created && h->created_from < 0)
                        h->created_from = idx;
                int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        return err_errno(err, neg_errno(), "open %s%.*s", h->mount, shown,
                                         cg->path);
                if (step) {
                        int r = step(parent, fd, name, created, *p == '\0', userdata, err);
                        if (r < 0) {
                                close(fd);
                                return err_wrap(err, "%s%.*s", h->mount, shown, cg->path);
                        }
                }
                closep(&owned);
                owned = parent = fd;
        }
        return 0;
}

int cgroup_hier_mkdir(struct cgroup *cg, struct cgroup_hier *h, cgroup_step_fn step,
                      void *userdata, struct err *err)
{
        /* a parent we found may be removed by a concurrent delete of its last other child:
         * mkdirat below it then fails with ENOENT (or a read in it with ENODEV); walk again */
        int r;
        for (int attempt = 0; attempt < 5; attempt++) {
                r = hier_mkdir_once(cg, h, step, userdata, err);
                if (r != -ENOENT && r != -ENODEV) /* ENODEV: reading a file of a removed cgroup */
                        break;
        }
        return r;
}

/* rmdir of the first n_comp components of rel, below root_fd. */
static int rmdir_prefix(int root_fd, const char *rel, size_t n_comp)
{
        char buf[CGROUP_PATH_MAX];
        size_t end = 0;
        for (size_t i = 0; i < n_comp; i++) {
                end += strcspn(rel + end, "/");
                if (i + 1 < n_comp)
                        end++;
        }
        if (end >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, rel, end);
        buf[end] = '\0';
        return unlinkat(root_fd, buf, AT_REMOVEDIR) < 0 ? neg_errno() : 0;
}

int cgroup_hier_rmdir(struct cgroup *cg, struct cgroup_hier *h, int stop_at, struct err *err)
{
        size_t n_comp = 1;
        for (const char *p = cg->rel; *p; p++)
                n_comp += *p == '/';
        /* EBUSY right after the last process died: the kernel is still letting go */
        int r;
        for (unsigned int waited = 0;; waited += 10) {
                r = rmdir_prefix(h->root_fd, cg->rel, n_comp);
                if (r != -EBUSY || waited >= CGROUP_WAIT_MS)
                        break;
                cgroup_sleep_ms(10);
        }
        if (r < 0 && r != -ENOENT)
                return err_errno(err, r, "rmdir %s%s", h->mount, cg->path);
        size_t keep = stop_at < 0 ? 0 : (size_t)stop_at;
        for (size_t k = n_comp - 1; k > keep; k--)
                if (rmdir_prefix(h->root_fd, cg->rel, k) < 0)
                        break; /* busy, not empty or not ours: stays */
        return 0;
}

int cgroup_read_procs(int dirfd, pid_t **pids, size_t *n, struct err *err)
{
        _cleanup_free_ char *buf = NULL;
        int r = cgroup_read(dirfd, "cgroup.procs", &buf);
        if (r < 0)
                return err_errno(err, r, "read cgroup.procs");
        for (char *p = buf, *tok; (tok = strsep(&p, "\n"));) {
                if (!*tok)
                        continue;
                pid_t pid = (pid_t)strtol(tok, NULL, 10);
                bool seen = pid <= 0;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = (*pids)[i] == pid;
                if (seen)
                        continue;
                if (*n >= CGROUP_PIDS_MAX)
                        return err_set(err, -E2BIG, "too many processes in cgroup");
                pid_t *np = realloc(*pids, (*n + 1) * sizeof(pid_t));
                if (!np)
                        return err_set(err, -ENOMEM, "out of memory");
                *pids = np;
                (*pids)[(*n)++] = pid;
        }
        return 0;
}

int cgroup_signal_pids(const pid_t *pids, size_t n, int sig, struct err *err)
{
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        return err_errno(err, neg_errno(), "kill %d", (int)pids[i]);
        return 0;
}

void cgroup_sleep_ms(unsigned int ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int cgroup_kill_and_wait(struct cgroup *cg, struct err *err)
{
        for (unsigned int waited = 0;; waited += 10) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                int r = cg->ops->pids(cg, &pids, &n, err);
                if (r < 0)
                        return r;
                if (n == 0)
                        return 0;
                if (waited >= CGROUP_WAIT_MS)
                        return err_set(err, -EBUSY, "cgroup %s: %zu processes still alive after "
                                       "SIGKILL", cg->path, n);
                r = cg->ops->kill_all(cg, SIGKILL, err);
                if (r < 0)
                        return r;
                cgroup_sleep_ms(10);
        }
}
