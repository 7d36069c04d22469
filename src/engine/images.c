/* images.c: the engine's image commands over the store: list, remove (refusing images
 * that containers use), inspect, prune, load, import, pull and push. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"
#include "image/archive.h"
#include "image/registry.h"
#include "image/store.h"
#include "util/cleanup.h"

static void store_closep(struct store **st)
{
        if (*st)
                store_close(*st);
}
#define _cleanup_store_ _cleanup_(store_closep)

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void image_freep(struct image **img)
{
        if (*img)
                image_free(*img);
}
#define _cleanup_image_ _cleanup_(image_freep)

struct refs {
        char **refs, **digests;
        size_t n;
};

static void refs_done(struct refs *r)
{
        strv_free(r->refs);
        strv_free(r->digests);
}

/* Compressed size of an image: its config and layer blobs, as the manifest lists them. */
static uint64_t manifest_size(json_object *m)
{
        uint64_t total = 0;
        json_object *cfg = NULL, *layers = NULL, *sz = NULL;
        if (json_object_object_get_ex(m, "config", &cfg) && json_object_object_get_ex(cfg, "size", &sz))
                total += (uint64_t)json_object_get_int64(sz);
        if (!json_object_object_get_ex(m, "layers", &layers) || !json_object_is_type(layers, json_type_array))
                return total;
        for (size_t i = 0; i < json_object_array_length(layers); i++)
                if (json_object_object_get_ex(json_object_array_get_idx(layers, i), "size", &sz))
                        total += (uint64_t)json_object_get_int64(sz);
        return total;
}

/* "reg:5000/a/b:tag" -> repository "reg:5000/a/b", tag "tag". */
static int split_ref(const char *ref, struct engine_image *out)
{
        const char *colon = strrchr(ref, ':');
        if (colon && strchr(colon, '/'))
                colon = NULL;
        out->repository = colon ? strndup(ref, (size_t)(colon - ref)) : strdup(ref);
        out->tag = strdup(colon ? colon + 1 : "<none>");
        return out->repository && out->tag ? 0 : -ENOMEM;
}

static int image_entry(struct store *st, const char *ref, const char *digest, struct engine_image *out,
                       struct err *err)
{
        _cleanup_json_ json_object *m = NULL;
        _cleanup_image_ struct image *img = NULL;
        int r = store_read_json_blob(st, digest, &m, err);
        if (r < 0 || (r = store_image_load(st, digest, &img, err)) < 0)
                return err_wrap(err, "image %s", ref);
        json_object *created = NULL;
        const char *c = img->config && json_object_object_get_ex(img->config, "created", &created)
                                ? json_object_get_string(created)
                                : "";
        out->size = manifest_size(m);
        if (split_ref(ref, out) < 0 || !(out->digest = strdup(digest)) || !(out->created = strdup(c ? c : "")))
                return err_errno(err, -ENOMEM, "image %s", ref);
        return 0;
}

int engine_images(const struct engine *e, struct engine_image **ret, size_t *ret_n, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        _cleanup_(refs_done) struct refs l = { 0 };
        int r = store_open(e->root, &st, err);
        if (r < 0 || (r = store_list_refs(st, &l.refs, &l.digests, &l.n, err)) < 0)
                return r;
        struct engine_image *v = calloc(l.n + 1, sizeof(*v));
        if (!v)
                return err_errno(err, -ENOMEM, "images");
        for (size_t i = 0; i < l.n; i++) {
                if ((r = image_entry(st, l.refs[i], l.digests[i], &v[i], err)) < 0) {
                        engine_images_free(v, l.n);
                        return r;
                }
        }
        *ret = v;
        *ret_n = l.n;
        return 0;
}

void engine_images_free(struct engine_image *img, size_t n)
{
        for (size_t i = 0; img && i < n; i++) {
                free(img[i].repository);
                free(img[i].tag);
                free(img[i].digest);
                free(img[i].created);
        }
        free(img);
}

/* The refs to untag for rmi ref: the ref itself when it is a tag, else every tag of the
 * digest it names. */
static int rmi_targets(struct store *st, const char *ref, const char *digest, struct refs *l, char ***ret,
                       struct err *err)
{
        _cleanup_free_ char *norm = NULL;
        struct err ignored = { 0 };
        bool is_tag = store_normalize_ref(ref, &norm, &ignored) >= 0;
        char **v = calloc(l->n + 1, sizeof(char *));
        if (!v)
                return err_errno(err, -ENOMEM, "rmi %s", ref);
        size_t k = 0;
        for (size_t i = 0; i < l->n; i++) {
                bool hit = is_tag ? !strcmp(l->refs[i], norm) : !strcmp(l->digests[i], digest);
                if (hit && !(v[k++] = strdup(l->refs[i]))) {
                        strv_free(v);
                        return err_errno(err, -ENOMEM, "rmi %s", ref);
                }
        }
        *ret = v;
        return 0;
}

static bool digest_tagged(struct store *st, const char *digest)
{
        _cleanup_(refs_done) struct refs l = { 0 };
        struct err ignored = { 0 };
        if (store_list_refs(st, &l.refs, &l.digests, &l.n, &ignored) < 0)
                return true; /* when in doubt, keep the data */
        for (size_t i = 0; i < l.n; i++)
                if (!strcmp(l.digests[i], digest))
                        return true;
        return false;
}

int engine_rmi(const struct engine *e, const char *ref, bool force, char **ret_deleted, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        _cleanup_(refs_done) struct refs l = { 0 };
        _cleanup_free_ char *digest = NULL, *user = NULL;
        _cleanup_strv_ char **targets = NULL, **in_use = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0 || (r = store_resolve(st, ref, &digest, err)) < 0 ||
            (r = store_list_refs(st, &l.refs, &l.digests, &l.n, err)) < 0 ||
            (r = engine_image_user(e, digest, &user, err)) < 0)
                return r;
        if (user && !force)
                return err_set(err, -EBUSY, "image %s is in use by container %.12s: remove the container or use -f",
                               ref, user);
        if ((r = rmi_targets(st, ref, digest, &l, &targets, err)) < 0)
                return r;
        for (char **t = targets; *t; t++)
                if ((r = store_untag(st, *t, err)) < 0)
                        return r;
        *ret_deleted = NULL;
        if (digest_tagged(st, digest))
                return 0;
        size_t freed = 0;
        if ((r = engine_layers_in_use(e, &in_use, err)) < 0 || (r = store_prune(st, in_use, &freed, err)) < 0)
                return r;
        *ret_deleted = TAKE_PTR(digest);
        return 0;
}

static json_object *strv_json(char **v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; v && v[i]; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

int engine_image_inspect(const struct engine *e, const char *ref, json_object **ret, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        _cleanup_(refs_done) struct refs l = { 0 };
        _cleanup_free_ char *digest = NULL;
        _cleanup_image_ struct image *img = NULL;
        _cleanup_json_ json_object *m = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0 || (r = store_resolve(st, ref, &digest, err)) < 0 ||
            (r = store_image_load(st, digest, &img, err)) < 0 || (r = store_read_json_blob(st, digest, &m, err)) < 0 ||
            (r = store_list_refs(st, &l.refs, &l.digests, &l.n, err)) < 0)
                return r;
        json_object *o = json_object_new_object();
        json_object *tags = json_object_new_array();
        for (size_t i = 0; i < l.n; i++)
                if (!strcmp(l.digests[i], digest))
                        json_object_array_add(tags, json_object_new_string(l.refs[i]));
        json_object_object_add(o, "Id", json_object_new_string(digest));
        json_object_object_add(o, "RepoTags", tags);
        json_object_object_add(o, "ConfigDigest", json_object_new_string(img->config_digest));
        json_object_object_add(o, "Size", json_object_new_int64((int64_t)manifest_size(m)));
        json_object_object_add(o, "Layers", strv_json(img->layers));
        json_object_object_add(o, "DiffIds", strv_json(img->diff_ids));
        json_object_object_add(o, "Config", img->config ? json_object_get(img->config) : NULL);
        *ret = o;
        return 0;
}

int engine_image_prune(const struct engine *e, size_t *ret_freed, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        _cleanup_strv_ char **in_use = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0 || (r = engine_layers_in_use(e, &in_use, err)) < 0)
                return r;
        return store_prune(st, in_use, ret_freed, err);
}

int engine_load(const struct engine *e, const char *path, store_progress_fn progress, void *userdata,
                char ***ret_refs, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        store_set_progress(st, progress, userdata);
        return archive_load(st, path, ret_refs, err);
}

int engine_import(const struct engine *e, const char *tar_path, const char *ref, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        return archive_import_rootfs(st, tar_path, ref, err);
}

int engine_save(const struct engine *e, const char *ref, const char *out_path, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        return archive_save(st, ref, out_path, err);
}

int engine_pull(const struct engine *e, const char *ref, const struct registry_opts *o, char **ret_digest,
                struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        return registry_pull(st, ref, o, ret_digest, err);
}

int engine_push(const struct engine *e, const char *src, const char *dest, const struct registry_opts *o,
                char **ret_digest, struct err *err)
{
        _cleanup_store_ struct store *st = NULL;
        int r = store_open(e->root, &st, err);
        if (r < 0)
                return r;
        return registry_push(st, src, dest, o, ret_digest, err);
}
