/* staple-stack.c: staple stack up|down|ps: compose files. Parses flags, prints; the work
 * is engine/stack.c's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/staple.h"
#include "engine/stack.h"
#include "util/cleanup.h"

static void stack_freep(struct stack **s)
{
        stack_free(*s);
}
#define _cleanup_stack_ _cleanup_(stack_freep)

struct stack_flags {
        const char *file, *project;
};

static int stack_usage(void)
{
        return fail("usage: staple stack up|down|ps [-f FILE] [-p NAME]");
}

static int parse_flags(int argc, char **argv, struct stack_flags *f)
{
        static const struct option opts[] = { { "file", required_argument, NULL, 'f' },
                                              { "project-name", required_argument, NULL, 'p' },
                                              { 0 } };
        int c;
        while ((c = getopt_sub(argc, argv, "+f:p:", opts)) != -1) {
                if (c == 'f')
                        f->file = optarg;
                else if (c == 'p')
                        f->project = optarg;
                else
                        return -1;
        }
        return optind < argc ? -1 : 0;
}

static void print_report(const char *container, const char *what, void *u)
{
        printf("%s %s\n", container, what);
        fflush(stdout);
}

/* The file (required unless optional) parsed, its warnings printed, and the project. */
static int load(const struct stack_flags *f, bool optional, struct stack **ret_s, char **ret_project)
{
        struct err err = { 0 };
        _cleanup_free_ char *path = NULL;
        int r = stack_find_file(f->file, &path, &err);
        if (r == -ENOENT && optional && !f->file)
                return check(stack_project(f->project, NULL, NULL, ret_project, &err), &err);
        if (check(r, &err) || check(stack_parse(path, ret_s, &err), &err))
                return EXIT_STAPLE;
        for (char **w = (*ret_s)->warnings; w && *w; w++)
                fprintf(stderr, "staple: warning: %s\n", *w);
        return check(stack_project(f->project, *ret_s, path, ret_project, &err), &err);
}

static int stack_up_cmd(const struct stack_flags *f)
{
        _cleanup_stack_ struct stack *s = NULL;
        _cleanup_free_ char *project = NULL;
        if (load(f, false, &s, &project))
                return EXIT_STAPLE;
        struct err err = { 0 };
        return check(stack_up(&eng, s, project, print_report, NULL, &err), &err);
}

static int stack_down_cmd(const struct stack_flags *f)
{
        _cleanup_stack_ struct stack *s = NULL;
        _cleanup_free_ char *project = NULL;
        if (load(f, true, &s, &project))
                return EXIT_STAPLE;
        struct err err = { 0 };
        return check(stack_down(&eng, s, project, print_report, NULL, &err), &err);
}

static int stack_ps_cmd(const struct stack_flags *f)
{
        _cleanup_stack_ struct stack *s = NULL;
        _cleanup_free_ char *project = NULL;
        struct err err = { 0 };
        if (f->project ? check(stack_project(f->project, NULL, NULL, &project, &err), &err) : load(f, true, &s, &project))
                return EXIT_STAPLE;
        struct engine_container *v = NULL;
        size_t n = 0;
        if (check(stack_list(&eng, project, &v, &n, &err), &err))
                return EXIT_STAPLE;
        printf("%-30s %-20s %s\n", "NAME", "SERVICE", "STATUS");
        for (size_t i = 0; i < n; i++) {
                const char *svc = stack_label(&v[i], STACK_LABEL_SERVICE);
                printf("%-30s %-20s %s\n", v[i].name, svc ? svc : "", v[i].status);
        }
        engine_containers_free(v, n);
        return 0;
}

static const struct {
        const char *name;
        int (*fn)(const struct stack_flags *f);
} stack_commands[] = {
        { "up", stack_up_cmd },
        { "down", stack_down_cmd },
        { "ps", stack_ps_cmd },
};

int cmd_stack(int argc, char **argv)
{
        if (argc < 2)
                return stack_usage();
        for (size_t i = 0; i < ARRAY_SIZE(stack_commands); i++) {
                if (strcmp(argv[1], stack_commands[i].name))
                        continue;
                struct stack_flags f = { 0 };
                optind = 0; /* getopt reinitialises for the subcommand's argv */
                if (parse_flags(argc - 1, argv + 1, &f) < 0)
                        return stack_usage();
                return stack_commands[i].fn(&f);
        }
        return stack_usage();
}
