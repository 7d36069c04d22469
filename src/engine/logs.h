/* logs.h: a container's log file, in the CRI format that containerd and CRI-O write.
 *
 * One entry per line: "<RFC3339Nano UTC time> <stdout|stderr> <F|P> <text>\n", for example
 * "2026-11-27T02:40:00.123456789Z stdout F hello". F ends a line (its newline is not stored);
 * P is part of a line that continues in the next entry of the same stream. Each entry is
 * written with a single write(2) on an O_APPEND fd, so a reader never sees half of one
 * (except the last line while it is being written, which a reader leaves for later). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define LOG_LINE_MAX 16384 /* longer lines are split into P entries of this many bytes */

enum log_stream { LOG_STDOUT = 1, LOG_STDERR = 2 };

struct log_writer {                  /* one per container; owned by the monitor */
        int fd;                      /* O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0600 */
        char *buf[3]; size_t len[3]; /* pending partial line per stream (index 1, 2) */
};

/* A writer that log_writer_close() accepts before (or without) log_writer_open(). */
#define LOG_WRITER_INIT { .fd = -1 }

/* Opens (creates, appends to) the log at path. On failure w->fd is -1 and
 * log_writer_close(w) is still safe. */
int log_writer_open(struct log_writer *w, const char *path, struct err *err);

/* Splits data into lines; writes each complete line as an F entry stamped now. The rest
 * stays pending for the next feed; a pending part longer than LOG_LINE_MAX is written as
 * P entries of LOG_LINE_MAX bytes. -EINVAL for a bad stream, -EBADF on a closed writer. */
int log_writer_feed(struct log_writer *w, enum log_stream s, const char *data, size_t n,
                    struct err *err);

/* Writes what is pending on both streams as P entries (at container exit). */
int log_writer_flush(struct log_writer *w, struct err *err);

/* Frees the pending buffers and closes the fd, without writing; safe twice. */
void log_writer_close(struct log_writer *w);

struct logs_opts {
        bool follow;        /* keep reading until done(u) says the writer is gone */
        bool timestamps;    /* prefix each printed line with "<time> " (the entry's time) */
        long tail;          /* < 0: everything; else only the last `tail` lines */
        bool (*done)(void *u); void *u;   /* follow: true once nothing more will be written;
                                             NULL: follow until killed */
};

/* Prints the log at path: F entries' text + "\n", P entries' text without newline,
 * stdout entries to out_fd and stderr entries to err_fd. A missing file is an empty log
 * (with follow, it is waited for). A malformed line is skipped. A line is an F entry, or
 * the P entries of one stream plus the F that ends them (or a last P run without one);
 * tail counts lines by where they start, and --timestamps prefixes a line once, with the
 * time of its first entry. follow: polls for growth every 100 ms; once done(u) returns
 * true, reads what is left once more, then returns. Returns 0 or a negative errno. */
int logs_print(const char *path, const struct logs_opts *o, int out_fd, int err_fd,
               struct err *err);
