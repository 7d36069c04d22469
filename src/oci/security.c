/* oci/security.c: what the container's init applies to itself just before exec:
 * rlimits, oom_score_adj, user and groups, capabilities, no_new_privs, seccomp. */
#include "oci/security.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/magic.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "oci/seccomp_cache.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"

#define SECCOMP_MAX_ARGS 6 /* syscall arguments a filter can look at */

/* ---- rlimits and oom_score_adj ------------------------------------------------------ */

static const char *rlimit_value(uint64_t v, char *buf, size_t size)
{
        if (v == (uint64_t)RLIM_INFINITY)
                return "unlimited";
        snprintf(buf, size, "%" PRIu64, v);
        return buf;
}

int security_apply_rlimits(const struct spec_process *p, struct err *err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const struct spec_rlimit *rl = &p->rlimits[i];
                struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };

                if (setrlimit(rl->resource, &lim) < 0) {
                        char fallback[32], soft[24], hard[24];

                        snprintf(fallback, sizeof(fallback), "rlimit %d", rl->resource);
                        return err_errno(err, neg_errno(), "setrlimit %s %s:%s",
                                         rl->name ? rl->name : fallback,
                                         rlimit_value(rl->soft, soft, sizeof(soft)),
                                         rlimit_value(rl->hard, hard, sizeof(hard)));
                }
        }
        return 0;
}

int security_apply_oom_score_adj(const struct spec_process *p, struct err *err)
{
        static const char path[] = "/proc/self/oom_score_adj";
        struct statfs sfs;
        char buf[32];
        int r;

        if (!p->has_oom_score_adj)
                return 0;

        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open %s", path);
        if (fstatfs(fd, &sfs) < 0)
                return err_errno(err, neg_errno(), "fstatfs %s", path);
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return err_set(err, -EXDEV, "%s is not on procfs", path);

        int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        r = write_all(fd, buf, (size_t)n);
        if (r < 0 && (r == -EACCES || r == -EPERM) && p->oom_score_adj < 0)
                return err_set(err, r, "set oom_score_adj to %d: %s (lowering it needs CAP_SYS_RESOURCE)",
                               p->oom_score_adj, strerror(-r));
        if (r < 0)
                return err_errno(err, r, "set oom_score_adj to %d", p->oom_score_adj);
        return 0;
}

/* ---- user, groups and capabilities -------------------------------------------------- */

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

#define _cleanup_cap_ _cleanup_(cap_freep)

/* "CAP_NET_BIND_SERVICE" for a capability number, in buf. */
static const char *cap_name(int cap, char *buf, size_t size)
{
        char *n = cap_to_name((cap_value_t)cap);

        snprintf(buf, size, "%s", n ? n : "?");
        if (n)
                cap_free(n);
        for (char *s = buf; *s; s++)
                *s = (char)toupper((unsigned char)*s);
        return buf;
}

/* The kernel's last capability: /proc/sys/kernel/cap_last_cap, or probed with
 * PR_CAPBSET_READ (which fails with EINVAL past the last one) when /proc is absent. */
static int cap_last(void)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int c = 0;

        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &buf, &len) == 0) {
                char *end;
                long v;

                errno = 0;
                v = strtol(buf, &end, 10);
                if (errno == 0 && end != buf && v >= 0 && v < 64)
                        return (int)v;
        }
        while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
                c++;
        return c;
}

static int caps_drop_bounding(uint64_t keep, int last, struct err *err)
{
        char name[64];

        for (int c = 0; c <= last; c++) {
                if (keep & (UINT64_C(1) << c))
                        continue;
                int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
                if (r < 0 && errno == EINVAL)
                        continue; /* not known to this kernel */
                if (r < 0)
                        return err_errno(err, neg_errno(), "read bounding set %s",
                                         cap_name(c, name, sizeof(name)));
                if (r == 0)
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return err_errno(err, neg_errno(), "drop %s from the bounding set",
                                         cap_name(c, name, sizeof(name)));
        }
        return 0;
}

static int user_switch(const struct spec_user *u, bool in_user_ns, struct err *err)
{
        if (setgroups(u->n_additional_gids, u->additional_gids) < 0) {
                int r = neg_errno();

                /* a user namespace with /proc/PID/setgroups "deny": fine when there is
                 * nothing to set */
                if (!(r == -EPERM && in_user_ns && u->n_additional_gids == 0))
                        return err_errno(err, r, "setgroups (%zu additional gids)",
                                         u->n_additional_gids);
        }
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return err_errno(err, neg_errno(), "setresgid %" PRIu32, u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return err_errno(err, neg_errno(), "setresuid %" PRIu32, u->uid);
        return 0;
}

/* The current permitted set as a mask. */
static int caps_get_permitted(uint64_t *ret, struct err *err)
{
        _cleanup_cap_ cap_t cur = cap_get_proc();
        uint64_t mask = 0;

        if (!cur)
                return err_errno(err, neg_errno(), "cap_get_proc");
        for (int c = 0; c < 64; c++) {
                cap_flag_value_t v = CAP_CLEAR;

                if (cap_get_flag(cur, (cap_value_t)c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                        mask |= UINT64_C(1) << c;
        }
        *ret = mask;
        return 0;
}

/* Explains, before the kernel refuses with a bare EPERM, which capability cannot be had. */
static int caps_check(const struct spec_capabilities *caps, uint64_t valid, struct err *err)
{
        uint64_t held = 0, missing;
        char name[64];
        int r;

        r = caps_get_permitted(&held, err);
        if (r < 0)
                return r;
        missing = (caps->permitted & valid) & ~held;
        if (missing)
                return err_set(err, -EPERM, "capabilities: %s is requested in permitted but the runtime does not hold it",
                               cap_name(__builtin_ctzll(missing), name, sizeof(name)));
        missing = (caps->effective & valid) & ~(caps->permitted & valid);
        if (missing)
                return err_set(err, -EPERM, "capabilities: %s is effective but not permitted",
                               cap_name(__builtin_ctzll(missing), name, sizeof(name)));
        return 0;
}

static int caps_set(const struct spec_capabilities *caps, uint64_t valid, struct err *err)
{
        const struct {
                cap_flag_t flag;
                uint64_t mask;
        } sets[] = {
                { CAP_EFFECTIVE, caps->effective & valid },
                { CAP_PERMITTED, caps->permitted & valid },
                { CAP_INHERITABLE, caps->inheritable & valid },
        };
        _cleanup_cap_ cap_t c = cap_init();
        int r;

        if (!c)
                return err_errno(err, neg_errno(), "cap_init");
        for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
                for (int bit = 0; bit < 64; bit++) {
                        cap_value_t v = bit;

                        if (!(sets[i].mask & (UINT64_C(1) << bit)))
                                continue;
                        if (cap_set_flag(c, sets[i].flag, 1, &v, CAP_SET) < 0)
                                return err_errno(err, neg_errno(), "cap_set_flag %d", bit);
                }
        r = caps_check(caps, valid, err);
        if (r < 0)
                return r;
        if (cap_set_proc(c) < 0)
                return err_errno(err, neg_errno(),
                                 "capset effective %#" PRIx64 " permitted %#" PRIx64 " inheritable %#" PRIx64,
                                 sets[0].mask, sets[1].mask, sets[2].mask);
        return 0;
}

/* An ambient cap that is not both permitted and inheritable cannot be raised; runc's own
 * default spec asks for such caps, and runc skips them: so do we. */
static int caps_raise_ambient(uint64_t ambient, int last, struct err *err)
{
        char name[64];

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return err_errno(err, neg_errno(), "clear the ambient capabilities");
        for (int c = 0; c <= last; c++) {
                if (!(ambient & (UINT64_C(1) << c)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return err_errno(err, neg_errno(),
                                         "raise ambient %s (it must also be permitted and inheritable)",
                                         cap_name(c, name, sizeof(name)));
        }
        return 0;
}

/* The order runc and crun use: the bounding set shrinks while we still have CAP_SETPCAP,
 * KEEPCAPS carries the permitted set across setresuid, then the final sets are written. */
static int caps_apply_with_user(const struct spec_process *p, bool in_user_ns, struct err *err)
{
        const struct spec_capabilities *caps = &p->caps;
        int last = cap_last();
        uint64_t valid = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
        int r;

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return err_errno(err, neg_errno(), "prctl PR_SET_KEEPCAPS 1");
        r = caps_drop_bounding(caps->bounding & valid, last, err);
        if (r < 0)
                return r;
        r = user_switch(&p->user, in_user_ns, err);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return err_errno(err, neg_errno(), "prctl PR_SET_KEEPCAPS 0");
        r = caps_set(caps, valid, err);
        if (r < 0)
                return r;
        return caps_raise_ambient(caps->ambient & caps->inheritable & caps->permitted & valid, last, err);
}

int security_apply_user_and_caps(const struct spec_process *p, bool in_user_ns, struct err *err)
{
        int r;

        if (p->caps.present)
                r = caps_apply_with_user(p, in_user_ns, err);
        else
                r = user_switch(&p->user, in_user_ns, err);
        if (r < 0)
                return r;
        if (p->user.has_umask)
                umask((mode_t)(p->user.umask & 0777));
        return 0;
}

int security_apply_no_new_privs(const struct spec_process *p, struct err *err)
{
        if (!p->no_new_privileges)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_errno(err, neg_errno(), "prctl PR_SET_NO_NEW_PRIVS");
        return 0;
}

/* ---- seccomp ------------------------------------------------------------------------ */

/* Either the program (from the cache or compiled now) and the seccomp(2) flags, or, for a
 * profile with SCMP_ACT_NOTIFY, the libseccomp ctx: only its load creates the listener fd. */
struct seccomp_plan {
        scmp_filter_ctx ctx;
        bool has_notify;
        struct sock_filter *prog;
        size_t n_insns;
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
};

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define STAPLE_SCMP_WAITKILL ((int)SCMP_FLTATR_CTL_WAITKILL)
#else
#define STAPLE_SCMP_WAITKILL (-1) /* libseccomp < 2.6 cannot set it */
#endif

/* Compiled programs are cached (seccomp_cache.c) under a key that holds staple's version
 * but not this code: a change to what this file compiles from a profile must bump
 * SECCOMP_CACHE_VERSION, or a runtime root would keep serving the old programs. */

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* runtime-spec config-linux.md "flags" -> libseccomp filter attributes, and the seccomp(2)
 * flag libseccomp's load passes for each */
static const struct {
        const char *name;
        int attr; /* enum scmp_filter_attr, -1 when this libseccomp lacks it */
        unsigned int kflag;
} seccomp_flag_table[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW },
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", STAPLE_SCMP_WAITKILL,
          SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

void security_seccomp_free(struct seccomp_plan *plan)
{
        if (!plan)
                return;
        if (plan->ctx)
                seccomp_release(plan->ctx);
        free(plan->prog);
        free(plan);
}

static void seccomp_plan_freep(struct seccomp_plan **p)
{
        security_seccomp_free(*p);
}

/* Folds errnoRet into ERRNO and TRACE actions (EPERM when absent, as runc does). An action
 * whose low 16 bits are already set is taken as folded by the parser. */
static int seccomp_fold_action(uint32_t action, bool has_errno, uint32_t errno_ret,
                               uint32_t *ret, struct err *err)
{
        uint32_t base = action & 0xffff0000U;
        uint32_t e = has_errno ? errno_ret : EPERM;

        if (base != SCMP_ACT_ERRNO(0) && base != SCMP_ACT_TRACE(0)) {
                *ret = action;
                return 0;
        }
        if (has_errno && errno_ret > 0xffff)
                return err_set(err, -EINVAL, "errnoRet %" PRIu32 " is out of range", errno_ret);
        if (!has_errno && (action & 0xffffU))
                e = action & 0xffffU;
        *ret = base == SCMP_ACT_ERRNO(0) ? SCMP_ACT_ERRNO(e) : SCMP_ACT_TRACE(e);
        return 0;
}

static int seccomp_set_flags(scmp_filter_ctx ctx, const struct spec_seccomp *sc, struct err *err)
{
        for (size_t i = 0; i < sc->n_flags; i++) {
                const char *f = sc->flags[i];
                size_t k;

                for (k = 0; k < ARRAY_SIZE(seccomp_flag_table); k++)
                        if (strcmp(f, seccomp_flag_table[k].name) == 0)
                                break;
                if (k == ARRAY_SIZE(seccomp_flag_table))
                        return err_set(err, -EINVAL, "seccomp: unknown flag %s", f);
                if (seccomp_flag_table[k].attr < 0)
                        return err_set(err, -EOPNOTSUPP,
                                       "seccomp: flag %s is not supported by libseccomp %d.%d.%d",
                                       f, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
                int r = seccomp_attr_set(ctx, (enum scmp_filter_attr)seccomp_flag_table[k].attr, 1);
                if (r < 0)
                        return err_errno(err, r, "seccomp: set flag %s", f);
        }
        return 0;
}

/* runc's rule: when two conditions look at the same argument index, each condition gets a
 * rule of its own (they match as OR); otherwise all conditions form one rule (AND). */
static bool seccomp_args_share_index(const struct spec_seccomp_syscall *s)
{
        unsigned int count[SECCOMP_MAX_ARGS] = { 0 };

        for (size_t i = 0; i < s->n_args; i++)
                if (++count[s->args[i].index] > 1)
                        return true;
        return false;
}

static int seccomp_add_syscall_rules(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *s,
                                     const char *name, int nr, uint32_t action, struct err *err)
{
        _cleanup_free_ struct scmp_arg_cmp *cmp = NULL;
        const char *act = s->action_name ? s->action_name : "action";
        int r;

        if (s->n_args == 0) {
                r = seccomp_rule_add_array(ctx, action, nr, 0, NULL);
                return r < 0 ? err_errno(err, r, "seccomp: add rule %s for %s", act, name) : 0;
        }
        cmp = calloc(s->n_args, sizeof(*cmp));
        if (!cmp)
                return err_errno(err, -ENOMEM, "seccomp: rule for %s", name);
        for (size_t i = 0; i < s->n_args; i++) {
                const struct spec_seccomp_arg *a = &s->args[i];

                if (a->index >= SECCOMP_MAX_ARGS)
                        return err_set(err, -EINVAL, "seccomp: %s: argument index %u is out of range (0-%d)",
                                       name, a->index, SECCOMP_MAX_ARGS - 1);
                /* for SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the result */
                cmp[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = (enum scmp_compare)a->op,
                                                 .datum_a = a->value, .datum_b = a->value_two };
        }
        if (!seccomp_args_share_index(s)) {
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)s->n_args, cmp);
                return r < 0 ? err_errno(err, r, "seccomp: add rule %s for %s", act, name) : 0;
        }
        for (size_t i = 0; i < s->n_args; i++) {
                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
                if (r < 0)
                        return err_errno(err, r, "seccomp: add rule %s for %s (argument %u)",
                                         act, name, cmp[i].arg);
        }
        return 0;
}

static int seccomp_add_rules(struct seccomp_plan *plan, const struct spec_seccomp *sc,
                             uint32_t default_action, struct err *err)
{
        for (size_t i = 0; i < sc->n_syscalls; i++) {
                const struct spec_seccomp_syscall *s = &sc->syscalls[i];
                uint32_t action = 0;
                int r;

                r = seccomp_fold_action(s->action, s->has_errno_ret, s->errno_ret, &action, err);
                if (r < 0)
                        return r;
                if (action == default_action)
                        continue; /* libseccomp refuses rules that repeat the default */
                if (action == SCMP_ACT_NOTIFY)
                        plan->has_notify = true;
                for (size_t n = 0; n < s->n_names; n++) {
                        int nr = seccomp_syscall_resolve_name(s->names[n]);

                        if (nr == __NR_SCMP_ERROR)
                                continue; /* unknown to this libseccomp/arch: skipped, as runc does */
                        r = seccomp_add_syscall_rules(plan->ctx, s, s->names[n], nr, action, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int seccomp_add_arches(scmp_filter_ctx ctx, const struct spec_seccomp *sc, struct err *err)
{
        for (size_t i = 0; i < sc->n_arches; i++) {
                int r = seccomp_arch_add(ctx, sc->arches[i]);

                if (r < 0 && r != -EEXIST)
                        return err_errno(err, r, "seccomp: add architecture %#" PRIx32, sc->arches[i]);
        }
        return 0;
}

/* libseccomp's part: the profile as a filter ctx, every rule checked. */
static int seccomp_build(const struct spec_seccomp *sc, struct seccomp_plan *plan, struct err *err)
{
        uint32_t def = 0;
        int r;

        r = seccomp_fold_action(sc->default_action, sc->has_default_errno_ret,
                                sc->default_errno_ret, &def, err);
        if (r < 0)
                return err_wrap(err, "seccomp: defaultAction");
        plan->ctx = seccomp_init(def);
        if (!plan->ctx)
                return err_set(err, -EINVAL, "seccomp: invalid default action %s (%#" PRIx32 ")",
                               sc->default_action_name ? sc->default_action_name : "?", def);
        /* the caller decides no_new_privs; raw errnos make load failures precise */
        r = seccomp_attr_set(plan->ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r >= 0)
                r = seccomp_attr_set(plan->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
        if (r < 0)
                return err_errno(err, r, "seccomp: set filter attributes");
        r = seccomp_add_arches(plan->ctx, sc, err);
        if (r >= 0)
                r = seccomp_set_flags(plan->ctx, sc, err);
        if (r >= 0)
                r = seccomp_add_rules(plan, sc, def, err);
        return r;
}

/* The generated program, through a memfd: libseccomp 2.5 exports to an fd only. */
static int seccomp_export(struct seccomp_plan *plan, struct err *err)
{
        struct stat st;
        _cleanup_close_ int fd = memfd_create("staple-seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "seccomp: memfd_create");
        int r = seccomp_export_bpf(plan->ctx, fd);
        if (r < 0)
                return err_errno(err, r, "seccomp: export the filter");
        if (fstat(fd, &st) < 0)
                return err_errno(err, neg_errno(), "seccomp: export the filter");
        size_t len = (size_t)st.st_size, n = len / sizeof(struct sock_filter);
        if (n == 0 || len % sizeof(struct sock_filter) || n > USHRT_MAX)
                return err_set(err, -EINVAL, "seccomp: the filter has an unusable size (%zu bytes)", len);
        plan->prog = malloc(len);
        if (!plan->prog)
                return err_errno(err, -ENOMEM, "seccomp: export the filter");
        ssize_t got = pread(fd, plan->prog, len, 0);
        if (got < 0 || (size_t)got != len)
                return err_errno(err, got < 0 ? neg_errno() : -EIO, "seccomp: read the exported filter");
        plan->n_insns = n;
        return 0;
}

/* The seccomp(2) flags libseccomp's load would use for the profile's "flags" (unknown ones
 * make the compile fail, so they never reach a load). */
static unsigned int seccomp_kernel_flags(const struct spec_seccomp *sc)
{
        unsigned int flags = 0;

        for (size_t i = 0; i < sc->n_flags; i++)
                for (size_t k = 0; k < ARRAY_SIZE(seccomp_flag_table); k++)
                        if (strcmp(sc->flags[i], seccomp_flag_table[k].name) == 0)
                                flags |= seccomp_flag_table[k].kflag;
        return flags;
}

static bool seccomp_profile_notifies(const struct spec_seccomp *sc)
{
        for (size_t i = 0; i < sc->n_syscalls; i++)
                if (sc->syscalls[i].action == SCMP_ACT_NOTIFY)
                        return true;
        return false;
}

/* A cache hit fills plan->prog; every cache problem is a miss. */
static bool seccomp_cache_try(const struct spec_seccomp *sc, const char *root, struct seccomp_plan *plan,
                              int *ret_dirfd, char **ret_key, size_t *ret_key_len)
{
        if (!root || seccomp_profile_notifies(sc) || seccomp_cache_key(sc, ret_key, ret_key_len) < 0)
                return false;
        *ret_dirfd = seccomp_cache_open(root);
        return *ret_dirfd >= 0 &&
               seccomp_cache_lookup(*ret_dirfd, *ret_key, *ret_key_len, &plan->prog, &plan->n_insns) == 1;
}

int security_seccomp_prepare(const struct spec_seccomp *sc, const char *root, struct seccomp_plan **ret,
                             struct err *err)
{
        _cleanup_(seccomp_plan_freep) struct seccomp_plan *plan = NULL;
        _cleanup_close_ int dirfd = -1;
        _cleanup_free_ char *key = NULL;
        size_t key_len = 0;
        int r;

        if (!sc) {
                *ret = NULL;
                return 0;
        }
        plan = calloc(1, sizeof(*plan));
        if (!plan)
                return err_errno(err, -ENOMEM, "seccomp");
        plan->flags = seccomp_kernel_flags(sc);
        bool hit = seccomp_cache_try(sc, root, plan, &dirfd, &key, &key_len);
        log_debug("seccomp: %s", hit ? "program from the cache" : "compiling the profile");
        if (!hit) {
                if ((r = seccomp_build(sc, plan, err)) < 0)
                        return r;
                if (!plan->has_notify) {
                        if ((r = seccomp_export(plan, err)) < 0)
                                return r;
                        seccomp_release(TAKE_PTR(plan->ctx));
                        if (dirfd >= 0)
                                (void)seccomp_cache_store(dirfd, key, key_len, plan->prog, plan->n_insns);
                }
        }
        *ret = TAKE_PTR(plan);
        return 0;
}

int security_seccomp_compile(const struct spec_seccomp *sc, struct seccomp_plan **ret,
                             struct err *err)
{
        return security_seccomp_prepare(sc, NULL, ret, err);
}

/* What libseccomp's load does for a filter without notification, minus no_new_privs. */
static int seccomp_load_prog(const struct seccomp_plan *plan)
{
        struct sock_fprog prog = { .len = (unsigned short)plan->n_insns, .filter = plan->prog };
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan->flags, &prog);

        if (r < 0 && errno == ENOSYS && plan->flags == 0)
                r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
        if (r < 0)
                return neg_errno();
        return r > 0 ? -ESRCH : 0; /* TSYNC: the id of a thread that could not be synced */
}

/* The listener fd belongs to the caller (close-on-exec, as the kernel creates it). */
int security_seccomp_load(struct seccomp_plan *plan, int *ret_notify_fd, struct err *err)
{
        int fd = -1;
        int r;

        if (!plan) {
                if (ret_notify_fd)
                        *ret_notify_fd = -1;
                return 0;
        }
        r = plan->ctx ? seccomp_load(plan->ctx) : seccomp_load_prog(plan);
        if (r == -EACCES)
                return err_errno(err, r, "load seccomp filter (without no_new_privs it needs CAP_SYS_ADMIN)");
        if (r < 0)
                return err_errno(err, r, "load seccomp filter");
        if (plan->has_notify) {
                fd = seccomp_notify_fd(plan->ctx);
                if (fd < 0)
                        return err_errno(err, fd, "seccomp: get the notify fd");
        }
        if (ret_notify_fd)
                *ret_notify_fd = fd;
        else if (fd >= 0)
                close(fd);
        return 0;
}

static bool lsm_enabled(const char *name)
{
        _cleanup_free_ char *list = NULL;
        if (read_file_at(AT_FDCWD, "/sys/kernel/security/lsm", &list, NULL) < 0) {
                /* securityfs not mounted: ask each LSM's own interface */
                if (!strcmp(name, "selinux"))
                        return access("/sys/fs/selinux/enforce", F_OK) == 0;
                return read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &list, NULL) >= 0 &&
                       list[0] == 'Y';
        }
        for (char *save = NULL, *t = strtok_r(list, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save))
                if (!strcmp(t, name))
                        return true;
        return false;
}

int security_check_lsm(const struct spec_process *p, const char *mount_label, struct err *err)
{
        if (p->apparmor_profile && *p->apparmor_profile && !lsm_enabled("apparmor"))
                return err_set(err, -EOPNOTSUPP, "process.apparmorProfile \"%s\": AppArmor is not enabled on this host",
                               p->apparmor_profile);
        if (p->selinux_label && *p->selinux_label && !lsm_enabled("selinux"))
                return err_set(err, -EOPNOTSUPP, "process.selinuxLabel \"%s\": SELinux is not enabled on this host",
                               p->selinux_label);
        if (mount_label && *mount_label)
                return err_set(err, -EOPNOTSUPP, "linux.mountLabel \"%s\": SELinux mount labels are not supported yet",
                               mount_label);
        return 0;
}

/* The label applies at the next execve, like runc does it: /proc/thread-self/attr/exec. */
int security_apply_lsm(const struct spec_process *p, struct err *err)
{
        _cleanup_free_ char *aa = NULL;
        int r;
        if (p->apparmor_profile && *p->apparmor_profile) {
                if (asprintf(&aa, "exec %s", p->apparmor_profile) < 0)
                        return err_errno(err, -ENOMEM, "apparmor");
                r = write_file_at(AT_FDCWD, "/proc/thread-self/attr/apparmor/exec", aa, strlen(aa), 0);
                if (r == -ENOENT)
                        r = write_file_at(AT_FDCWD, "/proc/thread-self/attr/exec", aa, strlen(aa), 0);
                if (r < 0)
                        return err_errno(err, r, "set apparmor profile %s", p->apparmor_profile);
        }
        if (p->selinux_label && *p->selinux_label) {
                r = write_file_at(AT_FDCWD, "/proc/thread-self/attr/exec", p->selinux_label,
                                  strlen(p->selinux_label), 0);
                if (r < 0)
                        return err_errno(err, r, "set selinux label %s", p->selinux_label);
        }
        return 0;
}
