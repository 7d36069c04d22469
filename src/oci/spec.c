/* spec.c: config.json -> struct spec, validated completely (runtime-spec config.md,
 * config-linux.md). Every message names the file and the JSON path of the bad value. */
#include "oci/spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <json-c/json.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#define JPATH_MAX 256
#define SPEC_MAX_IDMAPS 340 /* the kernel's limit on lines in uid_map (since 4.15) */

/* Parse context: the file name for messages and where errors go. */
struct pctx {
        const char *name;
        struct err *err;
};

static int perr(struct pctx *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int perr(struct pctx *c, const char *path, const char *fmt, ...)
{
        char msg[ERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!path || !*path)
                return err_set(c->err, -EINVAL, "%s: %s", c->name, msg);
        return err_set(c->err, -EINVAL, "%s: %s: %s", c->name, path, msg);
}

/* ---- JSON paths and typed getters ---- */

/* Formats a JSON path into buf (JPATH_MAX bytes); a very long path is cut, never overrun. */
static const char *jfmt(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *jfmt(char *buf, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, JPATH_MAX, fmt, ap);
        va_end(ap);
        return buf;
}

static const char *jkey(char *buf, const char *parent, const char *key)
{
        if (!parent || !*parent)
                return jfmt(buf, "%s", key);
        return jfmt(buf, "%s.%s", parent, key);
}

static const char *jidx(char *buf, const char *parent, size_t i)
{
        return jfmt(buf, "%s[%zu]", parent, i);
}

/* The member `key` of object o, or NULL when absent or JSON null (Go's runtimes treat
 * null as absent too). */
static json_object *jget(json_object *o, const char *key)
{
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static const char *type_desc(enum json_type t)
{
        static const char *const names[] = {
                [json_type_null] = "null",        [json_type_boolean] = "a boolean",
                [json_type_double] = "a number",  [json_type_int] = "an integer",
                [json_type_object] = "an object", [json_type_array] = "an array",
                [json_type_string] = "a string",
        };
        return (size_t)t < ARRAY_SIZE(names) && names[t] ? names[t] : "another type";
}

static int want(struct pctx *c, const char *path, json_object *v, enum json_type t)
{
        if (json_object_is_type(v, t))
                return 0;
        return perr(c, path, "expected %s", type_desc(t));
}

static int jstr(struct pctx *c, json_object *o, const char *parent, const char *key,
                bool required, const char **ret)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        if (!v) {
                if (required)
                        return perr(c, jkey(p, parent, key), "required string is missing");
                return 0;
        }
        if (want(c, jkey(p, parent, key), v, json_type_string) < 0)
                return c->err->code;
        *ret = json_object_get_string(v);
        return 0;
}

static int jbool(struct pctx *c, json_object *o, const char *parent, const char *key,
                 bool *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        if (!v)
                return 0;
        if (want(c, jkey(p, parent, key), v, json_type_boolean) < 0)
                return c->err->code;
        *ret = json_object_get_boolean(v);
        if (present)
                *present = true;
        return 0;
}

/* An integer value in [min, max]; json-c keeps values above INT64_MAX as uint64. */
static int val_i64(struct pctx *c, const char *path, json_object *v, int64_t min, int64_t max,
                   int64_t *ret)
{
        if (!json_object_is_type(v, json_type_int))
                return perr(c, path, "expected an integer");
        int64_t x = json_object_get_int64(v);
        if (x < min || x > max || (x == INT64_MAX && json_object_get_uint64(v) > INT64_MAX))
                return perr(c, path, "expected an integer between %" PRId64 " and %" PRId64,
                            min, max);
        *ret = x;
        return 0;
}

static int val_u64(struct pctx *c, const char *path, json_object *v, uint64_t max,
                   uint64_t *ret)
{
        if (!json_object_is_type(v, json_type_int))
                return perr(c, path, "expected an integer");
        uint64_t x = json_object_get_uint64(v);
        if (json_object_get_int64(v) < 0 || x > max)
                return perr(c, path, "expected an integer between 0 and %" PRIu64, max);
        *ret = x;
        return 0;
}

static int ji64(struct pctx *c, json_object *o, const char *parent, const char *key,
                int64_t min, int64_t max, int64_t *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        if (!v)
                return 0;
        int r = val_i64(c, jkey(p, parent, key), v, min, max, ret);
        if (r == 0 && present)
                *present = true;
        return r;
}

static int ju64(struct pctx *c, json_object *o, const char *parent, const char *key,
                uint64_t max, uint64_t *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        if (!v)
                return 0;
        int r = val_u64(c, jkey(p, parent, key), v, max, ret);
        if (r == 0 && present)
                *present = true;
        return r;
}

static int ju32(struct pctx *c, json_object *o, const char *parent, const char *key,
                uint32_t *ret, bool *present)
{
        uint64_t x;
        bool here = false;
        int r = ju64(c, o, parent, key, UINT32_MAX, &x, &here);

        if (r < 0 || !here)
                return r;
        *ret = (uint32_t)x;
        if (present)
                *present = true;
        return 0;
}

/* An array member (NULL when absent), bounded by SPEC_MAX_ITEMS. */
static int jarr(struct pctx *c, json_object *o, const char *parent, const char *key,
                json_object **ret, size_t *ret_n)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        *ret = NULL;
        *ret_n = 0;
        if (!v)
                return 0;
        if (want(c, jkey(p, parent, key), v, json_type_array) < 0)
                return c->err->code;
        size_t n = json_object_array_length(v);
        if (n > SPEC_MAX_ITEMS)
                return perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int jobj(struct pctx *c, json_object *o, const char *parent, const char *key,
                json_object **ret)
{
        char p[JPATH_MAX];
        json_object *v = jget(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (want(c, jkey(p, parent, key), v, json_type_object) < 0)
                return c->err->code;
        *ret = v;
        return 0;
}

/* A NULL-terminated array of borrowed strings; *ret stays NULL when the key is absent. */
static int jstrv(struct pctx *c, json_object *o, const char *parent, const char *key,
                 const char ***ret, size_t *ret_n)
{
        char p[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;

        jkey(p, parent, key);
        json_object *v = jget(o, key);
        if (v && !json_object_is_type(v, json_type_array))
                return perr(c, p, "expected an array of strings");
        int r = jarr(c, o, parent, key, &a, &n);
        if (r < 0 || !a)
                return r;
        const char **sv = calloc(n + 1, sizeof(*sv));
        if (!sv)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        *ret = sv;
        if (ret_n)
                *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (!json_object_is_type(e, json_type_string))
                        return perr(c, jidx(pi, p, i), "expected a string");
                sv[i] = json_object_get_string(e);
        }
        return 0;
}

/* A string-to-string map as two parallel arrays. */
static int jstrmap(struct pctx *c, json_object *o, const char *parent, const char *key,
                   const char ***ret_keys, const char ***ret_vals, size_t *ret_n)
{
        char p[JPATH_MAX], pk[JPATH_MAX];
        json_object *m;
        size_t i = 0;

        int r = jobj(c, o, parent, key, &m);
        if (r < 0 || !m)
                return r;
        jkey(p, parent, key);
        size_t n = (size_t)json_object_object_length(m);
        if (n > SPEC_MAX_ITEMS)
                return perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        *ret_keys = calloc(n + 1, sizeof(char *));
        *ret_vals = calloc(n + 1, sizeof(char *));
        if (!*ret_keys || !*ret_vals)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object_object_foreach(m, k, v) {
                if (!json_object_is_type(v, json_type_string)) {
                        jfmt(pk, "%s[\"%s\"]", p, k);
                        return perr(c, pk, "expected a string");
                }
                (*ret_keys)[i] = k;
                (*ret_vals)[i] = json_object_get_string(v);
                i++;
        }
        *ret_n = i;
        return 0;
}

static int want_abs(struct pctx *c, const char *path, const char *value)
{
        if (value && value[0] == '/')
                return 0;
        return perr(c, path, "expected an absolute path, got \"%s\"", value ? value : "");
}

/* ---- names ---- */

struct name_value {
        const char *name;
        long value;
};

static const struct name_value *name_lookup(const struct name_value *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(t[i].name, name) == 0)
                        return &t[i];
        return NULL;
}

#define LOOKUP(table, name) name_lookup(table, ARRAY_SIZE(table), name)

static const struct name_value rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct {
        const char *name;
        int clone_flag;
} ns_types[SPEC_NS_COUNT] = {
        [SPEC_NS_PID] = { "pid", CLONE_NEWPID },
        [SPEC_NS_NETWORK] = { "network", CLONE_NEWNET },
        [SPEC_NS_MOUNT] = { "mount", CLONE_NEWNS },
        [SPEC_NS_IPC] = { "ipc", CLONE_NEWIPC },
        [SPEC_NS_UTS] = { "uts", CLONE_NEWUTS },
        [SPEC_NS_USER] = { "user", CLONE_NEWUSER },
        [SPEC_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
        [SPEC_NS_TIME] = { "time", CLONE_NEWTIME },
};

static const char *const hook_names[SPEC_HOOK_KIND_COUNT] = {
        [SPEC_HOOK_PRESTART] = "prestart",
        [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
        [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
        [SPEC_HOOK_START_CONTAINER] = "startContainer",
        [SPEC_HOOK_POSTSTART] = "poststart",
        [SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *spec_ns_type_name(enum spec_ns_type type)
{
        return (unsigned)type < SPEC_NS_COUNT ? ns_types[type].name : "unknown";
}

const char *spec_hook_kind_name(enum spec_hook_kind kind)
{
        return (unsigned)kind < SPEC_HOOK_KIND_COUNT ? hook_names[kind] : "unknown";
}

const struct spec_namespace *spec_namespace_find(const struct spec *s, enum spec_ns_type type)
{
        for (size_t i = 0; i < s->linux.n_namespaces; i++)
                if (s->linux.namespaces[i].type == type)
                        return &s->linux.namespaces[i];
        return NULL;
}

/* ---- process ---- */

static int parse_user(struct pctx *c, json_object *proc, const char *pp, struct spec_user *u)
{
        char p[JPATH_MAX], pg[JPATH_MAX], pi[JPATH_MAX];
        json_object *o, *a;
        size_t n;

        int r = jobj(c, proc, pp, "user", &o);
        if (r < 0 || !o)
                return r;
        jkey(p, pp, "user");
        if ((r = ju32(c, o, p, "uid", &u->uid, NULL)) < 0 ||
            (r = ju32(c, o, p, "gid", &u->gid, NULL)) < 0 ||
            (r = ju32(c, o, p, "umask", &u->umask, &u->has_umask)) < 0)
                return r;
        if (u->has_umask && u->umask > 0777)
                return perr(c, jkey(pg, p, "umask"), "expected a mode of at most 0777");
        if ((r = jarr(c, o, p, "additionalGids", &a, &n)) < 0 || !a)
                return r;
        jkey(pg, p, "additionalGids");
        u->additional_gids = calloc(n ? n : 1, sizeof(gid_t));
        if (!u->additional_gids)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, pg);
        u->n_additional_gids = n;
        for (size_t i = 0; i < n; i++) {
                uint64_t g = 0;
                r = val_u64(c, jidx(pi, pg, i), json_object_array_get_idx(a, i), UINT32_MAX, &g);
                if (r < 0)
                        return r;
                u->additional_gids[i] = (gid_t)g;
        }
        return 0;
}

/* One capability set: names as libcap knows them ("CAP_KILL", "cap_kill") to a bit mask. */
static int parse_cap_set(struct pctx *c, json_object *caps, const char *pp, const char *key,
                         uint64_t *ret)
{
        char p[JPATH_MAX];
        _cleanup_free_ const char **names = NULL;
        size_t n = 0;

        int r = jstrv(c, caps, pp, key, &names, &n);
        if (r < 0)
                return r;
        jkey(p, pp, key);
        for (size_t i = 0; i < n; i++) {
                cap_value_t v;
                if (cap_from_name(names[i], &v) < 0 || v < 0 || v > 63)
                        return perr(c, p, "unknown capability \"%s\"", names[i]);
                *ret |= UINT64_C(1) << v;
        }
        return 0;
}

static int parse_caps(struct pctx *c, json_object *proc, const char *pp,
                      struct spec_capabilities *caps)
{
        char p[JPATH_MAX];
        json_object *o;

        int r = jobj(c, proc, pp, "capabilities", &o);
        if (r < 0 || !o)
                return r;
        jkey(p, pp, "capabilities");
        caps->present = true;
        if ((r = parse_cap_set(c, o, p, "bounding", &caps->bounding)) < 0 ||
            (r = parse_cap_set(c, o, p, "effective", &caps->effective)) < 0 ||
            (r = parse_cap_set(c, o, p, "permitted", &caps->permitted)) < 0 ||
            (r = parse_cap_set(c, o, p, "inheritable", &caps->inheritable)) < 0 ||
            (r = parse_cap_set(c, o, p, "ambient", &caps->ambient)) < 0)
                return r;
        return 0;
}

static int parse_rlimit(struct pctx *c, json_object *o, const char *p, struct spec_rlimit *rl,
                        uint32_t *seen)
{
        char pt[JPATH_MAX];
        bool has_soft = false, has_hard = false;
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jstr(c, o, p, "type", true, &rl->name)) < 0)
                return r;
        const struct name_value *nv = LOOKUP(rlimit_names, rl->name);
        if (!nv)
                return perr(c, jkey(pt, p, "type"), "unknown rlimit \"%s\"", rl->name);
        if (*seen & (1u << nv->value))
                return perr(c, jkey(pt, p, "type"), "duplicate rlimit \"%s\"", rl->name);
        *seen |= 1u << nv->value;
        rl->resource = (int)nv->value;
        if ((r = ju64(c, o, p, "soft", UINT64_MAX, &rl->soft, &has_soft)) < 0 ||
            (r = ju64(c, o, p, "hard", UINT64_MAX, &rl->hard, &has_hard)) < 0)
                return r;
        if (!has_soft || !has_hard)
                return perr(c, p, "both \"soft\" and \"hard\" are required");
        if (rl->soft > rl->hard)
                return perr(c, p, "soft limit %" PRIu64 " exceeds hard limit %" PRIu64,
                            rl->soft, rl->hard);
        return 0;
}

static int parse_rlimits(struct pctx *c, json_object *proc, const char *pp,
                         struct spec_process *pr)
{
        char p[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;
        uint32_t seen = 0;

        int r = jarr(c, proc, pp, "rlimits", &a, &n);
        if (r < 0 || !a)
                return r;
        jkey(p, pp, "rlimits");
        pr->rlimits = calloc(n ? n : 1, sizeof(*pr->rlimits));
        if (!pr->rlimits)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        pr->n_rlimits = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_rlimit(c, json_object_array_get_idx(a, i), jidx(pi, p, i),
                                 &pr->rlimits[i], &seen);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* env entries must be KEY=VALUE with a non-empty KEY. */
static int check_env(struct pctx *c, const char *p, char **env)
{
        char pi[JPATH_MAX];

        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || eq == env[i])
                        return perr(c, jidx(pi, p, i), "expected \"KEY=VALUE\", got \"%s\"",
                                    env[i]);
        }
        return 0;
}

static int parse_console(struct pctx *c, json_object *proc, const char *pp,
                         struct spec_process *pr)
{
        char p[JPATH_MAX];
        json_object *o;
        uint32_t h = 0, w = 0;

        int r = jobj(c, proc, pp, "consoleSize", &o);
        if (r < 0 || !o)
                return r;
        jkey(p, pp, "consoleSize");
        if ((r = ju32(c, o, p, "height", &h, NULL)) < 0 ||
            (r = ju32(c, o, p, "width", &w, NULL)) < 0)
                return r;
        if (h > USHRT_MAX || w > USHRT_MAX)
                return perr(c, p, "height and width must be at most %d", USHRT_MAX);
        pr->has_console_size = true;
        pr->console_height = h;
        pr->console_width = w;
        return 0;
}

static int parse_args_env_cwd(struct pctx *c, json_object *o, const char *pp,
                              struct spec_process *pr, bool cwd_required)
{
        char p[JPATH_MAX];
        int r;

        if ((r = jstrv(c, o, pp, "args", (const char ***)&pr->args, &pr->n_args)) < 0)
                return r;
        if (pr->n_args == 0)
                return perr(c, jkey(p, pp, "args"), "expected a non-empty array of strings");
        if ((r = jstrv(c, o, pp, "env", (const char ***)&pr->env, NULL)) < 0 ||
            (r = check_env(c, jkey(p, pp, "env"), pr->env)) < 0)
                return r;
        if (!pr->env) {
                pr->env = calloc(1, sizeof(char *));
                if (!pr->env)
                        return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        }
        pr->cwd = NULL;
        if ((r = jstr(c, o, pp, "cwd", cwd_required, &pr->cwd)) < 0)
                return r;
        if (!pr->cwd)
                pr->cwd = "/";
        return want_abs(c, jkey(p, pp, "cwd"), pr->cwd);
}

static int parse_process(struct pctx *c, json_object *o, const char *pp, struct spec_process *pr,
                         bool cwd_required)
{
        int64_t adj = 0;
        int r;

        if ((r = want(c, pp, o, json_type_object)) < 0 ||
            (r = parse_args_env_cwd(c, o, pp, pr, cwd_required)) < 0 ||
            (r = jbool(c, o, pp, "terminal", &pr->terminal, NULL)) < 0 ||
            (r = parse_console(c, o, pp, pr)) < 0 || (r = parse_user(c, o, pp, &pr->user)) < 0 ||
            (r = parse_caps(c, o, pp, &pr->caps)) < 0 ||
            (r = parse_rlimits(c, o, pp, pr)) < 0 ||
            (r = jbool(c, o, pp, "noNewPrivileges", &pr->no_new_privileges, NULL)) < 0 ||
            (r = ji64(c, o, pp, "oomScoreAdj", -1000, 1000, &adj, &pr->has_oom_score_adj)) < 0 ||
            (r = jstr(c, o, pp, "apparmorProfile", false, &pr->apparmor_profile)) < 0 ||
            (r = jstr(c, o, pp, "selinuxLabel", false, &pr->selinux_label)) < 0)
                return r;
        if (pr->has_oom_score_adj)
                pr->oom_score_adj = (int)adj;
        return 0;
}

/* ---- mounts ---- */

struct mount_opt {
        const char *name;
        unsigned long set, clear;  /* MS_* */
        unsigned long propagation; /* MS_SHARED, ... | MS_REC */
        uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* applied recursively */
};

static const struct mount_opt mount_opts[] = {
        { "defaults", 0, 0, 0, 0, 0 },
        { "ro", MS_RDONLY, 0, 0, 0, 0 },
        { "rw", 0, MS_RDONLY, 0, 0, 0 },
        { "suid", 0, MS_NOSUID, 0, 0, 0 },
        { "nosuid", MS_NOSUID, 0, 0, 0, 0 },
        { "dev", 0, MS_NODEV, 0, 0, 0 },
        { "nodev", MS_NODEV, 0, 0, 0, 0 },
        { "exec", 0, MS_NOEXEC, 0, 0, 0 },
        { "noexec", MS_NOEXEC, 0, 0, 0, 0 },
        { "sync", MS_SYNCHRONOUS, 0, 0, 0, 0 },
        { "async", 0, MS_SYNCHRONOUS, 0, 0, 0 },
        { "dirsync", MS_DIRSYNC, 0, 0, 0, 0 },
        { "remount", MS_REMOUNT, 0, 0, 0, 0 },
        { "mand", MS_MANDLOCK, 0, 0, 0, 0 },
        { "nomand", 0, MS_MANDLOCK, 0, 0, 0 },
        { "atime", 0, MS_NOATIME, 0, 0, 0 },
        { "noatime", MS_NOATIME, 0, 0, 0, 0 },
        { "diratime", 0, MS_NODIRATIME, 0, 0, 0 },
        { "nodiratime", MS_NODIRATIME, 0, 0, 0, 0 },
        { "relatime", MS_RELATIME, 0, 0, 0, 0 },
        { "norelatime", 0, MS_RELATIME, 0, 0, 0 },
        { "strictatime", MS_STRICTATIME, 0, 0, 0, 0 },
        { "nostrictatime", 0, MS_STRICTATIME, 0, 0, 0 },
        { "symfollow", 0, MS_NOSYMFOLLOW, 0, 0, 0 },
        { "nosymfollow", MS_NOSYMFOLLOW, 0, 0, 0, 0 },
        { "lazytime", MS_LAZYTIME, 0, 0, 0, 0 },
        { "nolazytime", 0, MS_LAZYTIME, 0, 0, 0 },
        { "silent", MS_SILENT, 0, 0, 0, 0 },
        { "loud", 0, MS_SILENT, 0, 0, 0 },
        { "iversion", MS_I_VERSION, 0, 0, 0, 0 },
        { "noiversion", 0, MS_I_VERSION, 0, 0, 0 },
        { "bind", MS_BIND, 0, 0, 0, 0 },
        { "rbind", MS_BIND | MS_REC, 0, 0, 0, 0 },
        { "private", 0, 0, MS_PRIVATE, 0, 0 },
        { "rprivate", 0, 0, MS_PRIVATE | MS_REC, 0, 0 },
        { "shared", 0, 0, MS_SHARED, 0, 0 },
        { "rshared", 0, 0, MS_SHARED | MS_REC, 0, 0 },
        { "slave", 0, 0, MS_SLAVE, 0, 0 },
        { "rslave", 0, 0, MS_SLAVE | MS_REC, 0, 0 },
        { "unbindable", 0, 0, MS_UNBINDABLE, 0, 0 },
        { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, 0, 0 },
        { "rro", 0, 0, 0, MOUNT_ATTR_RDONLY, 0 },
        { "rrw", 0, 0, 0, 0, MOUNT_ATTR_RDONLY },
        { "rnosuid", 0, 0, 0, MOUNT_ATTR_NOSUID, 0 },
        { "rsuid", 0, 0, 0, 0, MOUNT_ATTR_NOSUID },
        { "rnodev", 0, 0, 0, MOUNT_ATTR_NODEV, 0 },
        { "rdev", 0, 0, 0, 0, MOUNT_ATTR_NODEV },
        { "rnoexec", 0, 0, 0, MOUNT_ATTR_NOEXEC, 0 },
        { "rexec", 0, 0, 0, 0, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", 0, 0, 0, MOUNT_ATTR_NODIRATIME, 0 },
        { "rdiratime", 0, 0, 0, 0, MOUNT_ATTR_NODIRATIME },
        { "rrelatime", 0, 0, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
        { "rnoatime", 0, 0, 0, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
        { "rstrictatime", 0, 0, 0, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
        { "ratime", 0, 0, 0, 0, MOUNT_ATTR_NOATIME },
        { "rnosymfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0 },
        { "rsymfollow", 0, 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW },
};

static const struct mount_opt *mount_opt_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
                if (strcmp(mount_opts[i].name, name) == 0)
                        return &mount_opts[i];
        return NULL;
}

static void mount_apply(struct spec_mount *m, const struct mount_opt *o)
{
        m->flags = (m->flags & ~o->clear) | o->set;
        m->clear_flags = (m->clear_flags & ~o->set) | o->clear;
        if (o->propagation)
                m->propagation = o->propagation;
        m->rec_attr_set = (m->rec_attr_set & ~o->attr_clr) | o->attr_set;
        m->rec_attr_clr = (m->rec_attr_clr & ~o->attr_set) | o->attr_clr;
        if (o->set & MS_BIND)
                m->bind = true;
}

/* Flags from the table; the rest, comma-joined, becomes the file system's data string. */
static int mount_options(struct pctx *c, const char *p, struct spec_mount *m)
{
        size_t total = 1;

        for (size_t i = 0; i < m->n_options; i++)
                total += strlen(m->options[i]) + 1;
        _cleanup_free_ char *data = calloc(1, total);
        if (!data)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        char *end = data;
        for (size_t i = 0; i < m->n_options; i++) {
                const char *opt = m->options[i];
                const struct mount_opt *o = mount_opt_find(opt);
                if (o) {
                        mount_apply(m, o);
                } else if (strcmp(opt, "tmpcopyup") == 0) {
                        m->tmpcopyup = true;
                } else if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
                        m->idmap = true;
                        m->idmap_recursive |= opt[0] == 'r';
                } else if (*opt) {
                        if (end != data)
                                *end++ = ',';
                        end = stpcpy(end, opt);
                }
        }
        if (end != data)
                m->data = TAKE_PTR(data);
        return 0;
}

/* runc accepts relative destinations of old configs as relative to "/": rewrite the value
 * in the tree so the borrowed pointer stays owned by it. */
static int mount_destination(struct pctx *c, json_object *o, const char *p, struct spec_mount *m)
{
        char pd[JPATH_MAX];
        int r = jstr(c, o, p, "destination", true, &m->destination);

        if (r < 0)
                return r;
        if (!*m->destination)
                return perr(c, jkey(pd, p, "destination"), "expected a non-empty path");
        if (m->destination[0] == '/')
                return 0;
        _cleanup_free_ char *abs = NULL;
        if (asprintf(&abs, "/%s", m->destination) < 0)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object *v = jget(o, "destination");
        if (!json_object_set_string(v, abs))
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        m->destination = json_object_get_string(v);
        return 0;
}

static int parse_idmaps(struct pctx *c, json_object *lo, const char *parent, const char *key,
                        struct spec_idmap **ret, size_t *ret_n);

static int parse_mount(struct pctx *c, json_object *o, const char *p, struct spec_mount *m)
{
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = mount_destination(c, o, p, m)) < 0 ||
            (r = jstr(c, o, p, "type", false, &m->type)) < 0 ||
            (r = jstr(c, o, p, "source", false, &m->source)) < 0 ||
            (r = jstrv(c, o, p, "options", &m->options, &m->n_options)) < 0)
                return r;
        if ((r = parse_idmaps(c, o, p, "uidMappings", &m->uid_mappings, &m->n_uid_mappings)) < 0 ||
            (r = parse_idmaps(c, o, p, "gidMappings", &m->gid_mappings, &m->n_gid_mappings)) < 0 ||
            (r = mount_options(c, p, m)) < 0)
                return r;
        if (m->type && strcmp(m->type, "bind") == 0) {
                m->bind = true;
                m->flags |= MS_BIND;
        }
        if (!m->uid_mappings != !m->gid_mappings)
                return perr(c, p, "an idmapped mount needs both uidMappings and gidMappings");
        if (m->uid_mappings)
                m->idmap = true;
        if (m->idmap && !m->bind)
                return perr(c, p, "idmapped mounts are supported for bind mounts only");
        if (m->idmap && !m->uid_mappings)
                return perr(c, p, "idmap without uidMappings/gidMappings (the container's own maps) "
                            "is not supported");
        return 0;
}

static int parse_mounts(struct pctx *c, json_object *root, struct spec *s)
{
        char pi[JPATH_MAX];
        json_object *a;
        size_t n;

        int r = jarr(c, root, "", "mounts", &a, &n);
        if (r < 0 || !a)
                return r;
        s->mounts = calloc(n ? n : 1, sizeof(*s->mounts));
        if (!s->mounts)
                return err_errno(c->err, -ENOMEM, "%s: mounts", c->name);
        s->n_mounts = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_mount(c, json_object_array_get_idx(a, i), jidx(pi, "mounts", i),
                                &s->mounts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- hooks ---- */

static int parse_hook(struct pctx *c, json_object *o, const char *p, struct spec_hook *h)
{
        char pt[JPATH_MAX];
        int64_t timeout = 0;
        bool has_timeout = false;
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jstr(c, o, p, "path", true, &h->path)) < 0 ||
            (r = want_abs(c, jkey(pt, p, "path"), h->path)) < 0 ||
            (r = jstrv(c, o, p, "args", (const char ***)&h->args, NULL)) < 0 ||
            (r = jstrv(c, o, p, "env", (const char ***)&h->env, NULL)) < 0 ||
            (r = check_env(c, jkey(pt, p, "env"), h->env)) < 0 ||
            (r = ji64(c, o, p, "timeout", INT_MIN, INT_MAX, &timeout, &has_timeout)) < 0)
                return r;
        if (has_timeout && timeout <= 0)
                return perr(c, jkey(pt, p, "timeout"), "expected a positive number of seconds");
        h->timeout = (int)timeout;
        return 0;
}

static int parse_hooks(struct pctx *c, json_object *root, struct spec *s)
{
        char p[JPATH_MAX], pi[JPATH_MAX];
        json_object *hooks, *a;
        size_t n;

        int r = jobj(c, root, "", "hooks", &hooks);
        if (r < 0 || !hooks)
                return r;
        for (int k = 0; k < SPEC_HOOK_KIND_COUNT; k++) {
                struct spec_hook_list *l = &s->hooks[k];
                if ((r = jarr(c, hooks, "hooks", hook_names[k], &a, &n)) < 0)
                        return r;
                if (!a)
                        continue;
                jkey(p, "hooks", hook_names[k]);
                l->hooks = calloc(n ? n : 1, sizeof(*l->hooks));
                if (!l->hooks)
                        return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
                l->n = n;
                for (size_t i = 0; i < n; i++) {
                        r = parse_hook(c, json_object_array_get_idx(a, i), jidx(pi, p, i),
                                       &l->hooks[i]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- linux: namespaces, id maps, devices ---- */

static int parse_namespace(struct pctx *c, json_object *o, const char *p, struct spec_linux *l,
                           unsigned *seen)
{
        char pt[JPATH_MAX];
        const char *type, *path = NULL;
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jstr(c, o, p, "type", true, &type)) < 0 ||
            (r = jstr(c, o, p, "path", false, &path)) < 0)
                return r;
        if (path && !*path)
                path = NULL;
        if (path && (r = want_abs(c, jkey(pt, p, "path"), path)) < 0)
                return r;
        for (int t = 0; t < SPEC_NS_COUNT; t++) {
                if (strcmp(ns_types[t].name, type) != 0)
                        continue;
                if (*seen & (1u << t))
                        return perr(c, jkey(pt, p, "type"), "duplicate namespace \"%s\"", type);
                *seen |= 1u << t;
                l->namespaces[l->n_namespaces++] = (struct spec_namespace){
                        .type = (enum spec_ns_type)t,
                        .clone_flag = ns_types[t].clone_flag,
                        .path = path,
                };
                return 0;
        }
        return perr(c, jkey(pt, p, "type"), "unknown namespace \"%s\"", type);
}

static int parse_namespaces(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        char pi[JPATH_MAX];
        json_object *a;
        size_t n;
        unsigned seen = 0;

        int r = jarr(c, lo, "linux", "namespaces", &a, &n);
        if (r < 0 || !a)
                return r;
        for (size_t i = 0; i < n; i++) {
                jidx(pi, "linux.namespaces", i);
                if (l->n_namespaces >= SPEC_NS_COUNT)
                        return perr(c, pi, "too many namespaces");
                r = parse_namespace(c, json_object_array_get_idx(a, i), pi, l, &seen);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_idmaps(struct pctx *c, json_object *lo, const char *parent, const char *key,
                        struct spec_idmap **ret, size_t *ret_n)
{
        char p[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;

        int r = jarr(c, lo, parent, key, &a, &n);
        if (r < 0 || !a)
                return r;
        jkey(p, parent, key);
        if (n > SPEC_MAX_IDMAPS)
                return perr(c, p, "too many mappings (%zu, at most %d)", n, SPEC_MAX_IDMAPS);
        *ret = calloc(n ? n : 1, sizeof(**ret));
        if (!*ret)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(a, i);
                struct spec_idmap *m = &(*ret)[i];
                bool hc = false, hh = false, hs = false;
                jidx(pi, p, i);
                if ((r = want(c, pi, o, json_type_object)) < 0 ||
                    (r = ju32(c, o, pi, "containerID", &m->container_id, &hc)) < 0 ||
                    (r = ju32(c, o, pi, "hostID", &m->host_id, &hh)) < 0 ||
                    (r = ju32(c, o, pi, "size", &m->size, &hs)) < 0)
                        return r;
                if (!hc || !hh || !hs || m->size == 0)
                        return perr(c, pi, "expected containerID, hostID and a non-zero size");
        }
        return 0;
}

static int parse_device(struct pctx *c, json_object *o, const char *p, struct spec_device *d)
{
        char pk[JPATH_MAX];
        const char *type;
        bool has_major = false, has_minor = false;
        int r;

        d->major = d->minor = -1;
        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jstr(c, o, p, "path", true, &d->path)) < 0 ||
            (r = want_abs(c, jkey(pk, p, "path"), d->path)) < 0 ||
            (r = jstr(c, o, p, "type", true, &type)) < 0)
                return r;
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
                return perr(c, jkey(pk, p, "type"), "expected \"c\", \"b\", \"u\" or \"p\", got \"%s\"",
                            type);
        d->type = type[0];
        if ((r = ji64(c, o, p, "major", 0, UINT32_MAX, &d->major, &has_major)) < 0 ||
            (r = ji64(c, o, p, "minor", 0, UINT32_MAX, &d->minor, &has_minor)) < 0 ||
            (r = ju32(c, o, p, "fileMode", &d->file_mode, &d->has_mode)) < 0 ||
            (r = ju32(c, o, p, "uid", &d->uid, &d->has_uid)) < 0 ||
            (r = ju32(c, o, p, "gid", &d->gid, &d->has_gid)) < 0)
                return r;
        if (d->type != 'p' && (!has_major || !has_minor))
                return perr(c, p, "major and minor are required for type \"%c\"", d->type);
        if (d->has_mode && d->file_mode > 07777)
                return perr(c, jkey(pk, p, "fileMode"), "expected permission bits (at most 07777)");
        return 0;
}

static int parse_devices(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        char pi[JPATH_MAX];
        json_object *a;
        size_t n;

        int r = jarr(c, lo, "linux", "devices", &a, &n);
        if (r < 0 || !a)
                return r;
        l->devices = calloc(n ? n : 1, sizeof(*l->devices));
        if (!l->devices)
                return err_errno(c->err, -ENOMEM, "%s: linux.devices", c->name);
        l->n_devices = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_device(c, json_object_array_get_idx(a, i), jidx(pi, "linux.devices", i),
                                 &l->devices[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- linux.resources ---- */

static int parse_device_rule(struct pctx *c, json_object *o, const char *p,
                             struct spec_device_rule *d)
{
        char pk[JPATH_MAX];
        const char *type = NULL, *access = NULL;
        bool has_allow = false;
        int r;

        d->major = d->minor = -1;
        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jbool(c, o, p, "allow", &d->allow, &has_allow)) < 0 ||
            (r = jstr(c, o, p, "type", false, &type)) < 0 ||
            (r = ji64(c, o, p, "major", -1, UINT32_MAX, &d->major, NULL)) < 0 ||
            (r = ji64(c, o, p, "minor", -1, UINT32_MAX, &d->minor, NULL)) < 0 ||
            (r = jstr(c, o, p, "access", false, &access)) < 0)
                return r;
        if (!has_allow)
                return perr(c, jkey(pk, p, "allow"), "required boolean is missing");
        if (!type || !*type)
                type = "a";
        if (strlen(type) != 1 || !strchr("acb", type[0]))
                return perr(c, jkey(pk, p, "type"), "expected \"a\", \"c\" or \"b\", got \"%s\"", type);
        d->type = type[0];
        if (!access || !*access)
                access = "rwm";
        size_t len = strlen(access);
        if (len > 3 || strspn(access, "rwm") != len)
                return perr(c, jkey(pk, p, "access"), "expected a subset of \"rwm\", got \"%s\"",
                            access);
        memcpy(d->access, access, len + 1);
        return 0;
}

static int parse_memory(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.memory";
        json_object *o;
        int64_t ignored;

        int r = jobj(c, res, "linux.resources", "memory", &o);
        if (r < 0 || !o)
                return r;
        if ((r = ji64(c, o, p, "limit", -1, INT64_MAX, &rs->memory_limit, &rs->has_memory_limit)) < 0 ||
            (r = ji64(c, o, p, "reservation", -1, INT64_MAX, &rs->memory_reservation,
                      &rs->has_memory_reservation)) < 0 ||
            (r = ji64(c, o, p, "swap", -1, INT64_MAX, &rs->memory_swap, &rs->has_memory_swap)) < 0 ||
            (r = ju64(c, o, p, "swappiness", 100, &rs->memory_swappiness,
                      &rs->has_memory_swappiness)) < 0 ||
            (r = jbool(c, o, p, "disableOOMKiller", &rs->disable_oom_killer,
                       &rs->has_disable_oom_killer)) < 0 ||
            (r = jbool(c, o, p, "useHierarchy", &rs->memory_use_hierarchy,
                       &rs->has_memory_use_hierarchy)) < 0 ||
            (r = jbool(c, o, p, "checkBeforeUpdate", &rs->memory_check_before_update, NULL)) < 0 ||
            (r = ji64(c, o, p, "kernel", INT64_MIN, INT64_MAX, &ignored, &rs->has_memory_kernel)) < 0 ||
            (r = ji64(c, o, p, "kernelTCP", INT64_MIN, INT64_MAX, &ignored,
                      &rs->has_memory_kernel_tcp)) < 0)
                return r;
        return 0;
}

static int parse_cpu(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.cpu";
        json_object *o;

        int r = jobj(c, res, "linux.resources", "cpu", &o);
        if (r < 0 || !o)
                return r;
        if ((r = ju64(c, o, p, "shares", UINT64_MAX, &rs->cpu_shares, &rs->has_cpu_shares)) < 0 ||
            (r = ji64(c, o, p, "quota", -1, INT64_MAX, &rs->cpu_quota, &rs->has_cpu_quota)) < 0 ||
            (r = ju64(c, o, p, "period", UINT64_MAX, &rs->cpu_period, &rs->has_cpu_period)) < 0 ||
            (r = ji64(c, o, p, "realtimeRuntime", -1, INT64_MAX, &rs->cpu_rt_runtime,
                      &rs->has_cpu_rt_runtime)) < 0 ||
            (r = ju64(c, o, p, "realtimePeriod", UINT64_MAX, &rs->cpu_rt_period,
                      &rs->has_cpu_rt_period)) < 0 ||
            (r = jstr(c, o, p, "cpus", false, &rs->cpu_cpus)) < 0 ||
            (r = jstr(c, o, p, "mems", false, &rs->cpu_mems)) < 0 ||
            (r = ju64(c, o, p, "burst", UINT64_MAX, &rs->cpu_burst, &rs->has_cpu_burst)) < 0 ||
            (r = ji64(c, o, p, "idle", 0, 1, &rs->cpu_idle, &rs->has_cpu_idle)) < 0)
                return r;
        return 0;
}

/* A weight of blockIO: 0 means "not set" (runc), else 10..1000. */
static int check_weight(struct pctx *c, const char *parent, const char *key, uint64_t *w,
                        bool *present)
{
        char pk[JPATH_MAX];
        if (*present && *w == 0)
                *present = false;
        if (*present && *w < 10)
                return perr(c, jkey(pk, parent, key), "must be between 10 and 1000, got %" PRIu64,
                            *w);
        return 0;
}

static int parse_blkio_device(struct pctx *c, json_object *o, const char *p, bool throttle,
                              struct spec_blkio_device *d)
{
        char pk[JPATH_MAX];
        bool has_major = false, has_minor = false, has_rate = false;
        int r;
        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = ji64(c, o, p, "major", 0, UINT32_MAX, &d->major, &has_major)) < 0 ||
            (r = ji64(c, o, p, "minor", 0, UINT32_MAX, &d->minor, &has_minor)) < 0)
                return r;
        if (!has_major || !has_minor)
                return perr(c, jkey(pk, p, has_major ? "minor" : "major"),
                            "required integer is missing");
        if (throttle) {
                if ((r = ju64(c, o, p, "rate", UINT64_MAX, &d->rate, &has_rate)) < 0)
                        return r;
                return has_rate ? 0 : perr(c, jkey(pk, p, "rate"), "required integer is missing");
        }
        if ((r = ju64(c, o, p, "weight", 1000, &d->weight, &d->has_weight)) < 0 ||
            (r = ju64(c, o, p, "leafWeight", 1000, &d->leaf_weight, &d->has_leaf_weight)) < 0 ||
            (r = check_weight(c, p, "weight", &d->weight, &d->has_weight)) < 0)
                return r;
        return check_weight(c, p, "leafWeight", &d->leaf_weight, &d->has_leaf_weight);
}

static int parse_blkio_list(struct pctx *c, json_object *o, const char *key, bool throttle,
                            struct spec_blkio_device **ret, size_t *ret_n)
{
        const char *p = "linux.resources.blockIO";
        char pk[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;
        int r = jarr(c, o, p, key, &a, &n);
        if (r < 0 || !a)
                return r;
        *ret = calloc(n ? n : 1, sizeof(**ret));
        if (!*ret)
                return err_errno(c->err, -ENOMEM, "%s: %s.%s", c->name, p, key);
        *ret_n = n;
        jkey(pk, p, key);
        for (size_t i = 0; i < n; i++) {
                r = parse_blkio_device(c, json_object_array_get_idx(a, i), jidx(pi, pk, i),
                                       throttle, &(*ret)[i]);
                if (r < 0)
                        return r;
        }
        return 0;
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
        json_object *o;
        int r = jobj(c, res, "linux.resources", "blockIO", &o);
        if (r < 0 || !o)
                return r;
        if ((r = ju64(c, o, p, "weight", 1000, &rs->blkio_weight, &rs->has_blkio_weight)) < 0 ||
            (r = ju64(c, o, p, "leafWeight", 1000, &rs->blkio_leaf_weight,
                      &rs->has_blkio_leaf_weight)) < 0 ||
            (r = check_weight(c, p, "weight", &rs->blkio_weight, &rs->has_blkio_weight)) < 0 ||
            (r = check_weight(c, p, "leafWeight", &rs->blkio_leaf_weight,
                              &rs->has_blkio_leaf_weight)) < 0 ||
            (r = parse_blkio_list(c, o, "weightDevice", false, &rs->blkio_weight_devices,
                                  &rs->n_blkio_weight_devices)) < 0)
                return r;
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                if ((r = parse_blkio_list(c, o, throttles[i], true, &rs->blkio_throttle[i],
                                          &rs->n_blkio_throttle[i])) < 0)
                        return r;
        return 0;
}

/* "2MB", "1GB", "64KB": what the hugetlb cgroup files are named after. */
static bool valid_page_size(const char *s)
{
        size_t n = strspn(s, "0123456789");
        return n > 0 && n < 8 && s[0] != '0' && strchr("KMG", s[n]) && s[n] && !strcmp(s + n + 1, "B");
}

static int parse_hugepages(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.hugepageLimits";
        char pi[JPATH_MAX], pk[JPATH_MAX];
        json_object *a;
        size_t n;
        int r = jarr(c, res, "linux.resources", "hugepageLimits", &a, &n);
        if (r < 0 || !a)
                return r;
        rs->hugepage_limits = calloc(n ? n : 1, sizeof(*rs->hugepage_limits));
        if (!rs->hugepage_limits)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        rs->n_hugepage_limits = n;
        for (size_t i = 0; i < n; i++) {
                struct spec_hugepage_limit *h = &rs->hugepage_limits[i];
                json_object *o = json_object_array_get_idx(a, i);
                bool has_limit = false;
                jidx(pi, p, i);
                if ((r = want(c, pi, o, json_type_object)) < 0 ||
                    (r = jstr(c, o, pi, "pageSize", true, &h->page_size)) < 0 ||
                    (r = ju64(c, o, pi, "limit", UINT64_MAX, &h->limit, &has_limit)) < 0)
                        return r;
                if (!valid_page_size(h->page_size))
                        return perr(c, jkey(pk, pi, "pageSize"), "expected a size like \"2MB\" or "
                                    "\"1GB\", got \"%s\"", h->page_size);
                if (!has_limit)
                        return perr(c, jkey(pk, pi, "limit"), "required integer is missing");
        }
        return 0;
}

/* linux.resources.rdma: {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}} */
static int parse_rdma(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.rdma";
        char pk[JPATH_MAX];
        json_object *m;
        int r = jobj(c, res, "linux.resources", "rdma", &m);
        if (r < 0 || !m)
                return r;
        size_t n = (size_t)json_object_object_length(m);
        if (n > SPEC_MAX_ITEMS)
                return perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        rs->rdma = calloc(n ? n : 1, sizeof(*rs->rdma));
        if (!rs->rdma)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object_object_foreach(m, k, v) {
                struct spec_rdma_limit *l = &rs->rdma[rs->n_rdma++];
                l->device = k;
                jkey(pk, p, k);
                if (!k[0] || strpbrk(k, " \n=") )
                        return perr(c, pk, "bad device name");
                if ((r = want(c, pk, v, json_type_object)) < 0 ||
                    (r = ju32(c, v, pk, "hcaHandles", &l->handles, &l->has_handles)) < 0 ||
                    (r = ju32(c, v, pk, "hcaObjects", &l->objects, &l->has_objects)) < 0)
                        return r;
        }
        return 0;
}

static int parse_network(struct pctx *c, json_object *res, struct spec_resources *rs)
{
        const char *p = "linux.resources.network";
        char pi[JPATH_MAX];
        json_object *o, *a;
        size_t n;
        int r = jobj(c, res, "linux.resources", "network", &o);
        if (r < 0 || !o)
                return r;
        if ((r = ju32(c, o, p, "classID", &rs->net_class_id, &rs->has_net_class_id)) < 0 ||
            (r = jarr(c, o, p, "priorities", &a, &n)) < 0 || !a)
                return r;
        rs->net_priorities = calloc(n ? n : 1, sizeof(*rs->net_priorities));
        if (!rs->net_priorities)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        rs->n_net_priorities = n;
        for (size_t i = 0; i < n; i++) {
                struct spec_net_priority *np = &rs->net_priorities[i];
                json_object *e = json_object_array_get_idx(a, i);
                bool has_prio = false;
                jidx(pi, "linux.resources.network.priorities", i);
                if ((r = want(c, pi, e, json_type_object)) < 0 ||
                    (r = jstr(c, e, pi, "name", true, &np->name)) < 0 ||
                    (r = ju32(c, e, pi, "priority", &np->priority, &has_prio)) < 0)
                        return r;
                if (!has_prio)
                        return perr(c, pi, "required integer \"priority\" is missing");
        }
        return 0;
}

static int parse_resources(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        const char *p = "linux.resources";
        char pi[JPATH_MAX];
        json_object *res, *o, *a;
        size_t n;
        struct spec_resources *rs = &l->resources;

        int r = jobj(c, lo, "linux", "resources", &res);
        if (r < 0 || !res)
                return r;
        l->has_resources = true;
        if ((r = parse_memory(c, res, rs)) < 0 || (r = parse_cpu(c, res, rs)) < 0 ||
            (r = jobj(c, res, p, "pids", &o)) < 0)
                return r;
        if (o && (r = ji64(c, o, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX,
                           &rs->pids_limit, &rs->has_pids_limit)) < 0)
                return r;
        if ((r = parse_blkio(c, res, rs)) < 0 || (r = parse_hugepages(c, res, rs)) < 0 ||
            (r = parse_rdma(c, res, rs)) < 0 || (r = parse_network(c, res, rs)) < 0)
                return r;
        if ((r = jstrmap(c, res, p, "unified", &rs->unified_keys, &rs->unified_values,
                         &rs->n_unified)) < 0 ||
            (r = jarr(c, res, p, "devices", &a, &n)) < 0 || !a)
                return r;
        rs->devices = calloc(n ? n : 1, sizeof(*rs->devices));
        if (!rs->devices)
                return err_errno(c->err, -ENOMEM, "%s: %s.devices", c->name, p);
        rs->n_devices = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_device_rule(c, json_object_array_get_idx(a, i),
                                      jidx(pi, "linux.resources.devices", i), &rs->devices[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- linux.seccomp ---- */

static const struct name_value seccomp_actions[] = {
        { "SCMP_ACT_KILL", SCMP_ACT_KILL },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
        { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG },
        { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
};

static const struct name_value seccomp_ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const char *const seccomp_flag_names[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static int seccomp_action(struct pctx *c, json_object *o, const char *p, const char *key,
                          const char **ret_name, uint32_t *ret)
{
        char pk[JPATH_MAX];
        int r = jstr(c, o, p, key, true, ret_name);

        if (r < 0)
                return r;
        const struct name_value *nv = LOOKUP(seccomp_actions, *ret_name);
        if (!nv)
                return perr(c, jkey(pk, p, key), "unknown seccomp action \"%s\"", *ret_name);
        *ret = (uint32_t)nv->value;
        return 0;
}

/* The filter's return value keeps 16 bits of data (SECCOMP_RET_DATA). */
static int jerrno(struct pctx *c, json_object *o, const char *p, const char *key, uint32_t *ret,
                  bool *present)
{
        uint64_t x = 0;
        int r = ju64(c, o, p, key, 0xffff, &x, present);

        if (r == 0 && *present)
                *ret = (uint32_t)x;
        return r;
}

static int seccomp_arch(struct pctx *c, const char *p, const char *name, uint32_t *ret)
{
        char lower[64];
        const char *s = name;
        size_t i = 0;

        if (strncmp(s, "SCMP_ARCH_", 10) == 0)
                s += 10;
        for (; s[i] && i < sizeof(lower) - 1; i++)
                lower[i] = (char)tolower((unsigned char)s[i]);
        lower[i] = '\0';
        uint32_t arch = seccomp_arch_resolve_name(lower);
        if (arch == 0 || s[i])
                return perr(c, p, "unknown architecture \"%s\"", name);
        *ret = arch;
        return 0;
}

static int parse_seccomp_arg(struct pctx *c, json_object *o, const char *p,
                             struct spec_seccomp_arg *a)
{
        char pk[JPATH_MAX];
        const char *op;
        uint64_t index = 0;
        bool has_index = false;
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = ju64(c, o, p, "index", 5, &index, &has_index)) < 0 ||
            (r = ju64(c, o, p, "value", UINT64_MAX, &a->value, NULL)) < 0 ||
            (r = ju64(c, o, p, "valueTwo", UINT64_MAX, &a->value_two, NULL)) < 0 ||
            (r = jstr(c, o, p, "op", true, &op)) < 0)
                return r;
        if (!has_index)
                return perr(c, jkey(pk, p, "index"), "required integer is missing");
        const struct name_value *nv = LOOKUP(seccomp_ops, op);
        if (!nv)
                return perr(c, jkey(pk, p, "op"), "unknown seccomp operator \"%s\"", op);
        a->index = (unsigned int)index;
        a->op = (int)nv->value;
        return 0;
}

static int parse_syscall(struct pctx *c, json_object *o, const char *p,
                         struct spec_seccomp_syscall *sc, bool has_listener)
{
        char pk[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;
        int r;

        if ((r = want(c, p, o, json_type_object)) < 0 ||
            (r = jstrv(c, o, p, "names", &sc->names, &sc->n_names)) < 0 ||
            (r = seccomp_action(c, o, p, "action", &sc->action_name, &sc->action)) < 0 ||
            (r = jerrno(c, o, p, "errnoRet", &sc->errno_ret, &sc->has_errno_ret)) < 0)
                return r;
        if (sc->n_names == 0)
                return perr(c, jkey(pk, p, "names"), "expected a non-empty array of strings");
        if (sc->action == SCMP_ACT_NOTIFY && !has_listener)
                return perr(c, jkey(pk, p, "action"),
                            "SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath");
        if ((r = jarr(c, o, p, "args", &a, &n)) < 0 || !a)
                return r;
        jkey(pk, p, "args");
        if (n > 6)
                return perr(c, pk, "at most 6 argument conditions");
        sc->args = calloc(n ? n : 1, sizeof(*sc->args));
        if (!sc->args)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, pk);
        sc->n_args = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_seccomp_arg(c, json_object_array_get_idx(a, i), jidx(pi, pk, i),
                                      &sc->args[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int seccomp_arches_flags(struct pctx *c, json_object *o, const char *p,
                                struct spec_seccomp *sc)
{
        char pk[JPATH_MAX], pi[JPATH_MAX];
        _cleanup_free_ const char **arches = NULL;
        size_t n = 0;

        int r = jstrv(c, o, p, "architectures", &arches, &n);
        if (r < 0)
                return r;
        jkey(pk, p, "architectures");
        sc->arches = calloc(n ? n : 1, sizeof(*sc->arches));
        if (!sc->arches)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, pk);
        sc->n_arches = n;
        for (size_t i = 0; i < n; i++)
                if ((r = seccomp_arch(c, jidx(pi, pk, i), arches[i], &sc->arches[i])) < 0)
                        return r;
        if ((r = jstrv(c, o, p, "flags", &sc->flags, &sc->n_flags)) < 0)
                return r;
        jkey(pk, p, "flags");
        for (size_t i = 0; i < sc->n_flags; i++) {
                bool known = false;
                for (size_t j = 0; j < ARRAY_SIZE(seccomp_flag_names); j++)
                        known = known || strcmp(sc->flags[i], seccomp_flag_names[j]) == 0;
                if (!known)
                        return perr(c, jidx(pi, pk, i), "unknown seccomp flag \"%s\"",
                                    sc->flags[i]);
        }
        return 0;
}

static int parse_seccomp(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        const char *p = "linux.seccomp";
        char pk[JPATH_MAX], pi[JPATH_MAX];
        json_object *o, *a;
        size_t n;

        int r = jobj(c, lo, "linux", "seccomp", &o);
        if (r < 0 || !o)
                return r;
        struct spec_seccomp *sc = l->seccomp = calloc(1, sizeof(*sc));
        if (!sc)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        if ((r = seccomp_action(c, o, p, "defaultAction", &sc->default_action_name,
                                &sc->default_action)) < 0 ||
            (r = jerrno(c, o, p, "defaultErrnoRet", &sc->default_errno_ret,
                        &sc->has_default_errno_ret)) < 0 ||
            (r = seccomp_arches_flags(c, o, p, sc)) < 0 ||
            (r = jstr(c, o, p, "listenerPath", false, &sc->listener_path)) < 0 ||
            (r = jstr(c, o, p, "listenerMetadata", false, &sc->listener_metadata)) < 0)
                return r;
        if (sc->default_action == SCMP_ACT_NOTIFY)
                return perr(c, jkey(pk, p, "defaultAction"),
                            "SCMP_ACT_NOTIFY cannot be the default action");
        if (sc->listener_path && !*sc->listener_path)
                sc->listener_path = NULL;
        if ((r = jarr(c, o, p, "syscalls", &a, &n)) < 0 || !a)
                return r;
        jkey(pk, p, "syscalls");
        sc->syscalls = calloc(n ? n : 1, sizeof(*sc->syscalls));
        if (!sc->syscalls)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, pk);
        sc->n_syscalls = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_syscall(c, json_object_array_get_idx(a, i), jidx(pi, pk, i),
                                  &sc->syscalls[i], sc->listener_path != NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- linux: the rest ---- */

static const struct name_value propagation_names[] = {
        { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
        { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
        { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int parse_time_offsets(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        const char *p = "linux.timeOffsets";
        char pk[JPATH_MAX];
        json_object *o;

        int r = jobj(c, lo, "linux", "timeOffsets", &o);
        if (r < 0 || !o)
                return r;
        json_object_object_foreach(o, clk, v) {
                struct spec_time_offset *t = strcmp(clk, "boottime") == 0  ? &l->time_boottime
                                             : strcmp(clk, "monotonic") == 0 ? &l->time_monotonic
                                                                                : NULL;
                jkey(pk, p, clk);
                if (!t)
                        return perr(c, pk, "unknown clock (expected boottime or monotonic)");
                if (!v)
                        continue;
                if ((r = want(c, pk, v, json_type_object)) < 0 ||
                    (r = ji64(c, v, pk, "secs", INT64_MIN, INT64_MAX, &t->secs, NULL)) < 0 ||
                    (r = ju32(c, v, pk, "nanosecs", &t->nanosecs, NULL)) < 0)
                        return r;
                if (t->nanosecs >= 1000000000u)
                        return perr(c, pk, "nanosecs must be below 1000000000");
                t->present = true;
        }
        return 0;
}

static int parse_linux_misc(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        char pk[JPATH_MAX], pi[JPATH_MAX];
        const char *prop = NULL;
        int r;

        if ((r = jstr(c, lo, "linux", "cgroupsPath", false, &l->cgroups_path)) < 0 ||
            (r = jstr(c, lo, "linux", "mountLabel", false, &l->mount_label)) < 0 ||
            (r = jstr(c, lo, "linux", "rootfsPropagation", false, &prop)) < 0 ||
            (r = jstrv(c, lo, "linux", "maskedPaths", &l->masked_paths, &l->n_masked_paths)) < 0 ||
            (r = jstrv(c, lo, "linux", "readonlyPaths", &l->readonly_paths,
                       &l->n_readonly_paths)) < 0)
                return r;
        if (l->cgroups_path && !*l->cgroups_path)
                l->cgroups_path = NULL;
        if (prop && *prop) {
                const struct name_value *nv = LOOKUP(propagation_names, prop);
                if (!nv)
                        return perr(c, "linux.rootfsPropagation", "unknown propagation \"%s\"", prop);
                l->rootfs_propagation = (unsigned long)nv->value;
        }
        for (size_t i = 0; i < l->n_masked_paths; i++)
                if ((r = want_abs(c, jidx(pi, "linux.maskedPaths", i), l->masked_paths[i])) < 0)
                        return r;
        for (size_t i = 0; i < l->n_readonly_paths; i++)
                if ((r = want_abs(c, jidx(pi, "linux.readonlyPaths", i), l->readonly_paths[i])) < 0)
                        return r;
        const char **keys = NULL, **vals = NULL;
        size_t n = 0;
        r = jstrmap(c, lo, "linux", "sysctl", &keys, &vals, &n);
        if (keys) {
                l->sysctl = calloc(n ? n : 1, sizeof(*l->sysctl));
                for (size_t i = 0; l->sysctl && i < n; i++)
                        l->sysctl[i] = (struct spec_sysctl){ keys[i], vals[i] };
                l->n_sysctl = l->sysctl ? n : 0;
        }
        free(keys);
        free(vals);
        if (r < 0)
                return r;
        if (keys && !l->sysctl)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, jkey(pk, "linux", "sysctl"));
        return 0;
}

static int parse_linux(struct pctx *c, json_object *root, struct spec *s)
{
        json_object *lo;
        struct spec_linux *l = &s->linux;

        int r = jobj(c, root, "", "linux", &lo);
        if (r < 0 || !lo)
                return r;
        s->has_linux = true;
        if ((r = parse_namespaces(c, lo, l)) < 0 ||
            (r = parse_idmaps(c, lo, "linux", "uidMappings", &l->uid_mappings, &l->n_uid_mappings)) < 0 ||
            (r = parse_idmaps(c, lo, "linux", "gidMappings", &l->gid_mappings, &l->n_gid_mappings)) < 0 ||
            (r = parse_resources(c, lo, l)) < 0 || (r = parse_devices(c, lo, l)) < 0 ||
            (r = parse_seccomp(c, lo, l)) < 0 || (r = parse_time_offsets(c, lo, l)) < 0 ||
            (r = parse_linux_misc(c, lo, l)) < 0)
                return r;
        return 0;
}

/* ---- top level ---- */

/* Every 1.x version: "1.0.0", "1.2.1", "1.0.2-dev", "1.1.0-rc.1". */
static bool oci_version_supported(const char *v)
{
        const char *p = v + 2;

        if (strncmp(v, "1.", 2) != 0 || !isdigit((unsigned char)*p))
                return false;
        while (isdigit((unsigned char)*p))
                p++;
        if (*p == '.') {
                if (!isdigit((unsigned char)*++p))
                        return false;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        return *p == '\0' || *p == '-' || *p == '+';
}

/* Checks that need more than one field. */
static int check_consistency(struct pctx *c, struct spec *s)
{
        const struct spec_namespace *user = spec_namespace_find(s, SPEC_NS_USER);
        bool maps = s->linux.n_uid_mappings || s->linux.n_gid_mappings;

        if (user && !user->path && (!s->linux.n_uid_mappings || !s->linux.n_gid_mappings))
                return perr(c, "linux", "a new user namespace needs uidMappings and gidMappings");
        if (!user && maps)
                return perr(c, "linux", "uidMappings/gidMappings need a user namespace");
        if (s->hostname && *s->hostname && !spec_namespace_find(s, SPEC_NS_UTS))
                return perr(c, "hostname", "setting the hostname needs a uts namespace");
        if (s->domainname && *s->domainname && !spec_namespace_find(s, SPEC_NS_UTS))
                return perr(c, "domainname", "setting the domainname needs a uts namespace");
        if ((s->linux.time_boottime.present || s->linux.time_monotonic.present) &&
            !spec_namespace_find(s, SPEC_NS_TIME))
                return perr(c, "linux.timeOffsets", "time offsets need a time namespace");
        return 0;
}

static int parse_root(struct pctx *c, json_object *root, struct spec *s)
{
        json_object *o, *pr;
        int r;

        if ((r = jstr(c, root, "", "ociVersion", true, &s->oci_version)) < 0)
                return r;
        if (!oci_version_supported(s->oci_version))
                return perr(c, "ociVersion", "unsupported version \"%s\" (expected 1.x)",
                            s->oci_version);
        if ((r = jobj(c, root, "", "root", &o)) < 0)
                return r;
        if (!o)
                return perr(c, "root", "required object is missing");
        if ((r = jstr(c, o, "root", "path", true, &s->root_path)) < 0 ||
            (r = jbool(c, o, "root", "readonly", &s->root_readonly, NULL)) < 0)
                return r;
        if (!*s->root_path)
                return perr(c, "root.path", "expected a non-empty path");
        if ((r = jobj(c, root, "", "process", &pr)) < 0)
                return r;
        if (pr) {
                s->has_process = true;
                if ((r = parse_process(c, pr, "process", &s->process, true)) < 0)
                        return r;
        }
        if ((r = jstr(c, root, "", "hostname", false, &s->hostname)) < 0 ||
            (r = jstr(c, root, "", "domainname", false, &s->domainname)) < 0 ||
            (r = parse_mounts(c, root, s)) < 0 || (r = parse_hooks(c, root, s)) < 0 ||
            (r = parse_linux(c, root, s)) < 0 ||
            (r = jstrmap(c, root, "", "annotations", &s->annotation_keys,
                         &s->annotation_values, &s->n_annotations)) < 0)
                return r;
        return check_consistency(c, s);
}

/* json-c's syntax errors as "NAME:LINE:COL: description". */
static int parse_json(struct pctx *c, const char *text, size_t len, json_object **ret)
{
        if (len > INT_MAX)
                return err_set(c->err, -EFBIG, "%s: too large", c->name);
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return err_errno(c->err, -ENOMEM, "%s", c->name);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        const char *what = NULL;
        if (!o && jerr == json_tokener_continue)
                what = "unexpected end of input";
        else if (!o)
                what = json_tokener_error_desc(jerr);
        else
                for (; end < len && !what; end++)
                        if (text[end] == '\0' || !strchr(" \t\r\n", text[end]))
                                what = "unexpected data after the JSON value";
        if (!what) {
                *ret = o;
                return 0;
        }
        json_object_put(o);
        if (end > len)
                end = len;
        size_t line = 1, col = 1;
        for (size_t i = 0; i < end; i++) {
                if (text[i] == '\n') {
                        line++;
                        col = 1;
                } else {
                        col++;
                }
        }
        return err_set(c->err, -EINVAL, "%s:%zu:%zu: %s", c->name, line, col, what);
}

static int spec_new(struct pctx *c, const char *text, size_t len, struct spec **ret)
{
        json_object *root = NULL;
        int r = parse_json(c, text, len, &root);

        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return perr(c, "", "expected a JSON object at the top level");
        }
        struct spec *s = calloc(1, sizeof(*s));
        if (!s) {
                json_object_put(root);
                return err_errno(c->err, -ENOMEM, "%s", c->name);
        }
        s->json = root;
        *ret = s;
        return 0;
}

int spec_parse(const char *name, const char *text, size_t len, struct spec **ret, struct err *err)
{
        struct pctx c = { name, err };
        struct spec *s;

        int r = spec_new(&c, text, len, &s);
        if (r < 0)
                return r;
        r = parse_root(&c, s->json, s);
        if (r < 0) {
                spec_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int spec_parse_process(const char *name, const char *text, size_t len, struct spec **ret,
                       struct err *err)
{
        struct pctx c = { name, err };
        struct spec *s;

        int r = spec_new(&c, text, len, &s);
        if (r < 0)
                return r;
        s->has_process = true;
        r = parse_process(&c, s->json, "", &s->process, false);
        if (r < 0) {
                spec_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

/* A LinuxResources object alone (runc update -r): parsed as linux.resources is. */
int spec_parse_resources(const char *name, const char *text, size_t len, struct spec **ret,
                         struct err *err)
{
        struct pctx c = { name, err };
        struct spec *s;

        int r = spec_new(&c, text, len, &s);
        if (r < 0)
                return r;
        json_object *wrap = json_object_new_object();
        if (!wrap) {
                spec_free(s);
                return err_errno(err, -ENOMEM, "%s", name);
        }
        json_object_object_add(wrap, "resources", json_object_get(s->json));
        s->has_linux = true;
        r = parse_resources(&c, wrap, &s->linux);
        json_object_put(wrap);
        if (r < 0) {
                spec_free(s);
                return r;
        }
        s->linux.has_resources = true;
        *ret = s;
        return 0;
}

int spec_load(int bundle_fd, struct spec **ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;

        int r = read_file_at(bundle_fd, "config.json", &text, &len);
        if (r < 0)
                return err_errno(err, r, "open config.json");
        return spec_parse("config.json", text, len, ret, err);
}

/* ---- free ---- */

static void seccomp_free(struct spec_seccomp *sc)
{
        if (!sc)
                return;
        for (size_t i = 0; sc->syscalls && i < sc->n_syscalls; i++) {
                free(sc->syscalls[i].names);
                free(sc->syscalls[i].args);
        }
        free(sc->syscalls);
        free(sc->arches);
        free(sc->flags);
        free(sc);
}

static void linux_free(struct spec_linux *l)
{
        free(l->uid_mappings);
        free(l->gid_mappings);
        free(l->sysctl);
        free(l->resources.devices);
        free(l->resources.blkio_weight_devices);
        for (size_t i = 0; i < SPEC_THROTTLE_COUNT; i++)
                free(l->resources.blkio_throttle[i]);
        free(l->resources.hugepage_limits);
        free(l->resources.rdma);
        free(l->resources.net_priorities);
        free(l->resources.unified_keys);
        free(l->resources.unified_values);
        free(l->devices);
        free(l->masked_paths);
        free(l->readonly_paths);
        seccomp_free(l->seccomp);
}

void spec_free(struct spec *s)
{
        if (!s)
                return;
        free(s->process.args);
        free(s->process.env);
        free(s->process.rlimits);
        free(s->process.user.additional_gids);
        for (size_t i = 0; s->mounts && i < s->n_mounts; i++) {
                free(s->mounts[i].options);
                free(s->mounts[i].data);
                free(s->mounts[i].uid_mappings);
                free(s->mounts[i].gid_mappings);
        }
        free(s->mounts);
        for (int k = 0; k < SPEC_HOOK_KIND_COUNT; k++) {
                for (size_t i = 0; s->hooks[k].hooks && i < s->hooks[k].n; i++) {
                        free(s->hooks[k].hooks[i].args);
                        free(s->hooks[k].hooks[i].env);
                }
                free(s->hooks[k].hooks);
        }
        linux_free(&s->linux);
        free(s->annotation_keys);
        free(s->annotation_values);
        json_object_put(s->json);
        free(s);
}

/* ---- names the parser knows, for `features` ---- */

const char *spec_mount_option_name(size_t i)
{
        if (i < ARRAY_SIZE(mount_opts))
                return mount_opts[i].name;
        return i == ARRAY_SIZE(mount_opts) ? "tmpcopyup" : NULL;
}

const char *spec_seccomp_action_name(size_t i)
{
        return i < ARRAY_SIZE(seccomp_actions) ? seccomp_actions[i].name : NULL;
}

const char *spec_seccomp_op_name(size_t i)
{
        return i < ARRAY_SIZE(seccomp_ops) ? seccomp_ops[i].name : NULL;
}

const char *spec_seccomp_flag_name(size_t i)
{
        return i < ARRAY_SIZE(seccomp_flag_names) ? seccomp_flag_names[i] : NULL;
}
