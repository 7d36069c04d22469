/* lazy.h: a shared library loaded with dlopen on first use into a table of function
 * pointers (curl_lazy.c, archive_lazy.c, crypto_lazy.c): `staple run` then loads none
 * of the libraries only image transfer and unpacking need. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct lazy_symbol {
        const char *name;
        size_t offset; /* of its pointer in the table */
};

struct lazy_library {
        const char *soname;  /* "libarchive.so.13" */
        const char *name;    /* "libarchive", for messages */
        const char *package; /* the Debian package that installs it */
        const struct lazy_symbol *symbols;
        size_t n_symbols;
        void *table;
        bool loaded;
};

/* Opens lib->soname once (never closed) and fills lib->table; a clear one-line error
 * naming the package when it is missing. */
int lazy_load(struct lazy_library *lib, struct err *err);
