/* crypto_lazy.h: libcrypto (OpenSSL 3) loaded with dlopen on the first SHA-256. Only
 * load, import, pull, push and save hash; `staple run` does not, yet linking libcrypto made
 * it relocate 4 MiB of library at every start (bench/README.md, 2026-11-27).
 * internal.h includes this after <openssl/evp.h>: the EVP_* calls of the image code go
 * through the table below. A new EVP call needs an entry here, or the link fails. */
#pragma once

#include <openssl/evp.h>

#include "util/err.h"

#define CRYPTO_LAZY_FUNCTIONS(X) \
        X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_sha256) X(EVP_DigestInit_ex) \
        X(EVP_DigestUpdate) X(EVP_DigestFinal_ex)

#define CRYPTO_LAZY_FIELD(f) __typeof__(f) *f;
struct crypto_lazy {
        CRYPTO_LAZY_FUNCTIONS(CRYPTO_LAZY_FIELD)
};
#undef CRYPTO_LAZY_FIELD

extern struct crypto_lazy crypto_lazy;

/* Loads libcrypto.so.3 once; a clear error when it is missing. */
int crypto_lazy_load(struct err *err);

/* EVP_MD_CTX_new, loading libcrypto first: NULL (errno ELIBACC) when it cannot be loaded,
 * so every caller's existing "cannot allocate" path handles it. */
EVP_MD_CTX *crypto_lazy_md_ctx_new(void);

/* EVP_MD_CTX_free; NULL is a no-op, even before libcrypto is loaded. */
void crypto_lazy_md_ctx_free(EVP_MD_CTX *ctx);

#ifndef CRYPTO_LAZY_NO_MACROS
#define EVP_MD_CTX_new crypto_lazy_md_ctx_new
#define EVP_MD_CTX_free crypto_lazy_md_ctx_free
#define EVP_sha256 crypto_lazy.EVP_sha256
#define EVP_DigestInit_ex crypto_lazy.EVP_DigestInit_ex
#define EVP_DigestUpdate crypto_lazy.EVP_DigestUpdate
#define EVP_DigestFinal_ex crypto_lazy.EVP_DigestFinal_ex
#endif
