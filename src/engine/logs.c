/* logs.c: the container log file (CRI format): the monitor's writer, `staple logs`' reader. */
#include "engine/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#define LOG_TIME_LEN 30 /* "2026-11-27T02:40:00.123456789Z" */
#define LOG_HEAD_MAX (LOG_TIME_LEN + sizeof(" stdout F ") - 1)
#define LOG_ENTRY_MAX (LOG_HEAD_MAX + LOG_LINE_MAX + 1)
#define LOG_READ_BUF (4 * LOG_ENTRY_MAX) /* a longer line is not ours: skipped */
#define LOG_OUT_BUF 65536
#define LOG_POLL_NS (100 * 1000 * 1000)

static const char *const stream_names[] = {
        [LOG_STDOUT] = "stdout",
        [LOG_STDERR] = "stderr",
};

static bool stream_valid(int s)
{
        return s == LOG_STDOUT || s == LOG_STDERR;
}

/* ---- writer ---- */

/* RFC 3339 UTC with nanoseconds, always 9 digits (sortable, fixed width). */
static int log_time_now(char ret[static LOG_TIME_LEN + 1])
{
        struct timespec ts;
        struct tm tm;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return neg_errno();
        if (!gmtime_r(&ts.tv_sec, &tm))
                return -EOVERFLOW;
        if (strftime(ret, LOG_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
                return -EOVERFLOW;
        snprintf(ret + 19, LOG_TIME_LEN + 1 - 19, ".%09dZ", (int)ts.tv_nsec);
        return 0;
}

/* Writes one entry whose text is a followed by b, with one write(2) (O_APPEND). */
static int log_emit(struct log_writer *w, enum log_stream s, char tag, const char *a,
                    size_t alen, const char *b, size_t blen, struct err *err)
{
        char entry[LOG_ENTRY_MAX];
        size_t n;
        int r;

        r = log_time_now(entry);
        if (r < 0)
                return err_errno(err, r, "container log: read the clock");
        n = LOG_TIME_LEN;
        n += (size_t)snprintf(entry + n, sizeof(entry) - n, " %s %c ", stream_names[s], tag);
        if (alen)
                memcpy(entry + n, a, alen);
        n += alen;
        if (blen)
                memcpy(entry + n, b, blen);
        n += blen;
        entry[n++] = '\n';
        r = write_all(w->fd, entry, n);
        if (r < 0)
                return err_errno(err, r, "write container log");
        return 0;
}

int log_writer_open(struct log_writer *w, const char *path, struct err *err)
{
        *w = (struct log_writer)LOG_WRITER_INIT;
        w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (w->fd < 0)
                return err_errno(err, neg_errno(), "open log %s", path);
        return 0;
}

/* Keeps data (no newline in it, fits in LOG_LINE_MAX with what is pending) for later. */
static int log_stash(struct log_writer *w, enum log_stream s, const char *data, size_t n,
                     struct err *err)
{
        if (n == 0)
                return 0;
        if (!w->buf[s]) {
                w->buf[s] = malloc(LOG_LINE_MAX);
                if (!w->buf[s])
                        return err_errno(err, -ENOMEM, "container log buffer");
        }
        memcpy(w->buf[s] + w->len[s], data, n);
        w->len[s] += n;
        return 0;
}

/* On a write error, the part of data not yet written is dropped. */
int log_writer_feed(struct log_writer *w, enum log_stream s, const char *data, size_t n,
                    struct err *err)
{
        if (!stream_valid(s))
                return err_set(err, -EINVAL, "container log: unknown stream %d", (int)s);
        if (w->fd < 0)
                return err_set(err, -EBADF, "container log is not open");

        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t seg = nl ? (size_t)(nl - data) : n;
                size_t room = LOG_LINE_MAX - w->len[s];
                char tag = 'F';
                int r;

                if (seg > room) /* the line outgrows LOG_LINE_MAX: its first part goes now */
                        seg = room, tag = 'P';
                else if (!nl)
                        return log_stash(w, s, data, n, err);
                r = log_emit(w, s, tag, w->buf[s], w->len[s], data, seg, err);
                w->len[s] = 0;
                if (r < 0)
                        return r;
                if (tag == 'F')
                        seg++; /* the newline */
                data += seg;
                n -= seg;
        }
        return 0;
}

int log_writer_flush(struct log_writer *w, struct err *err)
{
        int ret = 0;

        for (int s = LOG_STDOUT; s <= LOG_STDERR; s++) {
                if (w->len[s] == 0)
                        continue;
                int r = log_emit(w, s, 'P', w->buf[s], w->len[s], NULL, 0, err);
                w->len[s] = 0;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

void log_writer_close(struct log_writer *w)
{
        for (size_t s = 0; s < ARRAY_SIZE(w->buf); s++) {
                free(w->buf[s]);
                w->buf[s] = NULL;
                w->len[s] = 0;
        }
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
}

/* ---- reader ---- */

struct log_entry {
        const char *time;
        size_t time_len;
        enum log_stream stream;
        bool partial;
        const char *text;
        size_t len;
};

/* "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)": RFC 3339 as CRI writers use it. */
static bool log_time_valid(const char *t, size_t n)
{
        static const char head[] = "dddd-dd-ddTdd:dd:dd", zone[] = "dd:dd";
        size_t i, j;

        if (n < sizeof(head))
                return false;
        for (i = 0; i < sizeof(head) - 1; i++)
                if (head[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != head[i])
                        return false;
        if (t[i] == '.') {
                for (j = ++i; i < n && i - j < 9 && t[i] >= '0' && t[i] <= '9'; i++)
                        ;
                if (i == j)
                        return false;
        }
        if (i + 1 == n && t[i] == 'Z')
                return true;
        if (i + 6 != n || (t[i] != '+' && t[i] != '-'))
                return false;
        for (j = 0; j < sizeof(zone) - 1; j++)
                if (zone[j] == 'd' ? (t[i + 1 + j] < '0' || t[i + 1 + j] > '9')
                                   : t[i + 1 + j] != zone[j])
                        return false;
        return true;
}

/* Parses "<time> <stream> <F|P> <text>" (line without its newline). */
static int log_parse(const char *line, size_t n, struct log_entry *e)
{
        const char *sp = memchr(line, ' ', n);
        const char *p;
        size_t left;

        if (!sp || !log_time_valid(line, (size_t)(sp - line)))
                return -EINVAL;
        e->time = line;
        e->time_len = (size_t)(sp - line);
        p = sp + 1;
        left = n - e->time_len - 1;
        e->stream = 0;
        for (int s = LOG_STDOUT; s <= LOG_STDERR; s++)
                if (left > 7 && memcmp(p, stream_names[s], 6) == 0 && p[6] == ' ')
                        e->stream = s;
        if (!e->stream)
                return -EINVAL;
        p += 7, left -= 7;
        if (p[0] != 'F' && p[0] != 'P')
                return -EINVAL;
        e->partial = p[0] == 'P';
        if (left > 1 && p[1] != ' ')
                return -EINVAL;
        e->text = left > 1 ? p + 2 : p + 1;
        e->len = left > 1 ? left - 2 : 0;
        return 0;
}

struct log_printer {
        const struct logs_opts *o;
        int fds[3];        /* by stream */
        long skip;         /* lines that start before this one are not printed */
        long lines;        /* lines started so far */
        bool open[3];      /* by stream: the last entry was P, its line goes on */
        bool shown[3];     /* by stream: the open line is printed */
        int out_fd;        /* the fd out_buf is for */
        size_t out_len;
        char out_buf[LOG_OUT_BUF];
};

static int log_out_flush(struct log_printer *p)
{
        int r = 0;

        if (p->out_len > 0)
                r = write_all(p->out_fd, p->out_buf, p->out_len);
        p->out_len = 0;
        return r;
}

/* Buffered, in file order across both fds (a switch of fd flushes). */
static int log_out_put(struct log_printer *p, int fd, const char *data, size_t len)
{
        int r;

        if ((fd != p->out_fd || len > sizeof(p->out_buf) - p->out_len) &&
            (r = log_out_flush(p)) < 0)
                return r;
        p->out_fd = fd;
        if (len > sizeof(p->out_buf))
                return write_all(fd, data, len);
        memcpy(p->out_buf + p->out_len, data, len);
        p->out_len += len;
        return 0;
}

static int log_printer_entry(struct log_printer *p, const struct log_entry *e)
{
        int s = e->stream, fd = p->fds[s], r = 0;
        bool starts = !p->open[s];

        if (starts) {
                p->shown[s] = p->lines >= p->skip;
                p->lines++;
        }
        p->open[s] = e->partial;
        if (!p->shown[s])
                return 0;
        if (starts && p->o->timestamps) {
                r = log_out_put(p, fd, e->time, e->time_len);
                if (r >= 0)
                        r = log_out_put(p, fd, " ", 1);
        }
        if (r >= 0)
                r = log_out_put(p, fd, e->text, e->len);
        if (r >= 0 && !e->partial)
                r = log_out_put(p, fd, "\n", 1);
        return r;
}

struct log_reader {
        int fd;
        bool skipping;     /* inside an overlong line: drop bytes up to its newline */
        size_t start, end; /* unread bytes in buf */
        char buf[LOG_READ_BUF];
};

static int log_reader_rewind(struct log_reader *rd)
{
        rd->skipping = false;
        rd->start = rd->end = 0;
        return lseek(rd->fd, 0, SEEK_SET) < 0 ? neg_errno() : 0;
}

/* Hands every complete line now in the file to p; a last line without its newline (being
 * written) stays buffered for the next call. -EPIPE etc. from writing are returned as is. */
static int log_reader_drain(struct log_reader *rd, struct log_printer *p, struct err *err)
{
        for (;;) {
                char *line = rd->buf + rd->start;
                char *nl = memchr(line, '\n', rd->end - rd->start);
                struct log_entry e;
                ssize_t k;

                if (nl) {
                        if (!rd->skipping && log_parse(line, (size_t)(nl - line), &e) == 0) {
                                int r = log_printer_entry(p, &e);
                                if (r < 0)
                                        return err_errno(err, r, "write log output");
                        }
                        rd->skipping = false;
                        rd->start = (size_t)(nl + 1 - rd->buf);
                        continue;
                }
                memmove(rd->buf, line, rd->end - rd->start);
                rd->end -= rd->start;
                rd->start = 0;
                if (rd->end == sizeof(rd->buf)) {
                        rd->skipping = true;
                        rd->end = 0;
                }
                k = read(rd->fd, rd->buf + rd->end, sizeof(rd->buf) - rd->end);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return err_errno(err, neg_errno(), "read log");
                if (k == 0)
                        return 0;
                rd->end += (size_t)k;
        }
}

/* Opens the log if it exists (yet); a missing file leaves rd->fd at -1. */
static int log_reader_open(struct log_reader *rd, const char *path, struct err *err)
{
        if (rd->fd >= 0)
                return 0;
        rd->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (rd->fd < 0 && errno != ENOENT)
                return err_errno(err, neg_errno(), "open log %s", path);
        return 0;
}

/* --tail: counts the lines there are now, then rewinds, to skip all but the last o->tail. */
static int log_skip_for_tail(struct log_reader *rd, struct log_printer *p, struct err *err)
{
        long tail = p->o->tail;
        int r;

        if (tail < 0 || rd->fd < 0)
                return 0;
        p->skip = LONG_MAX;
        r = log_reader_drain(rd, p, err);
        if (r < 0)
                return err_wrap(err, "count log lines");
        p->skip = p->lines > tail ? p->lines - tail : 0;
        p->lines = 0;
        memset(p->open, 0, sizeof(p->open));
        memset(p->shown, 0, sizeof(p->shown));
        r = log_reader_rewind(rd);
        if (r < 0)
                return err_errno(err, r, "rewind log");
        return 0;
}

struct log_state {
        struct log_reader rd;
        struct log_printer p;
};

static void log_state_freep(struct log_state **st)
{
        if (*st && (*st)->rd.fd >= 0)
                close((*st)->rd.fd);
        free(*st);
}

int logs_print(const char *path, const struct logs_opts *o, int out_fd, int err_fd,
               struct err *err)
{
        _cleanup_(log_state_freep) struct log_state *st = calloc(1, sizeof(*st));
        const struct timespec interval = { .tv_nsec = LOG_POLL_NS };
        bool last = !o->follow;
        int r;

        if (!st)
                return err_errno(err, -ENOMEM, "read log %s", path);
        st->rd.fd = -1;
        st->p = (struct log_printer){ .o = o, .fds = { -1, out_fd, err_fd }, .out_fd = out_fd };
        r = log_reader_open(&st->rd, path, err);
        if (r >= 0)
                r = log_skip_for_tail(&st->rd, &st->p, err);
        while (r >= 0) {
                r = log_reader_open(&st->rd, path, err);
                if (r >= 0 && st->rd.fd >= 0)
                        r = log_reader_drain(&st->rd, &st->p, err);
                if (r >= 0 && (r = log_out_flush(&st->p)) < 0)
                        err_errno(err, r, "write log output");
                if (r < 0 || last)
                        break;
                nanosleep(&interval, NULL);
                last = o->done && o->done(o->u); /* then one more read: what is left */
        }
        return r < 0 ? r : 0;
}
