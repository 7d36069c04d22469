/* registry.h: an OCI distribution (registry v2 API) client over libcurl: pull an image
 * into the store, push one from it. References are host[:port]/path[:tag]; 127.0.0.1,
 * ::1 and localhost are spoken to over plain HTTP, every other host over HTTPS. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"
#include "util/err.h"

/* Progress of one blob or manifest transfer; total is 0 when unknown. what names the
 * object ("sha256:..." or "manifest"); done == total and final is set at its end. */
typedef void (*registry_progress_fn)(void *userdata, const char *what, uint64_t done, uint64_t total, bool final);

struct registry_opts {
        bool tls_no_verify;           /* --tls-verify=false: no certificate checks, HTTP allowed */
        const char *auth_file;        /* NULL: ~/.config/staple/auth.json, then ~/.docker/config.json */
        registry_progress_fn progress; /* NULL: silent */
        void *userdata;
};

/* staple pull REF: manifest (an index picks linux/amd64), config and layer blobs (each
 * verified, blobs already in the store skipped), layers unpacked, REF tagged. A failure
 * removes every blob and layer the pull added. *ret_digest (may be NULL): the manifest
 * digest, owned by the caller. */
int registry_pull(struct store *st, const char *ref, const struct registry_opts *o, char **ret_digest,
                  struct err *err);

/* staple push SRC DEST: the image SRC (a store reference or digest) to the registry
 * reference DEST (SRC itself when DEST is NULL): blobs the registry lacks (monolithic
 * uploads), then the manifest under DEST's tag. *ret_digest (may be NULL) as for pull. */
int registry_push(struct store *st, const char *src, const char *dest, const struct registry_opts *o,
                  char **ret_digest, struct err *err);
