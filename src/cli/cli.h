/* cli.h: what the staple-oci command files share: global flags, the one error printer,
 * and each command's entry point. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

struct cli_global {
        const char *root;
        const char *log_path;
        bool log_json;
        bool debug;
};

extern struct cli_global g;

/* Prints "staple-oci: <msg>" to stderr (and to --log) and returns 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 0 when r >= 0; else prints err's message and returns 1. */
int check(int r, const struct err *err);

/* A decimal number up to 2^20. */
int parse_uint(const char *s, unsigned int *ret);

/* oci-manage.c */
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_ps(int argc, char **argv);

/* oci-exec.c */
int cmd_exec(int argc, char **argv);
int cmd_features(int argc, char **argv);
