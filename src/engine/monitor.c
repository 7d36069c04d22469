/* monitor.c: a detached container's monitor: spawned by a double fork into its own session,
 * it starts the container as its child, logs what it writes, reaps it, records how it ended
 * and restarts it as its policy says. See monitor.h. */
#include "engine/monitor.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/health.h"
#include "engine/logs.h"
#include "engine/network.h"
#include "engine/record.h"
#include "engine/snapshot.h"
#include "oci/container.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define LOCK_FILE "monitor.lock"
#define STOP_FILE "stop-requested"
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000
#define BACKOFF_RESET_S 10 /* a run this long starts the backoff afresh */
#define EXIT_START_FAILED 127

/* ---- restart policies ---- */

int restart_policy_parse(const char *s, struct restart_policy *ret, struct err *err)
{
        static const char *const names[] = { "no", "always", "unless-stopped", "on-failure" };
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                if (strlen(names[i]) != len || strncmp(s, names[i], len))
                        continue;
                snprintf(ret->name, sizeof(ret->name), "%s", names[i]);
                ret->max = 0;
                if (!colon)
                        return 0;
                char *end = NULL;
                errno = 0;
                long n = strtol(colon + 1, &end, 10);
                if (i == 3 && colon[1] && !*end && !errno && n >= 0 && n <= INT_MAX) {
                        ret->max = (int)n;
                        return 0;
                }
                break;
        }
        return err_set(err, -EINVAL,
                       "invalid restart policy \"%s\": use no, always, unless-stopped or on-failure[:N]", s);
}

static bool policy_restarts(json_object *rec, int code, int count)
{
        const char *name = record_str(rec, "restart_policy");
        if (!name || !strcmp(name, "no"))
                return false;
        if (strcmp(name, "on-failure"))
                return true;
        int max = record_int(rec, "restart_max", 0);
        return code != 0 && (max == 0 || count < max);
}

/* ---- liveness: the lock ---- */

static int dir_file(const char *dir, const char *name, char **ret)
{
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

bool monitor_alive(const char *dir)
{
        _cleanup_free_ char *path = NULL;
        if (dir_file(dir, LOCK_FILE, &path) < 0)
                return false;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int monitor_wait(const char *dir, struct err *err)
{
        _cleanup_free_ char *path = NULL;
        if (dir_file(dir, LOCK_FILE, &path) < 0)
                return err_errno(err, -ENOMEM, "wait for the monitor of %s", dir);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : err_errno(err, neg_errno(), "open %s", path);
        while (flock(fd, LOCK_SH) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "wait for the monitor: lock %s", path);
        return 0;
}

int monitor_request_stop(const char *dir, struct err *err)
{
        _cleanup_free_ char *path = NULL;
        if (dir_file(dir, STOP_FILE, &path) < 0)
                return err_errno(err, -ENOMEM, "stop %s", dir);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return err_errno(err, neg_errno(), "create %s", path);
        return 0;
}

static bool stop_requested(const char *dir)
{
        _cleanup_free_ char *path = NULL;
        return dir_file(dir, STOP_FILE, &path) < 0 || access(path, F_OK) == 0;
}

/* ---- the monitor process ---- */

struct monitor {
        const char *id, *dir, *runtime_root; /* absolute */
        int status_fd;                        /* to the spawner until the first start */
        int lock_fd, sig_fd, out_fd, err_fd;  /* out/err: read ends of the container's stdio */
        struct log_writer log;
        struct health health;
        pid_t pid;
        time_t started;
};

/* Whatever the spawning staple had open stays out of the monitor (bats' fd 3, a
 * terminal): 0-2 become /dev/null, the status pipe fd 3, the rest is closed. */
static int monitor_fds(struct monitor *m)
{
        /* out of the way first: the spawner may have run with a standard fd closed */
        int status = fcntl(m->status_fd, F_DUPFD_CLOEXEC, 10);
        if (status < 0)
                return neg_errno();
        m->status_fd = status;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return neg_errno();
        for (int fd = 0; fd < 3; fd++)
                if (fd != null && dup2(null, fd) < 0)
                        return neg_errno();
        if (dup3(m->status_fd, 3, O_CLOEXEC) < 0)
                return neg_errno();
        m->status_fd = 3;
        if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
                return neg_errno();
        return 0;
}

/* The container's stdout and stderr: pipes whose write ends are the monitor's own 1 and 2
 * (kept across restarts, so the read ends never see EOF); stdin is /dev/null. */
static int monitor_pipes(struct monitor *m, struct err *err)
{
        int out[2], errp[2];
        if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
                return err_errno(err, neg_errno(), "monitor: pipe");
        if (pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
                close(out[0]);
                close(out[1]);
                return err_errno(err, neg_errno(), "monitor: pipe");
        }
        m->out_fd = out[0];
        m->err_fd = errp[0];
        /* dup2 clears O_CLOEXEC; the write ends must block for the container's writers */
        int r = dup2(out[1], STDOUT_FILENO) < 0 || dup2(errp[1], STDERR_FILENO) < 0 ? neg_errno() : 0;
        close(out[1]);
        close(errp[1]);
        if (r >= 0 && (fcntl(STDOUT_FILENO, F_SETFL, 0) < 0 || fcntl(STDERR_FILENO, F_SETFL, 0) < 0))
                r = neg_errno();
        return r < 0 ? err_errno(err, r, "monitor: stdio pipes") : 0;
}

static int monitor_setup(struct monitor *m, struct err *err)
{
        if (monitor_fds(m) < 0 || chdir("/") < 0)
                return err_errno(err, neg_errno(), "monitor: set up its files");
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return err_errno(err, neg_errno(), "monitor: become subreaper");
        _cleanup_free_ char *lock = NULL, *stop = NULL, *log = NULL;
        if (dir_file(m->dir, LOCK_FILE, &lock) < 0 || dir_file(m->dir, STOP_FILE, &stop) < 0 ||
            dir_file(m->dir, MONITOR_LOG_FILE, &log) < 0)
                return err_errno(err, -ENOMEM, "monitor %.12s", m->id);
        m->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (m->lock_fd < 0)
                return err_errno(err, neg_errno(), "monitor: open %s", lock);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? err_set(err, -EBUSY, "container %.12s is already running", m->id)
                                            : err_errno(err, neg_errno(), "monitor: lock %s", lock);
        if (unlink(stop) < 0 && errno != ENOENT)
                return err_errno(err, neg_errno(), "monitor: remove %s", stop);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return err_errno(err, neg_errno(), "monitor: signals");
        m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sig_fd < 0)
                return err_errno(err, neg_errno(), "monitor: signalfd");
        int r = log_writer_open(&m->log, log, err);
        if (r < 0 || (r = health_load(&m->health, m->dir, err)) < 0)
                return r;
        return monitor_pipes(m, err);
}

/* The init's pid from the runtime's state. */
static int state_pid(const struct monitor *m, pid_t *ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        int r = container_state(m->runtime_root, m->id, &text, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *st = json_tokener_parse(text);
        *ret = st ? record_int(st, "pid", 0) : 0;
        return *ret > 0 ? 0 : err_set(err, -EIO, "container %.12s: no pid in its state", m->id);
}

static int start_container(struct monitor *m, struct err *err)
{
        struct container_opts co = { .root = m->runtime_root, .id = m->id, .bundle = m->dir };
        int r = network_start(m->runtime_root, m->id, m->dir, err);
        if (r < 0)
                return r;
        if ((r = container_create(&co, err)) < 0) {
                network_stop(m->runtime_root, m->id, m->dir, &(struct err){ 0 });
                return r;
        }
        /* the pid while the state has it: a quick process may be gone right after start */
        if ((r = state_pid(m, &m->pid, err)) < 0 || (r = container_start(m->runtime_root, m->id, err)) < 0) {
                container_delete(m->runtime_root, m->id, true, &(struct err){ 0 });
                network_stop(m->runtime_root, m->id, m->dir, &(struct err){ 0 });
                return r;
        }
        m->started = time(NULL);
        if ((r = record_update(m->dir, "running", m->pid, -1, err)) < 0)
                return r;
        health_reset(&m->health, m->dir, health_now_ms());
        return 0;
}

static void drain(struct monitor *m, int fd, enum log_stream s)
{
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        log_writer_feed(&m->log, s, buf, (size_t)n, &(struct err){ 0 });
}

/* Reaps children; true with *code once the init has ended (128 + signal when killed). */
static bool reap(struct monitor *m, int *code)
{
        struct signalfd_siginfo si;
        while (read(m->sig_fd, &si, sizeof(si)) > 0)
                ;
        bool done = false;
        int status;
        pid_t w;
        while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
                if (w != m->pid) {
                        health_reaped(&m->health, w, status, m->dir, health_now_ms());
                        continue;
                }
                done = true;
                *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return done;
}

/* Logs the container's output until its init ends; returns its exit code. */
static int watch(struct monitor *m)
{
        int code = 0;
        for (;;) {
                struct pollfd p[] = { { .fd = m->out_fd, .events = POLLIN },
                                      { .fd = m->err_fd, .events = POLLIN },
                                      { .fd = m->sig_fd, .events = POLLIN } };
                if (poll(p, ARRAY_SIZE(p), health_wait_ms(&m->health, health_now_ms())) < 0 && errno != EINTR)
                        return 255;
                health_tick(&m->health, m->runtime_root, m->id, m->dir, health_now_ms());
                if (p[0].revents)
                        drain(m, m->out_fd, LOG_STDOUT);
                if (p[1].revents)
                        drain(m, m->err_fd, LOG_STDERR);
                if (p[2].revents && reap(m, &code))
                        break;
        }
        if (m->health.pid) { /* a check still running has nothing left to check */
                kill(m->health.pid, SIGKILL);
                while (waitpid(m->health.pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                m->health.pid = 0;
        }
        /* what the last writers left in the pipes */
        drain(m, m->out_fd, LOG_STDOUT);
        drain(m, m->err_fd, LOG_STDERR);
        log_writer_flush(&m->log, &(struct err){ 0 });
        return code;
}

/* An error after the spawner has gone: into the log as staple's stderr line. */
static void log_error(struct monitor *m, const struct err *err)
{
        char line[sizeof(err->msg) + 16];
        int n = snprintf(line, sizeof(line), "staple: %s\n", err->msg);
        log_writer_feed(&m->log, LOG_STDERR, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
                        &(struct err){ 0 });
}

/* Sleeps the backoff in steps, so a stop request ends it early; false when one came. */
static bool backoff(struct monitor *m, int count)
{
        long ms = BACKOFF_FIRST_MS;
        for (int i = 1; i < count && ms < BACKOFF_MAX_MS; i++)
                ms *= 2;
        if (ms > BACKOFF_MAX_MS)
                ms = BACKOFF_MAX_MS;
        for (; ms > 0; ms -= 100) {
                if (stop_requested(m->dir))
                        return false;
                nanosleep(&(struct timespec){ .tv_nsec = (ms < 100 ? ms : 100) * 1000000L }, NULL);
        }
        return !stop_requested(m->dir);
}

/* Runs the container until it ends for good: watch, record, restart as the policy says. */
static void supervise(struct monitor *m)
{
        int backoff_n = 0;
        for (;;) {
                int code = watch(m);
                struct err derr = { 0 };
                if (container_delete(m->runtime_root, m->id, true, &derr) < 0)
                        log_error(m, &derr);
                if (network_stop(m->runtime_root, m->id, m->dir, &derr) < 0)
                        log_error(m, &derr);
                _cleanup_json_ json_object *rec = NULL;
                if (record_update(m->dir, "exited", 0, code, &derr) < 0 || record_read(m->dir, &rec) < 0)
                        return;
                int count = record_int(rec, "restart_count", 0);
                if (!policy_restarts(rec, code, count) || stop_requested(m->dir))
                        return;
                backoff_n = time(NULL) - m->started >= BACKOFF_RESET_S ? 1 : backoff_n + 1;
                record_set_int(rec, "restart_count", count + 1);
                record_set_str(rec, "status", "restarting");
                if (record_write(m->dir, rec, &derr) < 0 || !backoff(m, backoff_n))
                        return;
                while (start_container(m, &derr) < 0) {
                        log_error(m, &derr);
                        if (record_update(m->dir, "exited", 0, EXIT_START_FAILED, &derr) < 0 ||
                            !policy_restarts(rec, EXIT_START_FAILED, count + 1) || !backoff(m, ++backoff_n))
                                return;
                }
        }
}

static void report(int fd, int code, const char *msg)
{
        char buf[1100];
        int n = code ? snprintf(buf, sizeof(buf), "-%d %s", -code, msg) : snprintf(buf, sizeof(buf), "+");
        if (write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0) {
                /* the spawner is gone: nobody to tell */
        }
}

static _Noreturn void monitor_main(struct monitor *m)
{
        struct err err = { 0 };
        m->lock_fd = m->sig_fd = m->out_fd = m->err_fd = -1;
        m->log.fd = -1;
        int r = monitor_setup(m, &err);
        if (r >= 0)
                r = start_container(m, &err);
        report(m->status_fd, r < 0 ? r : 0, err.msg);
        close(m->status_fd);
        if (r < 0)
                _exit(1);
        supervise(m);
        log_writer_close(&m->log);
        health_free(&m->health);
        _cleanup_json_ json_object *rec = NULL;
        bool remove = record_read(m->dir, &rec) >= 0 && record_int(rec, "auto_remove", 0);
        struct err serr = { 0 };
        if (remove)
                snapshot_remove(m->dir, &serr);
        else
                snapshot_unmount(m->dir, &serr);
        _exit(0); /* the lock goes with the process */
}

/* ---- spawning ---- */

static char *absolute(const char *path)
{
        char cwd[PATH_MAX];
        char *r = NULL;
        if (path[0] == '/')
                return strdup(path);
        if (!getcwd(cwd, sizeof(cwd)) || asprintf(&r, "%s/%s", cwd, path) < 0)
                return NULL;
        return r;
}

/* Reads the monitor's one message: "+" when the container runs, "-ERRNO message" else. */
static int read_report(int fd, const char *id, struct err *err)
{
        char buf[1100];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof(buf) - 1 && ((k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0 || (k < 0 && errno == EINTR)))
                if (k > 0)
                        n += (size_t)k;
        buf[n] = '\0';
        if (n > 0 && buf[0] == '+')
                return 0;
        char *msg = NULL;
        long code = n > 0 && buf[0] == '-' ? strtol(buf + 1, &msg, 10) : 0;
        if (code <= 0 || code > 4095 || !msg || *msg != ' ')
                return err_set(err, -EIO, "the monitor of %.12s ended before the container started", id);
        return err_set(err, (int)-code, "%s", msg + 1);
}

int monitor_spawn(const struct engine *e, const char *id, const char *dir, struct err *err)
{
        _cleanup_free_ char *adir = absolute(dir), *aroot = absolute(e->runtime_root);
        if (!adir || !aroot)
                return err_errno(err, -ENOMEM, "start %.12s", id);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "start %.12s: pipe", id);
        fflush(NULL);
        pid_t a = fork();
        if (a < 0) {
                int r = err_errno(err, neg_errno(), "start %.12s: fork", id);
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (a == 0) {
                close(p[0]);
                if (setsid() < 0)
                        _exit(1);
                pid_t b = fork();
                if (b != 0)
                        _exit(b < 0);
                struct monitor m = { .id = id, .dir = adir, .runtime_root = aroot, .status_fd = p[1] };
                monitor_main(&m);
        }
        close(p[1]);
        int status;
        while (waitpid(a, &status, 0) < 0 && errno == EINTR)
                ;
        int r = read_report(p[0], id, err);
        close(p[0]);
        return r;
}
