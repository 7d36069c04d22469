/* oci-exec.c: exec and features. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "oci/exec.h"
#include "oci/features.h"
#include "util/cleanup.h"

/* Options of exec without a value of their own, each with the field it sets. */
enum {
        OPT_CONSOLE = 256,
        OPT_CWD,
        OPT_NNP,
        OPT_APPARMOR,
        OPT_LABEL,
        OPT_PID_FILE,
        OPT_PRESERVE,
        OPT_IGNORE_PAUSED,
        OPT_CGROUP,
};

static const struct option exec_options[] = {
        { "process", required_argument, NULL, 'p' },
        { "tty", no_argument, NULL, 't' },
        { "console-socket", required_argument, NULL, OPT_CONSOLE },
        { "cwd", required_argument, NULL, OPT_CWD },
        { "env", required_argument, NULL, 'e' },
        { "user", required_argument, NULL, 'u' },
        { "additional-gids", required_argument, NULL, 'g' },
        { "cap", required_argument, NULL, 'c' },
        { "no-new-privs", no_argument, NULL, OPT_NNP },
        { "apparmor", required_argument, NULL, OPT_APPARMOR },
        { "process-label", required_argument, NULL, OPT_LABEL },
        { "detach", no_argument, NULL, 'd' },
        { "pid-file", required_argument, NULL, OPT_PID_FILE },
        { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
        { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
        { "cgroup", required_argument, NULL, OPT_CGROUP },
        { NULL, 0, NULL, 0 },
};

/* A uid or gid: a decimal number below 2^32 - 1. */
static int parse_id(const char *s, uint32_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v >= UINT32_MAX || s[0] == '-')
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

/* --user uid[:gid] (numbers, as runc takes them) */
static int parse_user(const char *s, struct exec_opts *o)
{
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return fail("exec: out of memory");
        char *colon = strchr(copy, ':');
        if (colon)
                *colon = '\0';
        if (parse_id(copy, &o->uid) < 0 || (colon && parse_id(colon + 1, &o->gid) < 0))
                return fail("exec: --user %s: expected UID[:GID] as numbers", s);
        o->has_user = true;
        o->has_gid = colon != NULL;
        return 0;
}

static int add_item(const char *flag, size_t *n)
{
        if (*n >= EXEC_MAX_ITEMS)
                return fail("exec: too many %s flags (at most %d)", flag, EXEC_MAX_ITEMS);
        (*n)++;
        return 0;
}

/* One option of exec; the arrays in o have room for argc entries. */
static int exec_option(int c, struct exec_opts *o)
{
        switch (c) {
        case 'p': o->process_path = optarg; return 0;
        case 't': o->tty = 1; return 0;
        case 'd': o->detach = true; return 0;
        case 'u': return parse_user(optarg, o);
        case OPT_CONSOLE: o->console_socket = optarg; return 0;
        case OPT_CWD: o->cwd = optarg; return 0;
        case OPT_NNP: o->no_new_privs = true; return 0;
        case OPT_APPARMOR: o->apparmor = optarg; return 0;
        case OPT_LABEL: o->process_label = optarg; return 0;
        case OPT_PID_FILE: o->pid_file = optarg; return 0;
        case OPT_IGNORE_PAUSED: o->ignore_paused = true; return 0;
        case OPT_CGROUP: o->cgroup = optarg; return 0;
        case OPT_PRESERVE:
                return parse_uint(optarg, &o->preserve_fds) < 0 ? fail("exec: --preserve-fds: not a number: %s", optarg) : 0;
        case 'e':
                o->env[o->n_env] = optarg;
                return add_item("--env", &o->n_env);
        case 'c':
                o->caps[o->n_caps] = optarg;
                return add_item("--cap", &o->n_caps);
        case 'g':
                o->has_additional_gids = true;
                if (parse_id(optarg, &o->additional_gids[o->n_additional_gids]) < 0)
                        return fail("exec: --additional-gids %s: not a gid", optarg);
                return add_item("--additional-gids", &o->n_additional_gids);
        default:
                return 1;
        }
}

int cmd_exec(int argc, char **argv)
{
        struct exec_opts o = { .tty = -1, .root = g.root };
        _cleanup_free_ char **env = calloc((size_t)argc + 1, sizeof(char *));
        _cleanup_free_ const char **caps = calloc((size_t)argc + 1, sizeof(char *));
        _cleanup_free_ uint32_t *gids = calloc((size_t)argc + 1, sizeof(uint32_t));
        if (!env || !caps || !gids)
                return fail("exec: out of memory");
        o.env = env;
        o.caps = caps;
        o.additional_gids = gids;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+p:tde:u:g:c:", exec_options, NULL)) != -1)
                if (exec_option(c, &o))
                        return 1;
        if (optind >= argc)
                return fail("exec: usage: exec [OPTIONS] ID [COMMAND [ARGS...]]");
        o.id = argv[optind];
        if (optind + 1 < argc)
                o.args = &argv[optind + 1]; /* argv[argc] is NULL */
        struct err err = { 0 };
        int code = 1;
        if (check(exec_process(&o, &code, &err), &err))
                return 1;
        return code;
}

int cmd_features(int argc, char **argv)
{
        if (argc > 1)
                return fail("features: takes no arguments");
        _cleanup_free_ char *json = NULL;
        struct err err = { 0 };
        if (check(features_json(&json, &err), &err))
                return 1;
        printf("%s\n", json);
        return 0;
}
