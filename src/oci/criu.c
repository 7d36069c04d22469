#include "oci/criu.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/log.h"


void criu_argv_add(struct criu_argv *a, const char *fmt, ...)
{
        if (a->oom)
                return;
        if (a->n + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 32;
                char **v = realloc(a->v, cap * sizeof(*v));
                if (!v) {
                        a->oom = true;
                        return;
                }
                a->v = v;
                a->cap = cap;
        }
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&a->v[a->n], fmt, ap);
        va_end(ap);
        if (r < 0) {
                a->oom = true;
                return;
        }
        a->v[++a->n] = NULL;
}

void criu_argv_done(struct criu_argv *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
        free(a->v);
        *a = (struct criu_argv){ 0 };
}

/* The child between fork and exec: cgroup, fds, stdio. Failures are written to errfd
 * (close-on-exec, so the parent reads nothing when exec worked). */
_Noreturn static void criu_child(const struct criu_run *run, int errfd)
{
        struct err e = { 0 };
        int code = 126;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* a foreground restore blocks signals */
        if (run->cgroup && cgroup_enter(run->cgroup, getpid(), &e) < 0)
                goto fail;
        for (size_t i = 0; i < run->n_keep_fds; i++)
                if (fcntl(run->keep_fds[i], F_SETFD, 0) < 0) {
                        err_errno(&e, neg_errno(), "keep fd %d", run->keep_fds[i]);
                        goto fail;
                }
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
                err_errno(&e, neg_errno(), "/dev/null as criu's stdio");
                goto fail;
        }
        execvp("criu", run->argv->v);
        code = errno == ENOENT ? 127 : 126;
        err_errno(&e, neg_errno(), "exec criu");
fail:
        (void)!write(errfd, e.msg, strlen(e.msg));
        _exit(code);
}

/* The first "Error (file:line): text" of a criu log, as "text". */
static void criu_log_error(const char *log_path, char *out, size_t size)
{
        _cleanup_free_ char *log = NULL;
        size_t len = 0;
        snprintf(out, size, "no error in its log");
        if (read_file_at(AT_FDCWD, log_path, &log, &len) < 0)
                return;
        const char *line = strstr(log, "Error (");
        if (!line)
                return;
        const char *text = strstr(line, "): ");
        size_t eol = strcspn(line, "\n");
        if (text && text < line + eol)
                snprintf(out, size, "%.*s", (int)(line + eol - text - 3), text + 3);
        else
                snprintf(out, size, "%.*s", (int)eol, line);
}

int criu_run(const struct criu_run *run, struct err *err)
{
        if (run->argv->oom || !run->argv->n)
                return err_errno(err, -ENOMEM, "criu %s", run->what);
        char line[1024] = "";
        for (size_t i = 0, len = 0; i < run->argv->n && len < sizeof(line); i++)
                len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "", run->argv->v[i]);
        log_debug("%s", line);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "criu %s: pipe", run->what);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                criu_child(run, p[1]);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return err_errno(err, neg_errno(), "criu %s: fork", run->what);
        }
        char msg[ERR_MSG_MAX] = "";
        ssize_t n;
        while ((n = read(p[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
                ;
        close(p[0]);
        msg[n > 0 ? n : 0] = '\0';
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "criu %s: wait", run->what);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && *msg)
                return err_set(err, -ENOENT, "criu is not installed (%s)", msg);
        if (*msg)
                return err_set(err, -EIO, "criu %s: %s", run->what, msg);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        char why[512];
        criu_log_error(run->log_path, why, sizeof(why));
        return err_set(err, -EIO, "criu %s failed: %s (log: %s)", run->what, why, run->log_path);
}

int criu_check(char *why, size_t size)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return neg_errno();
        pid_t pid = fork();
        if (pid < 0) {
                int r = neg_errno();
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
                        _exit(127);
                execlp("criu", "criu", "check", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        _cleanup_free_ char *out = calloc(1, 65536 + 1);
        size_t len = 0;
        ssize_t n;
        while (out && len < 65536 && ((n = read(p[0], out + len, 65536 - len)) > 0 || (n < 0 && errno == EINTR)))
                len += n > 0 ? (size_t)n : 0;
        close(p[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return neg_errno();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                snprintf(why, size, "criu is not installed");
                return -ENOENT;
        }
        const char *line = out ? strstr(out, "Error") : NULL;
        line = line ? line : out && *out ? out : "criu check failed";
        snprintf(why, size, "criu check: %.*s", (int)strcspn(line, "\n"), line);
        return -EOPNOTSUPP;
}
