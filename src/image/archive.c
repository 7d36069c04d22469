/* archive.c: docker-archive and OCI layouts in, docker-archive out, rootfs tarballs in.
 *
 * A tar given to load is first unpacked (with the same safe unpacker as layers) into
 * <root>/tmp-load-XXXXXX, always removed afterwards. Every layer is unpacked at load time
 * (which checks its diff-id and refuses hostile entries before anything is tagged); a
 * failed load removes the blobs and layers it added, so the store is as it was. */
#include "image/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/archive_lazy.h"
#include "image/internal.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LOAD_IMAGES_MAX 1000
#define LOAD_LAYERS_MAX 1000
#define OCI_DEPTH_MAX 4

static void image_freep(struct image **i)
{
        image_free(*i);
}

/* A growing NULL-terminated string list. */
struct strv {
        char **v;
        size_t n, cap;
};

static int strv_push(struct strv *s, const char *str)
{
        if (s->n + 1 >= s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                char **nv = realloc(s->v, cap * sizeof(char *));
                if (!nv)
                        return -ENOMEM;
                s->v = nv;
                s->cap = cap;
        }
        if (!(s->v[s->n] = strdup(str)))
                return -ENOMEM;
        s->v[++s->n] = NULL;
        return 0;
}

/* What one load or import added, so a failure can take it back. */
struct txn {
        struct store *st;
        struct strv blobs;    /* blobs new to the store */
        struct strv layers;   /* layer dirs (diff-ids) new to the store */
        struct strv refs;     /* pending tags: ref, digest, ref, digest... */
};

static void txn_rollback(struct txn *t)
{
        for (size_t i = 0; i < t->blobs.n; i++)
                store_remove_blob(t->st, t->blobs.v[i]);
        for (size_t i = 0; i < t->layers.n; i++) {
                char p[128];
                snprintf(p, sizeof(p), "layers/%s", digest_hex(t->layers.v[i]));
                rm_rf_at(store_root_fd(t->st), p);
        }
}

static void txn_free(struct txn *t)
{
        strv_free(t->blobs.v);
        strv_free(t->layers.v);
        strv_free(t->refs.v);
}

static int txn_put_fd(struct txn *t, int fd, const char *expected, char **ret_digest, struct err *err)
{
        bool created = false;
        int r = store_put_blob_new(t->st, fd, expected, ret_digest, &created, err);
        if (r >= 0 && created && strv_push(&t->blobs, *ret_digest) < 0)
                r = err_errno(err, -ENOMEM, "store blob");
        return r;
}

static int txn_put_json(struct txn *t, struct json_object *o, char **ret_digest, size_t *ret_size, struct err *err)
{
        bool created = false;
        int r = store_put_json(t->st, o, ret_digest, ret_size, &created, err);
        if (r >= 0 && created && strv_push(&t->blobs, *ret_digest) < 0)
                r = err_errno(err, -ENOMEM, "store blob");
        return r;
}

/* Size of a blob in bytes, 0 when it cannot tell (for progress only). */
static uint64_t blob_size(struct store *st, const char *digest)
{
        _cleanup_close_ int fd = -1;
        struct stat s;
        struct err ignored = { 0 };
        if (store_open_blob(st, digest, &fd, &ignored) < 0 || fstat(fd, &s) < 0)
                return 0;
        return (uint64_t)s.st_size;
}

/* Unpacks every layer of the image (verifying diff-ids), remembering the new ones. */
static int txn_unpack_image(struct txn *t, const char *manifest_digest, struct err *err)
{
        _cleanup_(image_freep) struct image *img = NULL;
        int r = store_image_load(t->st, manifest_digest, &img, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < img->n_layers; i++) {
                char p[128];
                snprintf(p, sizeof(p), "layers/%s", digest_hex(img->diff_ids[i]));
                bool existed = faccessat(store_root_fd(t->st), p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
                _cleanup_free_ char *path = NULL;
                uint64_t size = blob_size(t->st, img->layers[i]);
                store_report(t->st, img->layers[i], 0, size, false);
                if ((r = store_layer_path(t->st, img->layers[i], img->diff_ids[i], &path, err)) < 0)
                        return r;
                store_report(t->st, img->layers[i], size, size, true);
                if (!existed && strv_push(&t->layers, img->diff_ids[i]) < 0)
                        return err_errno(err, -ENOMEM, "layer %s", img->diff_ids[i]);
        }
        return 0;
}

static int txn_add_ref(struct txn *t, const char *ref, const char *digest, struct err *err)
{
        _cleanup_free_ char *name = NULL;
        int r = store_normalize_ref(ref, &name, err);
        if (r < 0)
                return r;
        if (strv_push(&t->refs, name) < 0 || strv_push(&t->refs, digest) < 0)
                return err_errno(err, -ENOMEM, "tag %s", name);
        return 0;
}

/* Tags everything pending; the refs (or the digest of an untagged image) go to ret. */
static int txn_commit(struct txn *t, char ***ret_refs, struct err *err)
{
        for (size_t i = 0; i + 1 < t->refs.n; i += 2) {
                if (!strcmp(t->refs.v[i], t->refs.v[i + 1]))
                        continue; /* untagged: listed by digest only */
                int r = store_tag(t->st, t->refs.v[i], t->refs.v[i + 1], err);
                if (r < 0)
                        return r;
        }
        if (!ret_refs)
                return 0;
        struct strv out = { 0 };
        for (size_t i = 0; i < t->refs.n; i += 2)
                if (strv_push(&out, t->refs.v[i]) < 0) {
                        strv_free(out.v);
                        return err_errno(err, -ENOMEM, "load");
                }
        if (!out.v && !(out.v = calloc(1, sizeof(char *))))
                return err_errno(err, -ENOMEM, "load");
        *ret_refs = out.v;
        return 0;
}

/* ---- helpers ---- */

static int read_in_root(int dfd, const char *rel, const char *what, struct json_object **ret, struct err *err)
{
        int fd = openat_in_root(dfd, rel, O_RDONLY, 0);
        if (fd < 0)
                return err_errno(err, fd, "%s %s", what, rel);
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, p, &text, &len);
        close(fd);
        if (r < 0)
                return err_errno(err, r, "read %s %s", what, rel);
        return image_json_parse(text, len, rel, ret, err);
}

static const char *jstr(struct json_object *o, const char *key)
{
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

static struct json_object *descriptor(const char *mt, const char *digest, size_t size)
{
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "mediaType", json_object_new_string(mt));
        json_object_object_add(d, "digest", json_object_new_string(digest));
        json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
        return d;
}

/* An OCI manifest for a config and its layers (descriptors, ownership taken). */
static int put_manifest(struct txn *t, const char *cfg_digest, size_t cfg_size, struct json_object *layers,
                        char **ret_digest, struct err *err)
{
        _cleanup_json_ struct json_object *m = json_object_new_object();
        json_object_object_add(m, "schemaVersion", json_object_new_int(2));
        json_object_object_add(m, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
        json_object_object_add(m, "config", descriptor(MT_OCI_CONFIG, cfg_digest, cfg_size));
        json_object_object_add(m, "layers", layers);
        return txn_put_json(t, m, ret_digest, NULL, err);
}

/* ---- docker-archive ---- */

/* Stores one layer file of a docker-archive; plain tars are verified against the diff-id. */
static int docker_put_layer(struct txn *t, int dfd, const char *rel, const char *diff_id, struct json_object *out,
                            struct err *err)
{
        _cleanup_close_ int fd = openat_in_root(dfd, rel, O_RDONLY, 0);
        if (fd < 0)
                return err_errno(err, fd, "layer %s", rel);
        struct stat s;
        if (fstat(fd, &s) < 0)
                return err_errno(err, neg_errno(), "stat layer %s", rel);
        const char *mt = layer_media_type(fd);
        bool plain = !strcmp(mt, MT_OCI_LAYER);
        _cleanup_free_ char *digest = NULL;
        int r = txn_put_fd(t, fd, plain ? diff_id : NULL, &digest, err);
        if (r < 0)
                return err_wrap(err, "layer %s", rel);
        json_object_array_add(out, descriptor(mt, digest, (size_t)s.st_size));
        return 0;
}

static int docker_load_item(struct txn *t, int dfd, struct json_object *item, struct err *err)
{
        const char *cfg = jstr(item, "Config");
        struct json_object *layers = jarr(item, "Layers"), *tags = jarr(item, "RepoTags");
        if (!cfg || !layers)
                return err_set(err, -EBADMSG, "manifest.json: an entry lacks Config or Layers");
        _cleanup_close_ int cfd = openat_in_root(dfd, cfg, O_RDONLY, 0);
        if (cfd < 0)
                return err_errno(err, cfd, "config %s", cfg);
        _cleanup_free_ char *cfg_digest = NULL, *m_digest = NULL;
        _cleanup_json_ struct json_object *config = NULL;
        size_t cfg_size = 0;
        int r = txn_put_fd(t, cfd, NULL, &cfg_digest, err);
        if (r >= 0)
                r = store_read_json_blob(t->st, cfg_digest, &config, err);
        if (r >= 0)
                r = store_blob_size(t->st, cfg_digest, &cfg_size, err);
        if (r < 0)
                return err_wrap(err, "config %s", cfg);
        struct json_object *rootfs, *diffs = NULL;
        if (json_object_object_get_ex(config, "rootfs", &rootfs))
                diffs = jarr(rootfs, "diff_ids");
        size_t n = json_object_array_length(layers);
        if (!diffs || json_object_array_length(diffs) != n || n > LOAD_LAYERS_MAX)
                return err_set(err, -EBADMSG, "config %s: rootfs.diff_ids does not match the %zu layers", cfg, n);
        struct json_object *descs = json_object_new_array();
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const char *rel = json_object_get_string(json_object_array_get_idx(layers, i));
                const char *diff = json_object_get_string(json_object_array_get_idx(diffs, i));
                r = rel ? docker_put_layer(t, dfd, rel, diff, descs, err)
                        : err_set(err, -EBADMSG, "manifest.json: layer %zu is not a path", i);
        }
        if (r < 0) {
                json_object_put(descs);
                return r;
        }
        if ((r = put_manifest(t, cfg_digest, cfg_size, descs, &m_digest, err)) < 0 ||
            (r = txn_unpack_image(t, m_digest, err)) < 0)
                return r;
        size_t nt = tags ? json_object_array_length(tags) : 0;
        for (size_t i = 0; i < nt; i++) {
                const char *tag = json_object_get_string(json_object_array_get_idx(tags, i));
                if (tag && (r = txn_add_ref(t, tag, m_digest, err)) < 0)
                        return r;
        }
        if (nt == 0 && (strv_push(&t->refs, m_digest) < 0 || strv_push(&t->refs, m_digest) < 0))
                return err_errno(err, -ENOMEM, "load");
        return 0;
}

static int docker_load(struct txn *t, int dfd, struct err *err)
{
        _cleanup_json_ struct json_object *m = NULL;
        int r = read_in_root(dfd, "manifest.json", "docker-archive", &m, err);
        if (r < 0)
                return r;
        if (!json_object_is_type(m, json_type_array))
                return err_set(err, -EBADMSG, "manifest.json: not an array");
        size_t n = json_object_array_length(m);
        if (n > LOAD_IMAGES_MAX)
                return err_set(err, -E2BIG, "manifest.json: more than %d images", LOAD_IMAGES_MAX);
        for (size_t i = 0; i < n; i++)
                if ((r = docker_load_item(t, dfd, json_object_array_get_idx(m, i), err)) < 0)
                        return r;
        return 0;
}

/* ---- OCI layout ---- */

static bool oci_has_blob(int dfd, const char *digest)
{
        char p[128];
        snprintf(p, sizeof(p), "blobs/sha256/%s", digest_hex(digest));
        int fd = openat_in_root(dfd, p, O_PATH, 0);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

static int oci_copy_blob(struct txn *t, int dfd, const char *digest, struct err *err)
{
        if (!digest_hex(digest))
                return err_set(err, -EBADMSG, "OCI layout: invalid digest \"%s\"", digest ? digest : "");
        char p[128];
        snprintf(p, sizeof(p), "blobs/sha256/%s", digest_hex(digest));
        _cleanup_close_ int fd = openat_in_root(dfd, p, O_RDONLY, 0);
        if (fd < 0)
                return err_errno(err, fd, "OCI layout: blob %s", digest);
        _cleanup_free_ char *got = NULL;
        int r = txn_put_fd(t, fd, digest, &got, err);
        return r < 0 ? err_wrap(err, "OCI layout: blob %s", digest) : 0;
}

/* Copies a manifest or index and everything it references that the layout has. */
static int oci_copy_tree(struct txn *t, int dfd, const char *digest, int depth, struct err *err)
{
        if (depth > OCI_DEPTH_MAX)
                return err_set(err, -ELOOP, "OCI layout: indexes nested too deep");
        int r = oci_copy_blob(t, dfd, digest, err);
        _cleanup_json_ struct json_object *m = NULL;
        if (r < 0 || (r = store_read_json_blob(t->st, digest, &m, err)) < 0)
                return r;
        struct json_object *arr = jarr(m, "manifests"), *cfg;
        for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
                const char *d = jstr(json_object_array_get_idx(arr, i), "digest");
                if (d && digest_hex(d) && oci_has_blob(dfd, d) && (r = oci_copy_tree(t, dfd, d, depth + 1, err)) < 0)
                        return r;
        }
        if (arr)
                return 0;
        if (!json_object_object_get_ex(m, "config", &cfg) || (r = oci_copy_blob(t, dfd, jstr(cfg, "digest"), err)) < 0)
                return r < 0 ? r : err_set(err, -EBADMSG, "OCI manifest %s: no config", digest);
        arr = jarr(m, "layers");
        for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
                if ((r = oci_copy_blob(t, dfd, jstr(json_object_array_get_idx(arr, i), "digest"), err)) < 0)
                        return r;
        return 0;
}

/* The image name of an index.json entry: containerd's full name, else ref.name when it
 * is a full reference (a bare tag names no image: the image stays untagged). */
static const char *oci_ref_name(struct json_object *desc)
{
        struct json_object *ann;
        if (!json_object_object_get_ex(desc, "annotations", &ann))
                return NULL;
        const char *n = jstr(ann, "io.containerd.image.name");
        if (n)
                return n;
        n = jstr(ann, "org.opencontainers.image.ref.name");
        return n && (strchr(n, '/') || strchr(n, ':')) ? n : NULL;
}

static int oci_load(struct txn *t, int dfd, struct err *err)
{
        _cleanup_json_ struct json_object *idx = NULL;
        int r = read_in_root(dfd, "index.json", "OCI layout", &idx, err);
        if (r < 0)
                return r;
        struct json_object *arr = jarr(idx, "manifests");
        if (!arr)
                return err_set(err, -EBADMSG, "index.json: no manifests array");
        size_t n = json_object_array_length(arr);
        if (n > LOAD_IMAGES_MAX)
                return err_set(err, -E2BIG, "index.json: more than %d images", LOAD_IMAGES_MAX);
        for (size_t i = 0; i < n; i++) {
                struct json_object *d = json_object_array_get_idx(arr, i);
                const char *digest = jstr(d, "digest"), *name = oci_ref_name(d);
                if ((r = oci_copy_tree(t, dfd, digest, 0, err)) < 0 || (r = txn_unpack_image(t, digest, err)) < 0)
                        return r;
                if (name)
                        r = txn_add_ref(t, name, digest, err);
                else if (strv_push(&t->refs, digest) < 0 || strv_push(&t->refs, digest) < 0)
                        r = err_errno(err, -ENOMEM, "load");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- load ---- */

static bool has_file(int dfd, const char *rel)
{
        int fd = openat_in_root(dfd, rel, O_PATH, 0);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

static int load_dir(struct txn *t, int dfd, struct err *err)
{
        if (has_file(dfd, "manifest.json"))
                return docker_load(t, dfd, err);
        if (has_file(dfd, "index.json"))
                return oci_load(t, dfd, err);
        return err_set(err, -EBADMSG, "neither a docker-archive (manifest.json) nor an OCI layout (index.json)");
}

/* Unpacks an archive file into a temp dir under the store (the caller removes it). */
static int load_extract(struct store *st, const char *path, char **ret_tmp, int *ret_fd, struct err *err)
{
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s/tmp-load-XXXXXX", store_root(st)) < 0)
                return err_errno(err, -ENOMEM, "load %s", path);
        if (!mkdtemp(tmp))
                return err_errno(err, neg_errno(), "create %s", tmp);
        *ret_tmp = TAKE_PTR(tmp);
        _cleanup_close_ int ffd = open(path, O_RDONLY | O_CLOEXEC);
        if (ffd < 0)
                return err_errno(err, neg_errno(), "open %s", path);
        _cleanup_close_ int tfd = open(*ret_tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (tfd < 0)
                return err_errno(err, neg_errno(), "open %s", *ret_tmp);
        const struct layer_opts o = { 0 };
        int r = layer_unpack(ffd, tfd, &o, NULL, err);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(tfd);
        return 0;
}

int archive_load(struct store *st, const char *path, char ***ret_refs, struct err *err)
{
        struct stat s;
        if (stat(path, &s) < 0)
                return err_errno(err, neg_errno(), "load %s", path);
        int r = crypto_lazy_load(err); /* blobs are hashed: a clear error before any work */
        if (r < 0)
                return err_wrap(err, "load %s", path);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF;
        if (S_ISDIR(s.st_mode)) {
                if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        r = err_errno(err, neg_errno(), "open %s", path);
        } else {
                r = load_extract(st, path, &tmp, &dfd, err);
        }
        struct txn t = { .st = st };
        if (r >= 0 && (r = load_dir(&t, dfd, err)) >= 0)
                r = txn_commit(&t, ret_refs, err);
        if (r < 0) {
                txn_rollback(&t);
                err_wrap(err, "load %s", path);
        }
        txn_free(&t);
        if (tmp)
                rm_rf_at(AT_FDCWD, tmp);
        return r;
}

/* ---- import ---- */

static struct json_object *import_config(const char *diff_id)
{
        char now[64];
        time_t tt = time(NULL);
        struct tm tm;
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
        struct json_object *c = json_object_new_object(), *rootfs = json_object_new_object();
        struct json_object *diffs = json_object_new_array(), *cfg = json_object_new_object();
        struct json_object *env = json_object_new_array(), *cmd = json_object_new_array();
        struct json_object *hist = json_object_new_array(), *h = json_object_new_object();
        json_object_object_add(c, "created", json_object_new_string(now));
        json_object_object_add(c, "architecture", json_object_new_string("amd64"));
        json_object_object_add(c, "os", json_object_new_string("linux"));
        json_object_array_add(env, json_object_new_string(DEFAULT_PATH));
        json_object_array_add(cmd, json_object_new_string("sh"));
        json_object_object_add(cfg, "Env", env);
        json_object_object_add(cfg, "Cmd", cmd);
        json_object_object_add(c, "config", cfg);
        json_object_array_add(diffs, json_object_new_string(diff_id));
        json_object_object_add(rootfs, "type", json_object_new_string("layers"));
        json_object_object_add(rootfs, "diff_ids", diffs);
        json_object_object_add(c, "rootfs", rootfs);
        json_object_object_add(h, "created", json_object_new_string(now));
        json_object_object_add(h, "created_by", json_object_new_string("staple import"));
        json_object_array_add(hist, h);
        json_object_object_add(c, "history", hist);
        return c;
}

static int import_layer(struct txn *t, const char *tar_path, const char *ref, struct err *err)
{
        _cleanup_close_ int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open %s", tar_path);
        struct stat s;
        if (fstat(fd, &s) < 0)
                return err_errno(err, neg_errno(), "stat %s", tar_path);
        const char *mt = layer_media_type(fd);
        _cleanup_free_ char *blob = NULL, *diff = NULL, *cfg_digest = NULL, *m_digest = NULL;
        int r = txn_put_fd(t, fd, NULL, &blob, err);
        if (r < 0)
                return r;
        if (!strcmp(mt, MT_OCI_LAYER)) {
                if (!(diff = strdup(blob)))
                        return err_errno(err, -ENOMEM, "import");
        } else {
                _cleanup_close_ int bfd = -EBADF;
                if ((r = store_open_blob(t->st, blob, &bfd, err)) < 0 || (r = layer_diff_id(bfd, &diff, err)) < 0)
                        return r;
        }
        _cleanup_json_ struct json_object *cfg = import_config(diff);
        size_t cfg_size = 0;
        if ((r = txn_put_json(t, cfg, &cfg_digest, &cfg_size, err)) < 0)
                return r;
        struct json_object *layers = json_object_new_array();
        json_object_array_add(layers, descriptor(mt, blob, (size_t)s.st_size));
        if ((r = put_manifest(t, cfg_digest, cfg_size, layers, &m_digest, err)) < 0 ||
            (r = txn_unpack_image(t, m_digest, err)) < 0)
                return r;
        return txn_add_ref(t, ref, m_digest, err);
}

int archive_import_rootfs(struct store *st, const char *tar_path, const char *ref, struct err *err)
{
        _cleanup_free_ char *name = NULL;
        int r = store_normalize_ref(ref, &name, err);
        if (r < 0 || (r = crypto_lazy_load(err)) < 0)
                return err_wrap(err, "import %s", tar_path);
        struct txn t = { .st = st };
        if ((r = import_layer(&t, tar_path, name, err)) >= 0)
                r = txn_commit(&t, NULL, err);
        if (r < 0) {
                txn_rollback(&t);
                err_wrap(err, "import %s", tar_path);
        }
        txn_free(&t);
        return r;
}

/* ---- save ---- */

static int save_entry(struct archive *a, const char *name, int fd, struct err *err)
{
        struct stat s;
        if (fstat(fd, &s) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return err_errno(err, neg_errno(), "save %s", name);
        struct archive_entry *e = archive_entry_new();
        if (!e)
                return err_set(err, -ENOMEM, "save %s", name);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, s.st_size);
        archive_entry_set_mtime(e, 0, 0);
        int r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -EIO;
        archive_entry_free(e);
        char buf[1 << 16];
        ssize_t n;
        while (r >= 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_errno(err, neg_errno(), "save %s: read", name);
                if (archive_write_data(a, buf, (size_t)n) != n)
                        r = -EIO;
        }
        if (r < 0)
                return err_set(err, r, "save %s: %s", name, archive_error_string(a) ?: "write error");
        return 0;
}

/* A layer blob as an uncompressed tar (a memfd copy when the blob is compressed). */
static int save_layer_fd(struct store *st, const char *blob, int *ret_fd, struct err *err)
{
        _cleanup_close_ int bfd = -EBADF;
        int r = store_open_blob(st, blob, &bfd, err);
        if (r < 0)
                return r;
        if (!strcmp(layer_media_type(bfd), MT_OCI_LAYER)) {
                *ret_fd = TAKE_FD(bfd);
                return 0;
        }
        char tmpl[4096];
        snprintf(tmpl, sizeof(tmpl), "%s/tmp-save-XXXXXX", store_root(st));
        _cleanup_close_ int out = mkostemp(tmpl, O_CLOEXEC);
        if (out < 0)
                return err_errno(err, neg_errno(), "create %s", tmpl);
        unlink(tmpl); /* anonymous from now on */
        if ((r = layer_decompress(bfd, out, err)) < 0)
                return err_wrap(err, "layer %s", blob);
        *ret_fd = TAKE_FD(out);
        return 0;
}

static int save_write(struct store *st, const struct image *img, const char *name, struct archive *a,
                      struct err *err)
{
        _cleanup_json_ struct json_object *m = json_object_new_array(), *item = json_object_new_object();
        struct json_object *layers = json_object_new_array(), *tags = json_object_new_array();
        char cfg_name[128];
        snprintf(cfg_name, sizeof(cfg_name), "%s.json", digest_hex(img->config_digest));
        json_object_object_add(item, "Config", json_object_new_string(cfg_name));
        json_object_object_add(item, "RepoTags", tags);
        json_object_object_add(item, "Layers", layers);
        if (name)
                json_object_array_add(tags, json_object_new_string(name));
        _cleanup_close_ int cfd = -EBADF;
        int r = store_open_blob(st, img->config_digest, &cfd, err);
        if (r < 0 || (r = save_entry(a, cfg_name, cfd, err)) < 0)
                return r;
        for (size_t i = 0; i < img->n_layers; i++) {
                char lname[128];
                snprintf(lname, sizeof(lname), "%s/layer.tar", digest_hex(img->diff_ids[i]));
                json_object_array_add(layers, json_object_new_string(lname));
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        dup = dup || !strcmp(img->diff_ids[j], img->diff_ids[i]);
                _cleanup_close_ int lfd = -EBADF;
                if (!dup && ((r = save_layer_fd(st, img->layers[i], &lfd, err)) < 0 ||
                             (r = save_entry(a, lname, lfd, err)) < 0))
                        return r;
        }
        json_object_array_add(m, json_object_get(item));
        const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_close_ int mfd = memfd_create("manifest.json", MFD_CLOEXEC);
        if (mfd < 0 || (r = write_all(mfd, text, strlen(text))) < 0)
                return err_errno(err, mfd < 0 ? neg_errno() : r, "save manifest.json");
        return save_entry(a, "manifest.json", mfd, err);
}

int archive_save(struct store *st, const char *ref, const char *out_path, struct err *err)
{
        _cleanup_free_ char *digest = NULL, *name = NULL, *tmp = NULL;
        _cleanup_(image_freep) struct image *img = NULL;
        struct err e2;
        int r = store_resolve(st, ref, &digest, err);
        if (r < 0 || (r = store_image_load(st, digest, &img, err)) < 0)
                return err_wrap(err, "save %s", ref);
        if ((r = archive_lazy_load(err)) < 0)
                return err_wrap(err, "save %s", ref);
        if (!digest_hex(ref) && store_normalize_ref(ref, &name, &e2) < 0)
                name = NULL;
        if (asprintf(&tmp, "%s.tmp-XXXXXX", out_path) < 0)
                return err_errno(err, -ENOMEM, "save %s", ref);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return err_errno(err, neg_errno(), "create %s", tmp);
        struct archive *a = archive_write_new();
        if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
                r = err_set(err, -EIO, "save %s: %s", out_path, a ? archive_error_string(a) ?: "" : "out of memory");
        if (r >= 0)
                r = save_write(st, img, name, a, err);
        if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
                r = err_set(err, -EIO, "save %s: %s", out_path, archive_error_string(a) ?: "close");
        if (a)
                archive_write_free(a);
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = err_errno(err, neg_errno(), "chmod %s", tmp);
        if (r >= 0 && fsync(fd) < 0)
                r = err_errno(err, neg_errno(), "fsync %s", tmp);
        if (r >= 0 && rename(tmp, out_path) < 0)
                r = err_errno(err, neg_errno(), "rename %s to %s", tmp, out_path);
        if (r < 0)
                unlink(tmp);
        return r;
}
