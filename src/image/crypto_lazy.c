/* crypto_lazy.c: the libcrypto function table, filled by dlopen on first use. */
#define CRYPTO_LAZY_NO_MACROS 1
#include "image/crypto_lazy.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

struct crypto_lazy crypto_lazy;

#define CRYPTO_LAZY_SYMBOL(f) { #f, offsetof(struct crypto_lazy, f) },
static const struct {
        const char *name;
        size_t offset;
} crypto_symbols[] = { CRYPTO_LAZY_FUNCTIONS(CRYPTO_LAZY_SYMBOL) };
#undef CRYPTO_LAZY_SYMBOL

int crypto_lazy_load(struct err *err)
{
        static bool loaded;
        if (loaded)
                return 0;
        /* never dlclose'd: the table lives as long as the process */
        void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(err, -ENOENT, "load libcrypto (install libssl3): %s", dlerror());
        for (size_t i = 0; i < ARRAY_SIZE(crypto_symbols); i++) {
                void *sym = dlsym(h, crypto_symbols[i].name);
                if (!sym)
                        return err_set(err, -ENOENT, "libcrypto has no %s", crypto_symbols[i].name);
                *(void **)((char *)&crypto_lazy + crypto_symbols[i].offset) = sym;
        }
        loaded = true;
        return 0;
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
