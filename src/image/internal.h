/* internal.h: helpers shared by store.c, layer.c and archive.c (not an interface). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "image/crypto_lazy.h" /* after <openssl/evp.h>: EVP_* through the lazy table */
#include "image/store.h"
#include "util/err.h"

static inline void json_putp(struct json_object **o)
{
        json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* The hex part of "sha256:<64 lowercase hex>", or NULL when digest is not one. */
const char *digest_hex(const char *digest);

/* "sha256:<hex>" of a finished context, into out (DIGEST_STR_LEN + 1 bytes). */
void digest_final(EVP_MD_CTX *ctx, char out[DIGEST_STR_LEN + 1]);

/* The store root's directory fd (owned by the store). */
int store_root_fd(const struct store *st);

/* Calls the progress function set with store_set_progress, if any. */
void store_report(struct store *st, const char *what, uint64_t done, uint64_t total, bool final);

/* store_put_blob; *ret_created (may be NULL) tells whether the blob is new to the store. */
int store_put_blob_new(struct store *st, int fd, const char *expected, char **ret_digest, bool *ret_created,
                       struct err *err);

/* Removes one blob (rollback of a failed load). */
void store_remove_blob(struct store *st, const char *digest);

/* Size of a blob in bytes. */
int store_blob_size(struct store *st, const char *digest, size_t *ret, struct err *err);

/* Stores a JSON object as a blob (compact form); *ret_digest owned by caller. */
int store_put_json(struct store *st, struct json_object *obj, char **ret_digest, size_t *ret_size, bool *ret_created,
                   struct err *err);

/* Parses JSON text; an error message carries "what: line:column: reason". */
int image_json_parse(const char *text, size_t len, const char *what, struct json_object **ret, struct err *err);

/* Media type of a layer blob, sniffed from its first bytes (gzip, zstd or plain tar). */
const char *layer_media_type(int fd);

/* Writes the decompressed stream of the archive read from in to out. */
int layer_decompress(int in, int out, struct err *err);
