/* stack.c: compose files into stacks of detached containers. The file is loaded with
 * libyaml's document API (every node keeps its line for messages), turned into a struct
 * stack by tables of keys, checked whole, sorted by depends_on; up, down and ps then act
 * through the engine's calls on the containers labelled with the project. */
#include "engine/stack.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/control.h"
#include "engine/health.h"
#include "engine/monitor.h"
#include "engine/network.h"
#include "engine/record.h"
#include "engine/yaml_lazy.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define STACK_FILE_MAX (4 << 20) /* bytes of a compose file */

/* ---- string vectors ---- */

struct strv {
        char **v;
        size_t n;
};

/* Appends s (owned from now on, freed on failure); v stays NULL-terminated. */
static int strv_take(struct strv *b, char *s)
{
        char **v = s ? realloc(b->v, (b->n + 2) * sizeof(char *)) : NULL;
        if (!v) {
                free(s);
                return -ENOMEM;
        }
        b->v = v;
        v[b->n++] = s;
        v[b->n] = NULL;
        return 0;
}

/* An empty vector that is not NULL ("entrypoint: []" is not "no entrypoint"). */
static int strv_init(struct strv *b)
{
        if (!b->v && !(b->v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return 0;
}

static size_t strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* ---- the parser's context ---- */

struct parser {
        yaml_document_t doc;
        const char *path;
        struct stack *s;
        const char *service; /* the one being parsed, for messages */
        struct err *err;
};

static int node_line(const yaml_node_t *n)
{
        return n ? (int)n->start_mark.line + 1 : 1;
}

/* -EINVAL with "path:line: msg". */
__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
{
        char msg[ERR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (p->service)
                return err_set(p->err, -EINVAL, "%s:%d: service %s: %s", p->path, node_line(n), p->service, msg);
        return err_set(p->err, -EINVAL, "%s:%d: %s", p->path, node_line(n), msg);
}

static yaml_node_t *node_at(struct parser *p, int i)
{
        return yaml_document_get_node(&p->doc, i);
}

static const char *raw(const yaml_node_t *n)
{
        return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
        for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
                if (!strcmp(raw(n), nulls[i]))
                        return true;
        return false;
}

/* A scalar's text with compose's "$$" as "$"; any other "$" would be interpolation,
 * which is not supported: refused rather than passed on literally. */
static int scalar(struct parser *p, const yaml_node_t *n, const char *what, char **ret)
{
        if (n->type != YAML_SCALAR_NODE)
                return fail_at(p, n, "%s: expected a string", what);
        const char *in = raw(n);
        char *out = malloc(strlen(in) + 1), *o = out;
        if (!out)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        for (; *in; in++) {
                if (*in == '$' && in[1] != '$') {
                        free(out);
                        return fail_at(p, n, "%s: variable interpolation (\"$\") is not supported; write \"$$\" for a $",
                                       what);
                }
                *o++ = *in;
                in += *in == '$';
        }
        *o = '\0';
        *ret = out;
        return 0;
}

static int set_str(struct parser *p, const yaml_node_t *n, const char *what, char **field)
{
        char *v = NULL;
        int r = scalar(p, n, what, &v);
        if (r < 0)
                return r;
        free(*field);
        *field = v;
        return 0;
}

static int parse_bool(struct parser *p, const yaml_node_t *n, const char *what, bool *ret)
{
        static const struct {
                const char *name;
                bool value;
        } bools[] = { { "true", true }, { "yes", true }, { "on", true }, { "false", false }, { "no", false },
                      { "off", false } };
        if (n->type == YAML_SCALAR_NODE)
                for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
                        if (!strcasecmp(raw(n), bools[i].name)) {
                                *ret = bools[i].value;
                                return 0;
                        }
        return fail_at(p, n, "%s: expected true or false", what);
}

/* A sequence of strings. */
static int string_list(struct parser *p, const yaml_node_t *n, const char *what, struct strv *out)
{
        if (n->type != YAML_SEQUENCE_NODE)
                return fail_at(p, n, "%s: expected a list", what);
        if (strv_init(out) < 0)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
                char *v = NULL;
                int r = scalar(p, node_at(p, *it), what, &v);
                if (r < 0 || (r = strv_take(out, v)) < 0)
                        return r == -ENOMEM ? err_errno(p->err, r, "%s", p->path) : r;
        }
        return 0;
}

/* "K=V" pairs from a map (a null value: the variable of our own environment, or nothing
 * when unset, as compose does) or from a list of "K=V" strings. */
static int kv_pair(struct parser *p, const yaml_node_t *k, const yaml_node_t *v, const char *what, bool env,
                   struct strv *out)
{
        _cleanup_free_ char *key = NULL, *val = NULL;
        int r = scalar(p, k, what, &key);
        if (r < 0)
                return r;
        if (is_null(v)) {
                const char *host = env ? getenv(key) : "";
                if (!host)
                        return 0;
                if (!(val = strdup(host)))
                        return err_errno(p->err, -ENOMEM, "%s", p->path);
        } else if ((r = scalar(p, v, what, &val)) < 0) {
                return r;
        }
        char *kv = NULL;
        if (asprintf(&kv, "%s=%s", key, val) < 0 || strv_take(out, kv) < 0)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        return 0;
}

static int kv_list(struct parser *p, const yaml_node_t *n, const char *what, bool env, struct strv *out)
{
        if (strv_init(out) < 0)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        if (n->type == YAML_SEQUENCE_NODE) {
                struct strv items = { 0 };
                int r = string_list(p, n, what, &items);
                for (size_t i = 0; r >= 0 && i < items.n; i++) {
                        char *item = TAKE_PTR(items.v[i]);
                        if (env && !strchr(item, '=')) { /* "K": our own value, if any */
                                const char *host = getenv(item);
                                char *kv = NULL;
                                r = host && asprintf(&kv, "%s=%s", item, host) < 0 ? -ENOMEM : 0;
                                free(item);
                                if (r >= 0 && kv)
                                        r = strv_take(out, kv);
                        } else {
                                r = strv_take(out, item);
                        }
                }
                for (size_t i = 0; i < items.n; i++)
                        free(items.v[i]); /* those not taken when r < 0 */
                free(items.v);
                return r == -ENOMEM ? err_errno(p->err, r, "%s", p->path) : r;
        }
        if (n->type != YAML_MAPPING_NODE)
                return fail_at(p, n, "%s: expected a map or a list of KEY=VALUE", what);
        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
                int r = kv_pair(p, node_at(p, pr->key), node_at(p, pr->value), what, env, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Words of a command string as sh splits them: quotes and backslashes, no expansion. */
static int shell_split(const char *s, struct strv *out)
{
        _cleanup_free_ char *w = malloc(strlen(s) + 1);
        if (!w || strv_init(out) < 0)
                return -ENOMEM;
        size_t wl = 0, i = 0;
        bool in_word = false;
        while (s[i]) {
                char c = s[i];
                if (isspace((unsigned char)c)) {
                        if (in_word && strv_take(out, strndup(w, wl)) < 0)
                                return -ENOMEM;
                        in_word = false;
                        wl = 0;
                        i++;
                        continue;
                }
                in_word = true;
                if (c == '\'') {
                        const char *end = strchr(s + i + 1, '\'');
                        if (!end)
                                return -EINVAL;
                        memcpy(w + wl, s + i + 1, (size_t)(end - s - i - 1));
                        wl += (size_t)(end - s - i - 1);
                        i = (size_t)(end - s) + 1;
                } else if (c == '"') {
                        for (i++; s[i] && s[i] != '"'; i++) {
                                if (s[i] == '\\' && s[i + 1] && strchr("\"\\$`\n", s[i + 1]))
                                        i++;
                                w[wl++] = s[i];
                        }
                        if (!s[i])
                                return -EINVAL;
                        i++;
                } else if (c == '\\') {
                        if (s[i + 1] && s[i + 1] != '\n')
                                w[wl++] = s[i + 1];
                        i += s[i + 1] ? 2 : 1;
                } else {
                        w[wl++] = c;
                        i++;
                }
        }
        if (in_word && strv_take(out, strndup(w, wl)) < 0)
                return -ENOMEM;
        return 0;
}

/* command / entrypoint: a string split like sh words, or a list. */
static int words(struct parser *p, const yaml_node_t *n, const char *what, char ***field)
{
        struct strv out = { 0 };
        int r;
        if (n->type == YAML_SCALAR_NODE) {
                _cleanup_free_ char *s = NULL;
                if ((r = scalar(p, n, what, &s)) < 0)
                        return r;
                if ((r = shell_split(s, &out)) < 0) {
                        strv_free(out.v);
                        return r == -EINVAL ? fail_at(p, n, "%s: unterminated quote", what)
                                            : err_errno(p->err, r, "%s", p->path);
                }
        } else if ((r = string_list(p, n, what, &out)) < 0) {
                strv_free(out.v);
                return r;
        }
        strv_free(*field);
        *field = out.v;
        return 0;
}

/* ---- service keys ---- */

struct key {
        const char *name;
        int (*parse)(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v);
        size_t offset;      /* of the field, for the generic parsers */
        const char *extra;  /* the resource flag of bundle_parse_resource */
};

#define FIELD(svc, k, type) ((type *)((char *)(svc) + (k)->offset))

static int key_str(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        return set_str(p, v, k->name, FIELD(svc, k, char *));
}

static int key_words(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        return words(p, v, k->name, FIELD(svc, k, char **));
}

static int key_kv(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        struct strv out = { 0 };
        int r = kv_list(p, v, k->name, !strcmp(k->name, "environment"), &out);
        if (r < 0) {
                strv_free(out.v);
                return r;
        }
        strv_free(*FIELD(svc, k, char **));
        *FIELD(svc, k, char **) = out.v;
        return 0;
}

static int key_bool(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        return parse_bool(p, v, k->name, FIELD(svc, k, bool));
}

static int key_ports(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        if (v->type == YAML_SEQUENCE_NODE)
                for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
                        if (node_at(p, *it)->type != YAML_SCALAR_NODE)
                                return fail_at(p, node_at(p, *it), "ports: only the short syntax "
                                               "\"[IP:]HOST:CONTAINER[/udp]\" is supported");
        struct strv out = { 0 };
        int r = string_list(p, v, k->name, &out);
        if (r < 0) {
                strv_free(out.v);
                return r;
        }
        strv_free(svc->ports);
        svc->ports = out.v;
        return 0;
}

static int key_resource(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        _cleanup_free_ char *s = NULL;
        int r = scalar(p, v, k->name, &s);
        if (r < 0)
                return r;
        struct err e = { 0 };
        if (bundle_parse_resource(&svc->res, k->extra, s, &e) < 0)
                return fail_at(p, v, "%s: %s", k->name, e.msg);
        return 0;
}

static int key_restart(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        int r = key_str(p, svc, k, v);
        struct restart_policy policy;
        struct err e = { 0 };
        if (r >= 0 && restart_policy_parse(svc->restart, &policy, &e) < 0)
                return fail_at(p, v, "restart: %s", e.msg);
        return r;
}

static int key_network_mode(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        static const char *const modes[] = { "none", "host", "bridge" };
        int r = key_str(p, svc, k, v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
                if (!strcmp(svc->network_mode, modes[i]))
                        return 0;
        return fail_at(p, v, "network_mode \"%s\" is not supported: use none, host or bridge", svc->network_mode);
}

static int key_depends_on(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        struct strv out = { 0 };
        int r = 0;
        svc->depends_line = node_line(v);
        if (v->type == YAML_MAPPING_NODE) {
                if (strv_init(&out) < 0)
                        return err_errno(p->err, -ENOMEM, "%s", p->path);
                for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; r >= 0 && pr < v->data.mapping.pairs.top;
                     pr++) {
                        char *name = NULL;
                        const yaml_node_t *cond = node_at(p, pr->value);
                        if ((r = scalar(p, node_at(p, pr->key), "depends_on", &name)) < 0 ||
                            (r = strv_take(&out, name)) < 0)
                                break;
                        if (is_null(cond))
                                continue;
                        if (cond->type != YAML_MAPPING_NODE)
                                r = fail_at(p, cond, "depends_on: %s: expected a map", name);
                        for (yaml_node_pair_t *c = r < 0 ? NULL : cond->data.mapping.pairs.start;
                             c && r >= 0 && c < cond->data.mapping.pairs.top; c++) {
                                const yaml_node_t *ck = node_at(p, c->key), *cv = node_at(p, c->value);
                                if (ck->type != YAML_SCALAR_NODE || strcmp(raw(ck), "condition"))
                                        r = fail_at(p, ck, "depends_on: %s: only \"condition\" is supported", name);
                                else if (cv->type != YAML_SCALAR_NODE || strcmp(raw(cv), "service_started"))
                                        r = fail_at(p, cv, "depends_on: %s: only condition service_started is "
                                                    "supported (the order of starts)", name);
                        }
                }
        } else {
                r = string_list(p, v, "depends_on", &out);
        }
        if (r < 0) {
                strv_free(out.v);
                return r == -ENOMEM ? err_errno(p->err, r, "%s", p->path) : r;
        }
        strv_free(svc->depends_on);
        svc->depends_on = out.v;
        return 0;
}

/* 'a' 'b' ...: a CMD list as one /bin/sh -c command. */
static int shell_quote(char *const *argv, char **ret)
{
        size_t len = 1;
        for (char *const *a = argv; *a; a++)
                len += 3 + 4 * strlen(*a);
        char *out = malloc(len), *o = out;
        if (!out)
                return -ENOMEM;
        for (char *const *a = argv; *a; a++) {
                if (a != argv)
                        *o++ = ' ';
                *o++ = '\'';
                for (const char *c = *a; *c; c++)
                        o = *c == '\'' ? stpcpy(o, "'\\''") : (*o = *c, o + 1);
                *o++ = '\'';
        }
        *o = '\0';
        *ret = out;
        return 0;
}

/* healthcheck test: "cmd" (CMD-SHELL), ["CMD-SHELL", "cmd"], ["CMD", argv...], ["NONE"]. */
static int health_test(struct parser *p, struct stack_health *h, const yaml_node_t *v)
{
        if (v->type == YAML_SCALAR_NODE)
                return set_str(p, v, "healthcheck: test", &h->test);
        _cleanup_strv_ char **argv = NULL;
        struct strv out = { 0 };
        int r = string_list(p, v, "healthcheck: test", &out);
        argv = out.v;
        if (r < 0)
                return r;
        size_t n = strv_len(argv);
        free(h->test);
        h->test = NULL;
        if (n == 1 && !strcmp(argv[0], "NONE")) {
                h->disable = true;
                return 0;
        }
        if (n == 2 && !strcmp(argv[0], "CMD-SHELL"))
                return (h->test = strdup(argv[1])) ? 0 : err_errno(p->err, -ENOMEM, "%s", p->path);
        if (n >= 2 && !strcmp(argv[0], "CMD"))
                return shell_quote(argv + 1, &h->test) < 0 ? err_errno(p->err, -ENOMEM, "%s", p->path) : 0;
        return fail_at(p, v, "healthcheck: test: expected [\"CMD\", ARG...], [\"CMD-SHELL\", COMMAND] or [\"NONE\"]");
}

static int key_healthcheck(struct parser *p, struct stack_service *svc, const struct key *k, const yaml_node_t *v)
{
        static const struct {
                const char *name;
                size_t offset;
        } durations[] = {
                { "interval", offsetof(struct stack_health, interval) },
                { "timeout", offsetof(struct stack_health, timeout) },
                { "start_period", offsetof(struct stack_health, start_period) },
                { "retries", offsetof(struct stack_health, retries) },
        };
        if (v->type != YAML_MAPPING_NODE)
                return fail_at(p, v, "healthcheck: expected a map");
        struct stack_health *h = &svc->health;
        svc->has_health = true;
        for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
                const yaml_node_t *hk = node_at(p, pr->key), *hv = node_at(p, pr->value);
                const char *name = hk->type == YAML_SCALAR_NODE ? raw(hk) : "";
                int r = -ENOENT;
                if (!strcmp(name, "test"))
                        r = health_test(p, h, hv);
                else if (!strcmp(name, "disable"))
                        r = parse_bool(p, hv, "healthcheck: disable", &h->disable);
                for (size_t i = 0; r == -ENOENT && i < ARRAY_SIZE(durations); i++)
                        if (!strcmp(name, durations[i].name))
                                r = set_str(p, hv, name, (char **)((char *)h + durations[i].offset));
                if (r == -ENOENT)
                        return fail_at(p, hk, "healthcheck: unknown key \"%s\"", name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct key service_keys[] = {
        { "image", key_str, offsetof(struct stack_service, image), NULL },
        { "command", key_words, offsetof(struct stack_service, command), NULL },
        { "entrypoint", key_words, offsetof(struct stack_service, entrypoint), NULL },
        { "environment", key_kv, offsetof(struct stack_service, environment), NULL },
        { "labels", key_kv, offsetof(struct stack_service, labels), NULL },
        { "working_dir", key_str, offsetof(struct stack_service, working_dir), NULL },
        { "user", key_str, offsetof(struct stack_service, user), NULL },
        { "hostname", key_str, offsetof(struct stack_service, hostname), NULL },
        { "cgroup_parent", key_str, offsetof(struct stack_service, cgroup_parent), NULL },
        { "restart", key_restart, offsetof(struct stack_service, restart), NULL },
        { "network_mode", key_network_mode, offsetof(struct stack_service, network_mode), NULL },
        { "ports", key_ports, 0, NULL },
        { "read_only", key_bool, offsetof(struct stack_service, read_only), NULL },
        { "mem_limit", key_resource, 0, "memory" },
        { "cpus", key_resource, 0, "cpus" },
        { "pids_limit", key_resource, 0, "pids-limit" },
        { "healthcheck", key_healthcheck, 0, NULL },
        { "depends_on", key_depends_on, 0, NULL },
};

/* Keys that would change what runs, refused with the reason. */
static const struct {
        const char *name, *why;
} refused_keys[] = {
        { "build", "building images is not supported: build the image first and name it in image:" },
        { "volumes", "volumes are not supported" },
        { "secrets", "secrets are not supported" },
        { "configs", "configs are not supported" },
};

static int service_key(struct parser *p, struct stack_service *svc, const yaml_node_t *k, const yaml_node_t *v,
                       unsigned *seen)
{
        if (k->type != YAML_SCALAR_NODE)
                return fail_at(p, k, "expected a key");
        const char *name = raw(k);
        for (size_t i = 0; i < ARRAY_SIZE(service_keys); i++) {
                if (strcmp(name, service_keys[i].name))
                        continue;
                if (*seen & (1u << i))
                        return fail_at(p, k, "duplicate key \"%s\"", name);
                *seen |= 1u << i;
                return service_keys[i].parse(p, svc, &service_keys[i], v);
        }
        if (!strncmp(name, "x-", 2))
                return 0; /* extension fields are for anchors */
        for (size_t i = 0; i < ARRAY_SIZE(refused_keys); i++)
                if (!strcmp(name, refused_keys[i].name))
                        return fail_at(p, k, "key \"%s\": %s", name, refused_keys[i].why);
        return fail_at(p, k, "unknown key \"%s\"", name);
}

/* The checks across keys of one service, with the engine's own parsers. */
static int service_check(struct parser *p, struct stack_service *svc, const yaml_node_t *n)
{
        struct err e = { 0 };
        if (!svc->image)
                return fail_at(p, n, "no image (building is not supported: image: is required)");
        if (bundle_check_resources(&svc->res, &e) < 0)
                return fail_at(p, n, "%s", e.msg);
        _cleanup_json_ json_object *net = NULL;
        if (network_config(svc->network_mode ? svc->network_mode : svc->ports ? "bridge" : NULL, svc->ports, &net,
                           &e) < 0)
                return fail_at(p, n, "%s", e.msg);
        struct stack_health *h = &svc->health;
        struct health_opts ho = { .cmd = h->test, .interval = h->interval, .timeout = h->timeout,
                                  .start_period = h->start_period, .retries = h->retries, .none = h->disable };
        _cleanup_json_ json_object *hc = NULL;
        if (h->disable && h->test)
                return fail_at(p, n, "healthcheck: disable conflicts with test");
        if (h->disable)
                ho = (struct health_opts){ .none = true };
        if ((h->test || h->disable) && health_config(NULL, &ho, &hc, &e) < 0)
                return fail_at(p, n, "healthcheck: %s", e.msg);
        return 0;
}

static bool service_name_valid(const char *s)
{
        if (!isalnum((unsigned char)s[0]))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
                        return false;
        return strlen(s) <= 64;
}

static int parse_service(struct parser *p, const yaml_node_t *k, const yaml_node_t *v)
{
        struct stack *s = p->s;
        if (k->type != YAML_SCALAR_NODE || !service_name_valid(raw(k)))
                return fail_at(p, k, "invalid service name: use [a-zA-Z0-9][a-zA-Z0-9_.-]*");
        for (size_t i = 0; i < s->n_services; i++)
                if (!strcmp(s->services[i].name, raw(k)))
                        return fail_at(p, k, "service %s is defined twice", raw(k));
        if (s->n_services >= STACK_MAX_SERVICES)
                return fail_at(p, k, "more than %d services", STACK_MAX_SERVICES);
        struct stack_service *svcs = realloc(s->services, (s->n_services + 1) * sizeof(*svcs));
        if (!svcs)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        s->services = svcs;
        struct stack_service *svc = &svcs[s->n_services];
        memset(svc, 0, sizeof(*svc));
        if (!(svc->name = strdup(raw(k))))
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        svc->line = node_line(k);
        s->n_services++;
        p->service = svc->name;
        if (is_null(v))
                return fail_at(p, k, "no image (building is not supported: image: is required)");
        if (v->type != YAML_MAPPING_NODE)
                return fail_at(p, v, "expected a map");
        unsigned seen = 0;
        for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
                int r = service_key(p, svc, node_at(p, pr->key), node_at(p, pr->value), &seen);
                if (r < 0)
                        return r;
        }
        return service_check(p, svc, k);
}

static int parse_services(struct parser *p, const yaml_node_t *v)
{
        if (v->type != YAML_MAPPING_NODE)
                return fail_at(p, v, "services: expected a map of services");
        for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
                int r = parse_service(p, node_at(p, pr->key), node_at(p, pr->value));
                if (r < 0)
                        return r;
                p->service = NULL;
        }
        return 0;
}

static int warn(struct parser *p, const yaml_node_t *k, const char *msg)
{
        struct strv w = { p->s->warnings, strv_len(p->s->warnings) };
        char *line = NULL;
        if (asprintf(&line, "%s:%d: %s", p->path, node_line(k), msg) < 0 || strv_take(&w, line) < 0)
                return err_errno(p->err, -ENOMEM, "%s", p->path);
        p->s->warnings = w.v;
        return 0;
}

static int parse_top(struct parser *p, const yaml_node_t *root)
{
        static const char *const ignored[] = { "version", "networks", "volumes" };
        if (!root || root->type != YAML_MAPPING_NODE)
                return fail_at(p, root, "expected a map with services:");
        const yaml_node_t *services = NULL;
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
                const yaml_node_t *k = node_at(p, pr->key), *v = node_at(p, pr->value);
                const char *name = k->type == YAML_SCALAR_NODE ? raw(k) : "";
                int r = 0;
                bool known = !strcmp(name, "services") || !strcmp(name, "name") || !strncmp(name, "x-", 2);
                for (size_t i = 0; !known && i < ARRAY_SIZE(ignored); i++)
                        if (!strcmp(name, ignored[i])) {
                                char msg[128];
                                snprintf(msg, sizeof(msg), "top-level key \"%s\" is ignored", name);
                                if ((r = warn(p, k, msg)) < 0)
                                        return r;
                                known = true;
                        }
                if (!known)
                        return fail_at(p, k, "unknown or unsupported top-level key \"%s\"", name);
                if (!strcmp(name, "services"))
                        services = v;
                else if (!strcmp(name, "name") && (r = set_str(p, v, "name", &p->s->name)) < 0)
                        return r;
        }
        if (!services)
                return fail_at(p, root, "no services:");
        return parse_services(p, services);
}

int stack_parse_string(const char *text, size_t len, const char *path, struct stack **ret, struct err *err)
{
        yaml_parser_t yp;
        int lr = yaml_lazy_load(err);
        if (lr < 0)
                return lr;
        if (!yaml_parser_initialize(&yp))
                return err_errno(err, -ENOMEM, "%s", path);
        yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
        struct parser p = { .path = path, .err = err };
        if (!yaml_parser_load(&yp, &p.doc)) {
                int r = err_set(err, -EINVAL, "%s:%zu: %s%s%s", path, yp.problem_mark.line + 1,
                                yp.problem ? yp.problem : "invalid YAML", yp.context ? " " : "",
                                yp.context ? yp.context : "");
                yaml_parser_delete(&yp);
                return r;
        }
        yaml_parser_delete(&yp);
        int r = -ENOMEM;
        if ((p.s = calloc(1, sizeof(*p.s))) && (p.s->path = strdup(path)))
                r = 0;
        if (r < 0)
                err_errno(err, r, "%s", path);
        else if ((r = parse_top(&p, yaml_document_get_root_node(&p.doc))) >= 0)
                r = stack_order(p.s, err);
        yaml_document_delete(&p.doc);
        if (r < 0) {
                stack_free(p.s);
                return r;
        }
        *ret = p.s;
        return 0;
}

int stack_parse(const char *path, struct stack **ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, &text, &len);
        if (r < 0)
                return err_errno(err, r, "read %s", path);
        if (len > STACK_FILE_MAX)
                return err_set(err, -EFBIG, "%s: larger than %d bytes", path, STACK_FILE_MAX);
        return stack_parse_string(text, len, path, ret, err);
}

static void service_free(struct stack_service *svc)
{
        free(svc->name);
        free(svc->image);
        strv_free(svc->command);
        strv_free(svc->entrypoint);
        strv_free(svc->environment);
        free(svc->working_dir);
        free(svc->user);
        free(svc->hostname);
        free(svc->restart);
        free(svc->network_mode);
        free(svc->cgroup_parent);
        strv_free(svc->ports);
        free(svc->health.test);
        free(svc->health.interval);
        free(svc->health.timeout);
        free(svc->health.start_period);
        free(svc->health.retries);
        strv_free(svc->depends_on);
        strv_free(svc->labels);
}

void stack_free(struct stack *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_services; i++)
                service_free(&s->services[i]);
        free(s->services);
        free(s->path);
        free(s->name);
        strv_free(s->warnings);
        free(s);
}

/* ---- order ---- */

struct order {
        struct stack *s;
        int *state;     /* 0 new, 1 on the path, 2 done */
        size_t *path;   /* the services being visited, outermost first */
        size_t *out;
        size_t n_out;
        struct err *err;
};

static ssize_t service_index(const struct stack *s, const char *name)
{
        for (size_t i = 0; i < s->n_services; i++)
                if (!strcmp(s->services[i].name, name))
                        return (ssize_t)i;
        return -1;
}

static int cycle_error(struct order *o, size_t depth, size_t i)
{
        char msg[ERR_MSG_MAX] = "";
        size_t from = 0, len = 0;
        while (o->path[from] != i)
                from++;
        for (size_t d = from; d < depth && len < sizeof(msg); d++)
                len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s -> ", o->s->services[o->path[d]].name);
        const struct stack_service *first = &o->s->services[i];
        return err_set(o->err, -ELOOP, "%s:%d: dependency cycle: %s%s", o->s->path, first->depends_line, msg,
                       first->name);
}

/* Depth-first, dependencies before dependants: a post-order is a start order. */
static int visit(struct order *o, size_t i, size_t depth)
{
        if (o->state[i] == 2)
                return 0;
        if (o->state[i] == 1)
                return cycle_error(o, depth, i);
        o->state[i] = 1;
        o->path[depth] = i;
        const struct stack_service *svc = &o->s->services[i];
        for (char **d = svc->depends_on; d && *d; d++) {
                ssize_t j = service_index(o->s, *d);
                if (j < 0)
                        return err_set(o->err, -ENOENT, "%s:%d: service %s depends on undefined service \"%s\"",
                                       o->s->path, svc->depends_line, svc->name, *d);
                int r = visit(o, (size_t)j, depth + 1);
                if (r < 0)
                        return r;
        }
        o->state[i] = 2;
        o->out[o->n_out++] = i;
        return 0;
}

int stack_order(struct stack *s, struct err *err)
{
        size_t n = s->n_services;
        _cleanup_free_ int *state = calloc(n + 1, sizeof(int));
        _cleanup_free_ size_t *path = calloc(n + 1, sizeof(size_t)), *out = calloc(n + 1, sizeof(size_t));
        _cleanup_free_ struct stack_service *sorted = calloc(n + 1, sizeof(*sorted));
        if (!state || !path || !out || !sorted)
                return err_errno(err, -ENOMEM, "%s", s->path);
        struct order o = { .s = s, .state = state, .path = path, .out = out, .err = err };
        for (size_t i = 0; i < n; i++) {
                int r = visit(&o, i, 0);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++)
                sorted[i] = s->services[out[i]];
        memcpy(s->services, sorted, n * sizeof(*sorted));
        return 0;
}

/* ---- file and project ---- */

int stack_find_file(const char *file, char **ret, struct err *err)
{
        static const char *const defaults[] = { "compose.yaml", "compose.yml", "docker-compose.yml" };
        if (file)
                return (*ret = strdup(file)) ? 0 : err_errno(err, -ENOMEM, "%s", file);
        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
                if (access(defaults[i], F_OK) == 0)
                        return (*ret = strdup(defaults[i])) ? 0 : err_errno(err, -ENOMEM, "%s", defaults[i]);
        return err_set(err, -ENOENT, "no compose.yaml, compose.yml or docker-compose.yml here (use -f FILE)");
}

static bool project_valid(const char *s)
{
        if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
                return false;
        for (; *s; s++)
                if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("_-", *s))
                        return false;
        return true;
}

/* The basename of path's directory (the working directory's when path is NULL), kept to
 * [a-z0-9_-], lowercased. */
static int project_from_dir(const char *path, char **ret, struct err *err)
{
        _cleanup_free_ char *abs = realpath(path ? path : ".", NULL);
        if (!abs)
                return err_errno(err, neg_errno(), "resolve %s", path ? path : ".");
        if (path) {
                char *slash = strrchr(abs, '/');
                if (slash)
                        *slash = '\0';
        }
        const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
        char *out = malloc(strlen(base) + 1), *o = out;
        if (!out)
                return err_errno(err, -ENOMEM, "project name");
        for (const char *c = base; *c; c++)
                if (isalnum((unsigned char)*c) || *c == '_' || *c == '-')
                        *o++ = (char)tolower((unsigned char)*c);
        *o = '\0';
        if (!project_valid(out)) {
                free(out);
                return err_set(err, -EINVAL, "no project name can be made from the directory \"%s\": use -p NAME",
                               base);
        }
        *ret = out;
        return 0;
}

int stack_project(const char *name, const struct stack *s, const char *path, char **ret, struct err *err)
{
        if (!name && s && s->name)
                name = s->name;
        if (!name)
                return project_from_dir(path, ret, err);
        if (!project_valid(name))
                return err_set(err, -EINVAL, "invalid project name \"%s\": use [a-z0-9][a-z0-9_-]*", name);
        return (*ret = strdup(name)) ? 0 : err_errno(err, -ENOMEM, "project %s", name);
}

/* ---- up, down, list ---- */

const char *stack_label(const struct engine_container *c, const char *key)
{
        size_t kl = strlen(key);
        for (char **l = c->labels; l && *l; l++)
                if (!strncmp(*l, key, kl) && (*l)[kl] == '=')
                        return *l + kl + 1;
        return NULL;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct engine_container *)a)->name, ((const struct engine_container *)b)->name);
}

int stack_list(const struct engine *e, const char *project, struct engine_container **ret, size_t *ret_n,
               struct err *err)
{
        struct engine_container *v = NULL, *others = NULL;
        size_t n = 0, kept = 0, n_others = 0;
        int r = engine_containers(e, &v, &n, err);
        if (r < 0)
                return r;
        if (!(others = calloc(n + 1, sizeof(*others)))) {
                engine_containers_free(v, n);
                return err_errno(err, -ENOMEM, "containers");
        }
        for (size_t i = 0; i < n; i++) {
                const char *p = stack_label(&v[i], STACK_LABEL_PROJECT);
                if (p && !strcmp(p, project))
                        v[kept++] = v[i];
                else
                        others[n_others++] = v[i];
        }
        engine_containers_free(others, n_others);
        if (kept)
                qsort(v, kept, sizeof(*v), by_name);
        *ret = v;
        *ret_n = kept;
        return 0;
}

/* The engine's run of one service: run_opts, run_mode and health_opts as `staple run -d`
 * would have them from the equivalent flags. */
struct service_run {
        struct run_opts o;
        struct run_mode m;
        struct health_opts h;
        char **cmd;    /* pointers into the service's vectors */
        struct strv labels;
};

static void service_run_done(struct service_run *sr)
{
        free(sr->cmd);
        strv_free(sr->labels.v);
}

/* A list entrypoint [a, b...] is entrypoint a with b... before the command: what the
 * bundle's args come to is the same, and (as in compose) the image's Cmd is dropped. */
static int service_cmd(const struct stack_service *svc, struct service_run *sr)
{
        char **ep = svc->entrypoint;
        size_t n_ep = strv_len(ep), n_cmd = strv_len(svc->command), k = 0;
        if (!ep) {
                sr->o.cmd = svc->command;
                return 0;
        }
        sr->o.entrypoint = n_ep ? ep[0] : "";
        if (!(sr->cmd = calloc(n_ep + n_cmd + 1, sizeof(char *))))
                return -ENOMEM;
        for (size_t i = 1; i < n_ep; i++)
                sr->cmd[k++] = ep[i];
        for (size_t i = 0; i < n_cmd; i++)
                sr->cmd[k++] = svc->command[i];
        sr->o.cmd = sr->cmd;
        return 0;
}

static int service_run_init(const struct stack_service *svc, const char *project, const char *name,
                            struct service_run *sr)
{
        sr->o = (struct run_opts){ .name = name, .env = svc->environment, .workdir = svc->working_dir,
                                   .user = svc->user, .hostname = svc->hostname, .read_only = svc->read_only,
                                   .cgroup_parent = svc->cgroup_parent, .res = svc->res };
        const struct stack_health *h = &svc->health;
        sr->h = h->disable ? (struct health_opts){ .none = true }
                           : (struct health_opts){ .cmd = h->test, .interval = h->interval, .timeout = h->timeout,
                                                   .start_period = h->start_period, .retries = h->retries };
        sr->m = (struct run_mode){ .detach = true, .restart = svc->restart, .health = svc->has_health ? &sr->h : NULL,
                                   .network = svc->network_mode ? svc->network_mode : svc->ports ? "bridge" : NULL,
                                   .ports = svc->ports };
        if (service_cmd(svc, sr) < 0 || strv_init(&sr->labels) < 0)
                return -ENOMEM;
        for (char **l = svc->labels; l && *l; l++)
                if (strv_take(&sr->labels, strdup(*l)) < 0)
                        return -ENOMEM;
        char *pl = NULL, *sl = NULL;
        if (asprintf(&pl, STACK_LABEL_PROJECT "=%s", project) < 0 || strv_take(&sr->labels, pl) < 0 ||
            asprintf(&sl, STACK_LABEL_SERVICE "=%s", svc->name) < 0 || strv_take(&sr->labels, sl) < 0)
                return -ENOMEM;
        sr->m.labels = sr->labels.v;
        return 0;
}

static int service_create(const struct engine *e, const struct stack_service *svc, const char *project,
                          const char *name, struct err *err)
{
        struct service_run sr = { 0 };
        int r = service_run_init(svc, project, name, &sr);
        if (r < 0) {
                service_run_done(&sr);
                return err_errno(err, r, "service %s", svc->name);
        }
        int code = 0;
        r = engine_run(e, svc->image, &sr.o, &sr.m, &code, NULL, err);
        service_run_done(&sr);
        return r;
}

static const struct engine_container *find_name(const struct engine_container *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(v[i].name, name))
                        return &v[i];
        return NULL;
}

/* One service: left alone when it runs, started again when it exited, else made. */
static int service_up(const struct engine *e, const struct stack_service *svc, const char *project,
                      const struct engine_container *v, size_t n, stack_report_fn report, void *u,
                      struct err *err)
{
        static const char *const live[] = { "running", "restarting", "paused" };
        _cleanup_free_ char *name = NULL;
        if (asprintf(&name, "%s-%s-1", project, svc->name) < 0)
                return err_errno(err, -ENOMEM, "service %s", svc->name);
        const struct engine_container *c = find_name(v, n, name);
        int r;
        if (!c) {
                if ((r = service_create(e, svc, project, name, err)) < 0)
                        return r;
                report(name, "created", u);
                return 0;
        }
        const char *p = stack_label(c, STACK_LABEL_PROJECT);
        if (!p || strcmp(p, project))
                return err_set(err, -EEXIST, "container %s exists and is not of project %s", name, project);
        for (size_t i = 0; i < ARRAY_SIZE(live); i++)
                if (!strcmp(c->status, live[i])) {
                        report(name, "running", u);
                        return 0;
                }
        if ((r = engine_start(e, c->id, err)) < 0)
                return r;
        report(name, "started", u);
        return 0;
}

int stack_up(const struct engine *e, const struct stack *s, const char *project, stack_report_fn report, void *u,
             struct err *err)
{
        /* every image is there before anything is made */
        for (size_t i = 0; i < s->n_services; i++) {
                _cleanup_json_ json_object *img = NULL;
                if (engine_image_inspect(e, s->services[i].image, &img, err) < 0)
                        return err_wrap(err, "service %s", s->services[i].name);
        }
        struct engine_container *v = NULL;
        size_t n = 0;
        int r = engine_containers(e, &v, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < s->n_services; i++)
                if ((r = service_up(e, &s->services[i], project, v, n, report, u, err)) < 0)
                        err_wrap(err, "service %s", s->services[i].name);
        engine_containers_free(v, n);
        return r;
}

static int container_down(const struct engine *e, const struct engine_container *c, stack_report_fn report,
                          void *u, struct err *err)
{
        int r = engine_stop(e, c->id, STACK_STOP_TIMEOUT, err);
        if (r >= 0)
                r = engine_rm(e, c->id, false, NULL, err);
        if (r < 0)
                return err_wrap(err, "%s", c->name);
        report(c->name, "removed", u);
        return 0;
}

int stack_down(const struct engine *e, const struct stack *s, const char *project, stack_report_fn report,
               void *u, struct err *err)
{
        struct engine_container *v = NULL;
        size_t n = 0;
        int r = stack_list(e, project, &v, &n, err), first = 0;
        if (r < 0)
                return r;
        /* rank: the service's place in the start order; containers of no known service first */
        size_t n_svc = s ? s->n_services : 0;
        for (size_t rank = n_svc + 1; rank-- > 0;) {
                for (size_t i = 0; i < n; i++) {
                        const char *svc = stack_label(&v[i], STACK_LABEL_SERVICE);
                        ssize_t at = s && svc ? service_index(s, svc) : -1;
                        size_t mine = at < 0 ? n_svc : (size_t)at;
                        struct err e1 = { 0 };
                        if (mine != rank)
                                continue;
                        if (container_down(e, &v[i], report, u, &e1) < 0 && !first) {
                                first = e1.code;
                                *err = e1;
                        }
                }
        }
        engine_containers_free(v, n);
        return first;
}
