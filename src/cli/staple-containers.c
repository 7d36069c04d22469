/* staple-containers.c: the container commands of staple: run, ps, logs, exec, stop, start,
 * restart, kill, wait, inspect, rm, stats. They parse and print; src/engine does the work. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/staple.h"
#include "engine/control.h"
#include "engine/health.h"
#include "engine/run.h"
#include "engine/stats.h"
#include "util/cleanup.h"
#include "util/signals.h"

struct strv {
        char **v;
        size_t n;
};

static int strv_add(struct strv *s, char *item)
{
        char **v = realloc(s->v, (s->n + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        s->v = v;
        v[s->n++] = item;
        v[s->n] = NULL;
        return 0;
}

enum { OPT_RM = 256, OPT_NAME, OPT_ENTRYPOINT, OPT_HOSTNAME, OPT_READ_ONLY, OPT_CGROUP_PARENT, OPT_RESTART, OPT_TAIL,
       OPT_HEALTH_CMD, OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT, OPT_HEALTH_START, OPT_HEALTH_RETRIES,
       OPT_NO_HEALTHCHECK, OPT_MEMORY_SWAP, OPT_CPUS, OPT_CPU_SHARES, OPT_PIDS_LIMIT, OPT_NO_STREAM, OPT_FORMAT,
       OPT_NETWORK };

static int run_usage(void)
{
        return fail("usage: staple run [-d] [--restart POLICY] [--health-cmd CMD [--health-interval D] "
                    "[--health-timeout D] [--health-start-period D] [--health-retries N]] [--no-healthcheck] [--rm] "
                    "[--name N] [-e K=V]... [-w DIR] [-u USER] [--entrypoint CMD] [--hostname H] [--read-only] "
                    "[--cgroup-parent P] [--network none|host|bridge] [-p [IP:]HOST:CTR[/udp]]... [-l K=V]... [-m SIZE] [--memory-swap SIZE] [--cpus N] [--cpu-shares N] [--pids-limit N] "
                    "IMAGE [CMD ARG...]");
}

/* The resource flags of run, by option code: bundle.h parses their values. */
static const struct {
        int code;
        const char *flag;
} resource_opts[] = {
        { 'm', "memory" },           { OPT_MEMORY_SWAP, "memory-swap" }, { OPT_CPUS, "cpus" },
        { OPT_CPU_SHARES, "cpu-shares" }, { OPT_PIDS_LIMIT, "pids-limit" },
};

/* 1 when c is a resource flag and its value parsed, 0 when c is not one, -1 (printed) on a bad value. */
static int run_resource_opt(int c, const char *value, struct run_resources *res)
{
        for (size_t i = 0; i < ARRAY_SIZE(resource_opts); i++) {
                if (resource_opts[i].code != c)
                        continue;
                struct err err = { 0 };
                return check(bundle_parse_resource(res, resource_opts[i].flag, value, &err), &err) ? -1 : 1;
        }
        return 0;
}

static const struct option run_options[] = {
        { "rm", no_argument, NULL, OPT_RM },
        { "name", required_argument, NULL, OPT_NAME },
        { "env", required_argument, NULL, 'e' },
        { "workdir", required_argument, NULL, 'w' },
        { "user", required_argument, NULL, 'u' },
        { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
        { "hostname", required_argument, NULL, OPT_HOSTNAME },
        { "read-only", no_argument, NULL, OPT_READ_ONLY },
        { "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
        { "tty", no_argument, NULL, 't' },
        { "interactive", no_argument, NULL, 'i' },
        { "detach", no_argument, NULL, 'd' },
        { "restart", required_argument, NULL, OPT_RESTART },
        { "health-cmd", required_argument, NULL, OPT_HEALTH_CMD },
        { "health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL },
        { "health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT },
        { "health-start-period", required_argument, NULL, OPT_HEALTH_START },
        { "health-retries", required_argument, NULL, OPT_HEALTH_RETRIES },
        { "no-healthcheck", no_argument, NULL, OPT_NO_HEALTHCHECK },
        { "memory", required_argument, NULL, 'm' },
        { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
        { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
        { "network", required_argument, NULL, OPT_NETWORK },
        { "net", required_argument, NULL, OPT_NETWORK },
        { "publish", required_argument, NULL, 'p' },
        { "label", required_argument, NULL, 'l' },
        { 0 },
};

/* What run's flags make: the bundle's options and the engine's. */
struct run_args {
        struct run_opts o;
        struct run_mode m;
        struct health_opts health;
        struct strv env, ports, labels;
};

/* One parsed flag of run: 0, or the exit code (the message printed). */
static int run_flag(struct run_args *a, int c, char *arg)
{
        int rr = run_resource_opt(c, arg, &a->o.res);
        if (rr != 0)
                return rr < 0 ? EXIT_STAPLE : 0;
        switch (c) {
        case OPT_RM: a->m.rm = true; break;
        case 'd': a->m.detach = true; break;
        case OPT_RESTART: a->m.restart = arg; break;
        case OPT_HEALTH_CMD: a->health.cmd = arg; break;
        case OPT_HEALTH_INTERVAL: a->health.interval = arg; break;
        case OPT_HEALTH_TIMEOUT: a->health.timeout = arg; break;
        case OPT_HEALTH_START: a->health.start_period = arg; break;
        case OPT_HEALTH_RETRIES: a->health.retries = arg; break;
        case OPT_NO_HEALTHCHECK: a->health.none = true; break;
        case OPT_NETWORK: a->m.network = arg; break;
        case OPT_NAME: a->o.name = arg; break;
        case 'e':
        case 'p':
        case 'l':
                if (strv_add(c == 'e' ? &a->env : c == 'p' ? &a->ports : &a->labels, arg) < 0)
                        return fail("out of memory");
                break;
        case 'w': a->o.workdir = arg; break;
        case 'u': a->o.user = arg; break;
        case OPT_ENTRYPOINT: a->o.entrypoint = arg; break;
        case OPT_HOSTNAME: a->o.hostname = arg; break;
        case OPT_READ_ONLY: a->o.read_only = true; break;
        case OPT_CGROUP_PARENT: a->o.cgroup_parent = arg; break;
        case 't': a->o.tty = true; break;
        case 'i': break; /* stdin is always passed through */
        default: return run_usage();
        }
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct run_args a = { 0 };
        a.m.health = &a.health;
        int c, rc = 0;
        while (!rc && (c = getopt_sub(argc, argv, "+e:w:u:tidm:p:l:", run_options)) != -1)
                rc = run_flag(&a, c, optarg);
        _cleanup_free_ char **env = a.env.v, **ports = a.ports.v, **labels = a.labels.v;
        if (rc)
                return rc;
        if (optind >= argc)
                return run_usage();
        struct err err = { 0 };
        if (check(bundle_check_resources(&a.o.res, &err), &err))
                return EXIT_STAPLE;
        const char *image = argv[optind];
        a.o.cmd = optind + 1 < argc ? argv + optind + 1 : NULL;
        a.o.env = env;
        a.m.ports = ports;
        a.m.labels = labels;
        int code = 0;
        _cleanup_free_ char *id = NULL;
        if (check(engine_run(&eng, image, &a.o, &a.m, &code, &id, &err), &err))
                return EXIT_STAPLE;
        if (a.m.detach)
                printf("%s\n", id);
        return code;
}

int cmd_rm(int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
        bool force = false;
        int c, rc = 0;
        while ((c = getopt_sub(argc, argv, "+f", opts)) != -1) {
                if (c != 'f')
                        return fail("usage: staple rm [-f] CONTAINER...");
                force = true;
        }
        if (optind >= argc)
                return fail("usage: staple rm [-f] CONTAINER...");
        for (int i = optind; i < argc; i++) {
                struct err err = { 0 };
                _cleanup_free_ char *id = NULL;
                if (check(engine_rm(&eng, argv[i], force, &id, &err), &err))
                        rc = EXIT_STAPLE;
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

int cmd_ps(int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
                                              { 0 } };
        bool all = false, quiet = false;
        int c;
        while ((c = getopt_sub(argc, argv, "+aq", opts)) != -1) {
                if (c == 'a')
                        all = true;
                else if (c == 'q')
                        quiet = true;
                else
                        return fail("usage: staple ps [-a] [-q]");
        }
        struct err err = { 0 };
        struct engine_container *v = NULL;
        size_t n = 0;
        if (check(engine_containers(&eng, &v, &n, &err), &err))
                return EXIT_STAPLE;
        if (!quiet)
                printf("%-14s %-24s %-20s %-20s %s\n", "CONTAINER ID", "IMAGE", "CREATED", "STATUS", "NAMES");
        for (size_t i = 0; i < n; i++) {
                if (!all && strcmp(v[i].status, "running") && strcmp(v[i].status, "paused"))
                        continue;
                if (quiet) {
                        printf("%.12s\n", v[i].id);
                        continue;
                }
                char status[32];
                if (!strcmp(v[i].status, "exited"))
                        snprintf(status, sizeof(status), "Exited (%d)", v[i].exit_code);
                else if (v[i].health)
                        snprintf(status, sizeof(status), "%s (%s)", v[i].status, v[i].health);
                else
                        snprintf(status, sizeof(status), "%s", v[i].status);
                printf("%-14.12s %-24s %.19sZ %-20s %s\n", v[i].id, v[i].image, v[i].created, status, v[i].name);
        }
        engine_containers_free(v, n);
        return 0;
}


/* Calls fn for each CONTAINER argument from optind; prints the ref of each one that
 * succeeded (unless quiet), the error of each that did not; EXIT_STAPLE if any failed. */
static int each_ref(int argc, char **argv, bool quiet, int (*fn)(const char *ref, void *u, struct err *err),
                    void *u)
{
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                struct err err = { 0 };
                if (check(fn(argv[i], u, &err), &err))
                        rc = EXIT_STAPLE;
                else if (!quiet)
                        printf("%s\n", argv[i]);
                fflush(stdout);
        }
        return rc;
}

/* -t/--time N for stop and restart; -1 on a bad number. */
static int parse_timeout(int argc, char **argv, unsigned int *ret)
{
        static const struct option opts[] = { { "time", required_argument, NULL, 't' }, { 0 } };
        int c;
        while ((c = getopt_sub(argc, argv, "+t:", opts)) != -1) {
                char *end = NULL;
                long n = c == 't' ? strtol(optarg, &end, 10) : -1;
                if (c != 't' || !*optarg || *end || n < 0 || n > 86400)
                        return -1;
                *ret = (unsigned int)n;
        }
        return optind < argc ? 0 : -1;
}

static int do_stop(const char *ref, void *u, struct err *err)
{
        return engine_stop(&eng, ref, *(unsigned int *)u, err);
}

static int do_start(const char *ref, void *u, struct err *err)
{
        (void)u;
        return engine_start(&eng, ref, err);
}

static int do_restart(const char *ref, void *u, struct err *err)
{
        int r = do_stop(ref, u, err);
        return r < 0 ? r : engine_start(&eng, ref, err);
}

int cmd_stop(int argc, char **argv)
{
        unsigned int t = ENGINE_STOP_TIMEOUT;
        if (parse_timeout(argc, argv, &t) < 0)
                return fail("usage: staple stop [-t SECONDS] CONTAINER...");
        return each_ref(argc, argv, false, do_stop, &t);
}

int cmd_restart(int argc, char **argv)
{
        unsigned int t = ENGINE_STOP_TIMEOUT;
        if (parse_timeout(argc, argv, &t) < 0)
                return fail("usage: staple restart [-t SECONDS] CONTAINER...");
        return each_ref(argc, argv, false, do_restart, &t);
}

int cmd_start(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind >= argc)
                return fail("usage: staple start CONTAINER...");
        return each_ref(argc, argv, false, do_start, NULL);
}

static int do_kill(const char *ref, void *u, struct err *err)
{
        return engine_kill(&eng, ref, *(int *)u, err);
}

int cmd_kill(int argc, char **argv)
{
        static const struct option opts[] = { { "signal", required_argument, NULL, 's' }, { 0 } };
        int sig = SIGKILL, c;
        while ((c = getopt_sub(argc, argv, "+s:", opts)) != -1) {
                if (c != 's')
                        return fail("usage: staple kill [-s SIGNAL] CONTAINER...");
                if ((sig = signal_parse(optarg)) < 0)
                        return fail("unknown signal \"%s\"", optarg);
        }
        if (optind >= argc)
                return fail("usage: staple kill [-s SIGNAL] CONTAINER...");
        return each_ref(argc, argv, false, do_kill, &sig);
}

static int do_pause(const char *ref, void *u, struct err *err)
{
        return engine_pause(&eng, ref, u != NULL, err);
}

int cmd_pause(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind >= argc)
                return fail("usage: staple pause CONTAINER...");
        return each_ref(argc, argv, false, do_pause, &eng);
}

int cmd_unpause(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind >= argc)
                return fail("usage: staple unpause CONTAINER...");
        return each_ref(argc, argv, false, do_pause, NULL);
}

int cmd_top(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind >= argc)
                return fail("usage: staple top CONTAINER [PS OPTIONS...]");
        struct err err = { 0 };
        _cleanup_free_ char *table = NULL;
        char *const *ps_args = optind + 1 < argc ? argv + optind + 1 : NULL;
        if (check(engine_top(&eng, argv[optind], ps_args, &table, &err), &err))
                return EXIT_STAPLE;
        fputs(table, stdout);
        return 0;
}

static int do_wait(const char *ref, void *u, struct err *err)
{
        (void)u;
        int code = 0;
        int r = engine_wait(&eng, ref, &code, err);
        if (r >= 0)
                printf("%d\n", code);
        return r;
}

int cmd_wait(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind >= argc)
                return fail("usage: staple wait CONTAINER...");
        return each_ref(argc, argv, true, do_wait, NULL);
}

int cmd_inspect(int argc, char **argv)
{
        if (getopt_sub(argc, argv, "+", (const struct option[]){ { 0 } }) != -1 || optind + 1 != argc)
                return fail("usage: staple inspect CONTAINER");
        struct err err = { 0 };
        json_object *o = NULL;
        if (check(engine_inspect(&eng, argv[optind], &o, &err), &err))
                return EXIT_STAPLE;
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}

int cmd_logs(int argc, char **argv)
{
        static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
                                              { "timestamps", no_argument, NULL, 't' },
                                              { "tail", required_argument, NULL, OPT_TAIL },
                                              { 0 } };
        struct logs_opts o = { .tail = -1 };
        int c;
        while ((c = getopt_sub(argc, argv, "+ft", opts)) != -1) {
                char *end = NULL;
                switch (c) {
                case 'f': o.follow = true; break;
                case 't': o.timestamps = true; break;
                case OPT_TAIL:
                        o.tail = strcmp(optarg, "all") ? strtol(optarg, &end, 10) : -1;
                        if (end && (!*optarg || *end || o.tail < 0))
                                return fail("invalid --tail \"%s\": a number of lines or all", optarg);
                        break;
                default: return fail("usage: staple logs [-f] [-t] [--tail N] CONTAINER");
                }
        }
        if (optind + 1 != argc)
                return fail("usage: staple logs [-f] [-t] [--tail N] CONTAINER");
        struct err err = { 0 };
        fflush(stdout);
        return check(engine_logs(&eng, argv[optind], &o, STDOUT_FILENO, STDERR_FILENO, &err), &err);
}

int cmd_exec(int argc, char **argv)
{
        static const struct option opts[] = { { "interactive", no_argument, NULL, 'i' },
                                              { "tty", no_argument, NULL, 't' },
                                              { "env", required_argument, NULL, 'e' },
                                              { "workdir", required_argument, NULL, 'w' },
                                              { "user", required_argument, NULL, 'u' },
                                              { 0 } };
        struct engine_exec x = { 0 };
        struct strv env = { 0 };
        int c;
        while ((c = getopt_sub(argc, argv, "+ite:w:u:", opts)) != -1) {
                switch (c) {
                case 'i': x.interactive = true; break;
                case 't': free(env.v); return fail("exec: a terminal (-t) is not supported yet");
                case 'e':
                        if (strv_add(&env, optarg) < 0)
                                return fail("out of memory");
                        break;
                case 'w': x.workdir = optarg; break;
                case 'u': x.user = optarg; break;
                default:
                        free(env.v);
                        return fail("usage: staple exec [-i] [-e K=V]... [-w DIR] [-u USER] CONTAINER CMD [ARG...]");
                }
        }
        if (argc - optind < 2) {
                free(env.v);
                return fail("usage: staple exec [-i] [-e K=V]... [-w DIR] [-u USER] CONTAINER CMD [ARG...]");
        }
        x.cmd = argv + optind + 1;
        x.env = env.v;
        struct err err = { 0 };
        int code = 0;
        int r = engine_exec(&eng, argv[optind], &x, &code, &err);
        free(env.v);
        return check(r, &err) ? EXIT_STAPLE : code;
}

/* ---- stats ---- */

static volatile sig_atomic_t stats_stop;

static void stats_on_signal(int sig)
{
        (void)sig;
        stats_stop = 1;
}

/* A size as docker prints it: "%.4g" of 1024-based units for memory ("1.184MiB"), "%.3g"
 * of 1000-based ones for block I/O ("4.1kB"). */
static const char *human_size(char *buf, size_t len, uint64_t n, bool binary)
{
        static const char *const bin[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        static const char *const dec[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double base = binary ? 1024.0 : 1000.0, v = (double)n;
        size_t u = 0;
        while (v >= base && u + 1 < ARRAY_SIZE(bin)) {
                v /= base;
                u++;
        }
        snprintf(buf, len, binary ? "%.4g%s" : "%.3g%s", v, binary ? bin[u] : dec[u]);
        return buf;
}

static void stats_print_table(const struct engine_stat *v, size_t n)
{
        printf("%-14s %-20s %-8s %-22s %-8s %-20s %-20s %s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
               "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
        for (size_t i = 0; i < n; i++) {
                char cpu[32], memp[32], mem[64], blk[64], net[64], a[16], b[16];
                snprintf(cpu, sizeof(cpu), "%.2f%%", v[i].cpu_percent);
                snprintf(memp, sizeof(memp), "%.2f%%", v[i].mem_percent);
                snprintf(mem, sizeof(mem), "%s / %s", human_size(a, sizeof(a), v[i].mem_usage, true),
                         human_size(b, sizeof(b), v[i].mem_limit, true));
                snprintf(blk, sizeof(blk), "%s / %s", human_size(a, sizeof(a), v[i].block_read, false),
                         human_size(b, sizeof(b), v[i].block_write, false));
                snprintf(net, sizeof(net), "%s / %s", human_size(a, sizeof(a), v[i].net_rx, false),
                         human_size(b, sizeof(b), v[i].net_tx, false));
                printf("%-14.12s %-20s %-8s %-22s %-8s %-20s %-20s %" PRIu64 "\n", v[i].id, v[i].name, cpu, mem, memp,
                       net, blk, v[i].pids);
        }
}

/* A percentage with two decimals, printed as such (json-c would print 17 digits). */
static json_object *json_percent(double p)
{
        char s[32];
        snprintf(s, sizeof(s), "%.2f", p);
        return json_object_new_double_s(p, s);
}

static void stats_print_json(const struct engine_stat *v, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "ID", json_object_new_string(v[i].id));
                json_object_object_add(o, "Name", json_object_new_string(v[i].name));
                json_object_object_add(o, "CPUPerc", json_percent(v[i].cpu_percent));
                json_object_object_add(o, "MemUsage", json_object_new_uint64(v[i].mem_usage));
                json_object_object_add(o, "MemLimit", json_object_new_uint64(v[i].mem_limit));
                json_object_object_add(o, "MemPerc", json_percent(v[i].mem_percent));
                json_object_object_add(o, "PIDs", json_object_new_uint64(v[i].pids));
                json_object_object_add(o, "BlockRead", json_object_new_uint64(v[i].block_read));
                json_object_object_add(o, "BlockWrite", json_object_new_uint64(v[i].block_write));
                json_object_object_add(o, "NetInput", json_object_new_uint64(v[i].net_rx));
                json_object_object_add(o, "NetOutput", json_object_new_uint64(v[i].net_tx));
                json_object_array_add(a, o);
        }
        puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
}

int cmd_stats(int argc, char **argv)
{
        static const struct option opts[] = { { "no-stream", no_argument, NULL, OPT_NO_STREAM },
                                              { "format", required_argument, NULL, OPT_FORMAT },
                                              { "all", no_argument, NULL, 'a' },
                                              { 0 } };
        bool stream = true, all = false, json = false;
        int c;
        while ((c = getopt_sub(argc, argv, "+a", opts)) != -1) {
                if (c == OPT_NO_STREAM)
                        stream = false;
                else if (c == 'a')
                        all = true;
                else if (c == OPT_FORMAT && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
                        json = !strcmp(optarg, "json");
                else if (c == OPT_FORMAT)
                        return fail("stats: unknown --format \"%s\": json or table", optarg);
                else
                        return fail("usage: staple stats [--no-stream] [--format json] [-a] [CONTAINER...]");
        }
        struct sigaction sa = { .sa_handler = stats_on_signal }; /* no SA_RESTART: the wait ends */
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
                return fail("stats: sigaction: %s", strerror(errno));
        bool clear = stream && isatty(STDOUT_FILENO);
        while (!stats_stop) {
                struct err err = { 0 };
                struct engine_stat *v = NULL;
                size_t n = 0;
                int r = engine_stats(&eng, argv + optind, (size_t)(argc - optind), all, 1000, &v, &n, &err);
                if (r == -EINTR || stats_stop)
                        break;
                if (check(r, &err))
                        return EXIT_STAPLE;
                if (clear)
                        fputs("\033[2J\033[H", stdout);
                if (json)
                        stats_print_json(v, n);
                else
                        stats_print_table(v, n);
                fflush(stdout);
                engine_stats_free(v, n);
                if (!stream)
                        break;
        }
        return 0;
}
