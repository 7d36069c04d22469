/* checkpoint.h: checkpoint and restore of a running container through CRIU. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

struct checkpoint_opts {
        const char *root;       /* runtime state root */
        const char *id;
        const char *image_path; /* CRIU images directory; NULL: ./checkpoint */
        const char *work_path;  /* CRIU logs and work files; NULL: the image path */
        const char *bundle;     /* restore only; NULL: the cwd */
        bool leave_running;     /* checkpoint only */
        bool tcp_established;
        bool detach;            /* restore only */
};

/* Dumps a running container's process tree. -EOPNOTSUPP when CRIU cannot work on this
 * host (the message says why). */
int checkpoint_dump(const struct checkpoint_opts *o, struct err *err);

/* Recreates a container from a dump. Same errors. */
int checkpoint_restore(const struct checkpoint_opts *o, int *ret_exit_code, struct err *err);
