/* spec_default.h: the default config.json of `staple-oci spec`: `runc spec` plus a default
 * seccomp profile (seccomp_default.c, docs/security.md). */
#pragma once

#include <stdbool.h>

/* A pretty-printed config.json (caller frees), or NULL when out of memory. `rootless` adds a
 * user namespace mapping the caller's uid/gid to 0, drops the network namespace and the
 * device cgroup rule, and bind-mounts /sys instead of mounting sysfs (as `runc spec --rootless`). */
char *spec_default_json(bool rootless);
