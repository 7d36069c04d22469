/* test_security.c: rlimits, oom_score_adj, user/caps, no_new_privs and seccomp, each
 * applied in a forked child and checked from what the kernel reports. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/security.h"
#include "oci/spec_default.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define BIT(c) (UINT64_C(1) << (c))

/* ---- helpers -------------------------------------------------------------------------- */

/* The hex value after "Key:\t" in a /proc/PID/status text; UINT64_MAX when absent. */
static uint64_t status_field(const char *text, const char *key)
{
        char pat[64];
        const char *p;

        snprintf(pat, sizeof(pat), "%s:", key);
        for (p = text; (p = strstr(p, pat)); p++)
                if (p == text || p[-1] == '\n')
                        return strtoull(p + strlen(pat), NULL, 16);
        return UINT64_MAX;
}

static char *self_status(void)
{
        char *buf = NULL;
        size_t len;

        if (read_file_at(AT_FDCWD, "/proc/self/status", &buf, &len) < 0)
                return NULL;
        return buf;
}

static uint64_t self_field(const char *key)
{
        _cleanup_free_ char *s = self_status();

        return s ? status_field(s, key) : UINT64_MAX;
}

static bool have_cap_effective(cap_value_t c)
{
        cap_t cur = cap_get_proc();
        cap_flag_value_t v = CAP_CLEAR;

        if (cur) {
                cap_get_flag(cur, c, CAP_EFFECTIVE, &v);
                cap_free(cur);
        }
        return v == CAP_SET;
}

/* Runs fn in a forked child; its message (empty on success) comes back through a pipe
 * and fails the test when fn returns nonzero. */
typedef int (*child_fn)(void *arg, char *msg, size_t size);

static void run_in_child(child_fn fn, void *arg)
{
        char msg[2048] = "";
        int p[2], status;
        ssize_t n;

        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                close(p[0]);
                int r = fn(arg, msg, sizeof(msg));
                if (r != 0 && !msg[0])
                        snprintf(msg, sizeof(msg), "child failed (%d)", r);
                if (write(p[1], msg, strlen(msg)) < 0)
                        _exit(2);
                _exit(r == 0 ? 0 : 1);
        }
        close(p[1]);
        n = read(p[0], msg, sizeof(msg) - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s (status %#x)", msg,
                  status);
}

#define CHECK(cond, ...)                                           \
        do {                                                       \
                if (!(cond)) {                                     \
                        snprintf(msg, size, __VA_ARGS__);          \
                        return 1;                                  \
                }                                                  \
        } while (0)

static int check_masks(const uint64_t want[5], char *msg, size_t size)
{
        static const char *keys[5] = { "CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb" };
        _cleanup_free_ char *s = self_status();

        CHECK(s, "read /proc/self/status");
        for (int i = 0; i < 5; i++) {
                uint64_t got = status_field(s, keys[i]);
                CHECK(got == want[i], "%s: got %#llx want %#llx", keys[i],
                      (unsigned long long)got, (unsigned long long)want[i]);
        }
        return 0;
}

/* ---- capabilities and user ------------------------------------------------------------ */

static int child_caps_root(void *arg, char *msg, size_t size)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };
        uint64_t host_bnd = self_field("CapBnd");

        p.caps.present = true;
        /* bit 63 is above any kernel's last cap: skipped silently */
        p.caps.bounding = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_KILL) |
                          BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP) | BIT(63);
        p.caps.effective = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(63);
        p.caps.permitted = p.caps.effective | BIT(CAP_SETPCAP);
        p.caps.inheritable = BIT(CAP_KILL);
        p.caps.ambient = BIT(CAP_KILL);
        p.user.has_umask = true;
        p.user.umask = 027;

        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == 0, "apply: %s", err.msg);
        uint64_t want[5] = { p.caps.bounding & host_bnd & ~BIT(63), p.caps.effective & ~BIT(63),
                             p.caps.permitted & ~BIT(63), BIT(CAP_KILL), BIT(CAP_KILL) };
        if (check_masks(want, msg, size))
                return 1;
        CHECK(getuid() == 0 && getgid() == 0, "uid %d gid %d", getuid(), getgid());
        mode_t old = umask(0);
        CHECK(old == 027, "umask %o", old);
        return 0;
}

Test(security, caps_exact_for_root) { run_in_child(child_caps_root, NULL); }

/* uid 1000 with CAP_NET_BIND_SERVICE ambient: the exec'd program still has it. */
Test(security, caps_ambient_survive_exec_as_uid_1000)
{
        static gid_t gids[] = { 1001, 1002 };
        struct spec_process p = { 0 };
        char out[4096] = "";
        size_t len = 0;
        int pp[2], status;
        ssize_t n;

        p.user.uid = 1000;
        p.user.gid = 1000;
        p.user.additional_gids = gids;
        p.user.n_additional_gids = 2;
        p.caps.present = true;
        p.caps.bounding = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL) | BIT(CAP_CHOWN);
        p.caps.effective = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
        p.caps.permitted = p.caps.effective;
        p.caps.inheritable = p.caps.effective;
        p.caps.ambient = BIT(CAP_NET_BIND_SERVICE);

        cr_assert_eq(pipe(pp), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct err err = { 0 };
                gid_t got[8];

                close(pp[0]);
                if (security_apply_user_and_caps(&p, false, &err) < 0) {
                        dprintf(pp[1], "apply: %s", err.msg);
                        _exit(1);
                }
                int ng = getgroups(8, got);
                if (getuid() != 1000 || geteuid() != 1000 || getgid() != 1000 || ng != 2 ||
                    got[0] != 1001 || got[1] != 1002) {
                        dprintf(pp[1], "ids: uid %d gid %d groups %d", getuid(), getgid(), ng);
                        _exit(1);
                }
                if (self_field("CapEff") != p.caps.effective) {
                        dprintf(pp[1], "CapEff before exec %#llx",
                                (unsigned long long)self_field("CapEff"));
                        _exit(1);
                }
                if (dup2(pp[1], 1) < 0)
                        _exit(1);
                execl("/bin/sh", "sh", "-c", "grep Cap /proc/self/status", (char *)NULL);
                _exit(127);
        }
        close(pp[1]);
        while (len < sizeof(out) - 1 && (n = read(pp[0], out + len, sizeof(out) - 1 - len)) > 0)
                len += (size_t)n;
        out[len] = '\0';
        close(pp[0]);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s", out);
        cr_assert_eq(status_field(out, "CapBnd"), p.caps.bounding, "%s", out);
        cr_assert_eq(status_field(out, "CapEff"), BIT(CAP_NET_BIND_SERVICE), "%s", out);
        cr_assert_eq(status_field(out, "CapPrm"), BIT(CAP_NET_BIND_SERVICE), "%s", out);
        cr_assert_eq(status_field(out, "CapInh"), p.caps.inheritable, "%s", out);
        cr_assert_eq(status_field(out, "CapAmb"), BIT(CAP_NET_BIND_SERVICE), "%s", out);
}

static int child_no_caps_nonroot(void *arg, char *msg, size_t size)
{
        struct spec_process p = { .user = { .uid = 1000, .gid = 1000 } };
        struct err err = { 0 };
        uint64_t bnd = self_field("CapBnd");

        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == 0, "apply: %s", err.msg);
        uint64_t want[5] = { bnd, 0, 0, 0, 0 };
        if (check_masks(want, msg, size))
                return 1;
        CHECK(getuid() == 1000 && getgid() == 1000 && getgroups(0, NULL) == 0, "ids");
        return 0;
}

Test(security, no_caps_config_nonroot_loses_caps) { run_in_child(child_no_caps_nonroot, NULL); }

static int child_no_caps_root(void *arg, char *msg, size_t size)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };
        uint64_t eff = self_field("CapEff"), bnd = self_field("CapBnd");

        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == 0, "apply: %s", err.msg);
        CHECK(self_field("CapEff") == eff && self_field("CapBnd") == bnd, "root caps changed");
        return 0;
}

Test(security, no_caps_config_root_keeps_caps) { run_in_child(child_no_caps_root, NULL); }

static int child_bounding_drop(void *arg, char *msg, size_t size)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };
        cap_value_t ptrace = CAP_SYS_PTRACE;

        p.caps.present = true;
        p.caps.bounding = BIT(CAP_CHOWN) | BIT(CAP_SETPCAP);
        p.caps.effective = p.caps.permitted = BIT(CAP_CHOWN) | BIT(CAP_SETPCAP);
        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == 0, "apply: %s", err.msg);
        CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_PTRACE, 0, 0, 0) == 0, "SYS_PTRACE still bounded");

        /* even with CAP_SETPCAP, a cap outside the bounding set cannot become inheritable */
        cap_t c = cap_get_proc();
        CHECK(c, "cap_get_proc");
        cap_set_flag(c, CAP_INHERITABLE, 1, &ptrace, CAP_SET);
        r = cap_set_proc(c);
        int e = errno;
        cap_free(c);
        CHECK(r < 0 && e == EPERM, "capset of a dropped cap: r %d errno %d", r, e);
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_PTRACE, 0, 0) < 0,
              "ambient raise of a dropped cap worked");
        return 0;
}

Test(security, bounding_drop_prevents_later_capset) { run_in_child(child_bounding_drop, NULL); }

static int child_caps_not_held(void *arg, char *msg, size_t size)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };

        p.caps.present = true;
        p.caps.bounding = p.caps.effective = p.caps.permitted = BIT(CAP_CHOWN);
        CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0) == 0, "drop SYS_TIME");
        cap_t c = cap_get_proc();
        cap_value_t t = CAP_SYS_TIME;
        cap_set_flag(c, CAP_PERMITTED, 1, &t, CAP_CLEAR);
        cap_set_flag(c, CAP_EFFECTIVE, 1, &t, CAP_CLEAR);
        CHECK(cap_set_proc(c) == 0, "clear SYS_TIME");
        cap_free(c);
        p.caps.permitted |= BIT(CAP_SYS_TIME);
        p.caps.bounding |= BIT(CAP_SYS_TIME);
        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == -EPERM, "r %d: %s", r, err.msg);
        CHECK(strstr(err.msg, "CAP_SYS_TIME is requested in permitted but the runtime does not hold it"),
              "message: %s", err.msg);
        return 0;
}

Test(security, caps_not_held_named_in_error) { run_in_child(child_caps_not_held, NULL); }

static int child_effective_not_permitted(void *arg, char *msg, size_t size)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };

        p.caps.present = true;
        p.caps.bounding = p.caps.permitted = BIT(CAP_CHOWN);
        p.caps.effective = BIT(CAP_CHOWN) | BIT(CAP_KILL);
        int r = security_apply_user_and_caps(&p, false, &err);
        CHECK(r == -EPERM && strstr(err.msg, "CAP_KILL is effective but not permitted"),
              "r %d: %s", r, err.msg);
        return 0;
}

Test(security, effective_outside_permitted_rejected)
{
        run_in_child(child_effective_not_permitted, NULL);
}

/* A user namespace whose setgroups is denied: no additional gids is fine, some is an error. */
static int child_userns_setgroups_denied(void *arg, char *msg, size_t size)
{
        static gid_t gids[] = { 0 };
        struct spec_process p = { 0 };
        struct err err = { 0 };

        CHECK(unshare(CLONE_NEWUSER) == 0, "unshare: errno %d", errno);
        CHECK(write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny", 4, 0) == 0, "setgroups deny");
        CHECK(write_file_at(AT_FDCWD, "/proc/self/uid_map", "0 0 1", 5, 0) == 0, "uid_map");
        CHECK(write_file_at(AT_FDCWD, "/proc/self/gid_map", "0 0 1", 5, 0) == 0, "gid_map");
        p.caps.present = true;
        p.caps.bounding = p.caps.effective = p.caps.permitted = BIT(CAP_CHOWN);
        p.user.additional_gids = gids;
        p.user.n_additional_gids = 1;
        int r = security_apply_user_and_caps(&p, true, &err);
        CHECK(r == -EPERM && strstr(err.msg, "setgroups (1 additional gids)"), "r %d: %s", r, err.msg);
        p.user.n_additional_gids = 0;
        r = security_apply_user_and_caps(&p, true, &err);
        CHECK(r == 0, "apply: %s", err.msg);
        CHECK(self_field("CapEff") == BIT(CAP_CHOWN), "CapEff %#llx",
              (unsigned long long)self_field("CapEff"));
        return 0;
}

Test(security, userns_setgroups_denied) { run_in_child(child_userns_setgroups_denied, NULL); }

/* ---- rlimits, oom_score_adj, no_new_privs --------------------------------------------- */

Test(security, rlimits_applied)
{
        struct spec_rlimit rl[] = {
                { .resource = RLIMIT_NOFILE, .name = "RLIMIT_NOFILE", .soft = 1024, .hard = 4096 },
                { .resource = RLIMIT_CORE, .name = "RLIMIT_CORE", .soft = 0, .hard = 0 },
        };
        struct spec_process p = { .rlimits = rl, .n_rlimits = 2 };
        struct err err = { 0 };
        struct rlimit got;

        cr_assert_eq(security_apply_rlimits(&p, &err), 0, "%s", err.msg);
        cr_assert_eq(getrlimit(RLIMIT_NOFILE, &got), 0);
        cr_assert(got.rlim_cur == 1024 && got.rlim_max == 4096);
        cr_assert_eq(getrlimit(RLIMIT_CORE, &got), 0);
        cr_assert(got.rlim_cur == 0 && got.rlim_max == 0);
}

Test(security, rlimit_above_hard_limit_eperm)
{
        struct spec_rlimit rl = { .resource = RLIMIT_NOFILE, .name = "RLIMIT_NOFILE",
                                  .soft = 30000, .hard = 30000 };
        struct spec_process p = { .rlimits = &rl, .n_rlimits = 1 };
        struct rlimit lower = { 1024, 20000 };
        struct err err = { 0 };

        if (have_cap_effective(CAP_SYS_RESOURCE))
                cr_skip("CAP_SYS_RESOURCE held: raising the hard limit is allowed");
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lower), 0);
        cr_assert_eq(security_apply_rlimits(&p, &err), -EPERM);
        cr_assert_str_eq(err.msg, "setrlimit RLIMIT_NOFILE 30000:30000: Operation not permitted");
}

Test(security, rlimit_unlimited_named_in_error)
{
        struct spec_rlimit rl = { .resource = RLIMIT_NOFILE, .name = "RLIMIT_NOFILE",
                                  .soft = RLIM_INFINITY, .hard = 10 };
        struct spec_process p = { .rlimits = &rl, .n_rlimits = 1 };
        struct err err = { 0 };

        cr_assert_eq(security_apply_rlimits(&p, &err), -EINVAL);
        cr_assert_str_eq(err.msg, "setrlimit RLIMIT_NOFILE unlimited:10: Invalid argument");
}

Test(security, oom_score_adj_positive)
{
        struct spec_process p = { .has_oom_score_adj = true, .oom_score_adj = 500 };
        struct err err = { 0 };
        _cleanup_free_ char *buf = NULL;
        size_t len;

        cr_assert_eq(security_apply_oom_score_adj(&p, &err), 0, "%s", err.msg);
        cr_assert_eq(read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &buf, &len), 0);
        cr_assert_eq(atoi(buf), 500);
}

Test(security, oom_score_adj_negative_reported)
{
        struct spec_process p = { .has_oom_score_adj = true, .oom_score_adj = -500 };
        struct err err = { 0 };

        if (have_cap_effective(CAP_SYS_RESOURCE))
                cr_skip("CAP_SYS_RESOURCE held: a negative oom_score_adj is allowed");
        int r = security_apply_oom_score_adj(&p, &err);
        cr_assert(r == -EACCES || r == -EPERM, "r %d: %s", r, err.msg);
        cr_assert(strstr(err.msg, "set oom_score_adj to -500: ") == err.msg, "%s", err.msg);
        cr_assert(strstr(err.msg, "CAP_SYS_RESOURCE"), "%s", err.msg);
}

Test(security, oom_score_adj_absent_is_noop)
{
        struct spec_process p = { 0 };
        struct err err = { 0 };

        cr_assert_eq(security_apply_oom_score_adj(&p, &err), 0);
}

Test(security, no_new_privs)
{
        struct spec_process p = { .no_new_privileges = true };
        struct err err = { 0 };

        cr_assert_eq(self_field("NoNewPrivs"), 0);
        cr_assert_eq(security_apply_no_new_privs(&p, &err), 0, "%s", err.msg);
        cr_assert_eq(self_field("NoNewPrivs"), 1);
}

/* ---- seccomp -------------------------------------------------------------------------- */

struct sc_case {
        struct spec_seccomp *sc;
        int (*check)(char *msg, size_t size);
};

static int child_seccomp(void *arg, char *msg, size_t size)
{
        struct sc_case *c = arg;
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };
        int fd = -2;

        CHECK(security_seccomp_compile(c->sc, &plan, &err) == 0, "compile: %s", err.msg);
        CHECK(security_seccomp_load(plan, &fd, &err) == 0, "load: %s", err.msg);
        security_seccomp_free(plan);
        CHECK(fd == -1, "notify fd %d without a notify rule", fd);
        /* loading must not force no_new_privs: the caller decides */
        CHECK(self_field("NoNewPrivs") == 0, "NoNewPrivs set by the filter load");
        return c->check(msg, size);
}

static struct spec_seccomp sc_allow(struct spec_seccomp_syscall *s, size_t n)
{
        return (struct spec_seccomp){ .default_action = SCMP_ACT_ALLOW,
                                      .default_action_name = "SCMP_ACT_ALLOW",
                                      .syscalls = s, .n_syscalls = n };
}

static const char *names_mkdir[] = { "not_a_real_syscall", "mkdir" };
#define MKDIR_PATH "/tmp/staple-test-sec-mkdir"

static int check_mkdir_enosys(char *msg, size_t size)
{
        long r = syscall(SYS_mkdir, MKDIR_PATH, 0700);
        int e = errno;

        if (r == 0)
                rmdir(MKDIR_PATH);
        CHECK(r == -1 && e == ENOSYS, "mkdir: r %ld errno %d", r, e);
        return 0;
}

Test(security, seccomp_errno_ret_and_unknown_name_skipped)
{
        static uint32_t arches[] = { SCMP_ARCH_NATIVE, SCMP_ARCH_X86_64, SCMP_ARCH_X86 };
        struct spec_seccomp_syscall s = { .names = names_mkdir, .n_names = 2,
                                          .action = SCMP_ACT_ERRNO(0), .action_name = "SCMP_ACT_ERRNO",
                                          .has_errno_ret = true, .errno_ret = ENOSYS };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_mkdir_enosys };

        sc.arches = arches;
        sc.n_arches = 3;
        run_in_child(child_seccomp, &c);
}

static int check_getppid_eperm(char *msg, size_t size)
{
        long r = syscall(SYS_getppid);
        CHECK(r == -1 && errno == EPERM, "getppid: r %ld errno %d", r, errno);
        return 0;
}

Test(security, seccomp_errno_defaults_to_eperm)
{
        static const char *names[] = { "getppid" };
        struct spec_seccomp_syscall s = { .names = names, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0) };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_getppid_eperm };

        run_in_child(child_seccomp, &c);
}

static int check_personality(char *msg, size_t size)
{
        long r = syscall(SYS_personality, 0xffffffffUL);
        CHECK(r == -1 && errno == EPERM, "personality(0xffffffff): r %ld errno %d", r, errno);
        r = syscall(SYS_personality, 0UL);
        CHECK(r >= 0, "personality(0) denied: errno %d", errno);
        return 0;
}

static const char *names_personality[] = { "personality" };

Test(security, seccomp_arg_condition)
{
        struct spec_seccomp_arg a = { .index = 0, .value = 0xffffffffUL, .op = SCMP_CMP_EQ };
        struct spec_seccomp_syscall s = { .names = names_personality, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0), .args = &a, .n_args = 1 };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_personality };

        run_in_child(child_seccomp, &c);
}

static int check_personality_or(char *msg, size_t size)
{
        if (check_personality(msg, size))
                return 1;
        long r = syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE);
        CHECK(r == -1 && errno == EPERM, "personality(ADDR_NO_RANDOMIZE): r %ld errno %d", r, errno);
        return 0;
}

/* two conditions on index 0: separate rules, either one matches (runc semantics) */
Test(security, seccomp_same_index_args_match_as_or)
{
        struct spec_seccomp_arg a[] = {
                { .index = 0, .value = 0xffffffffUL, .op = SCMP_CMP_EQ },
                { .index = 0, .value = ADDR_NO_RANDOMIZE, .op = SCMP_CMP_EQ },
        };
        struct spec_seccomp_syscall s = { .names = names_personality, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0), .args = a, .n_args = 2 };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_personality_or };

        run_in_child(child_seccomp, &c);
}

static int check_getpriority_and(char *msg, size_t size)
{
        long r = syscall(SYS_getpriority, PRIO_PROCESS, 54321);
        CHECK(r == -1 && errno == EPERM, "getpriority(PROCESS, 54321): r %ld errno %d", r, errno);
        r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        CHECK(r >= 0, "getpriority(PROCESS, 0) denied: errno %d", errno);
        r = syscall(SYS_getpriority, PRIO_PGRP, 54321);
        CHECK(r >= 0 || errno != EPERM, "getpriority(PGRP, 54321) denied");
        return 0;
}

/* conditions on different indices form one rule: all must match */
Test(security, seccomp_args_on_different_indices_match_as_and)
{
        static const char *names[] = { "getpriority" };
        struct spec_seccomp_arg a[] = {
                { .index = 0, .value = PRIO_PROCESS, .op = SCMP_CMP_EQ },
                { .index = 1, .value = 54321, .op = SCMP_CMP_EQ },
        };
        struct spec_seccomp_syscall s = { .names = names, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0), .args = a, .n_args = 2 };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_getpriority_and };

        run_in_child(child_seccomp, &c);
}

static int check_masked_eq(char *msg, size_t size)
{
        long r = syscall(SYS_personality, 0x12340008UL);
        CHECK(r == -1 && errno == EPERM, "personality(masked match): r %ld errno %d", r, errno);
        r = syscall(SYS_personality, 0UL);
        CHECK(r >= 0, "personality(0) denied: errno %d", errno);
        return 0;
}

Test(security, seccomp_masked_eq_uses_value_as_mask)
{
        struct spec_seccomp_arg a = { .index = 0, .value = 0xff, .value_two = 0x08,
                                      .op = SCMP_CMP_MASKED_EQ };
        struct spec_seccomp_syscall s = { .names = names_personality, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0), .args = &a, .n_args = 1 };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_masked_eq };

        run_in_child(child_seccomp, &c);
}

static int check_exec_allowed(char *msg, size_t size)
{
        execl("/bin/true", "true", (char *)NULL);
        CHECK(0, "execve after load: errno %d", errno);
}

/* default ERRNO with an explicit allow list: rules repeating the default are skipped, and
 * the allowed execve still works after load */
Test(security, seccomp_default_errno_allow_list_and_exec)
{
        static const char *allowed[] = { "execve", "exit_group", "exit", "brk", "mmap",
                "mprotect", "munmap", "openat", "close", "read", "pread64", "fstat",
                "newfstatat", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
                "prlimit64", "access", "getrandom", "write", "futex", "rt_sigaction",
                "rt_sigprocmask", "getuid", "getgid", "geteuid", "getegid", "uname",
                "readlink", "statx", "lseek", "ioctl", "stat", "lstat" };
        static const char *denied[] = { "mkdir" };
        struct spec_seccomp_syscall s[] = {
                { .names = allowed, .n_names = ARRAY_SIZE(allowed), .action = SCMP_ACT_ALLOW },
                { .names = denied, .n_names = 1, .action = SCMP_ACT_ERRNO(0) }, /* == default */
        };
        struct spec_seccomp sc = { .default_action = SCMP_ACT_ERRNO(0),
                                   .default_action_name = "SCMP_ACT_ERRNO",
                                   .syscalls = s, .n_syscalls = 2 };
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };
        int status;

        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                if (security_seccomp_compile(&sc, &plan, &err) < 0 ||
                    security_seccomp_load(plan, NULL, &err) < 0)
                        _exit(3);
                if (syscall(SYS_getppid) != -1 || errno != EPERM)
                        _exit(4);
                check_exec_allowed(err.msg, sizeof(err.msg));
                _exit(5);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

Test(security, seccomp_kill_process_sigsys)
{
        static const char *names[] = { "getppid" };
        struct spec_seccomp_syscall s = { .names = names, .n_names = 1,
                                          .action = SCMP_ACT_KILL_PROCESS };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };
        int status;

        cr_assert_eq(security_seccomp_compile(&sc, &plan, &err), 0, "%s", err.msg);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct rlimit nocore = { 0, 0 };

                if (setrlimit(RLIMIT_CORE, &nocore) < 0 || security_seccomp_load(plan, NULL, &err) < 0)
                        _exit(3);
                syscall(SYS_getppid);
                _exit(4);
        }
        security_seccomp_free(plan);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
}

Test(security, seccomp_notify_returns_listener_fd)
{
        static const char *names[] = { "getppid" };
        struct spec_seccomp_syscall s = { .names = names, .n_names = 1, .action = SCMP_ACT_NOTIFY };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };
        int status;

        cr_assert_eq(security_seccomp_compile(&sc, &plan, &err), 0, "%s", err.msg);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                int fd = -1;

                if (security_seccomp_load(plan, &fd, &err) < 0)
                        _exit(3);
                if (fd < 0)
                        _exit(4);
                int fl = fcntl(fd, F_GETFD);
                _exit(fl >= 0 && (fl & FD_CLOEXEC) ? 0 : 5);
        }
        security_seccomp_free(plan);
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

static int compile_err(struct spec_seccomp *sc, struct err *err)
{
        struct seccomp_plan *plan = (struct seccomp_plan *)1;
        int r = security_seccomp_compile(sc, &plan, err);

        if (r == 0)
                security_seccomp_free(plan);
        else
                cr_assert_eq(plan, (struct seccomp_plan *)1, "ret touched on failure");
        return r;
}

Test(security, seccomp_unknown_flag_rejected)
{
        static const char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS" };
        struct spec_seccomp sc = sc_allow(NULL, 0);
        struct err err = { 0 };

        sc.flags = flags;
        sc.n_flags = 2;
        cr_assert_eq(compile_err(&sc, &err), -EINVAL);
        cr_assert_str_eq(err.msg, "seccomp: unknown flag SECCOMP_FILTER_FLAG_BOGUS");
}

Test(security, seccomp_wait_killable_recv_needs_newer_libseccomp)
{
        static const char *flags[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
        struct spec_seccomp sc = sc_allow(NULL, 0);
        struct err err = { 0 };

        sc.flags = flags;
        sc.n_flags = 1;
        int r = compile_err(&sc, &err);
        if (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6) {
                cr_assert_eq(r, -EOPNOTSUPP);
                cr_assert(strstr(err.msg, "not supported by libseccomp"), "%s", err.msg);
        } else {
                cr_assert_eq(r, 0, "%s", err.msg);
        }
}

Test(security, seccomp_known_flags_load)
{
        static const char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW" };
        struct spec_seccomp_syscall s = { .names = names_mkdir, .n_names = 2,
                                          .action = SCMP_ACT_ERRNO(0),
                                          .has_errno_ret = true, .errno_ret = ENOSYS };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct sc_case c = { &sc, check_mkdir_enosys };

        sc.flags = flags;
        sc.n_flags = 3;
        run_in_child(child_seccomp, &c);
}

Test(security, seccomp_bad_arg_index_rejected)
{
        struct spec_seccomp_arg a = { .index = 6, .value = 1, .op = SCMP_CMP_EQ };
        struct spec_seccomp_syscall s = { .names = names_personality, .n_names = 1,
                                          .action = SCMP_ACT_ERRNO(0), .args = &a, .n_args = 1 };
        struct spec_seccomp sc = sc_allow(&s, 1);
        struct err err = { 0 };

        cr_assert_eq(compile_err(&sc, &err), -EINVAL);
        cr_assert(strstr(err.msg, "argument index 6 is out of range"), "%s", err.msg);
}

Test(security, seccomp_bad_default_action_rejected)
{
        struct spec_seccomp sc = { .default_action = 0x12345678, .default_action_name = "BOGUS" };
        struct err err = { 0 };

        cr_assert_eq(compile_err(&sc, &err), -EINVAL);
        cr_assert(strstr(err.msg, "invalid default action BOGUS"), "%s", err.msg);
}

Test(security, seccomp_absent_is_noop)
{
        struct seccomp_plan *plan = (struct seccomp_plan *)1;
        struct err err = { 0 };
        int fd = 7;

        cr_assert_eq(security_seccomp_compile(NULL, &plan, &err), 0);
        cr_assert_null(plan);
        cr_assert_eq(security_seccomp_load(NULL, &fd, &err), 0);
        cr_assert_eq(fd, -1);
        security_seccomp_free(NULL);
}

/* ---- the default profile of `staple-oci spec` ------------------------------------------ */

static struct spec *default_spec(bool rootless)
{
        _cleanup_free_ char *text = spec_default_json(rootless);
        struct spec *s = NULL;
        struct err err = { 0 };

        cr_assert_not_null(text);
        cr_assert_eq(spec_parse("config.json", text, strlen(text), &s, &err), 0, "%s", err.msg);
        cr_assert_not_null(s->linux.seccomp, "the default spec has no seccomp profile");
        return s;
}

#define EXPECT_ERRNO(call, want)                                                         \
        do {                                                                             \
                long r_ = (call);                                                        \
                CHECK(r_ == -1 && errno == (want), "%s: r %ld errno %d, want errno %d", \
                      #call, r_, r_ == -1 ? errno : 0, (want));                          \
        } while (0)

static int clone_raw(unsigned long flags)
{
        /* raw clone(2) with no new stack: the child exits at once */
        long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        return pid < 0 ? -1 : 0;
}

static int check_default_profile(char *msg, size_t size)
{
        CHECK(syscall(SYS_getpid) > 0, "getpid denied: errno %d", errno);
        CHECK(clone_raw(0) == 0, "plain clone denied: errno %d", errno);
        EXPECT_ERRNO(clone_raw(CLONE_NEWUSER), EPERM);
        EXPECT_ERRNO(clone_raw(CLONE_NEWNS), EPERM);
        EXPECT_ERRNO(clone_raw(CLONE_NEWNET), EPERM);
        EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
        EXPECT_ERRNO(syscall(SYS_unshare, CLONE_NEWUSER), EPERM);
        EXPECT_ERRNO(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM);
        EXPECT_ERRNO(syscall(SYS_finit_module, -1, "", 0), EPERM);
        EXPECT_ERRNO(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
        EXPECT_ERRNO(syscall(SYS_keyctl, 0, -3, 0), EPERM);
        EXPECT_ERRNO(syscall(SYS_bpf, 0, NULL, 0), EPERM);
        EXPECT_ERRNO(syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0), EPERM);
        EXPECT_ERRNO(syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE), ENOSYS);
        CHECK(syscall(SYS_personality, 0xffffffffUL) >= 0, "personality query denied");
        EXPECT_ERRNO(syscall(1000 /* no such syscall */), ENOSYS);
        return 0;
}

static int child_default_profile(void *arg, char *msg, size_t size)
{
        struct spec *s = arg;
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };

        CHECK(security_seccomp_compile(s->linux.seccomp, &plan, &err) == 0, "compile: %s", err.msg);
        CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
        CHECK(security_seccomp_load(plan, NULL, &err) == 0, "load: %s", err.msg);
        security_seccomp_free(plan);
        return check_default_profile(msg, size);
}

Test(security, default_profile_denies_the_attacks)
{
        struct spec *s = default_spec(false);

        cr_assert_eq(s->linux.seccomp->default_action & 0xffff0000U, SCMP_ACT_ERRNO(0));
        run_in_child(child_default_profile, s);
        spec_free(s);
}

Test(security, default_rootless_profile_same_filter)
{
        struct spec *s = default_spec(true);

        run_in_child(child_default_profile, s);
        spec_free(s);
}

#if defined(__x86_64__)
/* A 32-bit syscall (int 0x80) from a 64-bit process meets the x86 half of the filter. */
static long int80(long nr, long a, long b)
{
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
        return r;
}

static int check_compat_x86(char *msg, size_t size)
{
        long r = int80(20 /* i386 getpid */, 0, 0);
        CHECK(r == getpid(), "i386 getpid: %ld", r);
        r = int80(120 /* i386 clone */, CLONE_NEWUSER | SIGCHLD, 0);
        CHECK(r == -EPERM, "i386 clone(CLONE_NEWUSER): %ld, want -EPERM", r);
        r = int80(26 /* i386 ptrace */, 16, 1);
        CHECK(r == -EPERM, "i386 ptrace: %ld, want -EPERM", r);
        return 0;
}

static int child_default_profile_compat(void *arg, char *msg, size_t size)
{
        struct spec *s = arg;
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };

        CHECK(security_seccomp_compile(s->linux.seccomp, &plan, &err) == 0, "compile: %s", err.msg);
        CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
        CHECK(security_seccomp_load(plan, NULL, &err) == 0, "load: %s", err.msg);
        security_seccomp_free(plan);
        return check_compat_x86(msg, size);
}

/* int 0x80 kills the caller (SIGSEGV) where the kernel has no IA32 emulation: probe in a child */
static bool have_int80(void)
{
        int status;
        pid_t pid = fork();

        if (pid == 0)
                _exit(int80(20, 0, 0) == getpid() ? 0 : 1);
        return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
               WEXITSTATUS(status) == 0;
}

Test(security, default_profile_covers_x86_compat)
{
        if (!have_int80())
                cr_skip_test("int 0x80 does not work here (no IA32 emulation)");
        struct spec *s = default_spec(false);

        run_in_child(child_default_profile_compat, s);
        spec_free(s);
}
#endif

/* ---- seccomp cache ---------------------------------------------------------------------------- */

#include <dirent.h>
#include <linux/filter.h>
#include <sys/ptrace.h>
#include <inttypes.h>
#include <time.h>

#include "oci/seccomp_cache.h"

/* A runtime root of the test's own; removed by cache_root_remove. */
static void cache_root_make(char root[64])
{
        snprintf(root, 64, "/tmp/staple-test-sccache-XXXXXX");
        cr_assert_not_null(mkdtemp(root));
}

static void cache_root_remove(const char *root)
{
        cr_assert_eq(rm_rf_at(AT_FDCWD, root), 0);
}

/* The path of the one entry in root's cache, "" when there is none. */
static void cache_entry(const char *root, char path[512])
{
        char dir[128];
        struct dirent *de;

        snprintf(dir, sizeof(dir), "%s/%s", root, SECCOMP_CACHE_DIR);
        path[0] = '\0';
        _cleanup_closedir_ DIR *d = opendir(dir);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        snprintf(path, 512, "%s/%s", dir, de->d_name);
}

/* A profile denying getppid with errno e, everything else allowed. */
struct cache_profile {
        const char *names[1];
        struct spec_seccomp_syscall s;
        struct spec_seccomp sc;
};

static void cache_profile_init(struct cache_profile *p, uint32_t e)
{
        p->names[0] = "getppid";
        p->s = (struct spec_seccomp_syscall){ .names = p->names, .n_names = 1, .action = SCMP_ACT_ERRNO(0),
                                              .has_errno_ret = true, .errno_ret = e };
        p->sc = sc_allow(&p->s, 1);
}

struct cache_case {
        const struct spec_seccomp *sc;
        const char *root;
        int want_errno;
};

static int child_cached_filter(void *arg, char *msg, size_t size)
{
        struct cache_case *c = arg;
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };

        CHECK(security_seccomp_prepare(c->sc, c->root, &plan, &err) == 0, "prepare: %s", err.msg);
        CHECK(security_seccomp_load(plan, NULL, &err) == 0, "load: %s", err.msg);
        security_seccomp_free(plan);
        CHECK(self_field("NoNewPrivs") == 0, "NoNewPrivs set by the filter load");
        long r = syscall(SYS_getppid);
        CHECK(r == -1 && errno == c->want_errno, "getppid: r %ld errno %d, want %d", r, errno, c->want_errno);
        return 0;
}

/* Prepares and loads sc with the cache under root in a child, which checks getppid's errno. */
static void cache_run(const struct spec_seccomp *sc, const char *root, int want_errno)
{
        struct cache_case c = { sc, root, want_errno };

        run_in_child(child_cached_filter, &c);
}

static ino_t entry_inode(const char *path)
{
        struct stat st;

        cr_assert_eq(lstat(path, &st), 0, "lstat %s: %s", path, strerror(errno));
        cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid(),
                  "%s: mode %o uid %u", path, st.st_mode, st.st_uid);
        return st.st_ino;
}

Test(security, seccomp_cache_written_then_used)
{
        struct cache_profile p;
        char root[64], entry[512], dir[128];
        struct stat st;

        cache_profile_init(&p, EDQUOT);
        cache_root_make(root);
        cache_run(&p.sc, root, EDQUOT);
        snprintf(dir, sizeof(dir), "%s/%s", root, SECCOMP_CACHE_DIR);
        cr_assert_eq(lstat(dir, &st), 0);
        cr_assert(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "cache dir mode %o", st.st_mode);
        cache_entry(root, entry);
        cr_assert(entry[0], "no cache entry after the first prepare");
        ino_t ino = entry_inode(entry);
        /* a hit reads the entry and does not write it again */
        cache_run(&p.sc, root, EDQUOT);
        cr_assert_eq(entry_inode(entry), ino, "the second prepare rewrote the entry (a miss)");
        cache_root_remove(root);
}

/* The entry's bytes; *len its size. */
static char *entry_load(const char *path, size_t *len)
{
        char *buf = NULL;

        cr_assert_eq(read_file_at(AT_FDCWD, path, &buf, len), 0, "read %s", path);
        return buf;
}

static void entry_save(const char *path, const char *buf, size_t len, mode_t mode)
{
        unlink(path);
        cr_assert_eq(write_file_at(AT_FDCWD, path, buf, len, mode), 0, "write %s", path);
        cr_assert_eq(chmod(path, mode), 0);
}

/* A hit really loads the stored program: profile A's key with profile B's program gives B's
 * behaviour. (Only a test can plant such an entry: the directory is the runtime's alone.) */
Test(security, seccomp_cache_hit_loads_the_stored_program)
{
        struct cache_profile a, b;
        char root_a[64], root_b[64], ea[512], eb[512];
        size_t la, lb;

        cache_profile_init(&a, EDQUOT);
        cache_profile_init(&b, ENOLINK);
        cache_root_make(root_a);
        cache_root_make(root_b);
        cache_run(&a.sc, root_a, EDQUOT);
        cache_run(&b.sc, root_b, ENOLINK);
        cache_entry(root_a, ea);
        cache_entry(root_b, eb);
        _cleanup_free_ char *ba = entry_load(ea, &la);
        _cleanup_free_ char *bb = entry_load(eb, &lb);
        struct seccomp_cache_header ha, hb;
        memcpy(&ha, ba, sizeof(ha));
        memcpy(&hb, bb, sizeof(hb));
        size_t head_a = sizeof(ha) + ha.key_len, head_b = sizeof(hb) + hb.key_len;
        cr_assert(head_a < la && head_b < lb);
        _cleanup_free_ char *mixed = malloc(head_a + lb - head_b);
        memcpy(mixed, ba, head_a);
        memcpy(mixed + head_a, bb + head_b, lb - head_b);
        entry_save(ea, mixed, head_a + lb - head_b, 0600);
        cache_run(&a.sc, root_a, ENOLINK);
        cache_root_remove(root_a);
        cache_root_remove(root_b);
}

enum tamper { TAMPER_KEY, TAMPER_MAGIC, TAMPER_TRUNCATE, TAMPER_EMPTY_PROGRAM, TAMPER_MODE, TAMPER_SYMLINK,
              TAMPER_OWNER };

static void entry_tamper(const char *root, const char *path, enum tamper t)
{
        size_t len;
        _cleanup_free_ char *buf = entry_load(path, &len);
        struct seccomp_cache_header h;
        char other[128];

        memcpy(&h, buf, sizeof(h));
        switch (t) {
        case TAMPER_KEY: /* one byte of the stored key */
                buf[sizeof(h) + h.key_len - 2] ^= 1;
                return entry_save(path, buf, len, 0600);
        case TAMPER_MAGIC:
                buf[0] ^= 1;
                return entry_save(path, buf, len, 0600);
        case TAMPER_TRUNCATE:
                return entry_save(path, buf, len - 4, 0600);
        case TAMPER_EMPTY_PROGRAM:
                return entry_save(path, buf, sizeof(h) + h.key_len, 0600);
        case TAMPER_MODE:
                return entry_save(path, buf, len, 0644);
        case TAMPER_OWNER:
                cr_assert_eq(chown(path, 1000, 1000), 0);
                return;
        case TAMPER_SYMLINK: /* a valid entry, but reached through a symlink */
                snprintf(other, sizeof(other), "%s/valid-entry", root);
                entry_save(other, buf, len, 0600);
                cr_assert_eq(unlink(path), 0);
                cr_assert_eq(symlink(other, path), 0);
                return;
        }
}

/* Every broken entry is a miss: the right filter is compiled and a good entry replaces it. */
Test(security, seccomp_cache_tampered_entries_ignored)
{
        /* the planted program denies getppid with ENOLINK: if it were used, the check fails */
        const enum tamper all[] = { TAMPER_KEY, TAMPER_MAGIC, TAMPER_TRUNCATE, TAMPER_EMPTY_PROGRAM,
                                    TAMPER_MODE, TAMPER_SYMLINK, TAMPER_OWNER };
        struct cache_profile a, b;
        char root[64], root_b[64], entry[512], eb[512];

        cache_profile_init(&a, EDQUOT);
        cache_profile_init(&b, ENOLINK);
        cache_root_make(root);
        cache_root_make(root_b);
        cache_run(&b.sc, root_b, ENOLINK);
        cache_entry(root_b, eb);
        for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
                cache_run(&a.sc, root, EDQUOT);
                cache_entry(root, entry);
                /* give the entry B's program under A's key first, then break it */
                size_t la, lb;
                _cleanup_free_ char *ba = entry_load(entry, &la);
                _cleanup_free_ char *bb = entry_load(eb, &lb);
                struct seccomp_cache_header ha, hb;
                memcpy(&ha, ba, sizeof(ha));
                memcpy(&hb, bb, sizeof(hb));
                size_t head_a = sizeof(ha) + ha.key_len, head_b = sizeof(hb) + hb.key_len;
                _cleanup_free_ char *mixed = malloc(head_a + lb - head_b);
                memcpy(mixed, ba, head_a);
                memcpy(mixed + head_a, bb + head_b, lb - head_b);
                entry_save(entry, mixed, head_a + lb - head_b, 0600);
                entry_tamper(root, entry, all[i]);
                cache_run(&a.sc, root, EDQUOT);
                entry_inode(entry); /* replaced by a good entry: regular, 0600, ours */
                cache_run(&a.sc, root, EDQUOT);
        }
        cache_root_remove(root);
        cache_root_remove(root_b);
}

/* A cache directory that is not the runtime's alone is not used at all. */
Test(security, seccomp_cache_unsafe_directory_unused)
{
        struct cache_profile a;
        char root[64], dir[128], other[128], entry[512];

        cache_profile_init(&a, EDQUOT);
        cache_root_make(root);
        snprintf(dir, sizeof(dir), "%s/%s", root, SECCOMP_CACHE_DIR);
        cr_assert_eq(mkdir(dir, 0700), 0);
        cr_assert_eq(chmod(dir, 0755), 0);
        cache_run(&a.sc, root, EDQUOT);
        cache_entry(root, entry);
        cr_assert_eq(entry[0], '\0', "an entry was written to a 0755 cache directory");
        cr_assert_eq(rmdir(dir), 0);
        snprintf(other, sizeof(other), "%s/elsewhere", root);
        cr_assert_eq(mkdir(other, 0700), 0);
        cr_assert_eq(symlink(other, dir), 0);
        cache_run(&a.sc, root, EDQUOT);
        cache_entry(other, entry);
        _cleanup_closedir_ DIR *d = opendir(other);
        cr_assert_not_null(d);
        struct dirent *de;
        while ((de = readdir(d)))
                cr_assert(de->d_name[0] == '.', "an entry was written through a symlinked cache directory: %s",
                          de->d_name);
        cache_root_remove(root);
}

/* An invalid profile fails as before with a cache, and leaves no entry. */
Test(security, seccomp_cache_bad_profile_still_fails)
{
        static const char *flags[] = { "SECCOMP_FILTER_FLAG_BOGUS" };
        struct cache_profile a;
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };
        char root[64], entry[512];

        cache_profile_init(&a, EDQUOT);
        a.sc.flags = flags;
        a.sc.n_flags = 1;
        cache_root_make(root);
        cr_assert_eq(security_seccomp_prepare(&a.sc, root, &plan, &err), -EINVAL);
        cr_assert_str_eq(err.msg, "seccomp: unknown flag SECCOMP_FILTER_FLAG_BOGUS");
        cache_entry(root, entry);
        cr_assert_eq(entry[0], '\0');
        cache_root_remove(root);
}

/* Flags reach seccomp(2): a cached TSYNC|LOG|SPEC_ALLOW filter loads and works. */
Test(security, seccomp_cache_flags_profile)
{
        static const char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW" };
        struct cache_profile a;
        char root[64], entry[512];

        cache_profile_init(&a, EDQUOT);
        a.sc.flags = flags;
        a.sc.n_flags = ARRAY_SIZE(flags);
        cache_root_make(root);
        cache_run(&a.sc, root, EDQUOT);
        cache_entry(root, entry);
        ino_t ino = entry_inode(entry);
        cache_run(&a.sc, root, EDQUOT);
        cr_assert_eq(entry_inode(entry), ino);
        cache_root_remove(root);
}

/* The kernel's copy of the filter (PTRACE_SECCOMP_GET_FILTER) of a child that loaded it. */
static size_t loaded_filter(void (*load)(const void *), const void *arg, struct sock_filter *out, size_t max)
{
        int status;
        pid_t pid = fork();

        cr_assert_geq(pid, 0);
        if (pid == 0) {
                if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
                        _exit(2);
                load(arg);
                raise(SIGSTOP);
                _exit(0);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSTOPPED(status), "child status %#x", status);
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, NULL);
        cr_assert(n > 0 && (size_t)n <= max, "PTRACE_SECCOMP_GET_FILTER: %ld (%s)", n, strerror(errno));
        cr_assert_eq(ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0L, out), n);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return (size_t)n;
}

static void load_with_libseccomp(const void *arg)
{
        (void)arg;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
            seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EDQUOT), SCMP_SYS(getppid), 0) < 0 || seccomp_load(ctx) < 0)
                _exit(3);
}

static void load_from_cache(const void *arg)
{
        struct seccomp_plan *plan = NULL;
        struct err err = { 0 };

        if (security_seccomp_prepare(arg, getenv("STAPLE_TEST_CACHE_ROOT"), &plan, &err) < 0 ||
            security_seccomp_load(plan, NULL, &err) < 0)
                _exit(3);
}

/* Cached or not, the kernel gets the very program libseccomp's own load would give it. */
Test(security, seccomp_cache_program_equals_libseccomp_load)
{
#if defined(__x86_64__)
        static uint32_t arches[] = { SCMP_ARCH_X86 };
        static struct sock_filter want[BPF_MAXINSNS], got[BPF_MAXINSNS];
        struct cache_profile a;
        char root[64], entry[512];

        cache_profile_init(&a, EDQUOT);
        a.sc.arches = arches;
        a.sc.n_arches = 1;
        cache_root_make(root);
        setenv("STAPLE_TEST_CACHE_ROOT", root, 1);
        size_t n = loaded_filter(load_with_libseccomp, NULL, want, BPF_MAXINSNS);
        for (int round = 0; round < 2; round++) { /* a miss, then a hit */
                cr_assert_eq(loaded_filter(load_from_cache, &a.sc, got, BPF_MAXINSNS), n, "round %d", round);
                cr_assert_eq(memcmp(want, got, n * sizeof(*got)), 0, "round %d: programs differ", round);
                cache_entry(root, entry);
                cr_assert(entry[0], "no entry after round %d", round);
        }
        unsetenv("STAPLE_TEST_CACHE_ROOT");
        cache_root_remove(root);
#else
        cr_skip_test("the test profile is written for x86_64");
#endif
}

/* The path of the entry for key under root's cache. */
static void entry_path(const char *root, const char *key, char path[512])
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (const char *c = key; *c; c++) {
                h ^= (unsigned char)*c;
                h *= UINT64_C(0x100000001b3);
        }
        snprintf(path, 512, "%s/%s/%016" PRIx64, root, SECCOMP_CACHE_DIR, h);
}

/* Beyond SECCOMP_CACHE_MAX entries a store removes the least recently used; a hit renews. */
Test(security, seccomp_cache_pruned_least_recently_used_first)
{
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), *got = NULL;
        char root[64], key[32], path[512];
        size_t n = 0;
        time_t base = time(NULL) - 100000;

        cache_root_make(root);
        int dirfd = seccomp_cache_open(root);
        cr_assert(dirfd >= 0, "open cache: %s", strerror(-dirfd));
        for (int i = 0; i < SECCOMP_CACHE_MAX + 6; i++) {
                if (i == SECCOMP_CACHE_MAX) { /* full: use entry 0 once, which makes it the newest */
                        cr_assert_eq(seccomp_cache_lookup(dirfd, "k0", 2, &got, &n), 1, "k0 missing");
                        free(got);
                }
                snprintf(key, sizeof(key), "k%d", i);
                cr_assert_eq(seccomp_cache_store(dirfd, key, strlen(key), &allow, 1), 0, "store %s", key);
                entry_path(root, key, path);
                /* mtimes one second apart, in store order (the clock is too coarse for that) */
                struct timespec t[2] = { { base + i, 0 }, { base + i, 0 } };
                cr_assert_eq(utimensat(AT_FDCWD, path, t, 0), 0, "utimensat %s", path);
        }
        int entries = 0;
        DIR *d = fdopendir(dup(dirfd));
        for (struct dirent *e; d && (e = readdir(d));)
                entries += strlen(e->d_name) == 16;
        closedir(d);
        cr_assert_eq(entries, SECCOMP_CACHE_MAX, "%d entries", entries);
        entry_path(root, "k0", path);
        cr_assert_eq(access(path, F_OK), 0, "k0 was used recently and must stay");
        for (int i = 1; i <= 6; i++) { /* the six oldest unused entries went */
                snprintf(key, sizeof(key), "k%d", i);
                entry_path(root, key, path);
                cr_assert_neq(access(path, F_OK), 0, "%s should have been pruned", key);
        }
        snprintf(key, sizeof(key), "k%d", SECCOMP_CACHE_MAX + 5);
        entry_path(root, key, path);
        cr_assert_eq(access(path, F_OK), 0, "the newest entry must stay");
        close(dirfd);
        cache_root_remove(root);
}
