/* oci-exec.c: exec and features. */
#include "cli/cli.h"

int cmd_exec(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
int cmd_features(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
