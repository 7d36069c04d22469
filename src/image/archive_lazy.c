/* archive_lazy.c: the libarchive function table, filled by dlopen on first use. */
#define ARCHIVE_LAZY_NO_MACROS 1
#include "image/archive_lazy.h"

#include <stddef.h>

#include "image/lazy.h"
#include "util/cleanup.h"

struct archive_lazy archive_lazy;

#define ARCHIVE_LAZY_SYMBOL(f) { #f, offsetof(struct archive_lazy, f) },
static const struct lazy_symbol archive_symbols[] = { ARCHIVE_LAZY_FUNCTIONS(ARCHIVE_LAZY_SYMBOL) };
#undef ARCHIVE_LAZY_SYMBOL

int archive_lazy_load(struct err *err)
{
        static struct lazy_library lib = {
                .soname = "libarchive.so.13", .name = "libarchive", .package = "libarchive13",
                .symbols = archive_symbols, .n_symbols = ARRAY_SIZE(archive_symbols), .table = &archive_lazy,
        };
        return lazy_load(&lib, err);
}
