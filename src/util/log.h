/* log.h: warnings from library code go through a sink the front end installs, so the
 * library never prints by itself (default sink: stderr). */
#pragma once

typedef void (*log_sink_fn)(const char *level, const char *msg);

void log_set_sink(log_sink_fn fn);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
