/* test_cgroup.c: the cgroup module against the real kernel (hybrid/v1 on the host,
 * pure v2 under tools/cgv2-vm). Every cgroup lives below /staple-test-unit and is
 * removed by the fixture's teardown, also when a test fails. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "oci/cgroup_internal.h"
#include "oci/manage.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define MAX_CHILDREN 8

static char g_path[256];
static struct cgroup *g_cg;
static pid_t g_children[MAX_CHILDREN];
static size_t g_n_children;
static enum cgroup_layout g_layout;

static void set_path(const char *name)
{
        snprintf(g_path, sizeof(g_path), "/staple-test-unit/%d-%s", (int)getpid(), name);
}

static void setup(void)
{
        struct err err = { 0 };
        cr_assert_eq(cgroup_layout_detect(&g_layout, &err), 0, "%s", err.msg);
}

/* Kills and reaps our children, then removes the test's cgroup whatever happened. */
static void reap_children(void)
{
        for (size_t i = 0; i < g_n_children; i++) {
                kill(g_children[i], SIGKILL);
                waitpid(g_children[i], NULL, 0);
        }
        g_n_children = 0;
}

/* Destroys first (it thaws a frozen cgroup, so the kills can land), then reaps. */
static void teardown(void)
{
        struct err err = { 0 };
        if (!g_path[0]) {
                reap_children();
                return;
        }
        if (!g_cg && cgroup_open(g_path, &g_cg, &err) < 0)
                cr_log_error("teardown: open %s: %s", g_path, err.msg);
        else if (cgroup_destroy(g_cg, &err) < 0)
                cr_log_error("teardown: destroy %s: %s", g_path, err.msg);
        cgroup_free(g_cg);
        g_cg = NULL;
        reap_children();
}

/* Forks a child that waits for a byte on a pipe, then runs fn. *ret_go releases it. */
static pid_t spawn(int (*fn)(void *), void *arg, int *ret_go)
{
        int p[2];
        cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(p[1]);
                char c;
                if (read(p[0], &c, 1) != 1)
                        _exit(100);
                _exit(fn(arg));
        }
        close(p[0]);
        g_children[g_n_children++] = pid;
        *ret_go = p[1];
        return pid;
}

static void release(int go)
{
        cr_assert_eq(write(go, "x", 1), 1);
        close(go);
}

static int sleep_forever(void *arg)
{
        for (;;)
                pause();
        return 0;
}

static void create_or_fail(const struct spec_resources *res)
{
        struct err err = { 0 };
        int r = cgroup_create(g_path, res, &g_cg, &err);
        cr_assert_eq(r, 0, "create %s: %s", g_path, err.msg);
}

/* Reads a control file of the container on the hierarchy mounted at `hier`. */
static char *read_ctl(const char *hier, const char *file)
{
        char p[512];
        snprintf(p, sizeof(p), "/sys/fs/cgroup%s%s/%s", hier, g_path, file);
        char *buf = NULL;
        int r = read_file_at(AT_FDCWD, p, &buf, NULL);
        cr_assert_eq(r, 0, "read %s: %s", p, strerror(-r));
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

static void expect_ctl(const char *hier, const char *file, const char *want)
{
        _cleanup_free_ char *got = read_ctl(hier, file);
        cr_expect_str_eq(got, want, "%s: got \"%s\", want \"%s\"", file, got, want);
}

static bool is_v1(void)
{
        return g_layout != CGROUP_LAYOUT_V2;
}

TestSuite(cgroup, .init = setup, .fini = teardown, .timeout = 60);

Test(cgroup, create_applies_limits)
{
        set_path("limits");
        struct spec_resources res = {
                .has_memory_limit = true, .memory_limit = 64 << 20,
                .has_pids_limit = true, .pids_limit = 10,
                .has_cpu_shares = true, .cpu_shares = 512,
                .has_cpu_quota = true, .cpu_quota = 50000,
                .has_cpu_period = true, .cpu_period = 100000,
        };
        create_or_fail(&res);
        cr_expect_str_eq(cgroup_path(g_cg), g_path);
        if (is_v1()) {
                expect_ctl("/memory", "memory.limit_in_bytes", "67108864");
                expect_ctl("/pids", "pids.max", "10");
                expect_ctl("/cpu", "cpu.shares", "512");
                expect_ctl("/cpu", "cpu.cfs_quota_us", "50000");
                cr_expect_eq(cgroup_clone_fd(g_cg), -1);
        } else {
                expect_ctl("", "memory.max", "67108864");
                expect_ctl("", "pids.max", "10");
                expect_ctl("", "cpu.weight", "20"); /* 1 + (510 * 9999) / 262142 */
                expect_ctl("", "cpu.max", "50000 100000");
                cr_expect_geq(cgroup_clone_fd(g_cg), 0);
        }
        /* update: unlimited pids, a new memory limit */
        struct spec_resources upd = {
                .has_memory_limit = true, .memory_limit = 32 << 20,
                .has_pids_limit = true, .pids_limit = 0,
        };
        struct err err = { 0 };
        cr_assert_eq(cgroup_update(g_cg, &upd, &err), 0, "%s", err.msg);
        expect_ctl(is_v1() ? "/pids" : "", "pids.max", "max");
        expect_ctl(is_v1() ? "/memory" : "", is_v1() ? "memory.limit_in_bytes" : "memory.max",
                   "33554432");
}

Test(cgroup, enter_and_pids)
{
        set_path("enter");
        create_or_fail(NULL);
        int go;
        pid_t pid = spawn(sleep_forever, NULL, &go);
        struct err err = { 0 };
        cr_assert_eq(cgroup_enter(g_cg, pid, &err), 0, "%s", err.msg);
        release(go);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        cr_assert_eq(cgroup_pids(g_cg, &pids, &n, &err), 0, "%s", err.msg);
        cr_assert_eq(n, 1);
        cr_assert_eq(pids[0], pid);

        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *cg = NULL;
        cr_assert_eq(read_file_at(AT_FDCWD, p, &cg, NULL), 0);
        cr_expect(strstr(cg, g_path) != NULL, "%s does not name %s:\n%s", p, g_path, cg);
}

/* Forks until the kernel says no; returns how many forks succeeded. */
static int fork_many(void *arg)
{
        pid_t kids[16];
        int n = 0;
        for (; n < 16; n++) {
                kids[n] = fork();
                if (kids[n] < 0)
                        break;
                if (kids[n] == 0) {
                        pause();
                        _exit(0);
                }
        }
        for (int i = 0; i < n; i++) {
                kill(kids[i], SIGKILL);
                waitpid(kids[i], NULL, 0);
        }
        return n;
}

/* Runs fn in a child placed in the test's cgroup; its wait status. */
static int run_inside(int (*fn)(void *))
{
        int go;
        pid_t pid = spawn(fn, NULL, &go);
        struct err err = { 0 };
        cr_assert_eq(cgroup_enter(g_cg, pid, &err), 0, "%s", err.msg);
        release(go);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        g_n_children = 0;
        return status;
}

Test(cgroup, pids_limit_is_enforced)
{
        set_path("pids");
        struct spec_resources res = { .has_pids_limit = true, .pids_limit = 5 };
        create_or_fail(&res);
        int status = run_inside(fork_many);
        cr_assert(WIFEXITED(status));
        cr_expect_eq(WEXITSTATUS(status), 4, "forked %d times under pids.max=5 (itself + 4)",
                     WEXITSTATUS(status));
}

static int count_forever(void *arg)
{
        volatile uint64_t *counter = arg;
        for (;;)
                (*counter)++;
        return 0;
}

static uint64_t counter_after(volatile uint64_t *c, unsigned int ms)
{
        uint64_t before = *c;
        usleep(ms * 1000);
        return *c - before;
}

Test(cgroup, freeze_stops_and_thaw_resumes)
{
        set_path("freeze");
        create_or_fail(NULL);
        volatile uint64_t *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq((void *)counter, MAP_FAILED);
        int go;
        pid_t pid = spawn(count_forever, (void *)counter, &go);
        struct err err = { 0 };
        cr_assert_eq(cgroup_enter(g_cg, pid, &err), 0, "%s", err.msg);
        release(go);
        cr_assert_gt(counter_after(counter, 100), 0, "the counter never moved");
        cr_expect_not(cgroup_is_frozen(g_cg));

        cr_assert_eq(cgroup_freeze(g_cg, true, &err), 0, "%s", err.msg);
        cr_expect(cgroup_is_frozen(g_cg));
        cr_expect_eq(counter_after(counter, 200), 0, "the counter moved while frozen");

        cr_assert_eq(cgroup_freeze(g_cg, false, &err), 0, "%s", err.msg);
        cr_expect_not(cgroup_is_frozen(g_cg));
        cr_expect_gt(counter_after(counter, 200), 0, "the counter did not move after thaw");

        /* the teardown's destroy must get rid of a frozen cgroup too */
        cr_assert_eq(cgroup_freeze(g_cg, true, &err), 0, "%s", err.msg);
}

Test(cgroup, kill_all_reaches_every_process)
{
        set_path("kill");
        create_or_fail(NULL);
        struct err err = { 0 };
        pid_t pids[2];
        for (int i = 0; i < 2; i++) {
                int go;
                pids[i] = spawn(sleep_forever, NULL, &go);
                cr_assert_eq(cgroup_enter(g_cg, pids[i], &err), 0, "%s", err.msg);
                release(go);
        }
        cr_assert_eq(cgroup_kill_all(g_cg, SIGTERM, &err), 0, "%s", err.msg);
        for (int i = 0; i < 2; i++) {
                int status;
                cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
                cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
        }
        g_n_children = 0;
}

/* The directories the container has on each hierarchy. */
static size_t hierarchy_dirs(char dirs[][512], size_t max)
{
        static const char *const v1[] = { "cpu", "cpuacct", "cpuset", "memory", "devices",
                                          "freezer", "blkio", "pids", "systemd", "unified" };
        size_t n = 0;
        if (!is_v1()) {
                snprintf(dirs[n++], 512, "/sys/fs/cgroup%s", g_path);
                return n;
        }
        for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]) && n < max; i++) {
                char root[128];
                struct stat st;
                snprintf(root, sizeof(root), "/sys/fs/cgroup/%s", v1[i]);
                struct statfs fs;
                bool mounted = statfs(root, &fs) == 0 && (fs.f_type == CGROUP_SUPER_MAGIC ||
                                                          fs.f_type == CGROUP2_SUPER_MAGIC);
                if (mounted && lstat(root, &st) == 0 && S_ISDIR(st.st_mode))
                        snprintf(dirs[n++], 512, "%s%s", root, g_path);
        }
        return n;
}

Test(cgroup, destroy_removes_every_hierarchy)
{
        set_path("destroy");
        create_or_fail(NULL);
        char dirs[16][512];
        size_t n = hierarchy_dirs(dirs, 16);
        cr_assert_gt(n, 0);
        for (size_t i = 0; i < n; i++)
                cr_assert_eq(access(dirs[i], F_OK), 0, "%s was not created", dirs[i]);

        int go;
        pid_t pid = spawn(sleep_forever, NULL, &go);
        struct err err = { 0 };
        cr_assert_eq(cgroup_enter(g_cg, pid, &err), 0, "%s", err.msg);
        release(go);

        /* as `delete` does it: a fresh handle, from the path alone */
        cgroup_free(g_cg);
        g_cg = NULL;
        cr_assert_eq(cgroup_open(g_path, &g_cg, &err), 0, "%s", err.msg);
        cr_assert_eq(cgroup_destroy(g_cg, &err), 0, "%s", err.msg);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        g_n_children = 0;
        cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        for (size_t i = 0; i < n; i++)
                cr_expect_neq(access(dirs[i], F_OK), 0, "%s is still there", dirs[i]);
        /* a second destroy of what is gone is fine */
        cr_expect_eq(cgroup_destroy(g_cg, &err), 0, "%s", err.msg);
}

Test(cgroup, failed_create_leaves_nothing)
{
        set_path("rollback");
        struct spec_resources res = { .has_pids_limit = true, .pids_limit = 3 };
        const char *key = "pids.max", *bad = "abc";
        if (is_v1()) {
                res.has_memory_swappiness = true;
                res.memory_swappiness = 1000;
        } else {
                res.unified_keys = &key;
                res.unified_values = &bad;
                res.n_unified = 1;
        }
        struct err err = { 0 };
        cr_assert_lt(cgroup_create(g_path, &res, &g_cg, &err), 0);
        const char *want = is_v1() ? "write memory.swappiness=1000: Invalid argument"
                                   : "write pids.max=abc: Invalid argument";
        cr_expect_str_eq(err.msg, want);
        char dirs[16][512];
        size_t n = hierarchy_dirs(dirs, 16);
        for (size_t i = 0; i < n; i++)
                cr_expect_neq(access(dirs[i], F_OK), 0, "%s was left behind", dirs[i]);
}

Test(cgroup, unified)
{
        set_path("unified");
        const char *keys[] = { "pids.max" }, *values[] = { "7" };
        struct spec_resources res = { .unified_keys = keys, .unified_values = values,
                                      .n_unified = 1 };
        struct err err = { 0 };
        if (is_v1()) {
                cr_assert_lt(cgroup_create(g_path, &res, &g_cg, &err), 0);
                cr_expect_str_eq(err.msg, "linux.resources.unified needs cgroup v2");
                return;
        }
        create_or_fail(&res);
        expect_ctl("", "pids.max", "7");
        const char *bad[] = { "../pids.max" };
        res.unified_keys = bad;
        cr_expect_eq(cgroup_update(g_cg, &res, &err), -EINVAL);
        cr_expect(strstr(err.msg, "bad file name") != NULL, "%s", err.msg);
}

/* 0 when /dev/null opens and /dev/zero fails with EPERM (the device cgroup's answer). */
static int open_null_not_zero(void *arg)
{
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return 1;
        close(fd);
        fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        return fd < 0 && errno == EPERM ? 0 : 2;
}

/* 0 when /dev/zero opens for reading only and /dev/null no longer opens. */
static int open_zero_read_only(void *arg)
{
        int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 1;
        close(fd);
        fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
        if (fd >= 0 || errno != EPERM)
                return 2;
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return fd < 0 && errno == EPERM ? 0 : 3;
}

Test(cgroup, devices)
{
        set_path("devices");
        struct spec_device_rule rules[] = {
                { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
                { .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
                { .allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rw" },
        };
        struct spec_resources res = { .devices = rules, .n_devices = 3 };
        create_or_fail(&res); /* v2: an eBPF program */
        if (is_v1()) {
                _cleanup_free_ char *list = read_ctl("/devices", "devices.list");
                cr_expect_str_eq(list, "c 1:3 rwm");
        }
        /* the real effect, on either version: /dev/null opens, /dev/zero does not */
        int status = run_inside(open_null_not_zero);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
        /* an update replaces the program (v2) instead of stacking a second one */
        struct spec_device_rule allow_zero[] = {
                { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
                { .allow = true, .type = 'c', .major = 1, .minor = 5, .access = "r" },
        };
        struct spec_resources upd = { .devices = allow_zero, .n_devices = 2 };
        struct err err = { 0 };
        cr_assert_eq(cgroup_update(g_cg, &upd, &err), 0, "%s", err.msg);
        status = run_inside(open_zero_read_only);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

Test(cgroup, resolve_path)
{
        static const struct {
                const char *in, *id, *want; /* want NULL: refused */
        } cases[] = {
                { "/a/b", "c1", "/a/b" },
                { "a/b", "c1", "/a/b" },
                { "//a//b/", "c1", "/a/b" },
                { NULL, "c1", "/staple/c1" },
                { "/a/../b", "c1", NULL },
                { "..", "c1", NULL },
                { "/a/./b", "c1", NULL },
                { "", "c1", NULL },
                { "/", "c1", NULL },
                { "system.slice:docker:abc", "c1", NULL },
                { NULL, "../x", NULL },
                { NULL, "", NULL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct err err = { 0 };
                char *got = NULL;
                int r = cgroup_resolve_path(cases[i].in, cases[i].id, &got, &err);
                if (cases[i].want) {
                        cr_expect_eq(r, 0, "%s: %s", cases[i].in, err.msg);
                        if (r == 0)
                                cr_expect_str_eq(got, cases[i].want);
                } else {
                        cr_expect_lt(r, 0, "\"%s\" (id %s) was accepted as %s", cases[i].in,
                                     cases[i].id, got);
                        cr_expect_neq(err.msg[0], '\0');
                }
                free(got);
        }
}

Test(cgroup, memory_swap_reservation_cpuset)
{
        set_path("swap");
        struct spec_resources res = {
                .has_memory_limit = true, .memory_limit = 64 << 20,
                .has_memory_swap = true, .memory_swap = 128 << 20,
                .has_memory_reservation = true, .memory_reservation = 32 << 20,
                .cpu_cpus = "0", .cpu_mems = "0",
        };
        create_or_fail(&res);
        const char *mem = is_v1() ? "/memory" : "";
        if (is_v1()) {
                expect_ctl(mem, "memory.memsw.limit_in_bytes", "134217728");
                expect_ctl(mem, "memory.soft_limit_in_bytes", "33554432");
                expect_ctl("/cpuset", "cpuset.cpus", "0");
        } else {
                expect_ctl(mem, "memory.swap.max", "67108864"); /* swap - limit */
                expect_ctl(mem, "memory.low", "33554432");
                expect_ctl("", "cpuset.cpus", "0");
        }
        /* raising both above the old memory+swap needs memsw written first on v1 */
        struct spec_resources up = {
                .has_memory_limit = true, .memory_limit = 256 << 20,
                .has_memory_swap = true, .memory_swap = 512 << 20,
        };
        struct err err = { 0 };
        cr_assert_eq(cgroup_update(g_cg, &up, &err), 0, "%s", err.msg);
        expect_ctl(mem, is_v1() ? "memory.memsw.limit_in_bytes" : "memory.swap.max",
                   is_v1() ? "536870912" : "268435456");
        /* and lowering both needs the opposite order */
        cr_assert_eq(cgroup_update(g_cg, &res, &err), 0, "%s", err.msg);
        expect_ctl(mem, is_v1() ? "memory.limit_in_bytes" : "memory.max", "67108864");
        /* a swap below the limit is refused with a message */
        up.memory_swap = 1 << 20;
        cr_expect_lt(cgroup_update(g_cg, &up, &err), 0);
        cr_expect_neq(err.msg[0], '\0');
}

/* Only cgroup_open, which changes nothing: the refusal comes before any hierarchy is used. */
Test(cgroup, own_cgroup_is_refused)
{
        _cleanup_free_ char *self = NULL;
        cr_assert_eq(read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL), 0);
        char own[512] = "";
        for (char *p = self, *line; (line = strsep(&p, "\n"));) {
                char *path = strchr(line, ':');
                path = path ? strchr(path + 1, ':') : NULL;
                if (path && strcmp(path + 1, "/") != 0) {
                        snprintf(own, sizeof(own), "%s/inner", path + 1);
                        break;
                }
        }
        if (!own[0])
                cr_skip_test("this process sits in the root cgroup everywhere");
        struct cgroup *cg = NULL;
        struct err err = { 0 };
        cr_assert_eq(cgroup_open(own, &cg, &err), -EPERM, "%s was accepted", own);
        cr_expect(strstr(err.msg, "inside the runtime's own cgroup") != NULL, "%s", err.msg);
}

/* Touches 8 MiB, then sleeps: something for the memory statistics to count. */
static int use_memory(void *arg)
{
        size_t len = 8u << 20;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return 1;
        for (size_t off = 0; off < len; off += 4096)
                p[off] = 1;
        for (;;)
                pause();
        return 0;
}

Test(cgroup, stats_count_a_process)
{
        set_path("stats");
        struct spec_resources res = {
                .has_memory_limit = true, .memory_limit = 64 << 20,
                .has_pids_limit = true, .pids_limit = 10,
        };
        create_or_fail(&res);
        int go;
        pid_t pid = spawn(use_memory, NULL, &go);
        struct err err = { 0 };
        cr_assert_eq(cgroup_enter(g_cg, pid, &err), 0, "%s", err.msg);
        release(go);
        _cleanup_free_ struct cgroup_stats *st = malloc(sizeof(*st));
        cr_assert(st);
        for (int i = 0; i < 100; i++) { /* until the child has touched its pages */
                cr_assert_eq(cgroup_stats(g_cg, st, &err), 0, "%s", err.msg);
                if (st->memory.usage.usage >= (8u << 20))
                        break;
                cgroup_sleep_ms(20);
        }
        cr_expect_geq(st->memory.usage.usage, 8u << 20);
        cr_expect_eq(st->memory.usage.limit, 64u << 20);
        cr_expect_gt(st->memory.n_raw, 0);
        cr_expect_eq(st->pids.current, 1);
        cr_expect_eq(st->pids.limit, 10);
        cr_expect_gt(st->cpu.total, 0);
        uint64_t ooms = 99;
        cr_assert_eq(cgroup_oom_kills(g_cg, &ooms, &err), 0, "%s", err.msg);
        cr_expect_eq(ooms, 0);
        _cleanup_free_ char *json = container_stats_event_json("c1", st);
        cr_assert(json);
        json_object *o = json_tokener_parse(json);
        cr_assert(o, "%s", json);
        json_object *d, *m, *u, *v;
        cr_assert(json_object_object_get_ex(o, "data", &d));
        cr_assert(json_object_object_get_ex(d, "memory", &m));
        cr_assert(json_object_object_get_ex(m, "usage", &u));
        cr_assert(json_object_object_get_ex(u, "usage", &v));
        cr_expect_eq(json_object_get_uint64(v), st->memory.usage.usage);
        cr_expect(json_object_object_get_ex(d, "pids", &v));
        cr_expect(json_object_object_get_ex(d, "cpu", &v));
        json_object_put(o);
}

Test(cgroup_parse, flat_keyed_and_lists)
{
        struct cgroup_kv kv[4];
        size_t n = cgroup_parse_kv("cache 10\nrss 20\nbad\nswap 0\n", kv, 4);
        cr_assert_eq(n, 3);
        cr_expect_str_eq(kv[1].key, "rss");
        cr_expect_eq(kv[1].value, 20);
        uint64_t v[4];
        cr_assert_eq(cgroup_parse_u64s("5 6 7 \n", v, 4), 3);
        cr_expect_eq(v[2], 7);
        struct cgroup_blkio_list l = { .n = 0 };
        cgroup_parse_blkio_v1("8:0 Read 4096\n8:0 Write 512\nTotal 4608\n", &l);
        cr_assert_eq(l.n, 2);
        cr_expect_eq(l.e[1].major, 8);
        cr_expect_str_eq(l.e[1].op, "Write");
        cr_expect_eq(l.e[1].value, 512);
        struct cgroup_blkio_list bytes = { .n = 0 }, ios = { .n = 0 };
        cgroup_parse_io_stat("259:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n",
                             &bytes, &ios);
        cr_assert_eq(bytes.n, 2);
        cr_assert_eq(ios.n, 2);
        cr_expect_eq(bytes.e[0].major, 259);
        cr_expect_str_eq(bytes.e[1].op, "Write");
        cr_expect_eq(bytes.e[1].value, 200);
        cr_expect_eq(ios.e[0].value, 3);
}

Test(cgroup_parse, sizes_and_durations)
{
        int64_t v;
        cr_expect_eq(manage_parse_size("64m", &v), 0);
        cr_expect_eq(v, 64 << 20);
        cr_expect_eq(manage_parse_size("1g", &v), 0);
        cr_expect_eq(v, 1 << 30);
        cr_expect_eq(manage_parse_size("512KiB", &v), 0);
        cr_expect_eq(v, 512 << 10);
        cr_expect_eq(manage_parse_size("1.5M", &v), 0);
        cr_expect_eq(v, 3 << 19);
        cr_expect_eq(manage_parse_size("4096", &v), 0);
        cr_expect_eq(v, 4096);
        cr_expect_eq(manage_parse_size("-1", &v), 0);
        cr_expect_eq(v, -1);
        cr_expect_lt(manage_parse_size("12x", &v), 0);
        cr_expect_lt(manage_parse_size("", &v), 0);
        cr_expect_lt(manage_parse_size("-5m", &v), 0);
        uint64_t ms;
        cr_expect_eq(manage_parse_duration_ms("5s", &ms), 0);
        cr_expect_eq(ms, 5000);
        cr_expect_eq(manage_parse_duration_ms("1m30s", &ms), 0);
        cr_expect_eq(ms, 90000);
        cr_expect_eq(manage_parse_duration_ms("250ms", &ms), 0);
        cr_expect_eq(ms, 250);
        cr_expect_lt(manage_parse_duration_ms("5", &ms), 0);
        cr_expect_lt(manage_parse_duration_ms("s", &ms), 0);
}

Test(cgroup_parse, ps_filter_keeps_header_and_container_pids)
{
        const char *ps = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                         "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
                         "root         705       1  0 10:01 ?        00:00:00 sh -c 705\n"
                         "root        7050       1  0 10:01 ?        00:00:00 other\n";
        pid_t pids[] = { 705 };
        _cleanup_free_ char *out = NULL;
        struct err err = { 0 };
        cr_assert_eq(manage_ps_filter(ps, pids, 1, &out, &err), 0, "%s", err.msg);
        cr_expect_str_eq(out, "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                              "root         705       1  0 10:01 ?        00:00:00 sh -c 705\n");
        cr_expect_lt(manage_ps_filter("USER COMMAND\nroot x\n", pids, 1, &out, &err), 0);
}

Test(cgroup, cpu_burst_and_idle)
{
        set_path("burst");
        struct spec_resources res = {
                .has_cpu_quota = true, .cpu_quota = 50000,
                .has_cpu_period = true, .cpu_period = 100000,
                .has_cpu_burst = true, .cpu_burst = 20000,
                .has_cpu_idle = true, .cpu_idle = 1,
        };
        create_or_fail(&res);
        expect_ctl(is_v1() ? "/cpu" : "", is_v1() ? "cpu.cfs_burst_us" : "cpu.max.burst", "20000");
        expect_ctl(is_v1() ? "/cpu" : "", "cpu.idle", "1");
}

/* Resources the host cannot apply fail create with a clear message and leave nothing. */
static void refused(const struct spec_resources *res, const char *want)
{
        struct err err = { 0 };
        cr_expect_lt(cgroup_create(g_path, res, &g_cg, &err), 0, "no error for \"%s\"", want);
        cr_expect(strstr(err.msg, want) != NULL, "message \"%s\" lacks \"%s\"", err.msg, want);
        char dirs[16][512];
        size_t n = hierarchy_dirs(dirs, 16);
        for (size_t i = 0; i < n; i++)
                cr_expect_neq(access(dirs[i], F_OK), 0, "%s was left behind", dirs[i]);
}

Test(cgroup, unsupported_resources_are_refused)
{
        set_path("refused");
        struct spec_resources kmem = { .has_memory_kernel = true };
        refused(&kmem, "linux.resources.memory.kernel: kernel memory limits are not supported");
        struct spec_resources net = { .has_net_class_id = true, .net_class_id = 0x100001 };
        if (!is_v1() || access("/sys/fs/cgroup/net_cls", F_OK) != 0)
                refused(&net, "linux.resources.network needs the net_cls/net_prio cgroup");
        struct spec_rdma_limit rdma = { .device = "mlx5_0", .has_handles = true, .handles = 1 };
        struct spec_resources rd = { .rdma = &rdma, .n_rdma = 1 };
        if (access(is_v1() ? "/sys/fs/cgroup/rdma" : "/sys/fs/cgroup/cgroup.controllers", F_OK) != 0)
                refused(&rd, "linux.resources.rdma needs the rdma cgroup");
        struct spec_hugepage_limit huge = { .page_size = "3MB", .limit = 1 };
        struct spec_resources hp = { .hugepage_limits = &huge, .n_hugepage_limits = 1 };
        if (!is_v1()) /* on the hybrid host this would turn hugetlb on in the unified root */
                refused(&hp, "linux.resources.hugepageLimits");
}
