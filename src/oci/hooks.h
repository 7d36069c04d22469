/* hooks.h: runs OCI hooks (runtime-spec config.md#posix-platform-hooks): each gets the
 * container state on stdin, its own args and env, and an optional timeout. */
#pragma once

#include "oci/spec.h"
#include "util/err.h"

/* Runs every hook of the list in order and stops at the first failure:
 * "prestart hook /usr/bin/x: exited with status 1" or "...: timed out after 5 s". */
int hooks_run(const struct spec_hook_list *list, enum spec_hook_kind kind, const char *state_json,
              struct err *err);

/* Runs one hook given as a JSON list (hooks.poststop copied into state.json). */
int hooks_run_json(struct json_object *hooks, enum spec_hook_kind kind, const char *state_json,
                   struct err *err);
