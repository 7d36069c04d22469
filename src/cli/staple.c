/* staple: the docker/podman-like command line. It parses and prints; every behaviour is a
 * call into src/engine. Exit codes: the container's for run; 125 when staple itself fails. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/staple.h"
#include "engine/run.h"
#include "image/registry.h"
#include "image/store.h"
#include "util/cleanup.h"

struct engine eng = { .root = STORE_DEFAULT_ROOT, .runtime_root = ENGINE_DEFAULT_RUNTIME_ROOT };

int fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("staple: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return EXIT_STAPLE;
}

int check(int r, const struct err *err)
{
        return r < 0 ? fail("%s", err->msg) : 0;
}

int getopt_sub(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
        return getopt_long(argc, argv, shortopts, longopts, NULL);
}

/* ---- images ---- */

static void human_size(uint64_t n, char *buf, size_t len)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double)n;
        size_t u = 0;
        while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1000;
                u++;
        }
        snprintf(buf, len, u ? "%.3g%s" : "%.0f%s", v, units[u]);
}

static const char *short_digest(const char *d)
{
        const char *c = strchr(d, ':');
        return c ? c + 1 : d;
}

static void print_images_json(const struct engine_image *v, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "Repository", json_object_new_string(v[i].repository));
                json_object_object_add(o, "Tag", json_object_new_string(v[i].tag));
                json_object_object_add(o, "Id", json_object_new_string(v[i].digest));
                json_object_object_add(o, "Created", json_object_new_string(v[i].created));
                json_object_object_add(o, "Size", json_object_new_int64((int64_t)v[i].size));
                json_object_array_add(a, o);
        }
        puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(a);
}

static int cmd_images(int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "quiet", no_argument, NULL, 'q' },
                                              { 0 } };
        const char *format = NULL;
        bool quiet = false;
        int c;
        while ((c = getopt_sub(argc, argv, "+qf:", opts)) != -1) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'q')
                        quiet = true;
                else
                        return fail("usage: staple images [-q] [--format json]");
        }
        if (format && strcmp(format, "json") && strcmp(format, "table"))
                return fail("images: unknown format \"%s\" (json or table)", format);
        struct err err = { 0 };
        struct engine_image *v = NULL;
        size_t n = 0;
        if (check(engine_images(&eng, &v, &n, &err), &err))
                return EXIT_STAPLE;
        if (format && !strcmp(format, "json")) {
                print_images_json(v, n);
        } else {
                if (!quiet)
                        printf("%-40s %-16s %-14s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
                for (size_t i = 0; i < n; i++) {
                        char size[32];
                        human_size(v[i].size, size, sizeof(size));
                        if (quiet)
                                printf("%.12s\n", short_digest(v[i].digest));
                        else
                                printf("%-40s %-16s %-14.12s %s\n", v[i].repository, v[i].tag,
                                       short_digest(v[i].digest), size);
                }
        }
        engine_images_free(v, n);
        return 0;
}

static int cmd_rmi(int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
        bool force = false;
        int c, rc = 0;
        while ((c = getopt_sub(argc, argv, "+f", opts)) != -1) {
                if (c != 'f')
                        return fail("usage: staple rmi [-f] IMAGE...");
                force = true;
        }
        if (optind >= argc)
                return fail("usage: staple rmi [-f] IMAGE...");
        for (int i = optind; i < argc; i++) {
                struct err err = { 0 };
                _cleanup_free_ char *deleted = NULL;
                if (check(engine_rmi(&eng, argv[i], force, &deleted, &err), &err)) {
                        rc = EXIT_STAPLE;
                        continue;
                }
                printf("Untagged: %s\n", argv[i]);
                if (deleted)
                        printf("Deleted: %s\n", deleted);
        }
        return rc;
}

static int cmd_image_inspect(int argc, char **argv)
{
        if (argc < 2)
                return fail("usage: staple image inspect IMAGE...");
        json_object *all = json_object_new_array();
        int rc = 0;
        for (int i = 1; i < argc; i++) {
                struct err err = { 0 };
                json_object *o = NULL;
                if (check(engine_image_inspect(&eng, argv[i], &o, &err), &err))
                        rc = EXIT_STAPLE;
                else
                        json_object_array_add(all, o);
        }
        if (json_object_array_length(all))
                puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(all);
        return rc;
}

static int cmd_image_prune(int argc, char **argv)
{
        struct err err = { 0 };
        size_t freed = 0;
        if (check(engine_image_prune(&eng, &freed, &err), &err))
                return EXIT_STAPLE;
        char size[32];
        human_size(freed, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

/* Per-blob progress on a terminal: "a1b2c3d4e5f6  1.2MB / 3.4MB  5.6MB/s". */
struct progress {
        char what[80];
        struct timespec start, last;
};

static double seconds_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void show_progress(void *userdata, const char *what, uint64_t done, uint64_t total, bool final)
{
        struct progress *p = userdata;
        if (strncmp(p->what, what, sizeof(p->what) - 1)) {
                snprintf(p->what, sizeof(p->what), "%s", what);
                clock_gettime(CLOCK_MONOTONIC, &p->start);
                p->last = (struct timespec){ 0 };
        } else if (!final && seconds_since(&p->last) < 0.1) {
                return;
        }
        clock_gettime(CLOCK_MONOTONIC, &p->last);
        char d[32], t[32], rate[32];
        double secs = seconds_since(&p->start);
        human_size(done, d, sizeof(d));
        human_size(total, t, sizeof(t));
        human_size(secs > 0.01 ? (uint64_t)((double)done / secs) : 0, rate, sizeof(rate));
        fprintf(stderr, "\r%-12.12s  %9s / %-9s  %9s/s%s", short_digest(what), d, total ? t : "?", rate,
                final ? "\n" : "");
}

static int cmd_load(int argc, char **argv)
{
        static const struct option opts[] = { { "input", required_argument, NULL, 'i' }, { 0 } };
        const char *input = NULL;
        int c;
        while ((c = getopt_sub(argc, argv, "+i:", opts)) != -1) {
                if (c != 'i')
                        return fail("usage: staple load -i FILE");
                input = optarg;
        }
        if (!input || optind != argc)
                return fail("usage: staple load -i FILE");
        struct err err = { 0 };
        _cleanup_strv_ char **refs = NULL;
        static struct progress prog;
        store_progress_fn progress = isatty(STDERR_FILENO) ? show_progress : NULL;
        if (check(engine_load(&eng, input, progress, &prog, &refs, &err), &err))
                return EXIT_STAPLE;
        for (char **r = refs; r && *r; r++)
                printf("Loaded image: %s\n", *r);
        return 0;
}

static int cmd_save(int argc, char **argv)
{
        static const struct option opts[] = { { "output", required_argument, NULL, 'o' }, { 0 } };
        const char *output = NULL;
        int c;
        while ((c = getopt_sub(argc, argv, "+o:", opts)) != -1) {
                if (c != 'o')
                        return fail("usage: staple save -o FILE IMAGE");
                output = optarg;
        }
        if (!output || optind != argc - 1)
                return fail("usage: staple save -o FILE IMAGE");
        struct err err = { 0 };
        return check(engine_save(&eng, argv[optind], output, &err), &err) ? EXIT_STAPLE : 0;
}

static int cmd_import(int argc, char **argv)
{
        if (argc != 3)
                return fail("usage: staple import ROOTFS.tar NAME[:TAG]");
        struct err err = { 0 };
        if (check(engine_import(&eng, argv[1], argv[2], &err), &err))
                return EXIT_STAPLE;
        printf("Imported image: %s\n", argv[2]);
        return 0;
}

/* ---- registry ---- */

static int parse_registry_opt(int c, struct registry_opts *o)
{
        if (c == 'a') {
                o->auth_file = optarg;
                return 0;
        }
        if (c != 'T' || (strcmp(optarg, "true") && strcmp(optarg, "false")))
                return -EINVAL;
        o->tls_no_verify = !strcmp(optarg, "false");
        return 0;
}

static const struct option registry_options[] = { { "tls-verify", required_argument, NULL, 'T' },
                                                  { "authfile", required_argument, NULL, 'a' },
                                                  { 0 } };

static int cmd_pull(int argc, char **argv)
{
        static struct progress prog;
        struct registry_opts o = { .progress = isatty(STDERR_FILENO) ? show_progress : NULL, .userdata = &prog };
        int c;
        while ((c = getopt_sub(argc, argv, "+", registry_options)) != -1)
                if (parse_registry_opt(c, &o) < 0)
                        return fail("usage: staple pull [--tls-verify=true|false] [--authfile FILE] HOST[:PORT]/NAME[:TAG]");
        if (optind + 1 != argc)
                return fail("usage: staple pull [--tls-verify=true|false] [--authfile FILE] HOST[:PORT]/NAME[:TAG]");
        struct err err = { 0 };
        _cleanup_free_ char *digest = NULL;
        if (check(engine_pull(&eng, argv[optind], &o, &digest, &err), &err))
                return EXIT_STAPLE;
        printf("%s\n", digest);
        return 0;
}

static int cmd_push(int argc, char **argv)
{
        static struct progress prog;
        struct registry_opts o = { .progress = isatty(STDERR_FILENO) ? show_progress : NULL, .userdata = &prog };
        int c;
        while ((c = getopt_sub(argc, argv, "+", registry_options)) != -1)
                if (parse_registry_opt(c, &o) < 0)
                        return fail("usage: staple push [--tls-verify=true|false] [--authfile FILE] IMAGE [HOST[:PORT]/NAME[:TAG]]");
        if (optind >= argc || argc - optind > 2)
                return fail("usage: staple push [--tls-verify=true|false] [--authfile FILE] IMAGE [HOST[:PORT]/NAME[:TAG]]");
        const char *src = argv[optind], *dest = optind + 1 < argc ? argv[optind + 1] : NULL;
        struct err err = { 0 };
        _cleanup_free_ char *digest = NULL;
        if (check(engine_push(&eng, src, dest, &o, &digest, &err), &err))
                return EXIT_STAPLE;
        printf("%s\n", digest);
        return 0;
}

/* ---- dispatch ---- */

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *help;
};

static const struct command image_commands[] = {
        { "inspect", cmd_image_inspect, "show an image's manifest digest, config and layers" },
        { "prune", cmd_image_prune, "remove blobs and layers no image or container uses" },
        { "ls", cmd_images, "list images" },
        { "rm", cmd_rmi, "remove images" },
        { "load", cmd_load, "load images from a docker-archive or OCI layout" },
        { "save", cmd_save, "write an image as a docker-archive" },
        { "import", cmd_import, "make an image from a root filesystem tarball" },
        { "pull", cmd_pull, "pull an image from a registry" },
        { "push", cmd_push, "push an image to a registry" },
};

static int dispatch(const struct command *t, size_t n, const char *what, int argc, char **argv);

static int cmd_image(int argc, char **argv)
{
        return dispatch(image_commands, ARRAY_SIZE(image_commands), "image", argc - 1, argv + 1);
}

static const struct command commands[] = {
        { "run", cmd_run, "run a command in a new container (-d: in the background)" },
        { "ps", cmd_ps, "list containers (-a: stopped ones too)" },
        { "logs", cmd_logs, "print a container's output (-f, -t, --tail N)" },
        { "exec", cmd_exec, "run a command in a running container" },
        { "stop", cmd_stop, "stop containers (-t SECONDS before SIGKILL)" },
        { "start", cmd_start, "start stopped containers again, in the background" },
        { "restart", cmd_restart, "stop and start containers" },
        { "kill", cmd_kill, "send a signal to containers (-s SIG, default KILL)" },
        { "wait", cmd_wait, "wait for containers to end; print their exit codes" },
        { "pause", cmd_pause, "freeze the processes of containers" },
        { "unpause", cmd_unpause, "thaw paused containers" },
        { "top", cmd_top, "the processes of a container (ps options may follow)" },
        { "inspect", cmd_inspect, "show a container's record and state as JSON" },
        { "stats", cmd_stats, "a live table of containers' CPU, memory, pids and block I/O" },
        { "rm", cmd_rm, "remove containers (-f: running ones too)" },
        { "images", cmd_images, "list images (--format json)" },
        { "rmi", cmd_rmi, "remove images (-f: even when a container uses them)" },
        { "load", cmd_load, "load images from a docker-archive or OCI layout (-i FILE)" },
        { "save", cmd_save, "write an image as a docker-archive (-o FILE)" },
        { "import", cmd_import, "make an image from a root filesystem tarball" },
        { "pull", cmd_pull, "pull an image from a registry (HOST[:PORT]/NAME[:TAG])" },
        { "push", cmd_push, "push an image to a registry (IMAGE [HOST[:PORT]/NAME[:TAG]])" },
        { "image", cmd_image, "image inspect|prune|ls|rm|load|import|pull|push" },
        { "stack", cmd_stack, "compose files: stack up|down|ps [-f FILE] [-p NAME]" },
};

static void usage(FILE *f, const struct command *t, size_t n, const char *what)
{
        fprintf(f, "usage: staple [--root DIR] [--runtime-root DIR] %s COMMAND [ARGS...]\n\ncommands:\n",
                what ? what : "");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-10s %s\n", t[i].name, t[i].help);
}

static int dispatch(const struct command *t, size_t n, const char *what, int argc, char **argv)
{
        if (argc < 1) {
                usage(stderr, t, n, what);
                return EXIT_STAPLE;
        }
        for (size_t i = 0; i < n; i++) {
                if (strcmp(argv[0], t[i].name))
                        continue;
                optind = 0; /* 0: getopt reinitialises for the subcommand's argv */
                return t[i].fn(argc, argv);
        }
        return fail("unknown command \"%s%s%s\" (see staple --help)", what ? what : "", what ? " " : "", argv[0]);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "runtime-root", required_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                { 0 },
        };
        int c;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'r': eng.root = optarg; break;
                case 'R': eng.runtime_root = optarg; break;
                case 'h': usage(stdout, commands, ARRAY_SIZE(commands), NULL); return 0;
                case 'v': printf("staple version %s\n", STAPLE_VERSION); return 0;
                default: return EXIT_STAPLE;
                }
        }
        return dispatch(commands, ARRAY_SIZE(commands), NULL, argc - optind, argv + optind);
}
