/* curl_lazy.h: libcurl loaded with dlopen on the first registry call. libcurl drags in
 * some 35 shared objects (Kerberos, LDAP, SSH, HTTP/2...): linking it made every `staple`
 * command, `staple run` included, pay ~20-30 ms for loading them (bench/README.md).
 * Include this after <curl/curl.h>: the curl_* calls below go through the table. */
#pragma once

#include <curl/curl.h>

#include "util/err.h"

struct curl_lazy {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
        CURLcode (*easy_perform)(CURL *curl);
        CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
        void (*easy_reset)(CURL *curl);
        void (*easy_cleanup)(CURL *curl);
        const char *(*easy_strerror)(CURLcode code);
        char *(*easy_escape)(CURL *curl, const char *string, int length);
        void (*free)(void *p);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
        void (*slist_free_all)(struct curl_slist *list);
};

extern struct curl_lazy curl_lazy;

/* Loads libcurl.so.4 once; a clear error when it is not installed. */
int curl_lazy_load(struct err *err);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init curl_lazy.global_init
#define curl_easy_init curl_lazy.easy_init
#define curl_easy_setopt curl_lazy.easy_setopt
#define curl_easy_perform curl_lazy.easy_perform
#define curl_easy_getinfo curl_lazy.easy_getinfo
#define curl_easy_reset curl_lazy.easy_reset
#define curl_easy_cleanup curl_lazy.easy_cleanup
#define curl_easy_strerror curl_lazy.easy_strerror
#define curl_easy_escape curl_lazy.easy_escape
#define curl_free curl_lazy.free
#define curl_slist_append curl_lazy.slist_append
#define curl_slist_free_all curl_lazy.slist_free_all
