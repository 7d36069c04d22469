/* crypto_lazy.c: the libcrypto function table, filled by dlopen on first use. */
#define CRYPTO_LAZY_NO_MACROS 1
#include "image/crypto_lazy.h"

#include <stddef.h>

#include "image/lazy.h"
#include "util/cleanup.h"

struct crypto_lazy crypto_lazy;

#define CRYPTO_LAZY_SYMBOL(f) { #f, offsetof(struct crypto_lazy, f) },
static const struct lazy_symbol crypto_symbols[] = { CRYPTO_LAZY_FUNCTIONS(CRYPTO_LAZY_SYMBOL) };
#undef CRYPTO_LAZY_SYMBOL

int crypto_lazy_load(struct err *err)
{
        static struct lazy_library lib = {
                .soname = "libcrypto.so.3", .name = "libcrypto", .package = "libssl3",
                .symbols = crypto_symbols, .n_symbols = ARRAY_SIZE(crypto_symbols), .table = &crypto_lazy,
        };
        return lazy_load(&lib, err);
}

EVP_MD_CTX *crypto_lazy_md_ctx_new(void)
{
        if (crypto_lazy_load(&(struct err){ 0 }) < 0) {
                errno = ELIBACC;
                return NULL;
        }
        return crypto_lazy.EVP_MD_CTX_new();
}

void crypto_lazy_md_ctx_free(EVP_MD_CTX *ctx)
{
        if (ctx)
                crypto_lazy.EVP_MD_CTX_free(ctx);
}
