/* bundle.c: the runtime's default spec (capabilities, seccomp, masked paths) edited by the
 * image config and the user's flags, combined as docker does:
 *   args = (--entrypoint or Entrypoint) + (user CMD, or Cmd unless --entrypoint was given)
 *   env  = Env, then each -e (same key: the user wins); cwd = -w, WorkingDir or "/"
 *   user = -u or User, names resolved through the rootfs' /etc/passwd and /etc/group. */
#include "engine/bundle.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/manage.h"
#include "oci/spec_default.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ID_MAX 0xfffffffeu
#define GROUPS_MAX 64

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* The image config's "config" member (may be absent: an empty object then). */
static json_object *image_cfg(const struct image *img, const char *key)
{
        json_object *c = NULL, *v = NULL;
        if (img && img->config && json_object_object_get_ex(img->config, "config", &c) &&
            json_object_is_type(c, json_type_object) && json_object_object_get_ex(c, key, &v))
                return v;
        return NULL;
}

static const char *image_cfg_string(const struct image *img, const char *key)
{
        json_object *v = image_cfg(img, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int append_strings(json_object *arr, json_object *from)
{
        if (!from || !json_object_is_type(from, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(from); i++) {
                json_object *s = json_object_array_get_idx(from, i);
                if (!json_object_is_type(s, json_type_string))
                        return -EINVAL;
                json_object_array_add(arr, json_object_new_string(json_object_get_string(s)));
        }
        return 0;
}

static int build_args(const struct image *img, const struct run_opts *o, json_object *process,
                      struct err *err)
{
        json_object *args = json_object_new_array();
        json_object_object_add(process, "args", args);
        int r = 0;
        if (o->entrypoint) {
                if (o->entrypoint[0])
                        json_object_array_add(args, json_object_new_string(o->entrypoint));
        } else {
                r = append_strings(args, image_cfg(img, "Entrypoint"));
        }
        if (o->cmd && o->cmd[0])
                for (char **c = o->cmd; *c; c++)
                        json_object_array_add(args, json_object_new_string(*c));
        else if (!o->entrypoint && r >= 0)
                r = append_strings(args, image_cfg(img, "Cmd"));
        if (r < 0)
                return err_set(err, -EINVAL, "image config: Entrypoint and Cmd must be arrays of strings");
        if (json_object_array_length(args) == 0)
                return err_set(err, -EINVAL, "no command specified: the image has no Entrypoint or Cmd");
        return 0;
}

/* Replaces the entry of kv's key in env, or appends kv. */
static void env_set(json_object *env, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));
                if (e && !strncmp(e, kv, klen) && (e[klen] == '=' || e[klen] == '\0')) {
                        json_object_array_put_idx(env, i, json_object_new_string(kv));
                        return;
                }
        }
        json_object_array_add(env, json_object_new_string(kv));
}

static bool env_has(json_object *env, const char *key)
{
        size_t klen = strlen(key);
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));
                if (e && !strncmp(e, key, klen) && e[klen] == '=')
                        return true;
        }
        return false;
}

static int build_env(const struct image *img, const struct run_opts *o, json_object *process,
                     struct err *err)
{
        json_object *env = json_object_new_array();
        json_object_object_add(process, "env", env);
        json_object *ienv = image_cfg(img, "Env");
        for (size_t i = 0; ienv && json_object_is_type(ienv, json_type_array) &&
                           i < json_object_array_length(ienv); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(ienv, i));
                if (e && strchr(e, '='))
                        env_set(env, e);
        }
        if (!env_has(env, "PATH"))
                env_set(env, DEFAULT_PATH);
        for (char **e = o->env; e && *e; e++) {
                if (!**e || **e == '=')
                        return err_set(err, -EINVAL, "invalid environment variable \"%s\"", *e);
                if (strchr(*e, '=')) {
                        env_set(env, *e);
                        continue;
                }
                /* -e KEY alone passes the caller's value, as docker does; unset: nothing. */
                const char *v = getenv(*e);
                _cleanup_free_ char *kv = NULL;
                if (v && asprintf(&kv, "%s=%s", *e, v) < 0)
                        return err_errno(err, -ENOMEM, "environment");
                if (kv)
                        env_set(env, kv);
        }
        return 0;
}

/* ---- users and groups ---- */

struct ident {
        uint32_t uid, gid;
        bool have_gid;
        char name[256];
        char home[256];
        uint32_t groups[GROUPS_MAX];
        size_t n_groups;
};

static bool parse_id(const char *s, uint32_t *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *end || errno || v > ID_MAX || s[0] == '-' || s[0] == '+')
                return false;
        *ret = (uint32_t)v;
        return true;
}

/* Opens a file of the rootfs, resolved inside it (a symlink can't lead out). */
static FILE *rootfs_fopen(int rootfs_fd, const char *path)
{
        int fd = openat_in_root(rootfs_fd, path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return NULL;
        FILE *f = fdopen(fd, "r");
        if (!f)
                close(fd);
        return f;
}

/* Splits a colon-separated line into at most n fields, in place. Returns the count. */
static size_t split_fields(char *line, char **f, size_t n)
{
        line[strcspn(line, "\n")] = '\0';
        size_t k = 0;
        for (char *p = line; k < n; k++) {
                f[k] = p;
                char *c = strchr(p, ':');
                if (!c)
                        return k + 1;
                *c = '\0';
                p = c + 1;
        }
        return k;
}

/* Looks the user up by name or by uid in /etc/passwd. -ENOENT when not there. */
static int passwd_lookup(int rootfs_fd, const char *user, struct ident *id)
{
        _cleanup_fclose_ FILE *f = rootfs_fopen(rootfs_fd, "/etc/passwd");
        if (!f)
                return -ENOENT;
        uint32_t want;
        bool numeric = parse_id(user, &want);
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                char *fl[7];
                uint32_t uid, gid;
                if (split_fields(line, fl, 7) < 7 || !parse_id(fl[2], &uid) || !parse_id(fl[3], &gid))
                        continue;
                if (numeric ? uid != want : strcmp(fl[0], user) != 0)
                        continue;
                id->uid = uid;
                id->gid = gid;
                id->have_gid = true;
                snprintf(id->name, sizeof(id->name), "%s", fl[0]);
                snprintf(id->home, sizeof(id->home), "%s", fl[5]);
                return 0;
        }
        return -ENOENT;
}

static bool member_of(char *members, const char *name)
{
        char *save = NULL;
        for (char *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (!strcmp(m, name))
                        return true;
        return false;
}

/* Resolves group (name or gid; NULL: none) and collects the user's supplementary groups. */
static int group_scan(int rootfs_fd, const char *group, struct ident *id, uint32_t *ret_gid)
{
        _cleanup_fclose_ FILE *f = rootfs_fopen(rootfs_fd, "/etc/group");
        bool numeric = group && parse_id(group, ret_gid);
        bool found = numeric;
        if (!f)
                return found || !group ? 0 : -ENOENT;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                char *fl[4];
                uint32_t gid;
                if (split_fields(line, fl, 4) < 4 || !parse_id(fl[2], &gid))
                        continue;
                if (group && !numeric && !found && !strcmp(fl[0], group)) {
                        *ret_gid = gid;
                        found = true;
                }
                if (id->name[0] && member_of(fl[3], id->name) && id->n_groups < GROUPS_MAX)
                        id->groups[id->n_groups++] = gid;
        }
        return found || !group ? 0 : -ENOENT;
}

/* "user[:group]", names or numbers, as docker resolves them. */
static int resolve_user(int rootfs_fd, const char *spec, struct ident *id, struct err *err)
{
        _cleanup_free_ char *user = strdup(spec);
        if (!user)
                return err_errno(err, -ENOMEM, "user %s", spec);
        char *group = strchr(user, ':');
        if (group)
                *group++ = '\0';
        if (!*user)
                return err_set(err, -EINVAL, "invalid user \"%s\"", spec);
        if (passwd_lookup(rootfs_fd, user, id) < 0) {
                if (!parse_id(user, &id->uid))
                        return err_set(err, -ENOENT,
                                       "unable to find user %s: no matching entries in the image's /etc/passwd", user);
                id->gid = 0; /* a uid the image doesn't know: group root, as docker does */
        }
        uint32_t gid = id->gid;
        if (group_scan(rootfs_fd, group && *group ? group : NULL, id, &gid) < 0)
                return err_set(err, -ENOENT,
                               "unable to find group %s: no matching entries in the image's /etc/group", group);
        id->gid = gid;
        return 0;
}

int bundle_user_ids(const char *rootfs, const char *spec, uint32_t *ret_uid, uint32_t *ret_gid, struct err *err)
{
        _cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open %s", rootfs);
        struct ident id = { 0 };
        int r = resolve_user(fd, spec, &id, err);
        if (r < 0)
                return r;
        *ret_uid = id.uid;
        *ret_gid = id.gid;
        return 0;
}

static int build_user(const struct image *img, const struct run_opts *o, int rootfs_fd,
                      json_object *process, struct err *err)
{
        const char *spec = o->user && *o->user ? o->user : image_cfg_string(img, "User");
        struct ident id = { 0 };
        int r = resolve_user(rootfs_fd, spec && *spec ? spec : "0", &id, err);
        if (r < 0)
                return r;
        json_object *u = json_object_new_object();
        json_object_object_add(u, "uid", json_object_new_int64(id.uid));
        json_object_object_add(u, "gid", json_object_new_int64(id.gid));
        if (id.n_groups) {
                json_object *g = json_object_new_array();
                for (size_t i = 0; i < id.n_groups; i++)
                        json_object_array_add(g, json_object_new_int64(id.groups[i]));
                json_object_object_add(u, "additionalGids", g);
        }
        json_object_object_add(process, "user", u);
        json_object *env = NULL;
        json_object_object_get_ex(process, "env", &env);
        _cleanup_free_ char *home = NULL;
        if (env && !env_has(env, "HOME") && asprintf(&home, "HOME=%s", id.home[0] ? id.home : "/") >= 0)
                env_set(env, home);
        return 0;
}

/* ---- the rest of the spec ---- */

/* Docker's default set: what images expect root to be able to do (chown files, bind low
 * ports, switch users), without the administrative capabilities. Non-root users get them
 * in the bounding set only (no ambient): their execve keeps none. */
static const char *const default_caps[] = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",       "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",      "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",           "CAP_SYS_CHROOT", "CAP_KILL",         "CAP_AUDIT_WRITE",
};

static void build_caps(json_object *process)
{
        static const char *const sets[] = { "bounding", "effective", "permitted" };
        json_object *caps = json_object_new_object();
        for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
                json_object *a = json_object_new_array();
                for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
                        json_object_array_add(a, json_object_new_string(default_caps[i]));
                json_object_object_add(caps, sets[s], a);
        }
        json_object_object_add(process, "capabilities", caps);
}

static int build_cwd(const struct image *img, const struct run_opts *o, json_object *process,
                     struct err *err)
{
        const char *cwd = o->workdir && *o->workdir ? o->workdir : image_cfg_string(img, "WorkingDir");
        if (!cwd || !*cwd)
                cwd = "/";
        if (cwd[0] != '/')
                return err_set(err, -EINVAL, "working directory \"%s\" is not an absolute path", cwd);
        json_object_object_add(process, "cwd", json_object_new_string(cwd));
        return 0;
}

static void build_annotations(const struct image *img, json_object *spec)
{
        json_object *ann = json_object_new_object();
        json_object *labels = image_cfg(img, "Labels");
        if (labels && json_object_is_type(labels, json_type_object)) {
                json_object_object_foreach(labels, k, v) {
                        if (json_object_is_type(v, json_type_string))
                                json_object_object_add(ann, k, json_object_new_string(json_object_get_string(v)));
                }
        }
        const char *stop = image_cfg_string(img, "StopSignal");
        if (stop && *stop)
                json_object_object_add(ann, ANNOTATION_STOP_SIGNAL, json_object_new_string(stop));
        json_object_object_add(spec, "annotations", ann);
}

/* Image Volumes become anonymous tmpfs mounts: they live and die with the container. */
static int build_volumes(const struct image *img, json_object *spec, struct err *err)
{
        json_object *vols = image_cfg(img, "Volumes"), *mounts = NULL;
        if (!vols || !json_object_is_type(vols, json_type_object))
                return 0;
        if (!json_object_object_get_ex(spec, "mounts", &mounts) || !json_object_is_type(mounts, json_type_array))
                return err_set(err, -EINVAL, "default spec has no mounts array");
        json_object_object_foreach(vols, path, unused) {
                (void)unused;
                if (path[0] != '/')
                        return err_set(err, -EINVAL, "image volume \"%s\" is not an absolute path", path);
                json_object *m = json_object_new_object();
                json_object_object_add(m, "destination", json_object_new_string(path));
                json_object_object_add(m, "type", json_object_new_string("tmpfs"));
                json_object_object_add(m, "source", json_object_new_string("tmpfs"));
                json_object *opts = json_object_new_array();
                json_object_array_add(opts, json_object_new_string("nosuid"));
                json_object_array_add(opts, json_object_new_string("nodev"));
                json_object_array_add(opts, json_object_new_string("mode=755"));
                json_object_object_add(m, "options", opts);
                json_object_array_add(mounts, m);
        }
        return 0;
}

/* ---- resources: docker's flags -> linux.resources ---- */

#define MEMORY_MIN (6 * 1024 * 1024) /* docker's minimum; less can't start a process */
#define CPU_SHARES_MAX 262144        /* the kernel's range for cpu.shares is 2..262144 */
#define CPUS_MIN 0.01                /* a quota of 1 ms per period, the kernel's minimum */

static int bad_value(struct err *err, const char *flag, const char *value, const char *expect)
{
        return err_set(err, -EINVAL, "invalid --%s \"%s\": %s", flag, value, expect);
}

static bool parse_int64(const char *s, int64_t *ret)
{
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*s || *end || errno)
                return false;
        *ret = v;
        return true;
}

static int parse_memory(struct run_resources *res, const char *flag, const char *v, struct err *err)
{
        int64_t b;
        if (manage_parse_size(v, &b) < 0 || b < MEMORY_MIN)
                return bad_value(err, flag, v, "a size of at least 6m, such as 64m, 1g or a number of bytes");
        res->memory = b;
        return 0;
}

static int parse_memory_swap(struct run_resources *res, const char *flag, const char *v, struct err *err)
{
        int64_t b;
        if (manage_parse_size(v, &b) < 0 || b == 0 || b < -1)
                return bad_value(err, flag, v, "a size such as 128m or 1g (memory plus swap), or -1 for unlimited");
        res->memory_swap = b;
        return 0;
}

static int parse_cpus(struct run_resources *res, const char *flag, const char *v, struct err *err)
{
        char *end = NULL;
        errno = 0;
        double n = strtod(v, &end);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (!*v || *end || errno || !isfinite(n) || n < CPUS_MIN || (ncpu > 0 && n > (double)ncpu)) {
                char expect[96];
                snprintf(expect, sizeof(expect), "a number of CPUs from %.2f to %ld (the CPUs online)", CPUS_MIN,
                         ncpu > 0 ? ncpu : 1);
                return bad_value(err, flag, v, expect);
        }
        res->cpu_quota = (int64_t)(n * BUNDLE_CPU_PERIOD + 0.5);
        return 0;
}

static int parse_cpu_shares(struct run_resources *res, const char *flag, const char *v, struct err *err)
{
        int64_t n;
        if (!parse_int64(v, &n) || n < 2 || n > CPU_SHARES_MAX)
                return bad_value(err, flag, v, "a relative weight from 2 to 262144 (the default is 1024)");
        res->cpu_shares = (uint64_t)n;
        return 0;
}

static int parse_pids_limit(struct run_resources *res, const char *flag, const char *v, struct err *err)
{
        int64_t n;
        if (!parse_int64(v, &n) || n < -1 || n == 0)
                return bad_value(err, flag, v, "a number of processes of at least 1, or -1 for unlimited");
        res->pids_limit = n;
        return 0;
}

static const struct resource_flag {
        const char *name;
        int (*parse)(struct run_resources *res, const char *flag, const char *value, struct err *err);
} resource_flags[] = {
        { "memory", parse_memory },         { "memory-swap", parse_memory_swap },
        { "cpus", parse_cpus },             { "cpu-shares", parse_cpu_shares },
        { "pids-limit", parse_pids_limit },
};

int bundle_parse_resource(struct run_resources *res, const char *flag, const char *value, struct err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(resource_flags); i++)
                if (!strcmp(resource_flags[i].name, flag))
                        return resource_flags[i].parse(res, flag, value, err);
        return err_set(err, -EINVAL, "unknown resource flag --%s", flag);
}

int bundle_check_resources(const struct run_resources *res, struct err *err)
{
        if (res->memory_swap && !res->memory)
                return err_set(err, -EINVAL, "--memory-swap needs --memory: the swap limit is memory plus swap");
        if (res->memory_swap > 0 && res->memory_swap < res->memory)
                return err_set(err, -EINVAL, "--memory-swap %" PRId64 " is below --memory %" PRId64
                               ": it is the limit of memory plus swap", res->memory_swap, res->memory);
        return 0;
}

/* parent's object member key, made when missing. */
static json_object *object_member(json_object *parent, const char *key)
{
        json_object *o = NULL;
        if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, json_type_object))
                return o;
        o = json_object_new_object();
        json_object_object_add(parent, key, o);
        return o;
}

/* runtime-spec config-linux.md "memory", "cpu", "pids"; only the flags that were given. */
static int build_resources(const struct run_resources *r, json_object *linux_, struct err *err)
{
        int ret = bundle_check_resources(r, err);
        if (ret < 0)
                return ret;
        if (!r->memory && !r->cpu_quota && !r->cpu_shares && !r->pids_limit)
                return 0;
        json_object *res = object_member(linux_, "resources");
        if (r->memory) {
                json_object *m = object_member(res, "memory");
                json_object_object_add(m, "limit", json_object_new_int64(r->memory));
                if (r->memory_swap)
                        json_object_object_add(m, "swap", json_object_new_int64(r->memory_swap));
        }
        if (r->cpu_quota || r->cpu_shares) {
                json_object *c = object_member(res, "cpu");
                if (r->cpu_shares)
                        json_object_object_add(c, "shares", json_object_new_uint64(r->cpu_shares));
                if (r->cpu_quota) {
                        json_object_object_add(c, "quota", json_object_new_int64(r->cpu_quota));
                        json_object_object_add(c, "period", json_object_new_uint64(BUNDLE_CPU_PERIOD));
                }
        }
        if (r->pids_limit)
                json_object_object_add(object_member(res, "pids"), "limit", json_object_new_int64(r->pids_limit));
        return 0;
}

static int build_linux(const struct run_opts *o, json_object *spec, struct err *err)
{
        json_object *linux_ = NULL;
        if (!json_object_object_get_ex(spec, "linux", &linux_))
                return err_set(err, -EINVAL, "default spec has no linux section");
        const char *parent = o->cgroup_parent && *o->cgroup_parent ? o->cgroup_parent : "/staple";
        if (parent[0] != '/')
                return err_set(err, -EINVAL, "cgroup parent \"%s\" is not an absolute path", parent);
        _cleanup_free_ char *cg = NULL;
        if (asprintf(&cg, "%s/%s", strcmp(parent, "/") ? parent : "", o->name) < 0)
                return err_errno(err, -ENOMEM, "cgroups path");
        json_object_object_add(linux_, "cgroupsPath", json_object_new_string(cg));
        return build_resources(&o->res, linux_, err);
}

static int build_spec(const struct image *img, const struct run_opts *o, int rootfs_fd, json_object *spec,
                      struct err *err)
{
        json_object *process = NULL;
        if (!json_object_object_get_ex(spec, "process", &process))
                return err_set(err, -EINVAL, "default spec has no process section");
        int r;
        if ((r = build_args(img, o, process, err)) < 0 || (r = build_env(img, o, process, err)) < 0 ||
            (r = build_cwd(img, o, process, err)) < 0 || (r = build_user(img, o, rootfs_fd, process, err)) < 0 ||
            (r = build_volumes(img, spec, err)) < 0 || (r = build_linux(o, spec, err)) < 0)
                return r;
        json_object_object_add(process, "terminal", json_object_new_boolean(o->tty));
        build_caps(process);
        json_object *root = json_object_new_object();
        json_object_object_add(root, "path", json_object_new_string("rootfs"));
        json_object_object_add(root, "readonly", json_object_new_boolean(o->read_only));
        json_object_object_add(spec, "root", root);
        const char *host = o->hostname && *o->hostname ? o->hostname : o->name;
        json_object_object_add(spec, "hostname", json_object_new_string(host));
        build_annotations(img, spec);
        return 0;
}

int bundle_write_config(const struct image *img, const struct run_opts *o, const char *bundle_dir,
                        struct err *err)
{
        if (!o->name || !*o->name)
                return err_set(err, -EINVAL, "bundle %s: no container name", bundle_dir);
        _cleanup_free_ char *text = spec_default_json(false);
        if (!text)
                return err_errno(err, -ENOMEM, "bundle %s: default spec", bundle_dir);
        _cleanup_json_ json_object *spec = json_tokener_parse(text);
        if (!spec)
                return err_set(err, -EINVAL, "bundle %s: the default spec does not parse", bundle_dir);
        _cleanup_close_ int dir = open(bundle_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return err_errno(err, neg_errno(), "bundle: open %s", bundle_dir);
        _cleanup_close_ int rootfs = openat(dir, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfs < 0)
                return err_errno(err, neg_errno(), "bundle: open %s/rootfs", bundle_dir);
        int r = build_spec(img, o, rootfs, spec, err);
        if (r < 0)
                return err_wrap(err, "bundle %s", bundle_dir);
        if (o->finish && (r = o->finish(spec, o->finish_u, err)) < 0)
                return r;
        const char *out = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
        r = write_file_atomic_at(dir, "config.json", out, strlen(out), 0600);
        if (r < 0)
                return err_errno(err, r, "bundle: write %s/config.json", bundle_dir);
        return 0;
}
