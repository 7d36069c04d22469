/* spec.c: config.json -> struct spec, validated completely (runtime-spec config.md,
 * config-linux.md). Every message names the file and the JSON path of the bad value.
 * linux.resources is parsed in spec_resources.c, linux.seccomp in spec_seccomp.c. */
#include "oci/spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <json-c/json.h>

#include "oci/spec_internal.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define SPEC_MAX_IDMAPS 340 /* the kernel's limit on lines in uid_map (since 4.15) */

int spec_perr(struct pctx *c, const char *path, const char *fmt, ...)
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

const char *spec_jfmt(char *buf, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, JPATH_MAX, fmt, ap);
        va_end(ap);
        return buf;
}

const char *spec_jkey(char *buf, const char *parent, const char *key)
{
        if (!parent || !*parent)
                return spec_jfmt(buf, "%s", key);
        return spec_jfmt(buf, "%s.%s", parent, key);
}

const char *spec_jidx(char *buf, const char *parent, size_t i)
{
        return spec_jfmt(buf, "%s[%zu]", parent, i);
}

/* Go's runtimes treat null as absent too. */
json_object *spec_jget(json_object *o, const char *key)
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

int spec_want(struct pctx *c, const char *path, json_object *v, enum json_type t)
{
        if (json_object_is_type(v, t))
                return 0;
        return spec_perr(c, path, "expected %s", type_desc(t));
}

int spec_jstr(struct pctx *c, json_object *o, const char *parent, const char *key,
                bool required, const char **ret)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        if (!v) {
                if (required)
                        return spec_perr(c, spec_jkey(p, parent, key),
                                         "required string is missing");
                return 0;
        }
        if (spec_want(c, spec_jkey(p, parent, key), v, json_type_string) < 0)
                return c->err->code;
        *ret = json_object_get_string(v);
        return 0;
}

int spec_jbool(struct pctx *c, json_object *o, const char *parent, const char *key,
                 bool *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        if (!v)
                return 0;
        if (spec_want(c, spec_jkey(p, parent, key), v, json_type_boolean) < 0)
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
                return spec_perr(c, path, "expected an integer");
        int64_t x = json_object_get_int64(v);
        if (x < min || x > max || (x == INT64_MAX && json_object_get_uint64(v) > INT64_MAX))
                return spec_perr(c, path, "expected an integer between %" PRId64 " and %" PRId64,
                                 min, max);
        *ret = x;
        return 0;
}

int spec_val_u64(struct pctx *c, const char *path, json_object *v, uint64_t max,
                   uint64_t *ret)
{
        if (!json_object_is_type(v, json_type_int))
                return spec_perr(c, path, "expected an integer");
        uint64_t x = json_object_get_uint64(v);
        if (json_object_get_int64(v) < 0 || x > max)
                return spec_perr(c, path, "expected an integer between 0 and %" PRIu64, max);
        *ret = x;
        return 0;
}

int spec_ji64(struct pctx *c, json_object *o, const char *parent, const char *key,
                int64_t min, int64_t max, int64_t *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        if (!v)
                return 0;
        int r = val_i64(c, spec_jkey(p, parent, key), v, min, max, ret);
        if (r == 0 && present)
                *present = true;
        return r;
}

int spec_ju64(struct pctx *c, json_object *o, const char *parent, const char *key,
                uint64_t max, uint64_t *ret, bool *present)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        if (!v)
                return 0;
        int r = spec_val_u64(c, spec_jkey(p, parent, key), v, max, ret);
        if (r == 0 && present)
                *present = true;
        return r;
}

int spec_ju32(struct pctx *c, json_object *o, const char *parent, const char *key,
                uint32_t *ret, bool *present)
{
        uint64_t x;
        bool here = false;
        int r = spec_ju64(c, o, parent, key, UINT32_MAX, &x, &here);

        if (r < 0 || !here)
                return r;
        *ret = (uint32_t)x;
        if (present)
                *present = true;
        return 0;
}

/* An array member (NULL when absent), bounded by SPEC_MAX_ITEMS. */
int spec_jarr(struct pctx *c, json_object *o, const char *parent, const char *key,
                json_object **ret, size_t *ret_n)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        *ret = NULL;
        *ret_n = 0;
        if (!v)
                return 0;
        if (spec_want(c, spec_jkey(p, parent, key), v, json_type_array) < 0)
                return c->err->code;
        size_t n = json_object_array_length(v);
        if (n > SPEC_MAX_ITEMS)
                return spec_perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        *ret = v;
        *ret_n = n;
        return 0;
}

int spec_jobj(struct pctx *c, json_object *o, const char *parent, const char *key,
                json_object **ret)
{
        char p[JPATH_MAX];
        json_object *v = spec_jget(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (spec_want(c, spec_jkey(p, parent, key), v, json_type_object) < 0)
                return c->err->code;
        *ret = v;
        return 0;
}

/* A NULL-terminated array of borrowed strings; *ret stays NULL when the key is absent. */
int spec_jstrv(struct pctx *c, json_object *o, const char *parent, const char *key,
                 const char ***ret, size_t *ret_n)
{
        char p[JPATH_MAX], pi[JPATH_MAX];
        json_object *a;
        size_t n;

        spec_jkey(p, parent, key);
        json_object *v = spec_jget(o, key);
        if (v && !json_object_is_type(v, json_type_array))
                return spec_perr(c, p, "expected an array of strings");
        int r = spec_jarr(c, o, parent, key, &a, &n);
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
                        return spec_perr(c, spec_jidx(pi, p, i), "expected a string");
                sv[i] = json_object_get_string(e);
        }
        return 0;
}

/* A string-to-string map as two parallel arrays. */
int spec_jstrmap(struct pctx *c, json_object *o, const char *parent, const char *key,
                   const char ***ret_keys, const char ***ret_vals, size_t *ret_n)
{
        char p[JPATH_MAX], pk[JPATH_MAX];
        json_object *m;
        size_t i = 0;

        int r = spec_jobj(c, o, parent, key, &m);
        if (r < 0 || !m)
                return r;
        spec_jkey(p, parent, key);
        size_t n = (size_t)json_object_object_length(m);
        if (n > SPEC_MAX_ITEMS)
                return spec_perr(c, p, "too many entries (%zu, at most %d)", n, SPEC_MAX_ITEMS);
        *ret_keys = calloc(n + 1, sizeof(char *));
        *ret_vals = calloc(n + 1, sizeof(char *));
        if (!*ret_keys || !*ret_vals)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object_object_foreach(m, k, v) {
                if (!json_object_is_type(v, json_type_string)) {
                        spec_jfmt(pk, "%s[\"%s\"]", p, k);
                        return spec_perr(c, pk, "expected a string");
                }
                (*ret_keys)[i] = k;
                (*ret_vals)[i] = json_object_get_string(v);
                i++;
        }
        *ret_n = i;
        return 0;
}

int spec_want_abs(struct pctx *c, const char *path, const char *value)
{
        if (value && value[0] == '/')
                return 0;
        return spec_perr(c, path, "expected an absolute path, got \"%s\"", value ? value : "");
}


/* ---- walkers ---- */

static int jfield(struct pctx *c, json_object *o, const char *p, const struct spec_field *f)
{
        if (f->str)
                return spec_jstr(c, o, p, f->key, false, f->str);
        if (f->boolean)
                return spec_jbool(c, o, p, f->key, f->boolean, f->has);
        if (f->i64)
                return spec_ji64(c, o, p, f->key, f->min, (int64_t)f->max, f->i64, f->has);
        if (f->u32)
                return spec_ju32(c, o, p, f->key, f->u32, f->has);
        return spec_ju64(c, o, p, f->key, f->max, f->u64, f->has);
}

int spec_jfields(struct pctx *c, json_object *o, const char *p, const struct spec_field *f,
                 size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int r = jfield(c, o, p, &f[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int spec_items(struct pctx *c, json_object *a, size_t n, const char *p, size_t size,
               spec_item_fn fn, void *data, void **ret, size_t *ret_n)
{
        char pi[JPATH_MAX];
        char *items = calloc(n ? n : 1, size);

        *ret = items;
        if (!items)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                int r = fn(c, json_object_array_get_idx(a, i), spec_jidx(pi, p, i),
                           items + i * size, data);
                if (r < 0)
                        return r;
        }
        return 0;
}

int spec_jlist(struct pctx *c, json_object *o, const char *parent, const char *key,
               size_t size, spec_item_fn fn, void *data, void **ret, size_t *ret_n)
{
        char p[JPATH_MAX];
        json_object *a;
        size_t n;

        int r = spec_jarr(c, o, parent, key, &a, &n);
        if (r < 0 || !a)
                return r;
        return spec_items(c, a, n, spec_jkey(p, parent, key), size, fn, data, ret, ret_n);
}

/* ---- names ---- */

const struct name_value *spec_name_lookup(const struct name_value *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(t[i].name, name) == 0)
                        return &t[i];
        return NULL;
}

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

static int parse_gid(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        uint64_t g = 0;
        int r = spec_val_u64(c, p, o, UINT32_MAX, &g);

        if (r == 0)
                *(gid_t *)item = (gid_t)g;
        return r;
}

static int parse_user(struct pctx *c, json_object *proc, const char *pp, struct spec_user *u)
{
        char p[JPATH_MAX], pg[JPATH_MAX];
        json_object *o;

        int r = spec_jobj(c, proc, pp, "user", &o);
        if (r < 0 || !o)
                return r;
        spec_jkey(p, pp, "user");
        if ((r = spec_ju32(c, o, p, "uid", &u->uid, NULL)) < 0 ||
            (r = spec_ju32(c, o, p, "gid", &u->gid, NULL)) < 0 ||
            (r = spec_ju32(c, o, p, "umask", &u->umask, &u->has_umask)) < 0)
                return r;
        if (u->has_umask && u->umask > 0777)
                return spec_perr(c, spec_jkey(pg, p, "umask"), "expected a mode of at most 0777");
        return spec_jlist(c, o, p, "additionalGids", sizeof(gid_t), parse_gid, NULL,
                          (void **)&u->additional_gids, &u->n_additional_gids);
}

/* One capability set: names as libcap knows them ("CAP_KILL", "cap_kill") to a bit mask. */
static int parse_cap_set(struct pctx *c, json_object *caps, const char *pp, const char *key,
                         uint64_t *ret)
{
        char p[JPATH_MAX];
        _cleanup_free_ const char **names = NULL;
        size_t n = 0;

        int r = spec_jstrv(c, caps, pp, key, &names, &n);
        if (r < 0)
                return r;
        spec_jkey(p, pp, key);
        for (size_t i = 0; i < n; i++) {
                cap_value_t v;
                if (cap_from_name(names[i], &v) < 0 || v < 0 || v > 63)
                        return spec_perr(c, p, "unknown capability \"%s\"", names[i]);
                *ret |= UINT64_C(1) << v;
        }
        return 0;
}

static int parse_caps(struct pctx *c, json_object *proc, const char *pp,
                      struct spec_capabilities *caps)
{
        char p[JPATH_MAX];
        json_object *o;

        int r = spec_jobj(c, proc, pp, "capabilities", &o);
        if (r < 0 || !o)
                return r;
        spec_jkey(p, pp, "capabilities");
        caps->present = true;
        if ((r = parse_cap_set(c, o, p, "bounding", &caps->bounding)) < 0 ||
            (r = parse_cap_set(c, o, p, "effective", &caps->effective)) < 0 ||
            (r = parse_cap_set(c, o, p, "permitted", &caps->permitted)) < 0 ||
            (r = parse_cap_set(c, o, p, "inheritable", &caps->inheritable)) < 0 ||
            (r = parse_cap_set(c, o, p, "ambient", &caps->ambient)) < 0)
                return r;
        return 0;
}

/* An item of process.rlimits; data is the bit set of the resources seen so far. */
static int parse_rlimit(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_rlimit *rl = item;
        uint32_t *seen = data;
        char pt[JPATH_MAX];
        bool has_soft = false, has_hard = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "type", true, &rl->name)) < 0)
                return r;
        const struct name_value *nv = LOOKUP(rlimit_names, rl->name);
        if (!nv)
                return spec_perr(c, spec_jkey(pt, p, "type"), "unknown rlimit \"%s\"", rl->name);
        if (*seen & (1u << nv->value))
                return spec_perr(c, spec_jkey(pt, p, "type"), "duplicate rlimit \"%s\"", rl->name);
        *seen |= 1u << nv->value;
        rl->resource = (int)nv->value;
        if ((r = spec_ju64(c, o, p, "soft", UINT64_MAX, &rl->soft, &has_soft)) < 0 ||
            (r = spec_ju64(c, o, p, "hard", UINT64_MAX, &rl->hard, &has_hard)) < 0)
                return r;
        if (!has_soft || !has_hard)
                return spec_perr(c, p, "both \"soft\" and \"hard\" are required");
        if (rl->soft > rl->hard)
                return spec_perr(c, p, "soft limit %" PRIu64 " exceeds hard limit %" PRIu64,
                                 rl->soft, rl->hard);
        return 0;
}

/* env entries must be KEY=VALUE with a non-empty KEY. */
static int check_env(struct pctx *c, const char *p, char **env)
{
        char pi[JPATH_MAX];

        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || eq == env[i])
                        return spec_perr(c, spec_jidx(pi, p, i),
                                         "expected \"KEY=VALUE\", got \"%s\"", env[i]);
        }
        return 0;
}

static int parse_console(struct pctx *c, json_object *proc, const char *pp,
                         struct spec_process *pr)
{
        char p[JPATH_MAX];
        json_object *o;
        uint32_t h = 0, w = 0;

        int r = spec_jobj(c, proc, pp, "consoleSize", &o);
        if (r < 0 || !o)
                return r;
        spec_jkey(p, pp, "consoleSize");
        if ((r = spec_ju32(c, o, p, "height", &h, NULL)) < 0 ||
            (r = spec_ju32(c, o, p, "width", &w, NULL)) < 0)
                return r;
        if (h > USHRT_MAX || w > USHRT_MAX)
                return spec_perr(c, p, "height and width must be at most %d", USHRT_MAX);
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

        if ((r = spec_jstrv(c, o, pp, "args", (const char ***)&pr->args, &pr->n_args)) < 0)
                return r;
        if (pr->n_args == 0)
                return spec_perr(c, spec_jkey(p, pp, "args"),
                                 "expected a non-empty array of strings");
        if ((r = spec_jstrv(c, o, pp, "env", (const char ***)&pr->env, NULL)) < 0 ||
            (r = check_env(c, spec_jkey(p, pp, "env"), pr->env)) < 0)
                return r;
        if (!pr->env) {
                pr->env = calloc(1, sizeof(char *));
                if (!pr->env)
                        return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        }
        pr->cwd = NULL;
        if ((r = spec_jstr(c, o, pp, "cwd", cwd_required, &pr->cwd)) < 0)
                return r;
        if (!pr->cwd)
                pr->cwd = "/";
        return spec_want_abs(c, spec_jkey(p, pp, "cwd"), pr->cwd);
}

static int parse_process(struct pctx *c, json_object *o, const char *pp, struct spec_process *pr,
                         bool cwd_required)
{
        int64_t adj = 0;
        uint32_t seen = 0;
        int r;

        if ((r = spec_want(c, pp, o, json_type_object)) < 0 ||
            (r = parse_args_env_cwd(c, o, pp, pr, cwd_required)) < 0 ||
            (r = spec_jbool(c, o, pp, "terminal", &pr->terminal, NULL)) < 0 ||
            (r = parse_console(c, o, pp, pr)) < 0 || (r = parse_user(c, o, pp, &pr->user)) < 0 ||
            (r = parse_caps(c, o, pp, &pr->caps)) < 0 ||
            (r = spec_jlist(c, o, pp, "rlimits", sizeof(*pr->rlimits), parse_rlimit, &seen,
                            (void **)&pr->rlimits, &pr->n_rlimits)) < 0 ||
            (r = spec_jbool(c, o, pp, "noNewPrivileges", &pr->no_new_privileges, NULL)) < 0 ||
            (r = spec_ji64(c, o, pp, "oomScoreAdj", -1000, 1000, &adj,
                           &pr->has_oom_score_adj)) < 0 ||
            (r = spec_jstr(c, o, pp, "apparmorProfile", false, &pr->apparmor_profile)) < 0 ||
            (r = spec_jstr(c, o, pp, "selinuxLabel", false, &pr->selinux_label)) < 0)
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
        int r = spec_jstr(c, o, p, "destination", true, &m->destination);

        if (r < 0)
                return r;
        if (!*m->destination)
                return spec_perr(c, spec_jkey(pd, p, "destination"), "expected a non-empty path");
        if (m->destination[0] == '/')
                return 0;
        _cleanup_free_ char *abs = NULL;
        if (asprintf(&abs, "/%s", m->destination) < 0)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        json_object *v = spec_jget(o, "destination");
        if (!json_object_set_string(v, abs))
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, p);
        m->destination = json_object_get_string(v);
        return 0;
}

static int parse_idmap(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_idmap *m = item;
        bool hc = false, hh = false, hs = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_ju32(c, o, p, "containerID", &m->container_id, &hc)) < 0 ||
            (r = spec_ju32(c, o, p, "hostID", &m->host_id, &hh)) < 0 ||
            (r = spec_ju32(c, o, p, "size", &m->size, &hs)) < 0)
                return r;
        if (!hc || !hh || !hs || m->size == 0)
                return spec_perr(c, p, "expected containerID, hostID and a non-zero size");
        return 0;
}

/* uidMappings or gidMappings of a mount or of linux. */
static int parse_idmaps(struct pctx *c, json_object *o, const char *parent, const char *key,
                        struct spec_idmap **ret, size_t *ret_n)
{
        char p[JPATH_MAX];
        json_object *a;
        size_t n;

        int r = spec_jarr(c, o, parent, key, &a, &n);
        if (r < 0 || !a)
                return r;
        spec_jkey(p, parent, key);
        if (n > SPEC_MAX_IDMAPS)
                return spec_perr(c, p, "too many mappings (%zu, at most %d)", n, SPEC_MAX_IDMAPS);
        return spec_items(c, a, n, p, sizeof(**ret), parse_idmap, NULL, (void **)ret, ret_n);
}

static int parse_mount(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_mount *m = item;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = mount_destination(c, o, p, m)) < 0 ||
            (r = spec_jstr(c, o, p, "type", false, &m->type)) < 0 ||
            (r = spec_jstr(c, o, p, "source", false, &m->source)) < 0 ||
            (r = spec_jstrv(c, o, p, "options", &m->options, &m->n_options)) < 0)
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
                return spec_perr(c, p, "an idmapped mount needs both uidMappings and gidMappings");
        if (m->uid_mappings)
                m->idmap = true;
        if (m->idmap && !m->bind)
                return spec_perr(c, p, "idmapped mounts are supported for bind mounts only");
        if (m->idmap && !m->uid_mappings)
                return spec_perr(c, p, "idmap without uidMappings/gidMappings "
                                 "(the container's own maps) is not supported");
        return 0;
}

/* ---- hooks ---- */

static int parse_hook(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_hook *h = item;
        char pt[JPATH_MAX];
        int64_t timeout = 0;
        bool has_timeout = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "path", true, &h->path)) < 0 ||
            (r = spec_want_abs(c, spec_jkey(pt, p, "path"), h->path)) < 0 ||
            (r = spec_jstrv(c, o, p, "args", (const char ***)&h->args, NULL)) < 0 ||
            (r = spec_jstrv(c, o, p, "env", (const char ***)&h->env, NULL)) < 0 ||
            (r = check_env(c, spec_jkey(pt, p, "env"), h->env)) < 0 ||
            (r = spec_ji64(c, o, p, "timeout", INT_MIN, INT_MAX, &timeout, &has_timeout)) < 0)
                return r;
        if (has_timeout && timeout <= 0)
                return spec_perr(c, spec_jkey(pt, p, "timeout"),
                                 "expected a positive number of seconds");
        h->timeout = (int)timeout;
        return 0;
}

static int parse_hooks(struct pctx *c, json_object *root, struct spec *s)
{
        json_object *hooks;

        int r = spec_jobj(c, root, "", "hooks", &hooks);
        for (int k = 0; r == 0 && hooks && k < SPEC_HOOK_KIND_COUNT; k++)
                r = spec_jlist(c, hooks, "hooks", hook_names[k], sizeof(struct spec_hook),
                               parse_hook, NULL, (void **)&s->hooks[k].hooks, &s->hooks[k].n);
        return r;
}

/* ---- linux: namespaces, id maps, devices ---- */

static int parse_namespace(struct pctx *c, json_object *o, const char *p, struct spec_linux *l,
                           unsigned *seen)
{
        char pt[JPATH_MAX];
        const char *type, *path = NULL;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "type", true, &type)) < 0 ||
            (r = spec_jstr(c, o, p, "path", false, &path)) < 0)
                return r;
        if (path && !*path)
                path = NULL;
        if (path && (r = spec_want_abs(c, spec_jkey(pt, p, "path"), path)) < 0)
                return r;
        for (int t = 0; t < SPEC_NS_COUNT; t++) {
                if (strcmp(ns_types[t].name, type) != 0)
                        continue;
                if (*seen & (1u << t))
                        return spec_perr(c, spec_jkey(pt, p, "type"),
                                         "duplicate namespace \"%s\"", type);
                *seen |= 1u << t;
                l->namespaces[l->n_namespaces++] = (struct spec_namespace){
                        .type = (enum spec_ns_type)t,
                        .clone_flag = ns_types[t].clone_flag,
                        .path = path,
                };
                return 0;
        }
        return spec_perr(c, spec_jkey(pt, p, "type"), "unknown namespace \"%s\"", type);
}

static int parse_namespaces(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        char pi[JPATH_MAX];
        json_object *a;
        size_t n;
        unsigned seen = 0;

        int r = spec_jarr(c, lo, "linux", "namespaces", &a, &n);
        if (r < 0 || !a)
                return r;
        for (size_t i = 0; i < n; i++) {
                spec_jidx(pi, "linux.namespaces", i);
                if (l->n_namespaces >= SPEC_NS_COUNT)
                        return spec_perr(c, pi, "too many namespaces");
                r = parse_namespace(c, json_object_array_get_idx(a, i), pi, l, &seen);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_device(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_device *d = item;
        char pk[JPATH_MAX];
        const char *type;
        bool has_major = false, has_minor = false;
        int r;

        d->major = d->minor = -1;
        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstr(c, o, p, "path", true, &d->path)) < 0 ||
            (r = spec_want_abs(c, spec_jkey(pk, p, "path"), d->path)) < 0 ||
            (r = spec_jstr(c, o, p, "type", true, &type)) < 0)
                return r;
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
                return spec_perr(c, spec_jkey(pk, p, "type"),
                                 "expected \"c\", \"b\", \"u\" or \"p\", got \"%s\"", type);
        d->type = type[0];
        if ((r = spec_ji64(c, o, p, "major", 0, UINT32_MAX, &d->major, &has_major)) < 0 ||
            (r = spec_ji64(c, o, p, "minor", 0, UINT32_MAX, &d->minor, &has_minor)) < 0 ||
            (r = spec_ju32(c, o, p, "fileMode", &d->file_mode, &d->has_mode)) < 0 ||
            (r = spec_ju32(c, o, p, "uid", &d->uid, &d->has_uid)) < 0 ||
            (r = spec_ju32(c, o, p, "gid", &d->gid, &d->has_gid)) < 0)
                return r;
        if (d->type != 'p' && (!has_major || !has_minor))
                return spec_perr(c, p, "major and minor are required for type \"%c\"", d->type);
        if (d->has_mode && d->file_mode > 07777)
                return spec_perr(c, spec_jkey(pk, p, "fileMode"),
                                 "expected permission bits (at most 07777)");
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

        int r = spec_jobj(c, lo, "linux", "timeOffsets", &o);
        if (r < 0 || !o)
                return r;
        json_object_object_foreach(o, clk, v) {
                struct spec_time_offset *t = strcmp(clk, "boottime") == 0  ? &l->time_boottime
                                             : strcmp(clk, "monotonic") == 0 ? &l->time_monotonic
                                                                                : NULL;
                spec_jkey(pk, p, clk);
                if (!t)
                        return spec_perr(c, pk, "unknown clock (expected boottime or monotonic)");
                if (!v)
                        continue;
                if ((r = spec_want(c, pk, v, json_type_object)) < 0 ||
                    (r = spec_ji64(c, v, pk, "secs", INT64_MIN, INT64_MAX, &t->secs, NULL)) < 0 ||
                    (r = spec_ju32(c, v, pk, "nanosecs", &t->nanosecs, NULL)) < 0)
                        return r;
                if (t->nanosecs >= 1000000000u)
                        return spec_perr(c, pk, "nanosecs must be below 1000000000");
                t->present = true;
        }
        return 0;
}

static int want_abs_paths(struct pctx *c, const char *p, const char **v, size_t n)
{
        char pi[JPATH_MAX];

        for (size_t i = 0; i < n; i++) {
                int r = spec_want_abs(c, spec_jidx(pi, p, i), v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_linux_misc(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        char pk[JPATH_MAX];
        const char *prop = NULL;
        int r;

        if ((r = spec_jstr(c, lo, "linux", "cgroupsPath", false, &l->cgroups_path)) < 0 ||
            (r = spec_jstr(c, lo, "linux", "mountLabel", false, &l->mount_label)) < 0 ||
            (r = spec_jstr(c, lo, "linux", "rootfsPropagation", false, &prop)) < 0 ||
            (r = spec_jstrv(c, lo, "linux", "maskedPaths", &l->masked_paths,
                            &l->n_masked_paths)) < 0 ||
            (r = spec_jstrv(c, lo, "linux", "readonlyPaths", &l->readonly_paths,
                            &l->n_readonly_paths)) < 0)
                return r;
        if (l->cgroups_path && !*l->cgroups_path)
                l->cgroups_path = NULL;
        if (prop && *prop) {
                const struct name_value *nv = LOOKUP(propagation_names, prop);
                if (!nv)
                        return spec_perr(c, "linux.rootfsPropagation",
                                         "unknown propagation \"%s\"", prop);
                l->rootfs_propagation = (unsigned long)nv->value;
        }
        if ((r = want_abs_paths(c, "linux.maskedPaths", l->masked_paths, l->n_masked_paths)) < 0 ||
            (r = want_abs_paths(c, "linux.readonlyPaths", l->readonly_paths,
                                l->n_readonly_paths)) < 0)
                return r;
        const char **keys = NULL, **vals = NULL;
        size_t n = 0;
        r = spec_jstrmap(c, lo, "linux", "sysctl", &keys, &vals, &n);
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
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name,
                                 spec_jkey(pk, "linux", "sysctl"));
        return 0;
}

static int parse_linux(struct pctx *c, json_object *root, struct spec *s)
{
        json_object *lo;
        struct spec_linux *l = &s->linux;

        int r = spec_jobj(c, root, "", "linux", &lo);
        if (r < 0 || !lo)
                return r;
        s->has_linux = true;
        if ((r = parse_namespaces(c, lo, l)) < 0 ||
            (r = parse_idmaps(c, lo, "linux", "uidMappings", &l->uid_mappings,
                              &l->n_uid_mappings)) < 0 ||
            (r = parse_idmaps(c, lo, "linux", "gidMappings", &l->gid_mappings,
                              &l->n_gid_mappings)) < 0 ||
            (r = spec_parse_linux_resources(c, lo, l)) < 0 ||
            (r = spec_jlist(c, lo, "linux", "devices", sizeof(*l->devices), parse_device, NULL,
                            (void **)&l->devices, &l->n_devices)) < 0 ||
            (r = spec_parse_linux_seccomp(c, lo, l)) < 0 ||
            (r = parse_time_offsets(c, lo, l)) < 0 ||
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
                return spec_perr(c, "linux",
                                 "a new user namespace needs uidMappings and gidMappings");
        if (!user && maps)
                return spec_perr(c, "linux", "uidMappings/gidMappings need a user namespace");
        if (s->hostname && *s->hostname && !spec_namespace_find(s, SPEC_NS_UTS))
                return spec_perr(c, "hostname", "setting the hostname needs a uts namespace");
        if (s->domainname && *s->domainname && !spec_namespace_find(s, SPEC_NS_UTS))
                return spec_perr(c, "domainname", "setting the domainname needs a uts namespace");
        if ((s->linux.time_boottime.present || s->linux.time_monotonic.present) &&
            !spec_namespace_find(s, SPEC_NS_TIME))
                return spec_perr(c, "linux.timeOffsets", "time offsets need a time namespace");
        return 0;
}

/* The body of a whole config.json. */
static int parse_config(struct pctx *c, struct spec *s)
{
        json_object *root = s->json, *o, *pr;
        int r;

        if ((r = spec_jstr(c, root, "", "ociVersion", true, &s->oci_version)) < 0)
                return r;
        if (!oci_version_supported(s->oci_version))
                return spec_perr(c, "ociVersion", "unsupported version \"%s\" (expected 1.x)",
                                 s->oci_version);
        if ((r = spec_jobj(c, root, "", "root", &o)) < 0)
                return r;
        if (!o)
                return spec_perr(c, "root", "required object is missing");
        if ((r = spec_jstr(c, o, "root", "path", true, &s->root_path)) < 0 ||
            (r = spec_jbool(c, o, "root", "readonly", &s->root_readonly, NULL)) < 0)
                return r;
        if (!*s->root_path)
                return spec_perr(c, "root.path", "expected a non-empty path");
        if ((r = spec_jobj(c, root, "", "process", &pr)) < 0)
                return r;
        if (pr) {
                s->has_process = true;
                if ((r = parse_process(c, pr, "process", &s->process, true)) < 0)
                        return r;
        }
        if ((r = spec_jstr(c, root, "", "hostname", false, &s->hostname)) < 0 ||
            (r = spec_jstr(c, root, "", "domainname", false, &s->domainname)) < 0 ||
            (r = spec_jlist(c, root, "", "mounts", sizeof(*s->mounts), parse_mount, NULL,
                            (void **)&s->mounts, &s->n_mounts)) < 0 ||
            (r = parse_hooks(c, root, s)) < 0 ||
            (r = parse_linux(c, root, s)) < 0 ||
            (r = spec_jstrmap(c, root, "", "annotations", &s->annotation_keys,
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

/* The body of a process.json (exec): a process object alone, cwd optional. */
static int parse_process_only(struct pctx *c, struct spec *s)
{
        s->has_process = true;
        return parse_process(c, s->json, "", &s->process, false);
}

/* The body of `update -r`: a LinuxResources object alone, parsed as linux.resources is. */
static int parse_resources_only(struct pctx *c, struct spec *s)
{
        json_object *wrap = json_object_new_object();

        if (!wrap)
                return err_errno(c->err, -ENOMEM, "%s", c->name);
        json_object_object_add(wrap, "resources", json_object_get(s->json));
        s->has_linux = true;
        int r = spec_parse_linux_resources(c, wrap, &s->linux);
        json_object_put(wrap);
        return r;
}

/* Parses text as a JSON object and fills a new spec from it with body. */
static int spec_parse_with(const char *name, const char *text, size_t len,
                           int (*body)(struct pctx *, struct spec *), struct spec **ret,
                           struct err *err)
{
        struct pctx c = { name, err };
        json_object *root = NULL;

        int r = parse_json(&c, text, len, &root);
        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return spec_perr(&c, "", "expected a JSON object at the top level");
        }
        struct spec *s = calloc(1, sizeof(*s));
        if (!s) {
                json_object_put(root);
                return err_errno(err, -ENOMEM, "%s", name);
        }
        s->json = root;
        if ((r = body(&c, s)) < 0) {
                spec_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int spec_parse(const char *name, const char *text, size_t len, struct spec **ret, struct err *err)
{
        return spec_parse_with(name, text, len, parse_config, ret, err);
}

int spec_parse_process(const char *name, const char *text, size_t len, struct spec **ret,
                       struct err *err)
{
        return spec_parse_with(name, text, len, parse_process_only, ret, err);
}

int spec_parse_resources(const char *name, const char *text, size_t len, struct spec **ret,
                         struct err *err)
{
        return spec_parse_with(name, text, len, parse_resources_only, ret, err);
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

static void linux_free(struct spec_linux *l)
{
        free(l->uid_mappings);
        free(l->gid_mappings);
        free(l->sysctl);
        spec_resources_free(&l->resources);
        free(l->devices);
        free(l->masked_paths);
        free(l->readonly_paths);
        spec_seccomp_free(l->seccomp);
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
