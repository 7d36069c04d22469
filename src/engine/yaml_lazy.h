/* yaml_lazy.h: libyaml loaded with dlopen on the first compose file (image/lazy.h): only
 * `staple stack` parses YAML, and every other command starts without the library.
 * stack.c includes this after <yaml.h>; a new yaml_* call needs an entry here. */
#pragma once

#include <yaml.h>

#include "util/err.h"

#define YAML_LAZY_FUNCTIONS(X) \
        X(yaml_parser_initialize) X(yaml_parser_set_input_string) X(yaml_parser_load) \
        X(yaml_parser_delete) X(yaml_document_get_root_node) X(yaml_document_get_node) \
        X(yaml_document_delete)

#define YAML_LAZY_FIELD(f) __typeof__(f) *f;
struct yaml_lazy {
        YAML_LAZY_FUNCTIONS(YAML_LAZY_FIELD)
};
#undef YAML_LAZY_FIELD

extern struct yaml_lazy yaml_lazy;

/* Loads libyaml-0.so.2 once; a clear error naming the package when it is missing. */
int yaml_lazy_load(struct err *err);

#ifndef YAML_LAZY_NO_MACROS
#define yaml_parser_initialize yaml_lazy.yaml_parser_initialize
#define yaml_parser_set_input_string yaml_lazy.yaml_parser_set_input_string
#define yaml_parser_load yaml_lazy.yaml_parser_load
#define yaml_parser_delete yaml_lazy.yaml_parser_delete
#define yaml_document_get_root_node yaml_lazy.yaml_document_get_root_node
#define yaml_document_get_node yaml_lazy.yaml_document_get_node
#define yaml_document_delete yaml_lazy.yaml_document_delete
#endif
