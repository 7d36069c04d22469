/* yaml_lazy.c: the libyaml function table, filled by dlopen on first use. */
#define YAML_LAZY_NO_MACROS 1
#include "engine/yaml_lazy.h"

#include <stddef.h>

#include "image/lazy.h"
#include "util/cleanup.h"

struct yaml_lazy yaml_lazy;

#define YAML_LAZY_SYMBOL(f) { #f, offsetof(struct yaml_lazy, f) },
static const struct lazy_symbol yaml_symbols[] = { YAML_LAZY_FUNCTIONS(YAML_LAZY_SYMBOL) };
#undef YAML_LAZY_SYMBOL

int yaml_lazy_load(struct err *err)
{
        static struct lazy_library lib = {
                .soname = "libyaml-0.so.2", .name = "libyaml", .package = "libyaml-0-2",
                .symbols = yaml_symbols, .n_symbols = ARRAY_SIZE(yaml_symbols), .table = &yaml_lazy,
        };
        return lazy_load(&lib, err);
}
