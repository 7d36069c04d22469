/* selfexe.h: defence against overwriting the runtime binary from inside a container
 * (CVE-2019-5736): a runtime process that enters a container runs from a sealed memfd
 * copy of itself, so /proc/<pid>/exe leads to that copy, never to the host file. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

/* True when the running binary is already a sealed memfd copy. */
bool selfexe_is_sealed(void);

/* Copies /proc/self/exe into a memfd, seals it and re-executes it with argv and
 * environ. Returns only on failure (negative errno, err set). */
int selfexe_reexec_sealed(char **argv, struct err *err);
