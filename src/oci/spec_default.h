/* spec_default.h: the default config.json of `staple-oci spec`, equivalent to `runc spec`. */
#pragma once

#include <stdbool.h>

/* A pretty-printed config.json (caller frees), or NULL when out of memory. `rootless` adds a
 * user namespace mapping the caller's uid/gid to 0, drops the network namespace and the
 * device cgroup rule, and bind-mounts /sys instead of mounting sysfs (as `runc spec --rootless`). */
char *spec_default_json(bool rootless);
