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
#include <unistd.h>

#include "engine/snapshot.h"
#include "image/store.h"
#include "oci/container.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define RECORD_FILE "container.json"
#define NAME_MAX_LEN 128

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

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

static const char *jstr(json_object *o, const char *key)
{
        json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* ---- records ---- */

static int record_write(const char *dir, json_object *rec, struct err *err)
{
        const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY);
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" RECORD_FILE, dir) < 0)
                return err_errno(err, -ENOMEM, "record %s", dir);
        int r = write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600);
        if (r < 0)
                return err_errno(err, r, "write %s", path);
        return 0;
}

static int record_read(const char *dir, json_object **ret)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        if (asprintf(&path, "%s/" RECORD_FILE, dir) < 0)
                return -ENOMEM;
        int r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r;
        json_object *o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_putp(&o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

/* Calls fn for each container record (unreadable ones are skipped). */
static int records_foreach(const struct engine *e, int (*fn)(const char *id, json_object *rec, void *u),
                           void *u, struct err *err)
{
        _cleanup_free_ char *cdir = NULL;
        if (engine_dir(e, NULL, &cdir) < 0)
                return err_errno(err, -ENOMEM, "containers");
        _cleanup_closedir_ DIR *d = opendir(cdir);
        if (!d && errno == ENOENT)
                return 0;
        if (!d)
                return err_errno(err, neg_errno(), "open %s", cdir);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = NULL;
                _cleanup_json_ json_object *rec = NULL;
                if (engine_dir(e, de->d_name, &dir) < 0)
                        return err_errno(err, -ENOMEM, "containers");
                if (record_read(dir, &rec) < 0)
                        continue;
                int r = fn(de->d_name, rec, u);
                if (r != 0)
                        return r;
        }
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
        const char *d = jstr(rec, "image_digest");
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

struct lookup {
        const char *ref;
        char *id;
        int matches;
};

static int match_ref(const char *id, json_object *rec, void *u)
{
        struct lookup *l = u;
        const char *name = jstr(rec, "name");
        bool exact = !strcmp(id, l->ref) || (name && !strcmp(name, l->ref));
        if (!exact && strncmp(id, l->ref, strlen(l->ref)))
                return 0;
        free(l->id);
        if (!(l->id = strdup(id)))
                return -ENOMEM;
        l->matches = exact ? 1 : l->matches + 1;
        return exact ? 1 : 0;
}

/* A container by id, unique id prefix or name. */
static int container_lookup(const struct engine *e, const char *ref, char **ret_id, struct err *err)
{
        struct lookup l = { .ref = ref };
        int r = *ref ? records_foreach(e, match_ref, &l, err) : 0;
        if (r < 0) {
                free(l.id);
                return r == -ENOMEM ? err_errno(err, r, "containers") : r;
        }
        if (l.matches != 1) {
                free(l.id);
                return err_set(err, l.matches ? -EEXIST : -ENOENT, "%s: no such container%s", ref,
                               l.matches ? " (ambiguous prefix)" : "");
        }
        *ret_id = l.id;
        return 0;
}

static int name_taken(const struct engine *e, const char *name, struct err *err)
{
        _cleanup_free_ char *id = NULL;
        struct err ignored = { 0 };
        if (container_lookup(e, name, &id, &ignored) >= 0)
                return err_set(err, -EEXIST, "the name \"%s\" is already used by container %.12s", name, id);
        return 0;
}

/* ---- run ---- */

static char *now_rfc3339(void)
{
        char buf[64];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ts.tv_sec, &tm));
        return strdup(buf);
}

static json_object *record_new(const char *id, const char *name, const char *image, const struct image *img)
{
        json_object *rec = json_object_new_object();
        _cleanup_free_ char *created = now_rfc3339();
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

/* Under the store's lock: the image's layers, the snapshot, the bundle and the record. */
static int prepare(const struct engine *e, const char *image, const struct run_opts *o, const char *id,
                   const char *dir, struct err *err)
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
        if (!img->diff_ids || !img->layers)
                return err_set(err, -EINVAL, "image %s: no layers", image);
        _cleanup_strv_ char **paths = calloc(img->n_layers + 1, sizeof(char *));
        if (!paths)
                return err_errno(err, -ENOMEM, "image %s", image);
        for (size_t i = 0; i < img->n_layers; i++)
                if ((r = store_layer_path(st, img->layers[i], img->diff_ids[i], &paths[i], err)) < 0)
                        return err_wrap(err, "image %s", image);
        if ((r = snapshot_create(dir, paths, img->n_layers, err)) < 0)
                return r;
        _cleanup_json_ json_object *rec = record_new(id, o->name ? o->name : id, image, img);
        if ((r = record_write(dir, rec, err)) < 0)
                return r;
        char host[13];
        snprintf(host, sizeof(host), "%.12s", id);
        struct run_opts bo = *o;
        bo.name = id;
        if (!bo.hostname)
                bo.hostname = host;
        return bundle_write_config(img, &bo, dir, err);
}

static void record_exit(const char *dir, int code)
{
        _cleanup_json_ json_object *rec = NULL;
        if (record_read(dir, &rec) < 0)
                return;
        json_object_object_add(rec, "status", json_object_new_string("exited"));
        json_object_object_add(rec, "exit_code", json_object_new_int(code));
        record_write(dir, rec, &(struct err){ 0 });
}

int engine_run(const struct engine *e, const char *image, const struct run_opts *o, bool rm,
               int *ret_exit_code, struct err *err)
{
        if (o->name && !name_valid(o->name))
                return err_set(err, -EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", o->name);
        if (o->tty)
                return err_set(err, -EOPNOTSUPP, "a terminal (-t) is not supported yet");
        char id[65];
        _cleanup_free_ char *dir = NULL, *cdir = NULL;
        if (new_id(id) < 0 || engine_dir(e, id, &dir) < 0 || engine_dir(e, NULL, &cdir) < 0)
                return err_errno(err, -ENOMEM, "run %s", image);
        int r = mkdir_p_at(AT_FDCWD, cdir, 0700);
        if (r < 0)
                return err_errno(err, r, "create %s", cdir);
        if ((r = prepare(e, image, o, id, dir, err)) < 0) {
                snapshot_remove(dir, &(struct err){ 0 });
                return r;
        }
        struct container_opts co = { .root = e->runtime_root, .id = id, .bundle = dir };
        int code = 1;
        r = container_run(&co, false, &code, err);
        struct err rerr = { 0 };
        if (rm && snapshot_remove(dir, &rerr) < 0 && r >= 0)
                r = err_set(err, rerr.code, "%s", rerr.msg);
        if (!rm) {
                snapshot_unmount(dir, &rerr);
                record_exit(dir, r < 0 ? 127 : code);
        }
        if (r < 0)
                return r;
        *ret_exit_code = code;
        return 0;
}

/* ---- ps, rm ---- */

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
        bool running = container_state(l->e->runtime_root, id, &state, &ignored) >= 0;
        const char *status = running ? "running" : jstr(rec, "status");
        c->id = strdup(id);
        c->name = strdup(jstr(rec, "name") ? jstr(rec, "name") : "");
        c->image = strdup(jstr(rec, "image") ? jstr(rec, "image") : "");
        c->image_digest = strdup(jstr(rec, "image_digest") ? jstr(rec, "image_digest") : "");
        c->created = strdup(jstr(rec, "created") ? jstr(rec, "created") : "");
        c->status = strdup(status ? status : "unknown");
        if (!c->id || !c->name || !c->image || !c->image_digest || !c->created || !c->status)
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
        if ((r = container_lookup(e, ref, &id, err)) < 0)
                return r;
        if (engine_dir(e, id, &dir) < 0)
                return err_errno(err, -ENOMEM, "rm %s", ref);
        struct err serr = { 0 };
        if (container_state(e->runtime_root, id, &state, &serr) >= 0) {
                if (!force)
                        return err_set(err, -EBUSY, "container %.12s is running: stop it first or use -f", id);
                if ((r = container_delete(e->runtime_root, id, true, err)) < 0)
                        return err_wrap(err, "rm %.12s", id);
        }
        if ((r = snapshot_remove(dir, err)) < 0)
                return err_wrap(err, "rm %.12s", id);
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return 0;
}
