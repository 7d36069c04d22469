/* staple.h: what the staple command files share: the engine's settings from the global
 * flags, the one error printer and each container command's entry point. */
#pragma once

#include <getopt.h>

#include "engine/run.h"
#include "util/err.h"

#define EXIT_STAPLE 125 /* staple itself failed (the container's own codes pass through) */

extern struct engine eng;

/* Prints "staple: <msg>" to stderr and returns EXIT_STAPLE. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 0 when r >= 0; else prints err's message and returns EXIT_STAPLE. */
int check(int r, const struct err *err);

/* Parses a subcommand's options; the table ends with a zero entry. optind restarts. */
int getopt_sub(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* staple-containers.c */
int cmd_run(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* staple-stack.c */
int cmd_stack(int argc, char **argv);
