/* features.h: the runtime-spec features document (features.md, features-linux.md), true
 * of this build and the running kernel. */
#pragma once

#include "util/err.h"

/* The document as pretty-printed JSON; *ret is owned by the caller. */
int features_json(char **ret, struct err *err);
