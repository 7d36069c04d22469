/* archive_lazy.c: the libarchive function table, filled by dlopen on first use. */
#define ARCHIVE_LAZY_NO_MACROS 1
#include "image/archive_lazy.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

struct archive_lazy archive_lazy;

#define ARCHIVE_LAZY_SYMBOL(f) { #f, offsetof(struct archive_lazy, f) },
static const struct {
        const char *name;
        size_t offset;
} archive_symbols[] = { ARCHIVE_LAZY_FUNCTIONS(ARCHIVE_LAZY_SYMBOL) };
#undef ARCHIVE_LAZY_SYMBOL

int archive_lazy_load(struct err *err)
{
        static bool loaded;
        if (loaded)
                return 0;
        /* never dlclose'd: the table lives as long as the process */
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(err, -ENOENT, "load libarchive (install libarchive13): %s", dlerror());
        for (size_t i = 0; i < ARRAY_SIZE(archive_symbols); i++) {
                void *sym = dlsym(h, archive_symbols[i].name);
                if (!sym)
                        return err_set(err, -ENOENT, "libarchive has no %s", archive_symbols[i].name);
                *(void **)((char *)&archive_lazy + archive_symbols[i].offset) = sym;
        }
        loaded = true;
        return 0;
}
