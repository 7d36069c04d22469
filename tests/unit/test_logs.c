/* test_logs.c: the container log file: the writer's CRI entries and `staple logs`' reader.
 *
 * Every test works under /tmp/staple-test-logs-XXXXXX (removed by the fini hook): the log
 * is written by log_writer_* (or by hand, for hostile or hand-made files) and printed by
 * logs_print into two files standing in for stdout and stderr. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/logs.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

static char tmpdir[256];
static char logpath[320];

static void setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/staple-test-logs-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
        snprintf(logpath, sizeof(logpath), "%s/ctr.log", tmpdir);
}

static void teardown(void)
{
        rm_rf_at(AT_FDCWD, tmpdir);
}

TestSuite(logs, .init = setup, .fini = teardown);

/* ---- helpers ---- */

#define T1 "2026-11-27T02:40:00.000000001Z"
#define T2 "2026-11-27T02:40:00.000000002Z"
#define T3 "2026-11-27T02:40:00.000000003Z"
#define T4 "2026-11-27T02:40:00.000000004Z"
#define T5 "2026-11-27T02:40:00.000000005Z"

static void write_raw(const char *data, size_t len)
{
        cr_assert_eq(write_file_at(AT_FDCWD, logpath, data, len, 0600), 0);
}

static void feed(struct log_writer *w, enum log_stream s, const char *data, size_t len)
{
        struct err err = { 0 };
        int r = log_writer_feed(w, s, data, len, &err);
        cr_assert_eq(r, 0, "feed: %s", err.msg);
}

static void feeds(struct log_writer *w, enum log_stream s, const char *str)
{
        feed(w, s, str, strlen(str));
}

static void open_writer(struct log_writer *w)
{
        struct err err = { 0 };
        cr_assert_eq(log_writer_open(w, logpath, &err), 0, "open: %s", err.msg);
}

static char *slurp(const char *path, size_t *ret_len)
{
        char *data = NULL;
        size_t len = 0;
        cr_assert_eq(read_file_at(AT_FDCWD, path, &data, &len), 0, "read %s", path);
        if (ret_len)
                *ret_len = len;
        return data;
}

struct printed {
        char *out, *err;
        size_t out_len, err_len;
        int r;
        struct err e;
};

static void printed_free(struct printed *p)
{
        free(p->out);
        free(p->err);
}

/* Runs logs_print with o into two files and reads them back. */
static struct printed print_log(const struct logs_opts *o)
{
        struct printed p = { 0 };
        char outpath[400], errpath[400];

        snprintf(outpath, sizeof(outpath), "%s/out", tmpdir);
        snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);
        _cleanup_close_ int ofd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        _cleanup_close_ int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        cr_assert(ofd >= 0 && efd >= 0);
        p.r = logs_print(logpath, o, ofd, efd, &p.e);
        p.out = slurp(outpath, &p.out_len);
        p.err = slurp(errpath, &p.err_len);
        return p;
}

static struct printed print_all(void)
{
        struct logs_opts o = { .tail = -1 };
        return print_log(&o);
}

static void expect(const struct logs_opts *o, const char *out, const char *err)
{
        struct printed p = print_log(o);
        cr_assert_eq(p.r, 0, "logs_print: %s", p.e.msg);
        cr_assert_str_eq(p.out, out, "tail %ld", o->tail);
        cr_assert_str_eq(p.err, err, "tail %ld", o->tail);
        printed_free(&p);
}

/* Splits the raw log into lines and checks each against the CRI entry format. */
static size_t raw_entries(char ***ret)
{
        _cleanup_free_ char *raw = slurp(logpath, NULL);
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        regex_t re;

        cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                  "\\.[0-9]{9}Z (stdout|stderr) [FP] ", REG_EXTENDED | REG_NOSUB), 0);
        for (char *line = raw, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = '\0';
                cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0, "bad entry: %.80s", line);
                v = realloc(v, (n + 2) * sizeof(char *));
                v[n++] = strdup(line);
                v[n] = NULL;
        }
        regfree(&re);
        *ret = v;
        return n;
}

/* ---- writer ---- */

Test(logs, lines_split_across_feeds)
{
        struct log_writer w = LOG_WRITER_INIT;
        _cleanup_strv_ char **e = NULL;

        open_writer(&w);
        feeds(&w, LOG_STDOUT, "hel");
        feeds(&w, LOG_STDOUT, "lo\nwor");
        feeds(&w, LOG_STDOUT, "ld\n");
        log_writer_close(&w);

        cr_assert_eq(raw_entries(&e), 2);
        cr_assert_str_eq(e[0] + 31, "stdout F hello");
        cr_assert_str_eq(e[1] + 31, "stdout F world");
        struct printed p = print_all();
        cr_assert_eq(p.r, 0, "%s", p.e.msg);
        cr_assert_str_eq(p.out, "hello\nworld\n");
        cr_assert_str_eq(p.err, "");
        printed_free(&p);
}

Test(logs, several_lines_in_one_feed)
{
        struct log_writer w = LOG_WRITER_INIT;
        _cleanup_strv_ char **e = NULL;
        struct timespec now;

        open_writer(&w);
        feeds(&w, LOG_STDERR, "a\nb\n\nc \n");
        log_writer_close(&w);
        log_writer_close(&w); /* safe twice */

        cr_assert_eq(raw_entries(&e), 4);
        cr_assert_str_eq(e[0] + 31, "stderr F a");
        cr_assert_str_eq(e[1] + 31, "stderr F b");
        cr_assert_str_eq(e[2] + 31, "stderr F ");
        cr_assert_str_eq(e[3] + 31, "stderr F c ");
        /* stamped now, in UTC */
        cr_assert_eq(clock_gettime(CLOCK_REALTIME, &now), 0);
        struct tm tm;
        char today[32];
        gmtime_r(&now.tv_sec, &tm);
        strftime(today, sizeof(today), "%Y-%m-%dT%H", &tm);
        cr_assert_eq(strncmp(e[0], today, 13), 0, "%s vs %s", e[0], today);

        struct printed p = print_all();
        cr_assert_str_eq(p.err, "a\nb\n\nc \n");
        cr_assert_str_eq(p.out, "");
        printed_free(&p);
}

Test(logs, long_line_split_into_p_entries)
{
        const size_t len = 2 * LOG_LINE_MAX + 7232;
        _cleanup_free_ char *line = malloc(len + 1);
        struct log_writer w = LOG_WRITER_INIT;
        _cleanup_strv_ char **e = NULL;

        for (size_t i = 0; i < len; i++)
                line[i] = (char)('a' + i % 26);
        line[len] = '\n';
        open_writer(&w);
        for (size_t off = 0; off < len + 1; off += 997)
                feed(&w, LOG_STDOUT, line + off, len + 1 - off < 997 ? len + 1 - off : 997);
        log_writer_close(&w);

        cr_assert_eq(raw_entries(&e), 3);
        cr_assert_eq(strncmp(e[0] + 31, "stdout P ", 9), 0);
        cr_assert_eq(strlen(e[0] + 40), LOG_LINE_MAX);
        cr_assert_eq(strncmp(e[1] + 31, "stdout P ", 9), 0);
        cr_assert_eq(strlen(e[1] + 40), LOG_LINE_MAX);
        cr_assert_eq(strncmp(e[2] + 31, "stdout F ", 9), 0);
        cr_assert_eq(strlen(e[2] + 40), 7232);

        struct printed p = print_all();
        cr_assert_eq(p.r, 0, "%s", p.e.msg);
        cr_assert_eq(p.out_len, len + 1);
        cr_assert_eq(memcmp(p.out, line, len + 1), 0);
        printed_free(&p);
}

Test(logs, line_of_exactly_line_max_is_one_entry)
{
        _cleanup_free_ char *line = malloc(LOG_LINE_MAX + 1);
        struct log_writer w = LOG_WRITER_INIT;
        _cleanup_strv_ char **e = NULL;

        memset(line, 'x', LOG_LINE_MAX);
        line[LOG_LINE_MAX] = '\n';
        open_writer(&w);
        feed(&w, LOG_STDOUT, line, LOG_LINE_MAX);   /* pending, exactly full */
        feed(&w, LOG_STDOUT, line + LOG_LINE_MAX, 1);
        log_writer_close(&w);
        cr_assert_eq(raw_entries(&e), 1);
        cr_assert_eq(strncmp(e[0] + 31, "stdout F ", 9), 0);
        cr_assert_eq(strlen(e[0] + 40), LOG_LINE_MAX);
}

Test(logs, flush_writes_partial_lines)
{
        struct log_writer w = LOG_WRITER_INIT;
        struct err err = { 0 };
        _cleanup_strv_ char **e = NULL;

        open_writer(&w);
        feeds(&w, LOG_STDOUT, "one\nabc");
        feeds(&w, LOG_STDERR, "xy");
        cr_assert_eq(log_writer_flush(&w, &err), 0, "%s", err.msg);
        cr_assert_eq(log_writer_flush(&w, &err), 0); /* nothing left: writes nothing */
        log_writer_close(&w);

        cr_assert_eq(raw_entries(&e), 3);
        cr_assert_str_eq(e[1] + 31, "stdout P abc");
        cr_assert_str_eq(e[2] + 31, "stderr P xy");
        struct printed p = print_all();
        cr_assert_str_eq(p.out, "one\nabc");
        cr_assert_str_eq(p.err, "xy");
        printed_free(&p);

        /* a restarted container appends: its next output continues the flushed line */
        open_writer(&w);
        feeds(&w, LOG_STDOUT, "def\n");
        log_writer_close(&w);
        p = print_all();
        cr_assert_str_eq(p.out, "one\nabcdef\n");
        printed_free(&p);
}

Test(logs, streams_go_to_their_fds)
{
        struct log_writer w = LOG_WRITER_INIT;

        open_writer(&w);
        feeds(&w, LOG_STDOUT, "o1\no");
        feeds(&w, LOG_STDERR, "e1\n");
        feeds(&w, LOG_STDOUT, "2\n");
        feeds(&w, LOG_STDERR, "e2\n");
        log_writer_close(&w);

        struct printed p = print_all();
        cr_assert_eq(p.r, 0, "%s", p.e.msg);
        cr_assert_str_eq(p.out, "o1\no2\n");
        cr_assert_str_eq(p.err, "e1\ne2\n");
        printed_free(&p);
}

Test(logs, writer_errors)
{
        struct log_writer w = LOG_WRITER_INIT;
        struct err err = { 0 };
        char bad[400];

        log_writer_close(&w); /* never opened */
        snprintf(bad, sizeof(bad), "%s/no/such/dir/ctr.log", tmpdir);
        cr_assert_eq(log_writer_open(&w, bad, &err), -ENOENT);
        cr_assert(strstr(err.msg, bad), "%s", err.msg);
        cr_assert_eq(w.fd, -1);
        cr_assert_eq(log_writer_feed(&w, LOG_STDOUT, "x\n", 2, &err), -EBADF);
        log_writer_close(&w);

        open_writer(&w);
        cr_assert_eq(log_writer_feed(&w, (enum log_stream)3, "x\n", 2, &err), -EINVAL);
        cr_assert_eq(log_writer_feed(&w, (enum log_stream)0, "x\n", 2, &err), -EINVAL);
        log_writer_close(&w);
        struct stat st;
        cr_assert_eq(stat(logpath, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600);
        cr_assert_eq(st.st_size, 0);
}

/* ---- reader ---- */

Test(logs, missing_file_is_empty)
{
        struct printed p = print_all();
        cr_assert_eq(p.r, 0, "%s", p.e.msg);
        cr_assert_str_eq(p.out, "");
        cr_assert_str_eq(p.err, "");
        printed_free(&p);
}

/* Lines by where they start: one, two (P + F around an stderr line), err1, three. */
static const char tail_log[] =
        T1 " stdout F one\n"
        T2 " stdout P tw\n"
        T3 " stderr F err1\n"
        T4 " stdout F o\n"
        T5 " stdout F three\n";

Test(logs, tail)
{
        write_raw(tail_log, strlen(tail_log));
        struct logs_opts o = { .tail = -1 };
        expect(&o, "one\ntwo\nthree\n", "err1\n");
        o.tail = 0;
        expect(&o, "", "");
        o.tail = 1;
        expect(&o, "three\n", "");
        o.tail = 2;
        expect(&o, "three\n", "err1\n");
        o.tail = 3;
        expect(&o, "two\nthree\n", "err1\n");
        o.tail = 4;
        expect(&o, "one\ntwo\nthree\n", "err1\n");
        o.tail = 1000;
        expect(&o, "one\ntwo\nthree\n", "err1\n");
}

Test(logs, tail_counts_a_trailing_partial_line)
{
        static const char log[] = T1 " stdout F one\n" T2 " stdout F two\n" T3 " stdout P thr\n";
        write_raw(log, strlen(log));
        struct logs_opts o = { .tail = 1 };
        expect(&o, "thr", "");
        o.tail = 2;
        expect(&o, "two\nthr", "");
}

Test(logs, timestamps)
{
        write_raw(tail_log, strlen(tail_log));
        struct logs_opts o = { .tail = -1, .timestamps = true };
        expect(&o, T1 " one\n" T2 " two\n" T5 " three\n", T3 " err1\n");
        o.tail = 1;
        expect(&o, T5 " three\n", "");

        /* the writer's own stamps: RFC 3339 UTC, 9 digits, Z */
        struct log_writer w = LOG_WRITER_INIT;
        regex_t re;
        open_writer(&w);
        feeds(&w, LOG_STDOUT, "new\n");
        log_writer_close(&w);
        o.tail = 1;
        struct printed p = print_log(&o);
        cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                  "\\.[0-9]{9}Z new\n$", REG_EXTENDED | REG_NOSUB), 0);
        cr_assert_eq(regexec(&re, p.out, 0, NULL, 0), 0, "%s", p.out);
        regfree(&re);
        printed_free(&p);
}

Test(logs, malformed_lines_are_skipped)
{
        const size_t big = 200000;
        _cleanup_free_ char *log = malloc(big + 4096);
        size_t n = 0;

#define ADD(s) (memcpy(log + n, s, strlen(s)), n += strlen(s))
        ADD(T1 " stdout F good1\n");
        ADD("garbage\n");
        ADD("\n");
        ADD(T1 "\n");
        ADD(T1 " stdout\n");
        ADD(T1 " stdout \n");
        ADD(T1 " stdin F bad stream\n");
        ADD(T1 " stdoutX F bad stream\n");
        ADD(T1 " stdout X bad tag\n");
        ADD(T1 " stdout FP bad tag\n");
        ADD(T1 "stdout F no space\n");
        ADD("2026-11-27 02:40:00Z stdout F bad time\n");
        ADD("2026-11-27T02:40:00.1234567890Z stdout F ten digits\n");
        ADD("2026-11-27T02:40:00.Z stdout F no digits\n");
        ADD("2026-11-27T02:40:00.5+01:0 stdout F short zone\n");
        ADD(T1 " stderr F good2\n");
        ADD("2026-11-27T02:40:00.5+01:00 stdout F other writers' times\n");
        ADD("2026-11-27T02:40:00Z stdout F\n"); /* empty line, no space after the tag */
        ADD(T1 " stdout F ");                   /* an overlong line, not an entry */
        memset(log + n, 'z', big);
        n += big;
        ADD("\n");
        ADD(T2 " stdout F good3\n");
        ADD(T3 " stdout F torn last line");     /* no newline: not printed */
#undef ADD
        write_raw(log, n);
        struct logs_opts o = { .tail = -1 };
        expect(&o, "good1\nother writers' times\n\ngood3\n", "good2\n");
        o.tail = 2;
        expect(&o, "\ngood3\n", "");
}

/* ---- follow ---- */

struct appender {
        atomic_bool finished;
        int result;         /* of the appender's writes */
};

static bool appender_done(void *u)
{
        return atomic_load(&((struct appender *)u)->finished);
}

static void sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
        nanosleep(&ts, NULL);
}

/* Appends to the log from another thread, as the monitor would (no cr_assert here: a
 * failure is recorded and checked by the test). */
static void *appender_run(void *u)
{
        struct appender *a = u;
        struct log_writer w = LOG_WRITER_INIT;
        struct err err = { 0 };
        char line[32];
        int r;

        sleep_ms(150);
        r = log_writer_open(&w, logpath, &err);
        for (int i = 0; i < 5 && r == 0; i++) {
                snprintf(line, sizeof(line), "line %d\n", i);
                r = log_writer_feed(&w, i == 2 ? LOG_STDERR : LOG_STDOUT, line, strlen(line), &err);
                sleep_ms(40);
        }
        if (r == 0)
                r = log_writer_feed(&w, LOG_STDOUT, "no newline", 10, &err);
        sleep_ms(150);
        if (r == 0)
                r = log_writer_feed(&w, LOG_STDOUT, " yet\nlast", 9, &err);
        if (r == 0)
                r = log_writer_flush(&w, &err);
        log_writer_close(&w);
        /* a reader must leave a half-written entry for its next poll */
        _cleanup_close_ int fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (r == 0 && (fd < 0 || write_all(fd, T1 " stdout F ha", strlen(T1) + 12) < 0))
                r = -EIO;
        sleep_ms(250);
        if (r == 0 && write_all(fd, "lf\n", 3) < 0)
                r = -EIO;
        a->result = r;
        atomic_store(&a->finished, true);
        return NULL;
}

static struct printed follow_with_appender(struct logs_opts *o)
{
        struct appender a = { .finished = false };
        struct timespec t0, t1;
        pthread_t th;

        o->follow = true;
        o->done = appender_done;
        o->u = &a;
        cr_assert_eq(pthread_create(&th, NULL, appender_run, &a), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct printed p = print_log(o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cr_assert_eq(pthread_join(th, NULL), 0);
        cr_assert_eq(a.result, 0, "appender failed");
        cr_assert_eq(p.r, 0, "%s", p.e.msg);
        cr_assert(atomic_load(&a.finished), "logs_print returned before done()");
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        cr_assert_lt(ms, 3000, "follow took %ld ms", ms);
        return p;
}

Test(logs, follow_waits_for_the_file_and_returns_after_done)
{
        struct logs_opts o = { .tail = -1 };
        struct printed p = follow_with_appender(&o);
        cr_assert_str_eq(p.out, "line 0\nline 1\nline 3\nline 4\nno newline yet\nlasthalf\n");
        cr_assert_str_eq(p.err, "line 2\n");
        printed_free(&p);
}

Test(logs, follow_with_tail_prints_the_last_lines_then_new_ones)
{
        static const char old[] = T1 " stdout F old1\n" T2 " stdout F old2\n";
        write_raw(old, strlen(old));
        struct logs_opts o = { .tail = 1, .timestamps = true };
        struct printed p = follow_with_appender(&o);
        cr_assert_eq(strncmp(p.out, T2 " old2\n", strlen(T2) + 6), 0, "%s", p.out);
        cr_assert(strstr(p.out, "Z line 0\n"), "%s", p.out);
        cr_assert(strstr(p.out, "Z lasthalf\n"), "%s", p.out);
        cr_assert_null(strstr(p.out, "old1"));
        printed_free(&p);
}

Test(logs, follow_of_a_finished_log_returns)
{
        write_raw(tail_log, strlen(tail_log));
        struct appender a = { .finished = true };
        struct logs_opts o = { .tail = 0, .follow = true, .done = appender_done, .u = &a };
        expect(&o, "", "");
}
