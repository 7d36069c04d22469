/* oci-manage.c: pause, resume, update, events, ps. */
#include "cli/cli.h"

int cmd_pause(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
int cmd_resume(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
int cmd_update(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
int cmd_events(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
int cmd_ps(int argc, char **argv) { return fail("%s: not supported yet", argv[0]); }
