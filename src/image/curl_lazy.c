#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "image/curl_lazy.h"

#include <stddef.h>

#include "image/lazy.h"
#include "util/cleanup.h"

struct curl_lazy curl_lazy;

static const struct lazy_symbol curl_symbols[] = {
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
        static struct lazy_library lib = {
                .soname = "libcurl.so.4", .name = "libcurl", .package = "libcurl4",
                .symbols = curl_symbols, .n_symbols = ARRAY_SIZE(curl_symbols), .table = &curl_lazy,
        };
        return lazy_load(&lib, err);
}
