/* criu.h: running CRIU's command line (the criu binary) and saying why it failed.
 * checkpoint.c decides what to dump and restore; this file only builds argv, starts
 * criu with the right fds and cgroup, and reads its log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct cgroup;

/* A growing argv. An allocation failure is remembered and reported by criu_run. */
struct criu_argv {
        char **v;
        size_t n, cap;
        bool oom;
};

/* Appends one argument, printf-formatted. */
void criu_argv_add(struct criu_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void criu_argv_done(struct criu_argv *a);

struct criu_run {
        const struct criu_argv *argv; /* argv[0] is "criu" */
        struct cgroup *cgroup;        /* criu enters it before it execs; may be NULL */
        const int *keep_fds;          /* stay open across exec (for --inherit-fd) */
        size_t n_keep_fds;
        const char *log_path;         /* the --log-file criu writes; read when it fails */
        const char *what;             /* "dump", "restore": for the message */
};

/* Runs criu to its end, with /dev/null as its stdio. Fails with the first error line
 * of its log ("criu dump failed: mnt: ... (log: PATH)"); -ENOENT when criu is not
 * installed. */
int criu_run(const struct criu_run *run, struct err *err);

/* `criu check`: 0 when CRIU can work on this host; otherwise why (its first error). */
int criu_check(char *why, size_t size);
