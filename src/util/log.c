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

static bool debug;

void log_set_debug(bool on)
{
        debug = on;
}

static void log_va(const char *level, const char *fmt, va_list ap)
{
        char buf[1024];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        sink(level, buf);
}

void log_warn(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va("warning", fmt, ap);
        va_end(ap);
}

void log_debug(const char *fmt, ...)
{
        if (!debug)
                return;
        va_list ap;
        va_start(ap, fmt);
        log_va("debug", fmt, ap);
        va_end(ap);
}
