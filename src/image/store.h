/* store.h: the content-addressed image store (default /var/lib/staple):
 *   blobs/sha256/<hex>        manifests, configs, layer tarballs; verified while written
 *   layers/<diffid-hex>/      each layer unpacked once per diff-id, shared by every image
 *   refs.json                 "name:tag" -> manifest digest, replaced atomically
 *   lock                      flock: two staple commands on one store are safe
 * A crash mid-import leaves the store as it was: files appear only by rename(2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_DEFAULT_ROOT "/var/lib/staple"

struct store;
struct json_object;

/* Opens (creating if needed) the store at root and takes its lock (exclusive). */
int store_open(const char *root, struct store **ret, struct err *err);
void store_close(struct store *st); /* releases the lock */
const char *store_root(const struct store *st);

/* Copies everything readable from fd into a new blob. The sha256 is computed while
 * writing; when expected ("sha256:<hex>") is given and differs, nothing is left and
 * -EBADMSG is returned ("digest mismatch: expected ..., got ..."). *ret_digest (may be
 * NULL) is "sha256:<hex>", owned by the caller. */
int store_put_blob(struct store *st, int fd, const char *expected, char **ret_digest, struct err *err);
int store_put_blob_mem(struct store *st, const void *data, size_t len, char **ret_digest, struct err *err);

/* Progress of long operations (unpacking layers at load): what is a digest, done and
 * total are bytes (total 0 when unknown), final marks the last call for that digest.
 * Without a function set (the default) nothing is reported. */
typedef void (*store_progress_fn)(void *userdata, const char *what, uint64_t done, uint64_t total, bool final);
void store_set_progress(struct store *st, store_progress_fn fn, void *userdata);

/* Opens a blob read-only; -ENOENT with "blob sha256:... not found". */
int store_open_blob(struct store *st, const char *digest, int *ret_fd, struct err *err);
bool store_has_blob(struct store *st, const char *digest);
int store_read_json_blob(struct store *st, const char *digest, struct json_object **ret, struct err *err);

/* Normalises a reference: "busybox" -> "busybox:latest"; validates characters. */
int store_normalize_ref(const char *ref, char **ret, struct err *err);

int store_tag(struct store *st, const char *ref, const char *manifest_digest, struct err *err);
int store_untag(struct store *st, const char *ref, struct err *err);
/* ref (name[:tag]) or a manifest digest or a unique digest prefix -> manifest digest. */
int store_resolve(struct store *st, const char *ref, char **ret_digest, struct err *err);
/* Every (ref, digest) pair; arrays owned by the caller (strv_free both). */
int store_list_refs(struct store *st, char ***ret_refs, char ***ret_digests, size_t *ret_n, struct err *err);

/* An image as the store knows it (OCI or docker schema2 manifest, resolved). */
struct image {
        char *manifest_digest;
        char *config_digest;
        struct json_object *config;  /* the image config JSON (owned reference) */
        char **layers;               /* compressed layer blob digests, base first (NULL-terminated) */
        char **diff_ids;             /* rootfs.diff_ids from the config, base first (NULL-terminated) */
        size_t n_layers;
};
int store_image_load(struct store *st, const char *manifest_digest, struct image **ret, struct err *err);
void image_free(struct image *img);

/* Unpacks the layer once (keyed by diff-id) and returns its directory
 * (<root>/layers/<hex>), owned by the caller. The uncompressed stream's sha256 must equal
 * diff_id, else nothing is kept. */
int store_layer_path(struct store *st, const char *blob_digest, const char *diff_id, char **ret_path,
                     struct err *err);

/* Removes blobs and layers no reference reaches (and no container uses: in_use lists
 * diff-ids to keep). Reports how many bytes were freed. */
int store_prune(struct store *st, char *const *in_use, size_t *ret_freed, struct err *err);
