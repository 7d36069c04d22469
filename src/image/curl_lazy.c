#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "image/curl_lazy.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

struct curl_lazy curl_lazy;

static const struct {
        const char *name;
        size_t offset;
} curl_symbols[] = {
        { "curl_global_init", offsetof(struct curl_lazy, global_init) },
        { "curl_easy_init", offsetof(struct curl_lazy, easy_init) },
        { "curl_easy_setopt", offsetof(struct curl_lazy, easy_setopt) },
        { "curl_easy_perform", offsetof(struct curl_lazy, easy_perform) },
        { "curl_easy_getinfo", offsetof(struct curl_lazy, easy_getinfo) },
        { "curl_easy_reset", offsetof(struct curl_lazy, easy_reset) },
        { "curl_easy_cleanup", offsetof(struct curl_lazy, easy_cleanup) },
        { "curl_easy_strerror", offsetof(struct curl_lazy, easy_strerror) },
        { "curl_easy_escape", offsetof(struct curl_lazy, easy_escape) },
        { "curl_free", offsetof(struct curl_lazy, free) },
        { "curl_slist_append", offsetof(struct curl_lazy, slist_append) },
        { "curl_slist_free_all", offsetof(struct curl_lazy, slist_free_all) },
};

int curl_lazy_load(struct err *err)
{
        static bool loaded;
        if (loaded)
                return 0;
        /* never dlclose'd: the table lives as long as the process */
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(err, -ENOENT, "load libcurl (install libcurl4): %s", dlerror());
        for (size_t i = 0; i < ARRAY_SIZE(curl_symbols); i++) {
                void *sym = dlsym(h, curl_symbols[i].name);
                if (!sym)
                        return err_set(err, -ENOENT, "libcurl has no %s", curl_symbols[i].name);
                *(void **)((char *)&curl_lazy + curl_symbols[i].offset) = sym;
        }
        loaded = true;
        return 0;
}
