/* cleanup.h: ownership by scope (systemd style). TAKE_* hands ownership on visibly. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Frees a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strv_freep)

#define TAKE_PTR(p)                                \
        ({                                         \
                __typeof__(p) _take_tmp = (p);     \
                (p) = NULL;                        \
                _take_tmp;                         \
        })

#define TAKE_FD(fd)                                \
        ({                                         \
                int _take_fd = (fd);               \
                (fd) = -EBADF;                     \
                _take_fd;                          \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
