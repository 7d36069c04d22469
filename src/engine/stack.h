/* stack.h: stacks from compose files (a subset of the compose v2 format). A file is parsed
 * and checked whole into a struct stack (plan first); up then makes each service's
 * container "PROJECT-SERVICE-1" detached in dependency order, labelled with the project
 * and the service, so down and ps find a project's containers from the labels alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/bundle.h"
#include "engine/run.h"
#include "util/err.h"

#define STACK_LABEL_PROJECT "com.docker.compose.project"
#define STACK_LABEL_SERVICE "com.docker.compose.service"
#define STACK_STOP_TIMEOUT 10 /* seconds, as docker compose down */
#define STACK_MAX_SERVICES 256

struct stack_health {
        char *test; /* run by /bin/sh -c (a CMD list is quoted into one); NULL: the image's */
        char *interval, *timeout, *start_period, *retries; /* as written; NULL: not given */
        bool disable;
};

struct stack_service {
        char *name;
        int line;                /* where the service is defined (1-based) */
        char *image;
        char **command;          /* NULL: the image's Cmd */
        char **entrypoint;       /* NULL: the image's; an empty array: none */
        char **environment;      /* "K=V" */
        char *working_dir, *user, *hostname, *restart, *network_mode, *cgroup_parent;
        char **ports;            /* "[IP:]HOST:CTR[/udp]" */
        bool read_only;
        struct run_resources res; /* mem_limit, cpus, pids_limit */
        bool has_health;
        struct stack_health health;
        char **depends_on;       /* service names */
        int depends_line;
        char **labels;           /* "k=v", the file's own */
};

struct stack {
        char *path;              /* the file, for messages */
        char *name;              /* the top-level name:, or NULL */
        struct stack_service *services; /* in dependency order once parsed */
        size_t n_services;
        char **warnings;         /* ignored keys, one line each, for the caller to show */
};

/* Parses and checks a compose file: every error names the file and line ("compose.yaml:7:
 * service web: unknown key \"volumes\""). The services come out in dependency order. */
int stack_parse(const char *path, struct stack **ret, struct err *err);
int stack_parse_string(const char *text, size_t len, const char *path, struct stack **ret, struct err *err);
void stack_free(struct stack *s);

/* Sorts s's services so that each comes after those it depends on (file order otherwise);
 * -ELOOP on a cycle, named ("dependency cycle: a -> b -> a"). */
int stack_order(struct stack *s, struct err *err);

/* The compose file to use: file when given, else ./compose.yaml, ./compose.yml,
 * ./docker-compose.yml (-ENOENT when none is there). Caller frees. */
int stack_find_file(const char *file, char **ret, struct err *err);

/* The project name: name when given (checked), else s's name:, else the basename of the
 * directory of path (or of the working directory when path is NULL), lowercased and kept
 * to [a-z0-9_-]. s and path may be NULL. Caller frees. */
int stack_project(const char *name, const struct stack *s, const char *path, char **ret, struct err *err);

/* Told of each container as it is handled: what is "created", "started", "running", "removed". */
typedef void (*stack_report_fn)(const char *container, const char *what, void *u);

/* Makes and starts what is missing, starts exited containers again, leaves running ones.
 * Stops at the first failure, with the service named in err. */
int stack_up(const struct engine *e, const struct stack *s, const char *project, stack_report_fn report, void *u,
             struct err *err);

/* Stops (STACK_STOP_TIMEOUT) and removes every container labelled with the project, in
 * reverse dependency order when s (may be NULL) is given. Goes on past errors; returns the first. */
int stack_down(const struct engine *e, const struct stack *s, const char *project, stack_report_fn report,
               void *u, struct err *err);

/* The project's containers (engine_containers_free frees them), sorted by name. */
int stack_list(const struct engine *e, const char *project, struct engine_container **ret, size_t *ret_n,
               struct err *err);

/* The value of a container's label, or NULL. */
const char *stack_label(const struct engine_container *c, const char *key);
