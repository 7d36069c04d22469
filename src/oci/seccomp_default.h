/* seccomp_default.h: the seccomp profile `staple-oci spec` puts in config.json, and the small
 * json-c builder it shares with spec_default.c. docs/security.md explains each group. */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

/* Builder: each helper takes ownership of `val` and records an allocation failure in *ok,
 * so a caller checks once at the end. */
void spec_json_put(json_object *obj, const char *key, json_object *val, bool *ok);
void spec_json_push(json_object *arr, json_object *val, bool *ok);
json_object *spec_json_strv(const char *const *v, bool *ok);

/* The linux.seccomp object: errno ENOSYS for syscalls it does not know, EPERM for the
 * dangerous ones it names, an allow-list for the rest. */
json_object *seccomp_default_json(bool *ok);
