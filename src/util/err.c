#include "util/err.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>

static int err_vset(struct err *err, int code, bool with_errno, const char *fmt, va_list ap)
{
        if (code >= 0)
                code = -EIO;
        err->code = code;
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(-code));
        return code;
}

int err_errno(struct err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = err_vset(err, code, true, fmt, ap);
        va_end(ap);
        return r;
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = err_vset(err, code, false, fmt, ap);
        va_end(ap);
        return r;
}

int err_wrap(struct err *err, const char *fmt, ...)
{
        char old[ERR_MSG_MAX];
        va_list ap;

        memcpy(old, err->msg, sizeof(old));
        va_start(ap, fmt);
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", old);
        if (err->code >= 0)
                err->code = -EIO;
        return err->code;
}
