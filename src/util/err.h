/* err.h: an error that carries its message up to the one place that prints it. */
#pragma once

#include <errno.h>
#include <stdarg.h>

#define ERR_MSG_MAX 1024

struct err {
        int code;               /* negative errno, 0 when no error is set */
        char msg[ERR_MSG_MAX];  /* "mount proc on /proc: Permission denied" */
};

/* Sets err to "<fmt...>: strerror(-code)" and returns code (negative errno). */
int err_errno(struct err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Sets err to "<fmt...>" without an errno text and returns code (negative errno). */
int err_set(struct err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "<fmt...>: " and returns err->code. */
int err_wrap(struct err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Result of a libc call that sets errno, as a negative errno. */
static inline int neg_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
