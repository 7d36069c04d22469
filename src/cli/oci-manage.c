/* oci-manage.c: pause, resume, update, events, ps. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "oci/manage.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define EVENTS_POLL_MS 100

/* The one argument of a command that takes only an id. */
static const char *only_id(int argc, char **argv)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        optind = 0;
        if (getopt_long(argc, argv, "+", opts, NULL) != -1)
                return NULL;
        if (optind != argc - 1) {
                fail("%s: expected exactly one container id", argv[0]);
                return NULL;
        }
        return argv[optind];
}

int cmd_pause(int argc, char **argv)
{
        struct err err = { 0 };
        const char *id = only_id(argc, argv);
        return id ? check(container_pause(g.root, id, &err), &err) : 1;
}

int cmd_resume(int argc, char **argv)
{
        struct err err = { 0 };
        const char *id = only_id(argc, argv);
        return id ? check(container_resume(g.root, id, &err), &err) : 1;
}

/* ---- ps ---- */

static int ps_json(const char *id)
{
        struct err err = { 0 };
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (check(container_ps(g.root, id, &pids, &n, &err), &err))
                return 1;
        printf("[");
        for (size_t i = 0; i < n; i++)
                printf("%s%d", i ? "," : "", (int)pids[i]);
        printf("]\n");
        return 0;
}

int cmd_ps(int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (c != 'f')
                        return 1;
                if (strcmp(optarg, "json") && strcmp(optarg, "table"))
                        return fail("ps: --format must be table or json");
                json = !strcmp(optarg, "json");
        }
        if (optind >= argc)
                return fail("ps: usage: ps [--format table|json] ID [ps options]");
        const char *id = argv[optind++];
        if (optind < argc && !strcmp(argv[optind], "--"))
                optind++;
        if (json) {
                if (optind < argc)
                        return fail("ps: ps options cannot be used with --format json");
                return ps_json(id);
        }
        struct err err = { 0 };
        _cleanup_free_ char *out = NULL;
        if (check(container_ps_table(g.root, id, argv + optind, &out, &err), &err))
                return 1;
        fputs(out, stdout);
        return 0;
}

/* ---- update ---- */

enum update_opt {
        U_RESOURCES = 'r',
        U_MEMORY = 256, U_MEMORY_SWAP, U_MEMORY_RES, U_KMEM, U_KMEM_TCP, U_CPU_QUOTA, U_CPU_PERIOD,
        U_CPU_SHARES, U_RT_RUNTIME, U_RT_PERIOD, U_CPUS, U_MEMS, U_PIDS, U_BLKIO_WEIGHT,
        U_L3_CACHE, U_MEM_BW,
};

static const struct option update_opts[] = {
        { "resources", required_argument, NULL, U_RESOURCES },
        { "memory", required_argument, NULL, U_MEMORY },
        { "memory-swap", required_argument, NULL, U_MEMORY_SWAP },
        { "memory-reservation", required_argument, NULL, U_MEMORY_RES },
        { "kernel-memory", required_argument, NULL, U_KMEM },
        { "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
        { "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
        { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
        { "cpu-share", required_argument, NULL, U_CPU_SHARES },
        { "cpu-shares", required_argument, NULL, U_CPU_SHARES },
        { "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
        { "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
        { "cpuset-cpus", required_argument, NULL, U_CPUS },
        { "cpuset-mems", required_argument, NULL, U_MEMS },
        { "pids-limit", required_argument, NULL, U_PIDS },
        { "blkio-weight", required_argument, NULL, U_BLKIO_WEIGHT },
        { "l3-cache-schema", required_argument, NULL, U_L3_CACHE },
        { "mem-bw-schema", required_argument, NULL, U_MEM_BW },
        { NULL, 0, NULL, 0 },
};

static const char *update_opt_name(int c)
{
        for (size_t i = 0; update_opts[i].name; i++)
                if (update_opts[i].val == c)
                        return update_opts[i].name;
        return "?";
}

static int parse_i64(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_u64_arg(const char *s, uint64_t *ret)
{
        int64_t v;
        if (parse_i64(s, &v) < 0 || v < 0)
                return -EINVAL;
        *ret = (uint64_t)v;
        return 0;
}

/* One resource flag into res; -1 after printing the error. */
static int update_flag(int c, const char *arg, struct spec_resources *res)
{
        int r = 0;
        switch (c) {
        case U_MEMORY: r = manage_parse_size(arg, &res->memory_limit); res->has_memory_limit = true; break;
        case U_MEMORY_SWAP: r = manage_parse_size(arg, &res->memory_swap); res->has_memory_swap = true; break;
        case U_MEMORY_RES:
                r = manage_parse_size(arg, &res->memory_reservation);
                res->has_memory_reservation = true;
                break;
        case U_CPU_QUOTA: r = parse_i64(arg, &res->cpu_quota); res->has_cpu_quota = true; break;
        case U_CPU_PERIOD: r = parse_u64_arg(arg, &res->cpu_period); res->has_cpu_period = true; break;
        case U_CPU_SHARES: r = parse_u64_arg(arg, &res->cpu_shares); res->has_cpu_shares = true; break;
        case U_RT_RUNTIME: r = parse_i64(arg, &res->cpu_rt_runtime); res->has_cpu_rt_runtime = true; break;
        case U_RT_PERIOD: r = parse_u64_arg(arg, &res->cpu_rt_period); res->has_cpu_rt_period = true; break;
        case U_CPUS: res->cpu_cpus = arg; break;
        case U_MEMS: res->cpu_mems = arg; break;
        case U_PIDS: r = parse_i64(arg, &res->pids_limit); res->has_pids_limit = true; break;
        case U_KMEM:
        case U_KMEM_TCP:
                return fail("update: --%s: kernel memory limits are not supported (Linux removed them)",
                            update_opt_name(c)), -1;
        case U_BLKIO_WEIGHT:
                r = parse_u64_arg(arg, &res->blkio_weight);
                if (r >= 0 && (res->blkio_weight < 10 || res->blkio_weight > 1000))
                        r = -ERANGE;
                res->has_blkio_weight = true;
                break;
        default:
                return fail("update: --%s: not supported (no Intel RDT support)", update_opt_name(c)), -1;
        }
        if (r < 0)
                return fail("update: --%s: invalid value \"%s\"", update_opt_name(c), arg), -1;
        return 0;
}

/* -r FILE or -r - (stdin): a LinuxResources JSON. */
static int update_from_file(const char *id, const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, !strcmp(path, "-") ? "/dev/stdin" : path, &text, &len);
        if (r < 0)
                return fail("update: read %s: %s", path, strerror(-r));
        struct err err = { 0 };
        struct spec *s = NULL;
        if (check(spec_parse_resources(!strcmp(path, "-") ? "stdin" : path, text, len, &s, &err), &err))
                return 1;
        r = check(container_update(g.root, id, &s->linux.resources, &err), &err);
        spec_free(s);
        return r;
}

int cmd_update(int argc, char **argv)
{
        struct spec_resources res = { 0 };
        const char *file = NULL;
        bool flags = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+r:", update_opts, NULL)) != -1) {
                if (c == '?' || c == ':')
                        return 1;
                if (c == U_RESOURCES) {
                        file = optarg;
                        continue;
                }
                if (update_flag(c, optarg, &res) < 0)
                        return 1;
                flags = true;
        }
        if (optind != argc - 1)
                return fail("update: expected exactly one container id");
        if (file && flags)
                return fail("update: -r/--resources cannot be combined with resource flags");
        if (file)
                return update_from_file(argv[optind], file);
        struct err err = { 0 };
        return check(container_update(g.root, argv[optind], &res, &err), &err);
}

/* ---- events ---- */

static int print_stats(struct container_watch *w, const char *id)
{
        struct err err = { 0 };
        _cleanup_free_ struct cgroup_stats *s = malloc(sizeof(*s));
        if (!s)
                return fail("events: out of memory");
        if (check(container_watch_stats(w, s, &err), &err))
                return 1;
        _cleanup_free_ char *json = container_stats_event_json(id, s);
        if (!json)
                return fail("events: out of memory");
        printf("%s\n", json);
        fflush(stdout);
        return 0;
}

/* Prints an "oom" event when the OOM kill count went up since *last. */
static int check_oom(struct container_watch *w, const char *id, uint64_t *last)
{
        struct err err = { 0 };
        uint64_t now;
        if (check(container_watch_oom_kills(w, &now, &err), &err))
                return 1;
        if (now > *last) {
                _cleanup_free_ char *json = container_event_json("oom", id);
                if (json)
                        printf("%s\n", json);
                fflush(stdout);
        }
        *last = now;
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A stats line every interval and an oom line when it happens, until the init exits. */
static int stream_events(struct container_watch *w, const char *id, uint64_t interval_ms)
{
        struct err err = { 0 };
        uint64_t oom = 0;
        if (check(container_watch_oom_kills(w, &oom, &err), &err))
                return 1;
        uint64_t next = now_ms();
        while (container_watch_alive(w)) {
                if (check_oom(w, id, &oom))
                        return 1;
                if (now_ms() >= next) {
                        if (print_stats(w, id))
                                return 1;
                        next += interval_ms;
                }
                struct timespec ts = { 0, EVENTS_POLL_MS * 1000000L };
                nanosleep(&ts, NULL);
        }
        return check_oom(w, id, &oom); /* an OOM kill of the init itself */
}

int cmd_events(int argc, char **argv)
{
        static const struct option opts[] = {
                { "stats", no_argument, NULL, 's' },
                { "interval", required_argument, NULL, 'i' },
                { NULL, 0, NULL, 0 },
        };
        bool stats = false;
        uint64_t interval_ms = 5000;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                if (c == 's')
                        stats = true;
                else if (c != 'i')
                        return 1;
                else if (manage_parse_duration_ms(optarg, &interval_ms) < 0 || interval_ms == 0)
                        return fail("events: --interval: invalid duration \"%s\"", optarg);
        }
        if (optind != argc - 1)
                return fail("events: expected exactly one container id");
        const char *id = argv[optind];
        struct err err = { 0 };
        struct container_watch *w = NULL;
        if (check(container_watch_open(g.root, id, &w, &err), &err))
                return 1;
        int r = stats ? print_stats(w, id) : stream_events(w, id, interval_ms);
        container_watch_free(w);
        return r;
}
