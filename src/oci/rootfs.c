/* oci/rootfs.c: the container's root file system, built inside its own mount namespace.
 *
 * Every destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT) and
 * mounted onto the opened fd (move_mount for binds, /proc/self/fd/N for mount(2)), so a
 * symlink in the image can never redirect a mount to the host (CVE-2021-30465 class). */
#include "oci/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#define PROC_FD_PATH_MAX 32
#define HOST_CGROUP_ROOT "/sys/fs/cgroup"
#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

struct rootfs_ctx {
        const struct spec *spec;
        int root_fd;  /* the rootfs after its self-bind: every destination resolves under it */
        bool userns;  /* mknod and locked mount flags behave differently */
};

/* ---- small helpers ---------------------------------------------------------------- */

static void proc_fd_path(char buf[static PROC_FD_PATH_MAX], int fd)
{
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* True unless /proc/self/uid_map is the identity map of the initial user namespace. */
static bool in_user_namespace(void)
{
        _cleanup_free_ char *map = NULL;
        unsigned long a, b, c;
        if (read_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL) < 0)
                return false;
        if (sscanf(map, "%lu %lu %lu", &a, &b, &c) != 3)
                return true;
        return !(a == 0 && b == 0 && c == 4294967295UL);
}

static bool spec_has_namespace(const struct spec *s, enum spec_ns_type type)
{
        for (size_t i = 0; i < s->linux.n_namespaces; i++)
                if (s->linux.namespaces[i].type == type)
                        return true;
        return false;
}

static const struct {
        unsigned long ms;
        uint64_t attr;
} mount_attr_map[] = {
        { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
        { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
        { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
};

#define MS_ATIME_MODES (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)

/* MS_* flags as MOUNT_ATTR_* bits. The atime modes are an enum, not bits: changing it
 * means clearing the whole MOUNT_ATTR__ATIME field (relatime is its zero value). */
static void ms_to_attr(unsigned long set, unsigned long clear, struct mount_attr *attr)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_attr_map); i++) {
                if (set & mount_attr_map[i].ms)
                        attr->attr_set |= mount_attr_map[i].attr;
                else if (clear & mount_attr_map[i].ms)
                        attr->attr_clr |= mount_attr_map[i].attr;
        }
        if ((set | clear) & MS_ATIME_MODES)
                attr->attr_clr |= MOUNT_ATTR__ATIME;
        if (set & MS_NOATIME)
                attr->attr_set |= MOUNT_ATTR_NOATIME;
        else if (set & MS_STRICTATIME)
                attr->attr_set |= MOUNT_ATTR_STRICTATIME;
}

static int mount_setattr_fd(int fd, bool recursive, struct mount_attr *attr)
{
        unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
        if (mount_setattr(fd, "", flags, attr, sizeof(*attr)) < 0)
                return neg_errno();
        return 0;
}

/* Applies MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) to the mount at fd. */
static int set_propagation(int mnt_fd, unsigned long propagation)
{
        if (!(propagation & MS_PROPAGATION))
                return 0;
        struct mount_attr attr = { .propagation = propagation & MS_PROPAGATION };
        return mount_setattr_fd(mnt_fd, propagation & MS_REC, &attr);
}

static int attach_tree(int tree_fd, int target_fd)
{
        if (move_mount(tree_fd, "", target_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return neg_errno();
        return 0;
}

/* A detached copy of the mount tree at dirfd/path (recursive for rbind). */
static int clone_tree(int dirfd, const char *path, bool recursive)
{
        unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        if (!*path)
                flags |= AT_EMPTY_PATH;
        int fd = open_tree(dirfd, path, flags);
        return fd < 0 ? neg_errno() : fd;
}

/* MOUNT_ATTR_* bits the kernel locks on a mount inherited from a more privileged
 * user namespace: clearing them fails with EPERM, so they are never cleared there. */
static uint64_t locked_attrs(int fd)
{
        struct statvfs sv;
        if (fstatvfs(fd, &sv) < 0)
                return 0;
        uint64_t a = 0;
        a |= (sv.f_flag & ST_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
        a |= (sv.f_flag & ST_NOSUID) ? MOUNT_ATTR_NOSUID : 0;
        a |= (sv.f_flag & ST_NODEV) ? MOUNT_ATTR_NODEV : 0;
        a |= (sv.f_flag & ST_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
        return a;
}

/* ---- resolving destinations inside the rootfs --------------------------------------- */

static int create_empty_file(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return neg_errno();
        close(fd);
        return 0;
}

/* Opens root/path as O_PATH, creating missing directories (and the last component as a
 * directory or, when !dir, an empty file). Each component is created with mkdirat in the
 * directory the previous prefix resolved to under RESOLVE_IN_ROOT, so neither ".." nor a
 * symlink can lead the walk outside root. */
static int root_mkdir_open(int root_fd, const char *path, bool dir, int *ret_fd)
{
        size_t len = strlen(path);
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        _cleanup_free_ char *prefix = malloc(len + 1);
        if (!prefix)
                return -ENOMEM;
        _cleanup_close_ int cur = openat_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
        if (cur < 0)
                return cur;
        for (const char *p = path;;) {
                p += strspn(p, "/");
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                bool last = end[strspn(end, "/")] == '\0';
                bool want_dir = !last || dir;
                char name[NAME_MAX + 1];
                if ((size_t)(end - p) > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, p, (size_t)(end - p));
                name[end - p] = '\0';
                memcpy(prefix, path, (size_t)(end - path));
                prefix[end - path] = '\0';

                int flags = O_PATH | (want_dir ? O_DIRECTORY : 0);
                int fd = openat_in_root(root_fd, prefix, flags, 0);
                if (fd == -ENOENT) {
                        int r = want_dir ? (mkdirat(cur, name, 0755) < 0 ? neg_errno() : 0)
                                         : create_empty_file(cur, name);
                        if (r < 0 && r != -EEXIST)
                                return r;
                        fd = openat_in_root(root_fd, prefix, flags, 0);
                }
                if (fd < 0)
                        return fd;
                close(cur);
                cur = fd;
                p = end;
        }
        *ret_fd = TAKE_FD(cur);
        return 0;
}

/* ---- /proc/self/mountinfo ------------------------------------------------------------ */

struct mountinfo_entry {
        const char *root, *mountpoint, *fstype, *superopts;
};

typedef int (*mountinfo_fn)(const struct mountinfo_entry *e, void *userdata);

/* Decodes the octal escapes (\040 for a space) of mountinfo paths in place. */
static void mountinfo_unescape(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
}

static int mountinfo_parse_line(char *line, struct mountinfo_entry *e)
{
        char *save = NULL, *f[5];
        for (int i = 0; i < 5; i++)
                if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
                        return -EINVAL;
        char *tok;
        while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
                ;
        char *fstype = strtok_r(NULL, " ", &save);
        char *source = strtok_r(NULL, " ", &save);
        char *opts = strtok_r(NULL, " ", &save);
        if (!tok || !fstype || !source || !opts)
                return -EINVAL;
        mountinfo_unescape(f[3]);
        mountinfo_unescape(f[4]);
        *e = (struct mountinfo_entry){ f[3], f[4], fstype, opts };
        return 0;
}

/* Calls fn for every mount of this mount namespace; stops at the first non-zero result. */
static int mountinfo_foreach(mountinfo_fn fn, void *userdata)
{
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct mountinfo_entry e;
                if (mountinfo_parse_line(line, &e) < 0)
                        continue;
                r = fn(&e, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

static bool path_has_prefix(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);
        if (n == 1 && prefix[0] == '/')
                return path[0] == '/';
        return !strncmp(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

struct longest_mount {
        const char *path;
        char found[PATH_MAX];
};

static int longest_mount_cb(const struct mountinfo_entry *e, void *userdata)
{
        struct longest_mount *lm = userdata;
        if (path_has_prefix(lm->path, e->mountpoint) && strlen(e->mountpoint) >= strlen(lm->found))
                snprintf(lm->found, sizeof(lm->found), "%s", e->mountpoint);
        return 0;
}

/* pivot_root refuses a new root whose parent mount is shared (possible with an "rshared"
 * rootfsPropagation): make that parent private, as runc does. */
static int rootfs_parent_private(const char *rootfs)
{
        _cleanup_free_ char *parent = strdup(rootfs);
        if (!parent)
                return -ENOMEM;
        char *slash = strrchr(parent, '/');
        if (slash)
                slash[slash == parent ? 1 : 0] = '\0';
        struct longest_mount lm = { .path = parent };
        int r = mountinfo_foreach(longest_mount_cb, &lm);
        if (r < 0)
                return r;
        if (!lm.found[0])
                return -ENOENT;
        if (mount(NULL, lm.found, NULL, MS_PRIVATE, NULL) < 0)
                return neg_errno();
        return 0;
}

/* ---- spec mounts ------------------------------------------------------------------- */

/* An idmapped bind: the user namespace whose maps the mount takes, and whether the
 * mapping applies to the whole tree ("ridmap"). userns_fd < 0: a plain bind. */
struct bind_idmap {
        int userns_fd;
        bool recursive;
};

static int set_idmap(int tree, const struct bind_idmap *idm)
{
        if (!idm || idm->userns_fd < 0)
                return 0;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)idm->userns_fd };
        return mount_setattr_fd(tree, idm->recursive, &attr);
}

/* Bind-mounts host `source` onto dest inside the rootfs, applying the MS_* flags (and the
 * id mapping) to the detached copy before it is attached, then the propagation. */
static int bind_onto_mapped(struct rootfs_ctx *ctx, const char *source, const char *dest,
                            unsigned long flags, unsigned long clear, unsigned long propagation,
                            const struct bind_idmap *idm)
{
        _cleanup_close_ int tree = clone_tree(AT_FDCWD, source, flags & MS_REC);
        if (tree < 0)
                return tree;
        struct stat st;
        if (fstat(tree, &st) < 0)
                return neg_errno();
        _cleanup_close_ int target = -EBADF;
        int r = root_mkdir_open(ctx->root_fd, dest, S_ISDIR(st.st_mode), &target);
        if (r < 0)
                return r;
        struct mount_attr attr = { 0 };
        ms_to_attr(flags, clear, &attr);
        if (ctx->userns)
                attr.attr_clr &= ~locked_attrs(tree);
        if (attr.attr_set || attr.attr_clr) {
                r = mount_setattr_fd(tree, false, &attr);
                if (r < 0)
                        return r;
        }
        if ((r = set_idmap(tree, idm)) < 0)
                return r;
        r = attach_tree(tree, target);
        if (r < 0)
                return r;
        return set_propagation(tree, propagation);
}

static int bind_onto(struct rootfs_ctx *ctx, const char *source, const char *dest,
                     unsigned long flags, unsigned long clear, unsigned long propagation)
{
        return bind_onto_mapped(ctx, source, dest, flags, clear, propagation, NULL);
}

static int format_idmap(const struct spec_idmap *maps, size_t n, char **ret)
{
        _cleanup_free_ char *buf = malloc(n * 36 + 1);
        if (!buf)
                return -ENOMEM;
        char *end = buf;
        for (size_t i = 0; i < n; i++)
                end += sprintf(end, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Writes the mount's maps for the child at host pid `pid` (our /proc is still the host's
 * before pivot_root, so the child told us its host pid) and opens its user namespace. */
static int idmap_userns_open(pid_t pid, const struct spec_mount *m)
{
        char path[64];
        _cleanup_free_ char *uids = NULL, *gids = NULL;
        int r;
        if ((r = format_idmap(m->uid_mappings, m->n_uid_mappings, &uids)) < 0 ||
            (r = format_idmap(m->gid_mappings, m->n_gid_mappings, &gids)) < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        if ((r = write_file_at(AT_FDCWD, path, uids, strlen(uids), 0)) < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        if ((r = write_file_at(AT_FDCWD, path, gids, strlen(gids), 0)) < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? neg_errno() : fd;
}

/* A user namespace carrying the mount's uidMappings/gidMappings, held by a short-lived
 * child: it unshares, reports its host pid (readlink of the host /proc/self), waits to be
 * killed. Returns the namespace fd (owned by the caller) or a negative errno. */
static int idmap_userns_create(const struct spec_mount *m)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return neg_errno();
        pid_t child = fork();
        if (child < 0) {
                int r = neg_errno();
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (child == 0) {
                char self[32] = "";
                close(p[0]);
                if (unshare(CLONE_NEWUSER) < 0 || readlink("/proc/self", self, sizeof(self) - 1) < 0)
                        _exit(1);
                if (write_all(p[1], self, sizeof(self)) < 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        char self[32];
        int r = read_all(p[0], self, sizeof(self));
        close(p[0]);
        if (r >= 0)
                r = idmap_userns_open((pid_t)atoi(self), m);
        kill(child, SIGKILL);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                ;
        return r;
}

/* runtime-spec config.md "idmap"/"ridmap" and per-mount uidMappings/gidMappings. Done in
 * the init, so only without a container user namespace (the mount's owner must be ours). */
static int bind_idmapped(struct rootfs_ctx *ctx, const struct spec_mount *m)
{
        if (ctx->userns)
                return -EOPNOTSUPP;
        _cleanup_close_ int userns = idmap_userns_create(m);
        if (userns < 0)
                return userns;
        struct bind_idmap idm = { .userns_fd = userns, .recursive = m->idmap_recursive };
        return bind_onto_mapped(ctx, m->source, m->destination, m->flags, m->clear_flags, m->propagation, &idm);
}

/* Mounts a file system with mount(2) onto the fd of dest, then applies propagation
 * through the fd of the new mount. */
static int mount_fs_at(int root_fd, const char *dest, const char *source, const char *type,
                       unsigned long flags, const char *data, unsigned long propagation)
{
        _cleanup_close_ int target = -EBADF;
        int r = root_mkdir_open(root_fd, dest, true, &target);
        if (r < 0)
                return r;
        char path[PROC_FD_PATH_MAX];
        proc_fd_path(path, target);
        flags &= ~(MS_PROPAGATION | MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE);
        if (mount(source ? source : type, path, type, flags, data) < 0)
                return neg_errno();
        if (!(propagation & MS_PROPAGATION))
                return 0;
        _cleanup_close_ int mnt = openat_in_root(root_fd, dest, O_PATH | O_DIRECTORY, 0);
        if (mnt < 0)
                return mnt;
        return set_propagation(mnt, propagation);
}

struct cgroup_v1_ctx {
        struct rootfs_ctx *ctx;
        const struct spec_mount *m;
        const char *self_cgroup; /* /proc/self/cgroup */
        int r;
};

/* Whether the comma-separated list `list` contains `item`. */
static bool list_contains(const char *list, const char *item, size_t item_len)
{
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ",");
                if (n == item_len && !strncmp(p, item, n))
                        return true;
                p += n + (p[n] == ',');
        }
        return false;
}

/* Whether the /proc/self/cgroup controller field `ctrls` ("cpu,cpuacct", "name=systemd",
 * "" for v2) names the hierarchy mounted with fstype and super options `opts`. */
static bool cgroup_line_matches(const char *ctrls, size_t len, const char *fstype, const char *opts)
{
        if ((len == 0) != !strcmp(fstype, "cgroup2"))
                return false;
        for (size_t i = 0; i < len;) {
                size_t n = strcspn(ctrls + i, ",:");
                if (!list_contains(opts, ctrls + i, n))
                        return false;
                i += n + 1;
        }
        return true;
}

/* This process's cgroup in the hierarchy of (fstype, opts), from /proc/self/cgroup
 * ("4:memory:/a/b"); "/" when no line matches. */
static void self_cgroup_path(const char *self, const char *fstype, const char *opts,
                             char *buf, size_t size)
{
        snprintf(buf, size, "/");
        for (const char *l = self; *l;) {
                size_t n = strcspn(l, "\n");
                const char *ctrls = memchr(l, ':', n);
                const char *path = ctrls ? memchr(ctrls + 1, ':', n - (size_t)(ctrls + 1 - l)) : NULL;
                if (path && cgroup_line_matches(ctrls + 1, (size_t)(path - ctrls - 1), fstype, opts)) {
                        snprintf(buf, size, "%.*s", (int)(n - (size_t)(path + 1 - l)), path + 1);
                        return;
                }
                l += n + (l[n] == '\n');
        }
}

/* Super options minus "rw"/"ro": what a fresh mount of the same v1 hierarchy needs. */
static char *cgroup_mount_data(const char *opts)
{
        _cleanup_free_ char *copy = strdup(opts);
        char *out = calloc(1, strlen(opts) + 1);
        if (!copy || !out) {
                free(out);
                return NULL;
        }
        char *save = NULL;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (!strcmp(o, "rw") || !strcmp(o, "ro"))
                        continue;
                if (*out)
                        strcat(out, ",");
                strcat(out, o);
        }
        return out;
}

static int cgroup_v1_hierarchy_cb(const struct mountinfo_entry *e, void *userdata)
{
        struct cgroup_v1_ctx *c = userdata;
        const char *m_dest = c->m->destination;
        if (strcmp(e->fstype, "cgroup") && strcmp(e->fstype, "cgroup2"))
                return 0;
        if (!path_has_prefix(e->mountpoint, HOST_CGROUP_ROOT) ||
            strchr(e->mountpoint + strlen(HOST_CGROUP_ROOT) + 1, '/'))
                return 0;
        const char *name = e->mountpoint + strlen(HOST_CGROUP_ROOT) + 1;
        _cleanup_free_ char *dest = NULL;
        if (asprintf(&dest, "%s/%s", m_dest, name) < 0)
                return c->r = -ENOMEM;
        unsigned long flags = c->m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (spec_has_namespace(c->ctx->spec, SPEC_NS_CGROUP)) {
                _cleanup_free_ char *data = cgroup_mount_data(e->superopts);
                if (!data)
                        return c->r = -ENOMEM;
                c->r = mount_fs_at(c->ctx->root_fd, dest, e->fstype, e->fstype, flags,
                                   strcmp(e->fstype, "cgroup2") ? data : NULL, 0);
        } else {
                char sub[PATH_MAX], host[PATH_MAX * 2];
                self_cgroup_path(c->self_cgroup, e->fstype, e->superopts, sub, sizeof(sub));
                const char *rel = sub;
                if (strcmp(e->root, "/") && path_has_prefix(sub, e->root))
                        rel = sub + strlen(e->root);
                snprintf(host, sizeof(host), "%s%s", e->mountpoint, rel);
                c->r = bind_onto(c->ctx, host, dest, flags, 0, 0);
        }
        return c->r < 0 ? c->r : 0;
}

/* runtime-spec "cgroup" mounts: cgroup2 on a v2 host; on v1 or hybrid hosts a tmpfs with
 * each hierarchy under it (fresh in a cgroup namespace, else a bind of our own cgroup). */
static int mount_cgroup(struct rootfs_ctx *ctx, const struct spec_mount *m)
{
        struct statfs sfs;
        if (statfs(HOST_CGROUP_ROOT, &sfs) < 0)
                return neg_errno();
        if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
                int r = mount_fs_at(ctx->root_fd, m->destination, "cgroup2", "cgroup2", m->flags,
                                    NULL, m->propagation);
                if (r == -EPERM || r == -EBUSY)
                        r = bind_onto(ctx, HOST_CGROUP_ROOT, m->destination, m->flags | MS_REC,
                                      0, m->propagation);
                return r;
        }
        unsigned long tmpfs_flags = (m->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        int r = mount_fs_at(ctx->root_fd, m->destination, "tmpfs", "tmpfs", tmpfs_flags,
                            "mode=755", 0);
        if (r < 0)
                return r;
        _cleanup_free_ char *self = NULL;
        r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL);
        if (r < 0)
                return r;
        struct cgroup_v1_ctx c = { .ctx = ctx, .m = m, .self_cgroup = self };
        r = mountinfo_foreach(cgroup_v1_hierarchy_cb, &c);
        if (r < 0)
                return r;
        _cleanup_close_ int mnt = openat_in_root(ctx->root_fd, m->destination, O_PATH | O_DIRECTORY, 0);
        if (mnt < 0)
                return mnt;
        if (m->flags & MS_RDONLY) {
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                r = mount_setattr_fd(mnt, false, &attr);
                if (r < 0)
                        return r;
        }
        return set_propagation(mnt, m->propagation);
}

#define COPYUP_MAX_DEPTH 64

static int copy_tree(int src_dir, int dst_dir, unsigned int depth);

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return neg_errno();
        _cleanup_close_ int out = openat(dst_dir, name,
                                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return neg_errno();
        for (;;) {
                ssize_t n = sendfile(out, in, NULL, 1 << 20);
                if (n < 0)
                        return neg_errno();
                if (n == 0)
                        break;
        }
        return fchmod(out, st->st_mode & 07777) < 0 ? neg_errno() : 0;
}

static int copy_dir(int src_dir, int dst_dir, const char *name, const struct stat *st,
                    unsigned int depth)
{
        if (depth >= COPYUP_MAX_DEPTH)
                return -ELOOP;
        if (mkdirat(dst_dir, name, 0700) < 0)
                return neg_errno();
        _cleanup_close_ int s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
                return neg_errno();
        int r = copy_tree(s, d, depth + 1);
        if (r < 0)
                return r;
        return fchmod(d, st->st_mode & 07777) < 0 ? neg_errno() : 0;
}

static int copy_symlink(int src_dir, int dst_dir, const char *name)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
        if (n < 0)
                return neg_errno();
        target[n] = '\0';
        return symlinkat(target, dst_dir, name) < 0 ? neg_errno() : 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, unsigned int depth)
{
        struct stat st;
        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return neg_errno();
        int r = 0;
        if (S_ISDIR(st.st_mode))
                r = copy_dir(src_dir, dst_dir, name, &st, depth);
        else if (S_ISREG(st.st_mode))
                r = copy_regular(src_dir, dst_dir, name, &st);
        else if (S_ISLNK(st.st_mode))
                r = copy_symlink(src_dir, dst_dir, name);
        else
                return 0; /* device nodes, fifos and sockets are not copied up */
        if (r < 0)
                return r;
        /* an owner unmapped in our user namespace (EINVAL) keeps the file ours */
        if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
                return neg_errno();
        return 0;
}

/* Copies the tree under src_dir into dst_dir: directories, regular files and symlinks
 * with their modes and owners. */
static int copy_tree(int src_dir, int dst_dir, unsigned int depth)
{
        int fd = dup(src_dir);
        if (fd < 0)
                return neg_errno();
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return neg_errno();
        }
        _cleanup_closedir_ DIR *dir = d;
        rewinddir(dir);
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                int r = copy_entry(src_dir, dst_dir, de->d_name, depth);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "tmpcopyup": a tmpfs that starts with a copy of what the image had at the destination. */
static int mount_tmpfs_copyup(struct rootfs_ctx *ctx, const struct spec_mount *m)
{
        _cleanup_close_ int dir = -EBADF;
        int r = root_mkdir_open(ctx->root_fd, m->destination, true, &dir);
        if (r < 0)
                return r;
        _cleanup_close_ int src = openat_in_root(ctx->root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0);
        if (src < 0)
                return src;
        struct stat st;
        if (fstat(src, &st) < 0)
                return neg_errno();
        r = mount_fs_at(ctx->root_fd, m->destination, m->source, m->type, m->flags & ~MS_RDONLY,
                        m->data, 0);
        if (r < 0)
                return r;
        _cleanup_close_ int dst = openat_in_root(ctx->root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0);
        if (dst < 0)
                return dst;
        r = copy_tree(src, dst, 0);
        if (r >= 0 && fchmod(dst, st.st_mode & 07777) < 0)
                r = neg_errno();
        if (r < 0)
                return r;
        struct mount_attr attr = { 0 };
        ms_to_attr(m->flags & MS_RDONLY, 0, &attr);
        if (attr.attr_set && (r = mount_setattr_fd(dst, false, &attr)) < 0)
                return r;
        return set_propagation(dst, m->propagation);
}

/* runtime-spec 1.1 recursive options ("rro", "rnosuid", ...) on the mount now at dest. */
static int apply_rec_attr(int root_fd, const struct spec_mount *m)
{
        if (!m->rec_attr_set && !m->rec_attr_clr)
                return 0;
        struct mount_attr attr = { .attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr };
        if (attr.attr_clr & MOUNT_ATTR__ATIME) /* the atime field is changed as a whole */
                attr.attr_clr |= MOUNT_ATTR__ATIME;
        _cleanup_close_ int mnt = openat_in_root(root_fd, m->destination, O_PATH, 0);
        if (mnt < 0)
                return mnt;
        return mount_setattr_fd(mnt, true, &attr);
}

static int mount_dispatch(struct rootfs_ctx *ctx, const struct spec_mount *m)
{
        if (m->bind) {
                if (!m->source)
                        return -EINVAL;
                if (m->idmap)
                        return bind_idmapped(ctx, m);
                return bind_onto(ctx, m->source, m->destination, m->flags, m->clear_flags,
                                 m->propagation);
        }
        if (!m->type)
                return -EINVAL;
        if (!strcmp(m->type, "cgroup"))
                return mount_cgroup(ctx, m);
        if (m->tmpcopyup)
                return mount_tmpfs_copyup(ctx, m);
        int r = mount_fs_at(ctx->root_fd, m->destination, m->source, m->type, m->flags, m->data,
                            m->propagation);
        /* sysfs needs a network namespace owned by our user namespace: rbind the host's */
        if (r == -EPERM && ctx->userns && !strcmp(m->type, "sysfs"))
                r = bind_onto(ctx, "/sys", m->destination, m->flags | MS_REC, 0, m->propagation);
        return r;
}

static int mount_one(struct rootfs_ctx *ctx, const struct spec_mount *m)
{
        int r = mount_dispatch(ctx, m);
        if (r < 0)
                return r;
        return apply_rec_attr(ctx->root_fd, m);
}

static int mount_all(struct rootfs_ctx *ctx, struct err *err)
{
        for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
                const struct spec_mount *m = &ctx->spec->mounts[i];
                if (!m->destination || m->destination[0] != '/')
                        return err_set(err, -EINVAL, "mount destination %s is not absolute",
                                       m->destination ? m->destination : "(null)");
                int r = mount_one(ctx, m);
                if (r < 0)
                        return err_errno(err, r, "mount %s on %s",
                                         m->source ? m->source : (m->type ? m->type : "(none)"),
                                         m->destination);
        }
        return 0;
}

/* ---- /dev ------------------------------------------------------------------------- */

static const struct {
        const char *name;
        unsigned int major, minor;
} default_devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 },    { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} default_links[] = {
        { "fd", "/proc/self/fd" },        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
        { "core", "/proc/kcore" },
};

struct device_node {
        const char *path;  /* inside the container, also the host path bound in a user ns */
        mode_t type;       /* S_IFCHR, S_IFBLK or S_IFIFO */
        dev_t rdev;
        mode_t mode;
        uid_t uid;
        gid_t gid;
};

static int split_parent(const char *path, char **ret_dir, const char **ret_name)
{
        const char *slash = strrchr(path, '/');
        if (!slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
                return -EINVAL;
        char *dir = strndup(path, (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        *ret_dir = dir;
        *ret_name = slash + 1;
        return 0;
}

/* Leaves a matching node alone; removes anything else that is not a directory. */
static int device_clear_existing(int dir_fd, const char *name, const struct device_node *d)
{
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : neg_errno();
        if ((st.st_mode & S_IFMT) == d->type && (d->type == S_IFIFO || st.st_rdev == d->rdev))
                return 1;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        return unlinkat(dir_fd, name, 0) < 0 ? neg_errno() : 0;
}

static int device_bind_host(int dir_fd, const char *name, const char *host_path)
{
        _cleanup_close_ int tree = clone_tree(AT_FDCWD, host_path, false);
        if (tree < 0)
                return tree;
        int r = create_empty_file(dir_fd, name);
        if (r < 0 && r != -EEXIST)
                return r;
        _cleanup_close_ int target = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return neg_errno();
        return attach_tree(tree, target);
}

/* mknod inside the rootfs; in a user namespace (no mknod) the host node is bound instead. */
static int device_create(struct rootfs_ctx *ctx, const struct device_node *d)
{
        _cleanup_free_ char *dir = NULL;
        const char *name;
        int r = split_parent(d->path, &dir, &name);
        if (r < 0)
                return r;
        _cleanup_close_ int dir_fd = -EBADF;
        r = root_mkdir_open(ctx->root_fd, *dir ? dir : "/", true, &dir_fd);
        if (r < 0)
                return r;
        r = device_clear_existing(dir_fd, name, d);
        if (r != 0)
                return r < 0 ? r : 0;
        if (!ctx->userns) {
                if (mknodat(dir_fd, name, d->type | (d->mode & 07777), d->rdev) == 0) {
                        /* the node is ours and new: no symlink can stand in its place */
                        if (fchmodat(dir_fd, name, d->mode & 07777, 0) < 0 ||
                            fchownat(dir_fd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
                                return neg_errno();
                        return 0;
                }
                if (errno != EPERM)
                        return neg_errno();
        }
        if (d->type == S_IFIFO)
                return -EPERM;
        return device_bind_host(dir_fd, name, d->path);
}

static bool spec_provides(const struct spec *s, const char *path)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].destination && !strcmp(s->mounts[i].destination, path))
                        return true;
        for (size_t i = 0; i < s->linux.n_devices; i++)
                if (s->linux.devices[i].path && !strcmp(s->linux.devices[i].path, path))
                        return true;
        return false;
}

static bool spec_binds_dev(const struct spec *s)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].bind && s->mounts[i].destination &&
                    !strcmp(s->mounts[i].destination, "/dev"))
                        return true;
        return false;
}

static bool spec_has_devpts(const struct spec *s)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].type && !strcmp(s->mounts[i].type, "devpts") &&
                    s->mounts[i].destination && !strcmp(s->mounts[i].destination, "/dev/pts"))
                        return true;
        return false;
}

static int default_devices_create(struct rootfs_ctx *ctx, struct err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                char path[64];
                snprintf(path, sizeof(path), "/dev/%s", default_devices[i].name);
                if (spec_provides(ctx->spec, path))
                        continue;
                struct device_node d = {
                        .path = path, .type = S_IFCHR, .mode = 0666,
                        .rdev = makedev(default_devices[i].major, default_devices[i].minor),
                };
                int r = device_create(ctx, &d);
                if (r < 0)
                        return err_errno(err, r, "create device %s", path);
        }
        return 0;
}

static int dev_symlinks_create(struct rootfs_ctx *ctx, struct err *err)
{
        _cleanup_close_ int dev = -EBADF;
        int r = root_mkdir_open(ctx->root_fd, "/dev", true, &dev);
        if (r < 0)
                return err_errno(err, r, "create /dev");
        for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
                if (symlinkat(default_links[i].target, dev, default_links[i].name) < 0 &&
                    errno != EEXIST)
                        return err_errno(err, neg_errno(), "symlink /dev/%s to %s",
                                         default_links[i].name, default_links[i].target);
        if (!spec_has_devpts(ctx->spec))
                return 0;
        struct stat st;
        if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
            unlinkat(dev, "ptmx", 0) < 0)
                return err_errno(err, neg_errno(), "remove /dev/ptmx");
        if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
                return err_errno(err, neg_errno(), "symlink /dev/ptmx to pts/ptmx");
        return 0;
}

static const struct {
        char type;
        mode_t ifmt;
} device_types[] = {
        { 'c', S_IFCHR }, { 'u', S_IFCHR }, { 'b', S_IFBLK }, { 'p', S_IFIFO },
};

static int spec_devices_create(struct rootfs_ctx *ctx, struct err *err)
{
        for (size_t i = 0; i < ctx->spec->linux.n_devices; i++) {
                const struct spec_device *sd = &ctx->spec->linux.devices[i];
                struct device_node d = {
                        .path = sd->path,
                        .mode = sd->has_mode ? sd->file_mode : 0666,
                        .uid = sd->has_uid ? sd->uid : 0,
                        .gid = sd->has_gid ? sd->gid : 0,
                };
                for (size_t k = 0; k < ARRAY_SIZE(device_types); k++)
                        if (device_types[k].type == sd->type)
                                d.type = device_types[k].ifmt;
                if (!d.type || !sd->path || sd->path[0] != '/')
                        return err_set(err, -EINVAL, "device %s: invalid type or path",
                                       sd->path ? sd->path : "(null)");
                if (d.type != S_IFIFO)
                        d.rdev = makedev((unsigned int)sd->major, (unsigned int)sd->minor);
                int r = device_create(ctx, &d);
                if (r < 0)
                        return err_errno(err, r, "create device %s", sd->path);
        }
        return 0;
}

/* ---- the three steps ---------------------------------------------------------------- */

static int rootfs_make_mountpoint(const struct spec *s, const char *rootfs, struct err *err)
{
        unsigned long prop = s->linux.rootfs_propagation ? s->linux.rootfs_propagation
                                                          : MS_SLAVE | MS_REC;
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
                return err_errno(err, neg_errno(), "set propagation of / to %#lx", prop);
        if (prop & MS_SHARED) {
                int r = rootfs_parent_private(rootfs);
                if (r < 0)
                        return err_errno(err, r, "make the parent mount of %s private", rootfs);
        }
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return err_errno(err, neg_errno(), "bind %s onto itself", rootfs);
        return 0;
}

int rootfs_prepare(const struct spec *s, const char *rootfs, struct err *err)
{
        if (!rootfs || rootfs[0] != '/')
                return err_set(err, -EINVAL, "rootfs %s is not an absolute path",
                               rootfs ? rootfs : "(null)");
        int r = rootfs_make_mountpoint(s, rootfs, err);
        if (r < 0)
                return r;
        _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return err_errno(err, neg_errno(), "open rootfs %s", rootfs);
        struct rootfs_ctx ctx = { .spec = s, .root_fd = root_fd, .userns = in_user_namespace() };
        r = mount_all(&ctx, err);
        if (r < 0)
                return r;
        if (!spec_binds_dev(s)) {
                r = default_devices_create(&ctx, err);
                if (r >= 0)
                        r = dev_symlinks_create(&ctx, err);
                if (r < 0)
                        return r;
        }
        return spec_devices_create(&ctx, err);
}

static int rootfs_chroot(const char *rootfs, struct err *err)
{
        if (chdir(rootfs) < 0)
                return err_errno(err, neg_errno(), "chdir to %s", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                return err_errno(err, neg_errno(), "move %s onto /", rootfs);
        if (chroot(".") < 0)
                return err_errno(err, neg_errno(), "chroot to %s", rootfs);
        if (chdir("/") < 0)
                return err_errno(err, neg_errno(), "chdir to / after chroot");
        return 0;
}

int rootfs_pivot(const char *rootfs, bool no_pivot, struct err *err)
{
        if (no_pivot)
                return rootfs_chroot(rootfs, err);
        _cleanup_close_ int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (old_root < 0)
                return err_errno(err, neg_errno(), "open old root /");
        _cleanup_close_ int new_root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (new_root < 0)
                return err_errno(err, neg_errno(), "open rootfs %s", rootfs);
        if (fchdir(new_root) < 0)
                return err_errno(err, neg_errno(), "chdir to %s", rootfs);
        /* pivot_root(".", "."): the old root ends up stacked on top of the new one */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return err_errno(err, neg_errno(), "pivot_root to %s", rootfs);
        if (fchdir(old_root) < 0)
                return err_errno(err, neg_errno(), "chdir to the old root");
        /* rslave first, so the lazy unmount cannot propagate to the host's mounts */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return err_errno(err, neg_errno(), "make the old root rslave");
        if (umount2(".", MNT_DETACH) < 0)
                return err_errno(err, neg_errno(), "detach the old root");
        if (chdir("/") < 0)
                return err_errno(err, neg_errno(), "chdir to / after pivot_root");
        return 0;
}

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; keys that could leave /proc/sys are refused. */
static int sysctl_path(const char *key, char *buf, size_t size)
{
        if (!*key || strchr(key, '/') || strstr(key, "..") || key[0] == '.' ||
            key[strlen(key) - 1] == '.')
                return -EINVAL;
        if ((size_t)snprintf(buf, size, "%s", key) >= size)
                return -ENAMETOOLONG;
        for (char *p = buf; *p; p++)
                if (*p == '.')
                        *p = '/';
        return 0;
}

static int sysctl_write(int root_fd, const struct spec *s, struct err *err)
{
        if (!s->linux.n_sysctl)
                return 0;
        _cleanup_close_ int sys = openat_in_root(root_fd, "/proc/sys", O_PATH | O_DIRECTORY, 0);
        if (sys < 0)
                return err_errno(err, sys, "open /proc/sys");
        struct statfs sfs;
        if (fstatfs(sys, &sfs) < 0)
                return err_errno(err, neg_errno(), "statfs /proc/sys");
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return err_set(err, -EINVAL, "/proc/sys is not on procfs");
        for (size_t i = 0; i < s->linux.n_sysctl; i++) {
                const struct spec_sysctl *sc = &s->linux.sysctl[i];
                char rel[PATH_MAX];
                int r = sysctl_path(sc->key, rel, sizeof(rel));
                if (r < 0)
                        return err_set(err, r, "invalid sysctl key \"%s\"", sc->key);
                _cleanup_close_ int fd = openat_in_root(sys, rel, O_WRONLY | O_NOFOLLOW, 0);
                if (fd < 0)
                        return err_errno(err, fd, "open sysctl %s", sc->key);
                r = write_all(fd, sc->value, strlen(sc->value));
                if (r < 0)
                        return err_errno(err, r, "write sysctl %s=%s", sc->key, sc->value);
        }
        return 0;
}

/* /dev/null of the container, checked to be the real thing before it hides anything. */
static int open_dev_null_tree(int root_fd)
{
        _cleanup_close_ int fd = openat_in_root(root_fd, "/dev/null", O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return neg_errno();
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return -EPERM;
        return clone_tree(fd, "", false);
}

static int mask_path(int root_fd, const char *path)
{
        _cleanup_close_ int target = openat_in_root(root_fd, path, O_PATH, 0);
        if (target == -ENOENT)
                return 0;
        if (target < 0)
                return target;
        struct stat st;
        if (fstat(target, &st) < 0)
                return neg_errno();
        _cleanup_close_ int tree = -EBADF;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
                if (fs < 0)
                        return neg_errno();
                if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                        return neg_errno();
                tree = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
                if (tree < 0)
                        return neg_errno();
        } else {
                tree = open_dev_null_tree(root_fd);
                if (tree < 0)
                        return tree;
        }
        return attach_tree(tree, target);
}

static int readonly_path(int root_fd, const char *path)
{
        _cleanup_close_ int target = openat_in_root(root_fd, path, O_PATH, 0);
        if (target == -ENOENT)
                return 0;
        if (target < 0)
                return target;
        _cleanup_close_ int tree = clone_tree(target, "", true);
        if (tree < 0)
                return tree;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        int r = mount_setattr_fd(tree, true, &attr);
        if (r < 0)
                return r;
        return attach_tree(tree, target);
}

/* Stdio that is the host's /dev/null (a detached run's) becomes the container's own, as
 * runc does: the container then holds no file of a mount it cannot see, which is also
 * what lets CRIU checkpoint it. */
static int reopen_dev_null_stdio(int root_fd, struct err *err)
{
        _cleanup_close_ int null = openat_in_root(root_fd, "/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
        struct stat ns, st;
        if (null == -ENOENT)
                return 0;
        if (null < 0 || fstat(null, &ns) < 0)
                return err_errno(err, null < 0 ? null : neg_errno(), "open the container's /dev/null");
        for (int fd = 0; fd < 3; fd++) {
                if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3) ||
                    (st.st_dev == ns.st_dev && st.st_ino == ns.st_ino))
                        continue;
                if (dup3(null, fd, 0) < 0)
                        return err_errno(err, neg_errno(), "reopen stdio %d on /dev/null", fd);
        }
        return 0;
}

int rootfs_finalize(const struct spec *s, struct err *err)
{
        _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return err_errno(err, neg_errno(), "open /");
        /* rootfsPropagation again on the new "/": its self-bind was made from a private
         * parent (see rootfs_parent_private); applied only now, as runc does */
        unsigned long prop = s->linux.rootfs_propagation;
        if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
                return err_errno(err, neg_errno(), "set propagation of / to %#lx", prop);
        int r = sysctl_write(root_fd, s, err);
        if (r < 0 || (r = reopen_dev_null_stdio(root_fd, err)) < 0)
                return r;
        for (size_t i = 0; i < s->linux.n_masked_paths; i++) {
                r = mask_path(root_fd, s->linux.masked_paths[i]);
                if (r < 0)
                        return err_errno(err, r, "mask %s", s->linux.masked_paths[i]);
        }
        for (size_t i = 0; i < s->linux.n_readonly_paths; i++) {
                r = readonly_path(root_fd, s->linux.readonly_paths[i]);
                if (r < 0)
                        return err_errno(err, r, "make %s read-only", s->linux.readonly_paths[i]);
        }
        if (s->root_readonly) {
                /* mount_setattr only sets RDONLY: flags locked by a user namespace stay */
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                r = mount_setattr_fd(root_fd, false, &attr);
                if (r < 0)
                        return err_errno(err, r, "remount / read-only");
        }
        return 0;
}
