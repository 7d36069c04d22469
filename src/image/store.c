/* store.c: blobs by sha256, refs.json, the store lock, manifests to images, prune.
 * Layout and guarantees: docs/images.md. */
#include "image/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define BLOB_DIR "blobs/sha256"
#define BLOB_TMP_DIR "blobs/tmp"
#define REFS_FILE "refs.json"
#define REFS_MAX 100000
#define INDEX_DEPTH_MAX 4

struct store {
        char *root;
        int root_fd;
        int lock_fd;
        store_progress_fn progress;
        void *progress_data;
};

void store_set_progress(struct store *st, store_progress_fn fn, void *userdata)
{
        st->progress = fn;
        st->progress_data = userdata;
}

void store_report(struct store *st, const char *what, uint64_t done, uint64_t total, bool final)
{
        if (st->progress)
                st->progress(st->progress_data, what, done, total, final);
}

const char *digest_hex(const char *digest)
{
        if (!digest || strncmp(digest, "sha256:", 7) != 0)
                return NULL;
        const char *h = digest + 7;
        size_t i;
        for (i = 0; h[i]; i++)
                if (!isxdigit((unsigned char)h[i]) || isupper((unsigned char)h[i]))
                        return NULL;
        return i == DIGEST_HEX_LEN ? h : NULL;
}

void digest_final(EVP_MD_CTX *ctx, char out[DIGEST_STR_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx, md, &n);
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < n && i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        out[DIGEST_STR_LEN] = '\0';
}

int store_root_fd(const struct store *st)
{
        return st->root_fd;
}

const char *store_root(const struct store *st)
{
        return st->root;
}

/* Leftovers of a crashed command: temp blobs and half-unpacked layers. Runs under the lock. */
static void store_clean_tmp(struct store *st)
{
        rm_rf_at(st->root_fd, BLOB_TMP_DIR);
        mkdirat(st->root_fd, BLOB_TMP_DIR, 0700);
        static const char *const dirs[] = { "layers", "." };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                int fd = openat(st->root_fd, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                _cleanup_closedir_ DIR *d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        continue;
                }
                struct dirent *de;
                while ((de = readdir(d)))
                        if (!strncmp(de->d_name, "tmp-", 4))
                                rm_rf_at(dirfd(d), de->d_name);
        }
}

int store_open(const char *root, struct store **ret, struct err *err)
{
        int r = mkdir_p_at(AT_FDCWD, root, 0700);
        if (r < 0)
                return err_errno(err, r, "create store %s", root);
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return err_errno(err, neg_errno(), "open store %s", root);
        _cleanup_close_ int lfd = openat(rfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lfd < 0)
                return err_errno(err, neg_errno(), "open %s/lock", root);
        while (flock(lfd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "lock %s/lock", root);
        static const char *const dirs[] = { "blobs", BLOB_DIR, BLOB_TMP_DIR, "layers" };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                if (mkdirat(rfd, dirs[i], 0700) < 0 && errno != EEXIST)
                        return err_errno(err, neg_errno(), "create %s/%s", root, dirs[i]);
        struct store *st = calloc(1, sizeof(*st));
        if (!st || !(st->root = strdup(root))) {
                free(st);
                return err_errno(err, -ENOMEM, "open store %s", root);
        }
        st->root_fd = TAKE_FD(rfd);
        st->lock_fd = TAKE_FD(lfd);
        store_clean_tmp(st);
        *ret = st;
        return 0;
}

void store_close(struct store *st)
{
        if (!st)
                return;
        close(st->root_fd);
        close(st->lock_fd); /* drops the flock */
        free(st->root);
        free(st);
}

/* A blob being written: temp file in blobs/tmp, hashed as it grows. */
struct blob_writer {
        int fd;
        char name[64];
        EVP_MD_CTX *ctx;
};

static int blob_writer_begin(struct store *st, struct blob_writer *w, struct err *err)
{
        static unsigned counter;
        w->ctx = EVP_MD_CTX_new();
        if (!w->ctx || EVP_DigestInit_ex(w->ctx, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(w->ctx);
                return err_set(err, -ENOMEM, "sha256: cannot initialise");
        }
        snprintf(w->name, sizeof(w->name), "%s/blob-%d-%u", BLOB_TMP_DIR, (int)getpid(), counter++);
        w->fd = openat(st->root_fd, w->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w->fd < 0) {
                EVP_MD_CTX_free(w->ctx);
                return err_errno(err, neg_errno(), "create %s/%s", st->root, w->name);
        }
        return 0;
}

static int blob_writer_add(struct blob_writer *w, const void *data, size_t len)
{
        EVP_DigestUpdate(w->ctx, data, len);
        return write_all(w->fd, data, len);
}

static void blob_writer_abort(struct store *st, struct blob_writer *w)
{
        close(w->fd);
        unlinkat(st->root_fd, w->name, 0);
        EVP_MD_CTX_free(w->ctx);
}

/* Verifies, fsyncs and renames the temp file into place; always consumes w. */
static int blob_writer_commit(struct store *st, struct blob_writer *w, const char *expected, char **ret_digest,
                              bool *ret_created, struct err *err)
{
        char got[DIGEST_STR_LEN + 1];
        digest_final(w->ctx, got);
        int r = 0;
        if (expected && strcmp(expected, got) != 0)
                r = err_set(err, -EBADMSG, "digest mismatch: expected %s, got %s", expected, got);
        else if (fsync(w->fd) < 0)
                r = err_errno(err, neg_errno(), "fsync blob %s", got);
        char dst[128];
        snprintf(dst, sizeof(dst), "%s/%s", BLOB_DIR, got + 7);
        if (r >= 0 && ret_created)
                *ret_created = faccessat(st->root_fd, dst, F_OK, AT_SYMLINK_NOFOLLOW) < 0;
        if (r >= 0 && renameat(st->root_fd, w->name, st->root_fd, dst) < 0)
                r = err_errno(err, neg_errno(), "rename blob into %s/%s", st->root, dst);
        if (r < 0) {
                blob_writer_abort(st, w);
                return r;
        }
        close(w->fd);
        EVP_MD_CTX_free(w->ctx);
        if (ret_digest && !(*ret_digest = strdup(got)))
                return err_errno(err, -ENOMEM, "blob %s", got);
        return 0;
}

int store_put_blob(struct store *st, int fd, const char *expected, char **ret_digest, struct err *err)
{
        return store_put_blob_new(st, fd, expected, ret_digest, NULL, err);
}

int store_put_blob_new(struct store *st, int fd, const char *expected, char **ret_digest, bool *ret_created,
                       struct err *err)
{
        if (expected && !digest_hex(expected))
                return err_set(err, -EINVAL, "invalid digest \"%s\": want sha256:<64 hex digits>", expected);
        struct blob_writer w;
        int r = blob_writer_begin(st, &w, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = malloc(1 << 17);
        if (!buf) {
                blob_writer_abort(st, &w);
                return err_errno(err, -ENOMEM, "store blob");
        }
        for (;;) {
                ssize_t n = read(fd, buf, 1 << 17);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || (n > 0 && (r = blob_writer_add(&w, buf, (size_t)n)) < 0)) {
                        r = n < 0 ? neg_errno() : r;
                        blob_writer_abort(st, &w);
                        return err_errno(err, r, "store blob%s%s", expected ? " " : "", expected ? expected : "");
                }
                if (n == 0)
                        break;
        }
        return blob_writer_commit(st, &w, expected, ret_digest, ret_created, err);
}

int store_put_blob_mem(struct store *st, const void *data, size_t len, char **ret_digest, struct err *err)
{
        struct blob_writer w;
        int r = blob_writer_begin(st, &w, err);
        if (r < 0)
                return r;
        r = blob_writer_add(&w, data, len);
        if (r < 0) {
                blob_writer_abort(st, &w);
                return err_errno(err, r, "store blob");
        }
        return blob_writer_commit(st, &w, NULL, ret_digest, NULL, err);
}

int store_put_json(struct store *st, struct json_object *obj, char **ret_digest, size_t *ret_size, bool *ret_created,
                   struct err *err)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                          &len);
        if (!s)
                return err_set(err, -ENOMEM, "serialise JSON blob");
        struct blob_writer w;
        int r = blob_writer_begin(st, &w, err);
        if (r < 0)
                return r;
        if ((r = blob_writer_add(&w, s, len)) < 0) {
                blob_writer_abort(st, &w);
                return err_errno(err, r, "store JSON blob");
        }
        if (ret_size)
                *ret_size = len;
        return blob_writer_commit(st, &w, NULL, ret_digest, ret_created, err);
}

int store_open_blob(struct store *st, const char *digest, int *ret_fd, struct err *err)
{
        const char *hex = digest_hex(digest);
        if (!hex)
                return err_set(err, -EINVAL, "invalid digest \"%s\": want sha256:<64 hex digits>",
                               digest ? digest : "");
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", BLOB_DIR, hex);
        int fd = openat(st->root_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT)
                return err_set(err, -ENOENT, "blob %s not found", digest);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open blob %s", digest);
        *ret_fd = fd;
        return 0;
}

void store_remove_blob(struct store *st, const char *digest)
{
        const char *hex = digest_hex(digest);
        char path[128];
        if (!hex)
                return;
        snprintf(path, sizeof(path), "%s/%s", BLOB_DIR, hex);
        unlinkat(st->root_fd, path, 0);
}

bool store_has_blob(struct store *st, const char *digest)
{
        const char *hex = digest_hex(digest);
        char path[128];
        if (!hex)
                return false;
        snprintf(path, sizeof(path), "%s/%s", BLOB_DIR, hex);
        return faccessat(st->root_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_blob_size(struct store *st, const char *digest, size_t *ret, struct err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_open_blob(st, digest, &fd, err);
        if (r < 0)
                return r;
        struct stat s;
        if (fstat(fd, &s) < 0)
                return err_errno(err, neg_errno(), "stat blob %s", digest);
        *ret = (size_t)s.st_size;
        return 0;
}

/* Parses JSON text; on error the message carries line:column. */
int image_json_parse(const char *text, size_t len, const char *what, struct json_object **ret, struct err *err)
{
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return err_set(err, -ENOMEM, "parse %s", what);
        struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        size_t off = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!o || e != json_tokener_success) {
                json_object_put(o);
                unsigned line = 1, col = 1;
                for (size_t i = 0; i < off && i < len; i++, col++)
                        if (text[i] == '\n')
                                line++, col = 0;
                return err_set(err, -EBADMSG, "parse %s: %u:%u: %s", what, line, col,
                               json_tokener_error_desc(e == json_tokener_success ? json_tokener_continue : e));
        }
        *ret = o;
        return 0;
}

int store_read_json_blob(struct store *st, const char *digest, struct json_object **ret, struct err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_open_blob(st, digest, &fd, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", BLOB_DIR, digest_hex(digest));
        r = read_file_at(st->root_fd, path, &text, &len);
        if (r < 0)
                return err_errno(err, r, "read blob %s", digest);
        return image_json_parse(text, len, digest, ret, err);
}

/* ---- references ---- */

static bool ref_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._-/:", c);
}

static bool ref_tag_char(char c)
{
        return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

int store_normalize_ref(const char *ref, char **ret, struct err *err)
{
        size_t len = ref ? strlen(ref) : 0;
        if (len == 0 || len > 255)
                return err_set(err, -EINVAL, "invalid reference \"%s\": empty or longer than 255", ref ? ref : "");
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');
        if (ref[0] == '/' || ref[0] == ':' || ref[len - 1] == '/' || strstr(ref, "//") || strchr(ref, '@'))
                return err_set(err, -EINVAL, "invalid reference \"%s\"", ref);
        size_t name_len = colon ? (size_t)(colon - ref) : len;
        for (size_t i = 0; i < name_len; i++)
                if (!ref_name_char(ref[i]))
                        return err_set(err, -EINVAL, "invalid reference \"%s\": character '%c' not allowed in a name",
                                       ref, ref[i]);
        if (colon) {
                if (!colon[1] || strlen(colon + 1) > 128)
                        return err_set(err, -EINVAL, "invalid reference \"%s\": bad tag", ref);
                for (const char *c = colon + 1; *c; c++)
                        if (!ref_tag_char(*c))
                                return err_set(err, -EINVAL, "invalid reference \"%s\": character '%c' not allowed in a tag",
                                               ref, *c);
        }
        char *s = NULL;
        if (asprintf(&s, "%s%s", ref, colon ? "" : ":latest") < 0)
                return err_errno(err, -ENOMEM, "reference %s", ref);
        *ret = s;
        return 0;
}

static int refs_load(struct store *st, struct json_object **ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(st->root_fd, REFS_FILE, &text, &len);
        if (r == -ENOENT) {
                *ret = json_object_new_object();
                return *ret ? 0 : err_set(err, -ENOMEM, "refs");
        }
        if (r < 0)
                return err_errno(err, r, "read %s/%s", st->root, REFS_FILE);
        struct json_object *o = NULL;
        r = image_json_parse(text, len, REFS_FILE, &o, err);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return err_set(err, -EBADMSG, "%s/%s: not a JSON object", st->root, REFS_FILE);
        }
        *ret = o;
        return 0;
}

static int refs_save(struct store *st, struct json_object *refs, struct err *err)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(refs, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                          &len);
        int r = write_file_durable_at(st->root_fd, REFS_FILE, s, len, 0600);
        if (r < 0)
                return err_errno(err, r, "write %s/%s", st->root, REFS_FILE);
        return 0;
}

int store_tag(struct store *st, const char *ref, const char *manifest_digest, struct err *err)
{
        _cleanup_free_ char *name = NULL;
        int r = store_normalize_ref(ref, &name, err);
        if (r < 0)
                return r;
        if (!store_has_blob(st, manifest_digest))
                return err_set(err, -ENOENT, "tag %s: manifest %s not in the store", name, manifest_digest);
        _cleanup_json_ struct json_object *refs = NULL;
        if ((r = refs_load(st, &refs, err)) < 0)
                return r;
        if (json_object_object_length(refs) >= REFS_MAX)
                return err_set(err, -E2BIG, "tag %s: more than %d references", name, REFS_MAX);
        json_object_object_add(refs, name, json_object_new_string(manifest_digest));
        return refs_save(st, refs, err);
}

int store_untag(struct store *st, const char *ref, struct err *err)
{
        _cleanup_free_ char *name = NULL;
        int r = store_normalize_ref(ref, &name, err);
        if (r < 0)
                return r;
        _cleanup_json_ struct json_object *refs = NULL;
        if ((r = refs_load(st, &refs, err)) < 0)
                return r;
        if (!json_object_object_get_ex(refs, name, NULL))
                return err_set(err, -ENOENT, "untag %s: no such reference", name);
        json_object_object_del(refs, name);
        return refs_save(st, refs, err);
}

static int resolve_prefix(struct json_object *refs, const char *ref, char **ret_digest, struct err *err)
{
        const char *p = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
        size_t plen = strlen(p);
        const char *found = NULL;
        if (plen < 3 || plen > DIGEST_HEX_LEN)
                return -ENOENT;
        json_object_object_foreach(refs, k, v) {
                (void)k;
                const char *d = json_object_get_string(v);
                if (!digest_hex(d) || strncmp(d + 7, p, plen) != 0)
                        continue;
                if (found && strcmp(found, d) != 0)
                        return err_set(err, -EINVAL, "image %s: ambiguous digest prefix", ref);
                found = d;
        }
        if (!found)
                return -ENOENT;
        *ret_digest = strdup(found);
        return *ret_digest ? 0 : err_errno(err, -ENOMEM, "resolve %s", ref);
}

int store_resolve(struct store *st, const char *ref, char **ret_digest, struct err *err)
{
        _cleanup_json_ struct json_object *refs = NULL;
        int r = refs_load(st, &refs, err);
        if (r < 0)
                return r;
        if (digest_hex(ref) && store_has_blob(st, ref)) {
                *ret_digest = strdup(ref);
                return *ret_digest ? 0 : err_errno(err, -ENOMEM, "resolve %s", ref);
        }
        _cleanup_free_ char *name = NULL;
        struct err e2;
        if (store_normalize_ref(ref, &name, &e2) >= 0) {
                /* podman names local images localhost/NAME, docker docker.io/library/NAME */
                static const char *const prefixes[] = { "", "localhost/", "docker.io/library/" };
                for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
                        if (i > 0 && strchr(name, '/'))
                                break;
                        _cleanup_free_ char *full = NULL;
                        if (asprintf(&full, "%s%s", prefixes[i], name) < 0)
                                return err_errno(err, -ENOMEM, "resolve %s", ref);
                        struct json_object *v;
                        if (json_object_object_get_ex(refs, full, &v)) {
                                *ret_digest = strdup(json_object_get_string(v));
                                return *ret_digest ? 0 : err_errno(err, -ENOMEM, "resolve %s", ref);
                        }
                }
        }
        r = resolve_prefix(refs, ref, ret_digest, err);
        if (r == -ENOENT)
                return err_set(err, -ENOENT, "image %s not found", ref);
        return r;
}

int store_list_refs(struct store *st, char ***ret_refs, char ***ret_digests, size_t *ret_n, struct err *err)
{
        _cleanup_json_ struct json_object *refs = NULL;
        int r = refs_load(st, &refs, err);
        if (r < 0)
                return r;
        size_t n = (size_t)json_object_object_length(refs), i = 0;
        _cleanup_strv_ char **names = calloc(n + 1, sizeof(char *));
        _cleanup_strv_ char **digests = calloc(n + 1, sizeof(char *));
        if (!names || !digests)
                return err_errno(err, -ENOMEM, "list references");
        json_object_object_foreach(refs, k, v) {
                names[i] = strdup(k);
                digests[i] = strdup(json_object_get_string(v) ? json_object_get_string(v) : "");
                if (!names[i] || !digests[i++])
                        return err_errno(err, -ENOMEM, "list references");
        }
        *ret_refs = TAKE_PTR(names);
        *ret_digests = TAKE_PTR(digests);
        *ret_n = n;
        return 0;
}

/* ---- images ---- */

void image_free(struct image *img)
{
        if (!img)
                return;
        free(img->manifest_digest);
        free(img->config_digest);
        json_object_put(img->config);
        strv_free(img->layers);
        strv_free(img->diff_ids);
        free(img);
}

static void image_freep(struct image **img)
{
        image_free(*img);
}

static const char *json_str(struct json_object *o, const char *key)
{
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool manifest_is_index(struct json_object *m)
{
        const char *mt = json_str(m, "mediaType");
        if (mt)
                return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
        return json_object_object_get_ex(m, "manifests", NULL);
}

/* From an index or manifest list, the linux/amd64 manifest's digest (borrowed from idx). */
static int index_pick(struct json_object *idx, const char *digest, const char **ret, struct err *err)
{
        struct json_object *arr;
        if (!json_object_object_get_ex(idx, "manifests", &arr) || !json_object_is_type(arr, json_type_array))
                return err_set(err, -EBADMSG, "index %s: no manifests array", digest);
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                struct json_object *d = json_object_array_get_idx(arr, i), *plat;
                const char *dg = json_str(d, "digest");
                if (!dg)
                        continue;
                if (!json_object_object_get_ex(d, "platform", &plat)) {
                        if (n == 1) {
                                *ret = dg;
                                return 0;
                        }
                        continue;
                }
                const char *os = json_str(plat, "os"), *arch = json_str(plat, "architecture");
                if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")) {
                        *ret = dg;
                        return 0;
                }
        }
        return err_set(err, -ENOENT, "index %s: no linux/amd64 manifest", digest);
}

static int strv_from_descriptors(struct json_object *arr, const char *key, char ***ret, size_t *ret_n)
{
        size_t n = json_object_array_length(arr);
        _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);
                const char *s = key ? json_str(e, key) : json_object_get_string(e);
                if (!digest_hex(s))
                        return -EBADMSG;
                if (!(v[i] = strdup(s)))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* Fills img from a (non-index) manifest: config, layers, diff_ids. */
static int image_from_manifest(struct store *st, struct json_object *m, const char *digest, struct image *img,
                               struct err *err)
{
        struct json_object *cfg, *layers, *rootfs, *diffs;
        const char *cd;
        if (!json_object_object_get_ex(m, "config", &cfg) || !(cd = json_str(cfg, "digest")) || !digest_hex(cd))
                return err_set(err, -EBADMSG, "manifest %s: no valid config descriptor", digest);
        if (!json_object_object_get_ex(m, "layers", &layers) || !json_object_is_type(layers, json_type_array))
                return err_set(err, -EBADMSG, "manifest %s: no layers array", digest);
        if (!(img->config_digest = strdup(cd)))
                return err_errno(err, -ENOMEM, "manifest %s", digest);
        size_t n = 0, nd = 0;
        int r = strv_from_descriptors(layers, "digest", &img->layers, &n);
        if (r < 0)
                return err_errno(err, r, "manifest %s: layers", digest);
        img->n_layers = n;
        if ((r = store_read_json_blob(st, cd, &img->config, err)) < 0)
                return err_wrap(err, "image %s: config", digest);
        if (!json_object_object_get_ex(img->config, "rootfs", &rootfs) ||
            !json_object_object_get_ex(rootfs, "diff_ids", &diffs) || !json_object_is_type(diffs, json_type_array))
                return err_set(err, -EBADMSG, "image config %s: no rootfs.diff_ids", cd);
        if ((r = strv_from_descriptors(diffs, NULL, &img->diff_ids, &nd)) < 0)
                return err_errno(err, r, "image config %s: rootfs.diff_ids", cd);
        if (nd != n)
                return err_set(err, -EBADMSG, "image %s: %zu layers but %zu diff_ids", digest, n, nd);
        return 0;
}

int store_image_load(struct store *st, const char *manifest_digest, struct image **ret, struct err *err)
{
        _cleanup_(image_freep) struct image *img = calloc(1, sizeof(*img));
        if (!img || !(img->manifest_digest = strdup(manifest_digest)))
                return err_errno(err, -ENOMEM, "load image %s", manifest_digest);
        _cleanup_json_ struct json_object *m = NULL;
        int r = store_read_json_blob(st, manifest_digest, &m, err);
        if (r < 0)
                return err_wrap(err, "load image");
        for (int depth = 0; manifest_is_index(m); depth++) {
                const char *pick = NULL;
                if (depth >= INDEX_DEPTH_MAX)
                        return err_set(err, -ELOOP, "image %s: indexes nested too deep", manifest_digest);
                if ((r = index_pick(m, manifest_digest, &pick, err)) < 0)
                        return r;
                struct json_object *child = NULL;
                if ((r = store_read_json_blob(st, pick, &child, err)) < 0)
                        return err_wrap(err, "load image %s", manifest_digest);
                json_object_put(m);
                m = child;
        }
        const char *mt = json_str(m, "mediaType");
        if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
                return err_set(err, -EPROTONOSUPPORT, "image %s: unsupported manifest type %s", manifest_digest, mt);
        if ((r = image_from_manifest(st, m, manifest_digest, img, err)) < 0)
                return r;
        *ret = TAKE_PTR(img);
        return 0;
}

/* ---- layers ---- */

int store_layer_path(struct store *st, const char *blob_digest, const char *diff_id, char **ret_path,
                     struct err *err)
{
        const char *hex = digest_hex(diff_id);
        if (!hex)
                return err_set(err, -EINVAL, "invalid diff-id \"%s\"", diff_id ? diff_id : "");
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        if (asprintf(&path, "%s/layers/%s", st->root, hex) < 0 || asprintf(&tmp, "%s/layers/tmp-XXXXXX", st->root) < 0)
                return err_errno(err, -ENOMEM, "layer %s", diff_id);
        struct stat s;
        if (fstatat(AT_FDCWD, path, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(s.st_mode)) {
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        _cleanup_close_ int bfd = -EBADF;
        int r = store_open_blob(st, blob_digest, &bfd, err);
        if (r < 0)
                return err_wrap(err, "layer %s", diff_id);
        if (!mkdtemp(tmp))
                return err_errno(err, neg_errno(), "create %s", tmp);
        if (chmod(tmp, 0755) < 0) {
                r = err_errno(err, neg_errno(), "chmod %s", tmp);
                rm_rf_at(AT_FDCWD, tmp);
                return r;
        }
        _cleanup_close_ int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *got = NULL;
        const struct layer_opts o = { .allow_devices = true, .whiteouts_as_overlay = true };
        if (tfd < 0)
                r = err_errno(err, neg_errno(), "open %s", tmp);
        else if ((r = layer_unpack(bfd, tfd, &o, &got, err)) < 0)
                err_wrap(err, "layer %s", blob_digest);
        else if (strcmp(got, diff_id) != 0)
                r = err_set(err, -EBADMSG, "layer %s: diff-id mismatch: expected %s, got %s", blob_digest, diff_id, got);
        else if (syncfs(tfd) < 0)
                r = err_errno(err, neg_errno(), "sync %s", tmp);
        else if (rename(tmp, path) < 0 && errno != EEXIST && errno != ENOTEMPTY)
                r = err_errno(err, neg_errno(), "rename %s to %s", tmp, path);
        rm_rf_at(AT_FDCWD, tmp); /* gone after a successful rename */
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* ---- prune ---- */

struct keep {
        char **v;
        size_t n, cap;
};

static int keep_add(struct keep *k, const char *digest)
{
        const char *hex = digest_hex(digest);
        if (!hex)
                hex = digest; /* in_use may give bare hex */
        if (k->n + 1 >= k->cap) {
                size_t cap = k->cap ? k->cap * 2 : 64;
                char **nv = realloc(k->v, cap * sizeof(char *));
                if (!nv)
                        return -ENOMEM;
                k->v = nv;
                k->cap = cap;
        }
        if (!(k->v[k->n] = strdup(hex)))
                return -ENOMEM;
        k->v[++k->n] = NULL;
        return 0;
}

static bool keep_has(const struct keep *k, const char *hex)
{
        for (size_t i = 0; i < k->n; i++)
                if (!strcmp(k->v[i], hex))
                        return true;
        return false;
}

/* Marks everything a manifest (or index) reaches: itself, children, config, layers, diff-ids. */
static int prune_mark(struct store *st, const char *digest, struct keep *blobs, struct keep *layers, int depth)
{
        struct err e;
        _cleanup_json_ struct json_object *m = NULL;
        if (depth > INDEX_DEPTH_MAX)
                return 0;
        if (keep_add(blobs, digest) < 0)
                return -ENOMEM;
        if (store_read_json_blob(st, digest, &m, &e) < 0)
                return 0; /* missing or broken: nothing more to keep */
        struct json_object *arr, *cfg;
        if (json_object_object_get_ex(m, "manifests", &arr) && json_object_is_type(arr, json_type_array))
                for (size_t i = 0; i < json_object_array_length(arr); i++) {
                        const char *d = json_str(json_object_array_get_idx(arr, i), "digest");
                        if (digest_hex(d) && prune_mark(st, d, blobs, layers, depth + 1) < 0)
                                return -ENOMEM;
                }
        if (json_object_object_get_ex(m, "layers", &arr) && json_object_is_type(arr, json_type_array))
                for (size_t i = 0; i < json_object_array_length(arr); i++) {
                        const char *d = json_str(json_object_array_get_idx(arr, i), "digest");
                        if (digest_hex(d) && keep_add(blobs, d) < 0)
                                return -ENOMEM;
                }
        const char *cd;
        if (!json_object_object_get_ex(m, "config", &cfg) || !digest_hex(cd = json_str(cfg, "digest")))
                return 0;
        if (keep_add(blobs, cd) < 0)
                return -ENOMEM;
        _cleanup_json_ struct json_object *c = NULL;
        struct json_object *rootfs, *diffs;
        if (store_read_json_blob(st, cd, &c, &e) < 0 || !json_object_object_get_ex(c, "rootfs", &rootfs) ||
            !json_object_object_get_ex(rootfs, "diff_ids", &diffs) || !json_object_is_type(diffs, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(diffs); i++) {
                const char *d = json_object_get_string(json_object_array_get_idx(diffs, i));
                if (digest_hex(d) && keep_add(layers, d) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static size_t du_at(int dfd, const char *name)
{
        struct stat s;
        if (fstatat(dfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        size_t total = (size_t)s.st_blocks * 512;
        if (!S_ISDIR(s.st_mode))
                return s.st_nlink > 1 ? 0 : total;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return total;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return total;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        total += du_at(dirfd(d), de->d_name);
        return total;
}

/* Removes every entry of dir (under root) whose name is not in keep. */
static int prune_dir(struct store *st, const char *dir, const struct keep *keep, size_t *freed, struct err *err)
{
        int fd = openat(st->root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return err_errno(err, neg_errno(), "open %s/%s", st->root, dir);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return err_errno(err, neg_errno(), "read %s/%s", st->root, dir);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || keep_has(keep, de->d_name))
                        continue;
                size_t sz = du_at(dirfd(d), de->d_name);
                int r = rm_rf_at(dirfd(d), de->d_name);
                if (r < 0)
                        return err_errno(err, r, "remove %s/%s/%s", st->root, dir, de->d_name);
                *freed += sz;
        }
        return 0;
}

int store_prune(struct store *st, char *const *in_use, size_t *ret_freed, struct err *err)
{
        _cleanup_strv_ char **refs = NULL, **digests = NULL;
        size_t n = 0, freed = 0;
        int r = store_list_refs(st, &refs, &digests, &n, err);
        if (r < 0)
                return r;
        struct keep blobs = { 0 }, layers = { 0 };
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (digest_hex(digests[i]))
                        r = prune_mark(st, digests[i], &blobs, &layers, 0);
        for (size_t i = 0; r >= 0 && in_use && in_use[i]; i++)
                r = keep_add(&layers, in_use[i]);
        if (r < 0)
                r = err_errno(err, r, "prune %s", st->root);
        if (r >= 0)
                r = prune_dir(st, BLOB_DIR, &blobs, &freed, err);
        if (r >= 0)
                r = prune_dir(st, "layers", &layers, &freed, err);
        strv_free(blobs.v);
        strv_free(layers.v);
        if (r >= 0 && ret_freed)
                *ret_freed = freed;
        return r;
}
