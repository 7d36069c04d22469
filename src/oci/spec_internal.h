/* spec_internal.h: what spec.c, spec_resources.c and spec_seccomp.c share: the parse
 * context, JSON paths for messages, typed getters and two walkers. Not for other modules.
 *
 * Getters take the parent object o, its JSON path and a key; an absent (or null) key is not
 * an error and leaves the output alone. Every failure is "NAME: PATH: problem" in c->err. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "oci/spec.h"
#include "util/cleanup.h"

#define JPATH_MAX 256

/* Parse context: the file name for messages and where errors go. */
struct pctx {
        const char *name;
        struct err *err;
};

/* Sets c->err to "NAME: PATH: msg" ("NAME: msg" for an empty path); returns -EINVAL. */
int spec_perr(struct pctx *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* JSON paths formatted into buf (JPATH_MAX bytes, cut when longer); each returns buf. */
const char *spec_jfmt(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *spec_jkey(char *buf, const char *parent, const char *key);
const char *spec_jidx(char *buf, const char *parent, size_t i);

/* The member key of o, NULL when absent or JSON null. */
json_object *spec_jget(json_object *o, const char *key);
/* Fails with "expected <type>" unless v has type t. */
int spec_want(struct pctx *c, const char *path, json_object *v, enum json_type t);
int spec_want_abs(struct pctx *c, const char *path, const char *value);
/* An integer value in [0, max] (v itself, not a member). */
int spec_val_u64(struct pctx *c, const char *path, json_object *v, uint64_t max, uint64_t *ret);

/* Typed members; *present (may be NULL) becomes true when the key was given. */
int spec_jstr(struct pctx *c, json_object *o, const char *parent, const char *key,
              bool required, const char **ret);
int spec_jbool(struct pctx *c, json_object *o, const char *parent, const char *key, bool *ret,
               bool *present);
int spec_ji64(struct pctx *c, json_object *o, const char *parent, const char *key, int64_t min,
              int64_t max, int64_t *ret, bool *present);
int spec_ju64(struct pctx *c, json_object *o, const char *parent, const char *key, uint64_t max,
              uint64_t *ret, bool *present);
int spec_ju32(struct pctx *c, json_object *o, const char *parent, const char *key,
              uint32_t *ret, bool *present);
/* *ret is NULL when absent; arrays and maps are bounded by SPEC_MAX_ITEMS. */
int spec_jobj(struct pctx *c, json_object *o, const char *parent, const char *key,
              json_object **ret);
int spec_jarr(struct pctx *c, json_object *o, const char *parent, const char *key,
              json_object **ret, size_t *ret_n);
/* A NULL-terminated, caller-freed array of borrowed strings; *ret stays NULL when absent. */
int spec_jstrv(struct pctx *c, json_object *o, const char *parent, const char *key,
               const char ***ret, size_t *ret_n);
/* A string-to-string map as two caller-freed parallel arrays of borrowed strings. */
int spec_jstrmap(struct pctx *c, json_object *o, const char *parent, const char *key,
                 const char ***ret_keys, const char ***ret_vals, size_t *ret_n);

/* ---- table-driven scalar members ---- */

/* One optional member: exactly one of str..u32 says where the value goes (and its type);
 * has (may be NULL) is set when the key is given. */
struct spec_field {
        const char *key;
        const char **str;
        bool *boolean;
        int64_t *i64;
        uint64_t *u64;
        uint32_t *u32;
        bool *has;
        int64_t min; /* i64 */
        uint64_t max; /* i64, u64 */
};

#define JF_STR(k, v) { .key = (k), .str = (v) }
#define JF_BOOL(k, v, h) { .key = (k), .boolean = (v), .has = (h) }
#define JF_I64(k, v, h, lo, hi) { .key = (k), .i64 = (v), .has = (h), .min = (lo), .max = (hi) }
#define JF_U64(k, v, h, hi) { .key = (k), .u64 = (v), .has = (h), .max = (hi) }
#define JF_U32(k, v, h) { .key = (k), .u32 = (v), .has = (h) }

/* Reads the n members of table f from o (at path p), in table order. */
int spec_jfields(struct pctx *c, json_object *o, const char *p, const struct spec_field *f,
                 size_t n);

/* ---- arrays ---- */

/* Fills *item from the array element o at path p; data is what the caller gave the walker. */
typedef int (*spec_item_fn)(struct pctx *c, json_object *o, const char *p, void *item,
                            void *data);

/* Parses the n elements of array a (at path p, elements at p[i]) into *ret: calloc'd items of
 * size bytes (room for one at least, so even an empty array is non-NULL), *ret_n = n. Both are
 * set before the first item is parsed, so on failure the caller's free sees what was parsed. */
int spec_items(struct pctx *c, json_object *a, size_t n, const char *p, size_t size,
               spec_item_fn fn, void *data, void **ret, size_t *ret_n);

/* spec_items on the array member key of o; *ret stays NULL when it is absent. */
int spec_jlist(struct pctx *c, json_object *o, const char *parent, const char *key,
               size_t size, spec_item_fn fn, void *data, void **ret, size_t *ret_n);

/* ---- names ---- */

struct name_value {
        const char *name;
        long value;
};

const struct name_value *spec_name_lookup(const struct name_value *t, size_t n, const char *name);

#define LOOKUP(table, name) spec_name_lookup(table, ARRAY_SIZE(table), name)

/* ---- the parts in other files ---- */

/* spec_resources.c: linux.resources of lo into l->resources (l->has_resources when given). */
int spec_parse_linux_resources(struct pctx *c, json_object *lo, struct spec_linux *l);
void spec_resources_free(struct spec_resources *rs);

/* spec_seccomp.c: linux.seccomp of lo into l->seccomp (NULL when absent). */
int spec_parse_linux_seccomp(struct pctx *c, json_object *lo, struct spec_linux *l);
void spec_seccomp_free(struct spec_seccomp *sc);
