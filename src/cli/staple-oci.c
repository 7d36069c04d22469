/* staple-oci: the runc-compatible command line. It parses and prints; every behaviour
 * is a call into src/oci. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/signals.h"
#include "oci/checkpoint.h"
#include "oci/container.h"
#include "oci/selfexe.h"
#include "oci/spec_default.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"

struct cli_global g = { .root = STATE_DEFAULT_ROOT };

/* Writes one line to --log (runc's text or json format), if one was given. */
static void log_to_file(const char *level, const char *msg)
{
        if (!g.log_path)
                return;
        int fd = open(g.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        char ts[64];
        time_t now = time(NULL);
        struct tm tm;
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        if (g.log_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "level", json_object_new_string(level));
                json_object_object_add(o, "msg", json_object_new_string(msg));
                json_object_object_add(o, "time", json_object_new_string(ts));
                dprintf(fd, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
        } else {
                dprintf(fd, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
        }
        close(fd);
}

/* Warnings go to stderr and --log; debug lines (--debug) to --log, or stderr without one. */
static void sink(const char *level, const char *msg)
{
        if (strcmp(level, "debug") != 0 || !g.log_path)
                fprintf(stderr, "staple-oci: %s: %s\n", level, msg);
        log_to_file(level, msg);
}

/* The one place errors are printed. */
int fail(const char *fmt, ...)
{
        char msg[ERR_MSG_MAX + 64];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "staple-oci: %s\n", msg);
        log_to_file("error", msg);
        return 1;
}

int check(int r, const struct err *err)
{
        return r < 0 ? fail("%s", err->msg) : 0;
}

int parse_uint(const char *s, unsigned int *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v > 1024 * 1024)
                return -EINVAL;
        *ret = (unsigned int)v;
        return 0;
}

/* Socket activation (sd_listen_fds): the fds 3.. we were handed when LISTEN_PID is ours. */
static unsigned int listen_fds_from_env(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        char own[32];
        unsigned int n;
        snprintf(own, sizeof(own), "%d", (int)getpid());
        if (!pid || !fds || strcmp(pid, own) || parse_uint(fds, &n) < 0)
                return 0;
        return n;
}

/* Options shared by create and run. Returns the index of the first argument, or -1. */
static int parse_create_opts(int argc, char **argv, struct container_opts *o, bool *detach)
{
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid-file", required_argument, NULL, 'p' },
                { "console-socket", required_argument, NULL, 'c' },
                { "no-pivot", no_argument, NULL, 'n' },
                { "preserve-fds", required_argument, NULL, 'f' },
                { "detach", no_argument, NULL, 'd' },
                { "no-new-keyring", no_argument, NULL, 'k' },
                { "keep", no_argument, NULL, 'K' },
                { NULL, 0, NULL, 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, detach ? "+b:d" : "+b:", opts, NULL)) != -1) {
                switch (c) {
                case 'b': o->bundle = optarg; break;
                case 'p': o->pid_file = optarg; break;
                case 'c': o->console_socket = optarg; break;
                case 'n': o->no_pivot = true; break;
                case 'k': break; /* staple-oci never creates a session keyring */
                case 'f':
                        if (parse_uint(optarg, &o->preserve_fds) < 0)
                                return fail("--preserve-fds: not a number: %s", optarg), -1;
                        break;
                case 'd':
                        if (!detach)
                                return fail("create: unknown flag --detach"), -1;
                        *detach = true;
                        break;
                case 'K':
                        if (!detach)
                                return fail("create: unknown flag --keep"), -1;
                        return fail("run: --keep is not supported yet"), -1;
                default:
                        return -1;
                }
        }
        if (optind != argc - 1)
                return fail("%s: expected exactly one container id", argv[0]), -1;
        o->id = argv[optind];
        o->root = g.root;
        o->listen_fds = listen_fds_from_env();
        o->preserve_fds += o->listen_fds;
        return optind;
}

static int cmd_create(int argc, char **argv)
{
        struct container_opts o = { 0 };
        struct err err = { 0 };
        if (parse_create_opts(argc, argv, &o, NULL) < 0)
                return 1;
        return check(container_create(&o, &err), &err);
}

static int cmd_run(int argc, char **argv)
{
        struct container_opts o = { 0 };
        struct err err = { 0 };
        bool detach = false;
        int code = 1;
        if (parse_create_opts(argc, argv, &o, &detach) < 0)
                return 1;
        if (check(container_run(&o, detach, &code, &err), &err))
                return code ? code : 1;
        return code;
}

/* Commands whose only argument is the id, with optional single-letter flags. */
static const char *one_id(int argc, char **argv, const struct option *opts, const char *short_opts,
                          int (*on_flag)(int c))
{
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, short_opts, opts, NULL)) != -1)
                if (!on_flag || on_flag(c) < 0)
                        return NULL;
        if (optind != argc - 1) {
                fail("%s: expected exactly one container id", argv[0]);
                return NULL;
        }
        return argv[optind];
}

static int cmd_start(int argc, char **argv)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        struct err err = { 0 };
        const char *id = one_id(argc, argv, opts, "+", NULL);
        return id ? check(container_start(g.root, id, &err), &err) : 1;
}

static int cmd_state(int argc, char **argv)
{
        static const struct option opts[] = { { NULL, 0, NULL, 0 } };
        struct err err = { 0 };
        _cleanup_free_ char *json = NULL;
        const char *id = one_id(argc, argv, opts, "+", NULL);
        if (!id)
                return 1;
        if (check(container_state(g.root, id, &json, &err), &err))
                return 1;
        printf("%s\n", json);
        return 0;
}

static bool delete_force;
static int on_delete_flag(int c)
{
        if (c != 'f')
                return -1;
        delete_force = true;
        return 0;
}

static int cmd_delete(int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
        struct err err = { 0 };
        const char *id = one_id(argc, argv, opts, "+f", on_delete_flag);
        return id ? check(container_delete(g.root, id, delete_force, &err), &err) : 1;
}

static int cmd_kill(int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
        bool all = false;
        int c, sig = SIGTERM;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
                if (c != 'a')
                        return 1;
                all = true;
        }
        if (optind >= argc || argc - optind > 2)
                return fail("kill: usage: kill [--all] ID [SIGNAL]");
        if (argc - optind == 2 && (sig = signal_parse(argv[optind + 1])) < 0)
                return fail("kill: unknown signal \"%s\"", argv[optind + 1]);
        struct err err = { 0 };
        return check(container_kill(g.root, argv[optind], sig, all, &err), &err);
}

static void print_list_json(const struct container_info *l, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
                json_object_object_add(o, "id", json_object_new_string(l[i].id));
                json_object_object_add(o, "pid", json_object_new_int(l[i].status == STATUS_STOPPED ? 0 : l[i].pid));
                json_object_object_add(o, "status", json_object_new_string(state_status_name(l[i].status)));
                json_object_object_add(o, "bundle", json_object_new_string(l[i].bundle ? l[i].bundle : ""));
                json_object_object_add(o, "created", json_object_new_string(l[i].created ? l[i].created : ""));
                json_object_object_add(o, "owner", json_object_new_int64(l[i].owner));
                json_object_array_add(a, o);
        }
        printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
}

static int cmd_list(int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false, quiet = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
                if (c == 'q')
                        quiet = true;
                else if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
                        json = !strcmp(optarg, "json");
                else
                        return c == 'f' ? fail("list: --format must be table or json") : 1;
        }
        if (optind != argc)
                return fail("list: takes no arguments");
        struct container_info *l;
        size_t n;
        struct err err = { 0 };
        if (check(container_list(g.root, &l, &n, &err), &err))
                return 1;
        if (json)
                print_list_json(l, n);
        else if (!quiet)
                printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (size_t i = 0; i < n && !json; i++) {
                if (quiet)
                        printf("%s\n", l[i].id);
                else
                        printf("%-12s %-8d %-10s %-40s %-30s %u\n", l[i].id,
                               l[i].status == STATUS_STOPPED ? 0 : (int)l[i].pid, state_status_name(l[i].status),
                               l[i].bundle, l[i].created ? l[i].created : "", (unsigned)l[i].owner);
        }
        container_list_free(l, n);
        return 0;
}

static int cmd_spec(int argc, char **argv)
{
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "rootless", no_argument, NULL, 'r' },
                { NULL, 0, NULL, 0 },
        };
        const char *bundle = ".";
        bool rootless = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
                if (c == 'b')
                        bundle = optarg;
                else if (c == 'r')
                        rootless = true;
                else
                        return 1;
        }
        if (optind != argc)
                return fail("spec: takes no arguments");
        _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return fail("spec: open bundle %s: %s", bundle, strerror(errno));
        if (faccessat(dfd, "config.json", F_OK, 0) == 0)
                return fail("spec: %s/config.json already exists", bundle);
        _cleanup_free_ char *json = spec_default_json(rootless);
        if (!json)
                return fail("spec: out of memory");
        int r = write_file_at(dfd, "config.json", json, strlen(json), 0644);
        return r < 0 ? fail("spec: write %s/config.json: %s", bundle, strerror(-r)) : 0;
}

/* checkpoint and restore share runc's flags; a flag of the other command is refused. */
static int parse_checkpoint_opts(int argc, char **argv, bool restore, struct checkpoint_opts *o)
{
        enum { OPT_IMAGE = 256, OPT_WORK, OPT_LEAVE, OPT_TCP, OPT_BUNDLE, OPT_DETACH, OPT_LOCKS, OPT_UNIX,
               OPT_SHELL, OPT_CGMODE, OPT_PIDFILE, OPT_EMPTYNS, OPT_PARENT, OPT_NOSUBREAPER, OPT_PREDUMP };
        static const struct option opts[] = {
                { "image-path", required_argument, NULL, OPT_IMAGE },
                { "work-path", required_argument, NULL, OPT_WORK },
                { "leave-running", no_argument, NULL, OPT_LEAVE },
                { "tcp-established", no_argument, NULL, OPT_TCP },
                { "file-locks", no_argument, NULL, OPT_LOCKS },
                { "ext-unix-sk", no_argument, NULL, OPT_UNIX },
                { "shell-job", no_argument, NULL, OPT_SHELL },
                { "manage-cgroups-mode", required_argument, NULL, OPT_CGMODE },
                { "bundle", required_argument, NULL, OPT_BUNDLE },
                { "detach", no_argument, NULL, OPT_DETACH },
                { "pid-file", required_argument, NULL, OPT_PIDFILE },
                { "empty-ns", required_argument, NULL, OPT_EMPTYNS },
                { "parent-path", required_argument, NULL, OPT_PARENT },
                { "no-subreaper", no_argument, NULL, OPT_NOSUBREAPER },
                { "pre-dump", no_argument, NULL, OPT_PREDUMP },
                { NULL, 0, NULL, 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, restore ? "+b:d" : "+", opts, NULL)) != -1) {
                if (c == OPT_NOSUBREAPER && restore)
                        continue; /* the restored init is our own child: nothing to reap */
                if (c == OPT_IMAGE)
                        o->image_path = optarg;
                else if (c == OPT_WORK)
                        o->work_path = optarg;
                else if (c == OPT_TCP)
                        o->tcp_established = true;
                else if (c == OPT_LOCKS)
                        o->file_locks = true;
                else if (c == OPT_UNIX)
                        o->ext_unix_sk = true;
                else if (c == OPT_SHELL)
                        o->shell_job = true;
                else if (c == OPT_CGMODE)
                        o->manage_cgroups_mode = optarg;
                else if (c == OPT_LEAVE && !restore)
                        o->leave_running = true;
                else if ((c == OPT_BUNDLE || c == 'b') && restore)
                        o->bundle = optarg;
                else if ((c == OPT_DETACH || c == 'd') && restore)
                        o->detach = true;
                else if (c == OPT_PIDFILE && restore)
                        o->pid_file = optarg;
                else if (c == OPT_EMPTYNS && strcmp(optarg, "network") != 0)
                        return fail("%s: --empty-ns: only \"network\" is supported", argv[0]), -1;
                else if (c == OPT_EMPTYNS)
                        o->empty_netns = true;
                else if (c == OPT_PARENT && !restore)
                        o->parent_path = optarg;
                else if (c == OPT_PREDUMP && !restore)
                        o->pre_dump = true;
                else if (c == '?')
                        return -1; /* getopt said why */
                else
                        return fail("%s: unknown flag %s", argv[0], argv[optind - 1]), -1;
        }
        static const char *const modes[] = { "soft", "full", "strict", "ignore" };
        bool known = !o->manage_cgroups_mode;
        for (size_t i = 0; i < ARRAY_SIZE(modes) && !known; i++)
                known = !strcmp(o->manage_cgroups_mode, modes[i]);
        if (!known)
                return fail("%s: --manage-cgroups-mode: \"%s\" is not soft, full, strict or ignore", argv[0],
                            o->manage_cgroups_mode), -1;
        if (optind != argc - 1)
                return fail("%s: expected exactly one container id", argv[0]), -1;
        o->id = argv[optind];
        o->root = g.root;
        return 0;
}

static int cmd_checkpoint(int argc, char **argv)
{
        struct checkpoint_opts o = { 0 };
        struct err err = { 0 };
        if (parse_checkpoint_opts(argc, argv, false, &o) < 0)
                return 1;
        return check(checkpoint_dump(&o, &err), &err);
}

static int cmd_restore(int argc, char **argv)
{
        struct checkpoint_opts o = { 0 };
        struct err err = { 0 };
        int code = 1;
        if (parse_checkpoint_opts(argc, argv, true, &o) < 0)
                return 1;
        if (check(checkpoint_restore(&o, &code, &err), &err))
                return code ? code : 1;
        return code;
}

static const struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *help;
} commands[] = {
        { "create", cmd_create, "create a container from a bundle" },
        { "start", cmd_start, "start a created container" },
        { "run", cmd_run, "create and start a container" },
        { "state", cmd_state, "print the state of a container" },
        { "kill", cmd_kill, "send a signal to a container" },
        { "delete", cmd_delete, "delete a container" },
        { "list", cmd_list, "list containers" },
        { "spec", cmd_spec, "write a default config.json" },
        { "exec", cmd_exec, "run a process in a running container" },
        { "pause", cmd_pause, "freeze every process of a container" },
        { "resume", cmd_resume, "thaw a paused container" },
        { "update", cmd_update, "change resource limits of a container" },
        { "events", cmd_events, "container events and resource statistics" },
        { "ps", cmd_ps, "processes of a container" },
        { "features", cmd_features, "what this runtime supports (JSON)" },
        { "checkpoint", cmd_checkpoint, "checkpoint a running container (CRIU)" },
        { "restore", cmd_restore, "restore a container from a checkpoint (CRIU)" },
};

static void usage(FILE *f)
{
        fprintf(f, "usage: staple-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [ARGS]\n\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
}

/* Global flags before the command. Returns the index of the command, or -1. */
static int parse_global(int argc, char **argv)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "log", required_argument, NULL, 'l' },
                { "log-format", required_argument, NULL, 'f' },
                { "debug", no_argument, NULL, 'd' },
                { "systemd-cgroup", no_argument, NULL, 's' },
                { "rootless", required_argument, NULL, 'R' },
                { "version", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;
        while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case 'r': g.root = optarg; break;
                case 'l': g.log_path = optarg; break;
                case 'd': g.debug = true; break;
                case 'f':
                        if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                                return fail("--log-format must be text or json"), -1;
                        g.log_json = !strcmp(optarg, "json");
                        break;
                case 's': return fail("--systemd-cgroup: the systemd cgroup driver is not supported; use cgroupfs"), -1;
                case 'R':
                        if (strcmp(optarg, "auto") && strcmp(optarg, "false"))
                                return fail("--rootless %s: not supported yet", optarg), -1;
                        break;
                case 'v':
                        printf("staple-oci version %s\nspec: 1.2.0\n", STAPLE_VERSION);
                        exit(0);
                case 'h': usage(stdout); exit(0);
                default: return -1;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return -1;
        }
        return optind;
}

int main(int argc, char **argv)
{
        log_set_sink(sink);
        int i = parse_global(argc, argv);
        if (i < 0)
                return 1;
        log_set_debug(g.debug);
        /* exec enters a container that already runs untrusted code: do it from a sealed
         * copy of ourselves (CVE-2019-5736). create's init runs before any such code. */
        if (!strcmp(argv[i], "exec") && !selfexe_is_sealed()) {
                struct err err = { 0 };
                selfexe_reexec_sealed(argv, &err);
                return fail("%s", err.msg);
        }
        for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
                if (!strcmp(argv[i], commands[k].name))
                        return commands[k].fn(argc - i, argv + i);
        return fail("unknown command \"%s\" (see staple-oci --help)", argv[i]);
}
