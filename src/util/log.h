/* log.h: warnings from library code go through a sink the front end installs, so the
 * library never prints by itself (default sink: stderr). */
#pragma once

#include <stdbool.h>

typedef void (*log_sink_fn)(const char *level, const char *msg);

void log_set_sink(log_sink_fn fn);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug lines (level "debug") reach the sink only after log_set_debug(true) (--debug).
 * Never from a container's init: its stderr is the container's. */
void log_set_debug(bool on);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
