/* spec_seccomp.c: linux.seccomp of config.json (runtime-spec config-linux.md, "Seccomp"),
 * checked against libseccomp's names; the filter is built by security.c. */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec_internal.h"

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
        int r = spec_jstr(c, o, p, key, true, ret_name);

        if (r < 0)
                return r;
        const struct name_value *nv = LOOKUP(seccomp_actions, *ret_name);
        if (!nv)
                return spec_perr(c, spec_jkey(pk, p, key), "unknown seccomp action \"%s\"",
                                 *ret_name);
        *ret = (uint32_t)nv->value;
        return 0;
}

/* The filter's return value keeps 16 bits of data (SECCOMP_RET_DATA). */
static int jerrno(struct pctx *c, json_object *o, const char *p, const char *key, uint32_t *ret,
                  bool *present)
{
        uint64_t x = 0;
        int r = spec_ju64(c, o, p, key, 0xffff, &x, present);

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
                return spec_perr(c, p, "unknown architecture \"%s\"", name);
        *ret = arch;
        return 0;
}

static int parse_seccomp_arg(struct pctx *c, json_object *o, const char *p, void *item,
                             void *data)
{
        struct spec_seccomp_arg *a = item;
        char pk[JPATH_MAX];
        const char *op;
        uint64_t index = 0;
        bool has_index = false;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_ju64(c, o, p, "index", 5, &index, &has_index)) < 0 ||
            (r = spec_ju64(c, o, p, "value", UINT64_MAX, &a->value, NULL)) < 0 ||
            (r = spec_ju64(c, o, p, "valueTwo", UINT64_MAX, &a->value_two, NULL)) < 0 ||
            (r = spec_jstr(c, o, p, "op", true, &op)) < 0)
                return r;
        if (!has_index)
                return spec_perr(c, spec_jkey(pk, p, "index"), "required integer is missing");
        const struct name_value *nv = LOOKUP(seccomp_ops, op);
        if (!nv)
                return spec_perr(c, spec_jkey(pk, p, "op"), "unknown seccomp operator \"%s\"", op);
        a->index = (unsigned int)index;
        a->op = (int)nv->value;
        return 0;
}

/* An item of linux.seccomp.syscalls; data is the struct spec_seccomp. */
static int parse_syscall(struct pctx *c, json_object *o, const char *p, void *item, void *data)
{
        struct spec_seccomp_syscall *sc = item;
        bool has_listener = ((struct spec_seccomp *)data)->listener_path != NULL;
        char pk[JPATH_MAX];
        json_object *a;
        size_t n;
        int r;

        if ((r = spec_want(c, p, o, json_type_object)) < 0 ||
            (r = spec_jstrv(c, o, p, "names", &sc->names, &sc->n_names)) < 0 ||
            (r = seccomp_action(c, o, p, "action", &sc->action_name, &sc->action)) < 0 ||
            (r = jerrno(c, o, p, "errnoRet", &sc->errno_ret, &sc->has_errno_ret)) < 0)
                return r;
        if (sc->n_names == 0)
                return spec_perr(c, spec_jkey(pk, p, "names"),
                                 "expected a non-empty array of strings");
        if (sc->action == SCMP_ACT_NOTIFY && !has_listener)
                return spec_perr(c, spec_jkey(pk, p, "action"),
                                 "SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath");
        if ((r = spec_jarr(c, o, p, "args", &a, &n)) < 0 || !a)
                return r;
        spec_jkey(pk, p, "args");
        if (n > 6)
                return spec_perr(c, pk, "at most 6 argument conditions");
        return spec_items(c, a, n, pk, sizeof(*sc->args), parse_seccomp_arg, NULL,
                          (void **)&sc->args, &sc->n_args);
}

static int seccomp_arches_flags(struct pctx *c, json_object *o, const char *p,
                                struct spec_seccomp *sc)
{
        char pk[JPATH_MAX], pi[JPATH_MAX];
        _cleanup_free_ const char **arches = NULL;
        size_t n = 0;

        int r = spec_jstrv(c, o, p, "architectures", &arches, &n);
        if (r < 0)
                return r;
        spec_jkey(pk, p, "architectures");
        sc->arches = calloc(n ? n : 1, sizeof(*sc->arches));
        if (!sc->arches)
                return err_errno(c->err, -ENOMEM, "%s: %s", c->name, pk);
        sc->n_arches = n;
        for (size_t i = 0; i < n; i++)
                if ((r = seccomp_arch(c, spec_jidx(pi, pk, i), arches[i], &sc->arches[i])) < 0)
                        return r;
        if ((r = spec_jstrv(c, o, p, "flags", &sc->flags, &sc->n_flags)) < 0)
                return r;
        spec_jkey(pk, p, "flags");
        for (size_t i = 0; i < sc->n_flags; i++) {
                bool known = false;
                for (size_t j = 0; j < ARRAY_SIZE(seccomp_flag_names); j++)
                        known = known || strcmp(sc->flags[i], seccomp_flag_names[j]) == 0;
                if (!known)
                        return spec_perr(c, spec_jidx(pi, pk, i), "unknown seccomp flag \"%s\"",
                                         sc->flags[i]);
        }
        return 0;
}

int spec_parse_linux_seccomp(struct pctx *c, json_object *lo, struct spec_linux *l)
{
        const char *p = "linux.seccomp";
        char pk[JPATH_MAX];
        json_object *o;

        int r = spec_jobj(c, lo, "linux", "seccomp", &o);
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
            (r = spec_jstr(c, o, p, "listenerPath", false, &sc->listener_path)) < 0 ||
            (r = spec_jstr(c, o, p, "listenerMetadata", false, &sc->listener_metadata)) < 0)
                return r;
        if (sc->default_action == SCMP_ACT_NOTIFY)
                return spec_perr(c, spec_jkey(pk, p, "defaultAction"),
                                 "SCMP_ACT_NOTIFY cannot be the default action");
        if (sc->listener_path && !*sc->listener_path)
                sc->listener_path = NULL;
        return spec_jlist(c, o, p, "syscalls", sizeof(*sc->syscalls), parse_syscall, sc,
                          (void **)&sc->syscalls, &sc->n_syscalls);
}

void spec_seccomp_free(struct spec_seccomp *sc)
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

/* ---- names the parser knows, for `features` ---- */

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

