#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static void default_sink(const char *level, const char *msg)
{
        fprintf(stderr, "%s: %s\n", level, msg);
}

static log_sink_fn sink = default_sink;

void log_set_sink(log_sink_fn fn)
{
        sink = fn ? fn : default_sink;
}

void log_warn(const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        sink("warning", buf);
}
