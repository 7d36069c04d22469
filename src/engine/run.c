/* run.c: containers of the engine: their records under <root>/containers, the run flow
 * (image -> snapshot -> bundle -> runtime -> exit code) and their removal. */
#include "engine/run.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "engine/health.h"
#include "engine/monitor.h"
#include "engine/network.h"
#include "engine/record.h"
#include "engine/snapshot.h"
#include "image/store.h"
#include "oci/container.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define NAME_MAX_LEN 128

static void store_closep(struct store **st)
{
        if (*st)
                store_close(*st);
}
#define _cleanup_store_ _cleanup_(store_closep)

static void image_freep(struct image **img)
{
        if (*img)
                image_free(*img);
}

int engine_dir(const struct engine *e, const char *id, char **ret)
{
        if (id ? asprintf(ret, "%s/containers/%s", e->root, id) < 0 : asprintf(ret, "%s/containers", e->root) < 0)
                return -ENOMEM;
        return 0;
}

struct strv_builder {
        char **v;
        size_t n;
};

static int strv_push(struct strv_builder *b, const char *s)
{
        char **v = realloc(b->v, (b->n + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        b->v = v;
        if (!(v[b->n] = strdup(s)))
                return -ENOMEM;
        v[++b->n] = NULL;
        return 0;
}

static int collect_in_use(const char *id, json_object *rec, void *u)
{
        json_object *ids = NULL;
        if (!json_object_object_get_ex(rec, "diff_ids", &ids) || !json_object_is_type(ids, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(ids); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(ids, i));
                if (s && strv_push(u, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int engine_layers_in_use(const struct engine *e, char ***ret, struct err *err)
{
        struct strv_builder b = { 0 };
        int r = strv_push(&b, "") < 0 ? -ENOMEM : 0; /* never an empty list: NULL means none */
        if (r >= 0)
                r = records_foreach(e, collect_in_use, &b, err);
        if (r == -ENOMEM)
                err_errno(err, r, "containers");
        if (r < 0) {
                strv_free(b.v);
                return r;
        }
        free(b.v[0]);
        memmove(b.v, b.v + 1, b.n * sizeof(char *));
        *ret = b.v;
        return 0;
}

struct user_find {
        const char *digest;
        char *id;
};

static int find_user(const char *id, json_object *rec, void *u)
{
        struct user_find *f = u;
        const char *d = record_str(rec, "image_digest");
        if (!d || strcmp(d, f->digest))
                return 0;
        f->id = strdup(id);
        return f->id ? 1 : -ENOMEM;
}

int engine_image_user(const struct engine *e, const char *digest, char **ret_id, struct err *err)
{
        struct user_find f = { .digest = digest };
        int r = records_foreach(e, find_user, &f, err);
        if (r < 0)
                return r == -ENOMEM ? err_errno(err, r, "containers") : r;
        *ret_id = f.id;
        return 0;
}

/* ---- names and ids ---- */

static bool name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > NAME_MAX_LEN || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[0]))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int new_id(char ret[65])
{
        unsigned char b[32];
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return -EIO;
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(ret + 2 * i, 3, "%02x", b[i]);
        return 0;
}

struct name_find {
        const char *name;
        char *id;
};

static int match_name(const char *id, json_object *rec, void *u)
{
        struct name_find *f = u;
        const char *name = record_str(rec, "name");
        if (strcmp(id, f->name) && (!name || strcmp(name, f->name)))
                return 0;
        f->id = strdup(id);
        return f->id ? 1 : -ENOMEM;
}

/* Taken: another container's name or id (an id prefix may still be a name). */
static int name_taken(const struct engine *e, const char *name, struct err *err)
{
        struct name_find f = { .name = name };
        int r = records_foreach(e, match_name, &f, err);
        _cleanup_free_ char *id = f.id;
        if (r < 0)
                return r == -ENOMEM ? err_errno(err, r, "containers") : r;
        if (id)
                return err_set(err, -EEXIST, "the name \"%s\" is already used by container %.12s", name, id);
        return 0;
}

/* ---- run ---- */

static json_object *record_new(const char *id, const char *name, const char *image, const struct image *img)
{
        json_object *rec = json_object_new_object();
        _cleanup_free_ char *created = record_now();
        json_object_object_add(rec, "id", json_object_new_string(id));
        json_object_object_add(rec, "name", json_object_new_string(name));
        json_object_object_add(rec, "image", json_object_new_string(image));
        json_object_object_add(rec, "image_digest", json_object_new_string(img->manifest_digest));
        json_object_object_add(rec, "created", json_object_new_string(created ? created : ""));
        json_object_object_add(rec, "status", json_object_new_string("created"));
        json_object *ids = json_object_new_array();
        for (size_t i = 0; img->diff_ids && img->diff_ids[i]; i++)
                json_object_array_add(ids, json_object_new_string(img->diff_ids[i]));
        json_object_object_add(rec, "diff_ids", ids);
        return rec;
}

/* The unpacked layer dirs of an image (base first), NULL-terminated. */
static int layer_dirs(struct store *st, const struct image *img, const char *what, char ***ret, struct err *err)
{
        if (!img->diff_ids || !img->layers)
                return err_set(err, -EINVAL, "image %s: no layers", what);
        _cleanup_strv_ char **paths = calloc(img->n_layers + 1, sizeof(char *));
        if (!paths)
                return err_errno(err, -ENOMEM, "image %s", what);
        for (size_t i = 0; i < img->n_layers; i++)
                if (store_layer_path(st, img->layers[i], img->diff_ids[i], &paths[i], err) < 0)
                        return err_wrap(err, "image %s", what);
        *ret = TAKE_PTR(paths);
        return 0;
}

/* Under the store's lock: the image's layers, the snapshot, the bundle and the record. */
/* The network's part of the config, before the bundle writes it (network_spec). */
struct net_finish {
        const char *runtime_root, *id, *dir;
        json_object *net;
};

static int finish_network(json_object *spec, void *u, struct err *err)
{
        const struct net_finish *f = u;
        return network_spec(f->runtime_root, f->id, f->dir, f->net, spec, err);
}

/* The image's Healthcheck and the flags, into the record. */
static int record_health(json_object *rec, const struct image *img, const struct health_opts *h, struct err *err)
{
        json_object *cfg = NULL, *hc = NULL, *out = NULL;
        if (img->config && json_object_object_get_ex(img->config, "config", &cfg))
                json_object_object_get_ex(cfg, "Healthcheck", &hc);
        int r = health_config(hc, h, &out, err);
        if (r >= 0 && out)
                json_object_object_add(rec, "health", out);
        return r;
}

/* "k=v" labels (k alone: an empty value) as the record's "labels" object. */
static void record_labels(json_object *rec, char *const *labels)
{
        if (!labels)
                return;
        json_object *o = json_object_new_object();
        for (; *labels; labels++) {
                const char *eq = strchr(*labels, '=');
                _cleanup_free_ char *k = strndup(*labels, eq ? (size_t)(eq - *labels) : strlen(*labels));
                if (k)
                        json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
        }
        json_object_object_add(rec, "labels", o);
}

static int prepare(const struct engine *e, const char *image, const struct run_opts *o, const struct run_mode *m,
                   json_object *net, const char *id, const char *dir, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        if (o->name && (r = name_taken(e, o->name, err)) < 0)
                return r;
        _cleanup_free_ char *digest = NULL;
        if ((r = store_resolve(st, image, &digest, err)) < 0)
                return r;
        _cleanup_(image_freep) struct image *img = NULL;
        if ((r = store_image_load(st, digest, &img, err)) < 0)
                return err_wrap(err, "image %s", image);
        _cleanup_strv_ char **paths = NULL;
        if ((r = layer_dirs(st, img, image, &paths, err)) < 0)
                return r;
        if ((r = snapshot_create(dir, paths, img->n_layers, err)) < 0)
                return r;
        _cleanup_json_ json_object *rec = record_new(id, o->name ? o->name : id, image, img);
        json_object_object_add(rec, "network", json_object_get(net));
        record_labels(rec, m->labels);
        if ((m->detach && (r = record_health(rec, img, m->health, err)) < 0) || (r = record_write(dir, rec, err)) < 0)
                return r;
        char host[13];
        snprintf(host, sizeof(host), "%.12s", id);
        struct run_opts bo = *o;
        bo.name = id;
        if (!bo.hostname)
                bo.hostname = host;
        struct net_finish nf = { .runtime_root = e->runtime_root, .id = id, .dir = dir, .net = net };
        bo.finish = finish_network;
        bo.finish_u = &nf;
        return bundle_write_config(img, &bo, dir, err);
}

int engine_remount(const struct engine *e, const char *dir, const char *digest, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        _cleanup_(image_freep) struct image *img = NULL;
        if ((r = store_image_load(st, digest, &img, err)) < 0)
                return err_wrap(err, "image %s", digest);
        _cleanup_strv_ char **paths = NULL;
        if ((r = layer_dirs(st, img, digest, &paths, err)) < 0)
                return r;
        return snapshot_mount(dir, paths, img->n_layers, err);
}

/* A detached container's record learns its policy and whether it goes when it ends. */
static int record_mode(const char *dir, const struct run_mode *m, const struct restart_policy *p, struct err *err)
{
        _cleanup_json_ json_object *rec = NULL;
        int r = record_read(dir, &rec);
        if (r < 0)
                return err_errno(err, r, "read the record of %s", dir);
        record_set_str(rec, "restart_policy", p->name);
        record_set_int(rec, "restart_max", p->max);
        record_set_int(rec, "restart_count", 0);
        record_set_int(rec, "auto_remove", m->rm);
        return record_write(dir, rec, err);
}

/* The foreground: the container runs as our child; the exit code is ours. */
static int run_attached(const struct engine *e, const char *id, const char *dir, bool rm, int *ret_exit_code,
                        struct err *err)
{
        struct container_opts co = { .root = e->runtime_root, .id = id, .bundle = dir };
        int code = 1;
        int r = network_start(e->runtime_root, id, dir, err);
        if (r >= 0) {
                r = container_run(&co, false, &code, err);
                struct err nerr = { 0 };
                if (network_stop(e->runtime_root, id, dir, &nerr) < 0 && r >= 0)
                        r = err_set(err, nerr.code, "%s", nerr.msg);
        }
        struct err rerr = { 0 };
        if (rm && snapshot_remove(dir, &rerr) < 0 && r >= 0)
                r = err_set(err, rerr.code, "%s", rerr.msg);
        if (!rm) {
                snapshot_unmount(dir, &rerr);
                record_update(dir, "exited", 0, r < 0 ? 127 : code, &rerr);
        }
        if (r < 0)
                return r;
        *ret_exit_code = code;
        return 0;
}

/* Detached: a monitor starts it; a container that could not start is kept as exited
 * (127), like a foreground one, unless rm. */
static int run_detached(const struct engine *e, const char *id, const char *dir, const struct run_mode *m,
                        const struct restart_policy *p, struct err *err)
{
        int r = record_mode(dir, m, p, err);
        if (r >= 0)
                r = monitor_spawn(e, id, dir, err);
        if (r >= 0)
                return 0;
        struct err rerr = { 0 };
        if (m->rm) {
                snapshot_remove(dir, &rerr);
        } else {
                snapshot_unmount(dir, &rerr);
                record_update(dir, "exited", 0, 127, &rerr);
        }
        return r;
}

int engine_run(const struct engine *e, const char *image, const struct run_opts *o, const struct run_mode *m,
               int *ret_exit_code, char **ret_id, struct err *err)
{
        if (o->name && !name_valid(o->name))
                return err_set(err, -EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
        if (o->tty)
                return err_set(err, -EOPNOTSUPP, "a terminal (-t) is not supported yet");
        struct restart_policy policy;
        int r = restart_policy_parse(m->restart ? m->restart : "no", &policy, err);
        if (r < 0)
                return r;
        const struct health_opts *h = m->health;
        if (!m->detach && h && (h->cmd || h->interval || h->timeout || h->start_period || h->retries))
                return err_set(err, -EINVAL, "--health-* flags need -d: only a detached container has a monitor to run checks");
        if (!m->detach && strcmp(policy.name, "no"))
                return err_set(err, -EINVAL, "--restart %s needs -d: only a detached container has a monitor to restart it",
                               m->restart);
        char id[65];
        _cleanup_free_ char *dir = NULL, *cdir = NULL;
        if (new_id(id) < 0 || engine_dir(e, id, &dir) < 0 || engine_dir(e, NULL, &cdir) < 0)
                return err_errno(err, -ENOMEM, "run %s", image);
        if ((r = mkdir_p_at(AT_FDCWD, cdir, 0700)) < 0)
                return err_errno(err, r, "create %s", cdir);
        _cleanup_json_ json_object *net = NULL;
        if ((r = network_config(m->network, m->ports, &net, err)) < 0)
                return r;
        if ((r = prepare(e, image, o, m, net, id, dir, err)) < 0) {
                snapshot_remove(dir, &(struct err){ 0 });
                return r;
        }
        if (ret_id && !(*ret_id = strdup(id)))
                return err_errno(err, -ENOMEM, "run %s", image);
        *ret_exit_code = 0;
        return m->detach ? run_detached(e, id, dir, m, &policy, err)
                         : run_attached(e, id, dir, m->rm, ret_exit_code, err);
}

/* ---- ps, rm ---- */

/* The record's "labels" object as "k=v" strings, NULL-terminated. */
static char **labels_strv(json_object *rec)
{
        json_object *o = NULL;
        size_t n = 0;
        if (json_object_object_get_ex(rec, "labels", &o) && json_object_is_type(o, json_type_object))
                n = (size_t)json_object_object_length(o);
        char **v = calloc(n + 1, sizeof(char *));
        size_t i = 0;
        if (!v || !n)
                return v;
        json_object_object_foreach(o, k, val) {
                if (asprintf(&v[i], "%s=%s", k, json_object_get_string(val)) < 0) {
                        v[i] = NULL;
                        strv_free(v);
                        return NULL;
                }
                i++;
        }
        return v;
}

struct ps_list {
        const struct engine *e;
        struct engine_container *v;
        size_t n;
};

static int collect_container(const char *id, json_object *rec, void *u)
{
        struct ps_list *l = u;
        struct engine_container *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        l->v = v;
        struct engine_container *c = &v[l->n++];
        memset(c, 0, sizeof(*c));
        json_object *ec = NULL;
        c->exit_code = json_object_object_get_ex(rec, "exit_code", &ec) ? json_object_get_int(ec) : -1;
        _cleanup_free_ char *state = NULL;
        struct err ignored = { 0 };
        _cleanup_json_ json_object *st = container_state(l->e->runtime_root, id, &state, &ignored) >= 0
                                                 ? json_tokener_parse(state)
                                                 : NULL;
        const char *rt = st ? record_str(st, "status") : NULL;
        bool running = rt && (!strcmp(rt, "running") || !strcmp(rt, "paused"));
        const char *status = running ? rt : record_str(rec, "status");
        _cleanup_free_ char *dir = NULL;
        if (engine_dir(l->e, id, &dir) < 0)
                return -ENOMEM;
        /* a monitor that died (killed) left "running" or "restarting" behind */
        if (!running && status && strcmp(status, "exited") && strcmp(status, "created") && !monitor_alive(dir))
                status = "exited";
        c->id = strdup(id);
        c->name = strdup(record_str(rec, "name") ? record_str(rec, "name") : "");
        c->image = strdup(record_str(rec, "image") ? record_str(rec, "image") : "");
        c->image_digest = strdup(record_str(rec, "image_digest") ? record_str(rec, "image_digest") : "");
        c->created = strdup(record_str(rec, "created") ? record_str(rec, "created") : "");
        c->status = strdup(status ? status : "unknown");
        const char *health = record_str(rec, "health_status");
        if (running && health && !(c->health = strdup(health)))
                return -ENOMEM;
        c->labels = labels_strv(rec);
        if (!c->id || !c->name || !c->image || !c->image_digest || !c->created || !c->status || !c->labels)
                return -ENOMEM;
        return 0;
}

int engine_containers(const struct engine *e, struct engine_container **ret, size_t *ret_n, struct err *err)
{
        struct ps_list l = { .e = e };
        int r = records_foreach(e, collect_container, &l, err);
        if (r < 0) {
                engine_containers_free(l.v, l.n);
                return r == -ENOMEM ? err_errno(err, r, "containers") : r;
        }
        *ret = l.v;
        *ret_n = l.n;
        return 0;
}

void engine_containers_free(struct engine_container *c, size_t n)
{
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].id);
                free(c[i].name);
                free(c[i].image);
                free(c[i].image_digest);
                free(c[i].created);
                free(c[i].status);
                free(c[i].health);
                strv_free(c[i].labels);
        }
        free(c);
}

int engine_rm(const struct engine *e, const char *ref, bool force, char **ret_id, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *id = NULL, *dir = NULL, *state = NULL;
        if ((r = record_lookup(e, ref, &id, err)) < 0)
                return r;
        if (engine_dir(e, id, &dir) < 0)
                return err_errno(err, -ENOMEM, "rm %s", ref);
        struct err serr = { 0 };
        bool monitored = monitor_alive(dir);
        if (monitored || container_state(e->runtime_root, id, &state, &serr) >= 0) {
                if (!force)
                        return err_set(err, -EBUSY, "container %.12s is running: stop it first or use -f", id);
                if (!monitored) {
                        r = container_delete(e->runtime_root, id, true, err);
                } else if ((r = monitor_request_stop(dir, err)) >= 0) {
                        /* no restart; the monitor deletes the runtime's state */
                        container_kill(e->runtime_root, id, SIGKILL, true, &serr);
                        r = monitor_wait(dir, err);
                }
                if (r < 0)
                        return err_wrap(err, "rm %.12s", id);
        }
        if ((r = snapshot_remove(dir, err)) < 0)
                return err_wrap(err, "rm %.12s", id);
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return 0;
}
