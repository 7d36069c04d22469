#include "oci/hooks.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

static char *const empty_env[] = { NULL };

/* In the forked child: state on stdin, then exec. Never returns. */
static void hook_exec(const struct spec_hook *h, int stdin_fd)
{
        if (dup2(stdin_fd, STDIN_FILENO) < 0)
                _exit(127);
        char *default_argv[] = { (char *)h->path, NULL };
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(h->path, h->args ? h->args : default_argv, h->env ? h->env : empty_env);
        dprintf(STDERR_FILENO, "exec %s: %s\n", h->path, strerror(errno));
        _exit(127);
}

/* Waits for pid with an optional timeout in seconds (0 = none); kills it on timeout. */
static int hook_wait(pid_t pid, int timeout, int *ret_status)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd >= 0 && timeout > 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n;
                do
                        n = poll(&p, 1, timeout * 1000);
                while (n < 0 && errno == EINTR);
                if (n == 0)
                        kill(pid, SIGKILL);
        }
        int status, r = 0;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        r = neg_errno();
                        break;
                }
        }
        if (pidfd >= 0)
                close(pidfd);
        if (r == 0 && timeout > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                r = -ETIMEDOUT;
        *ret_status = status;
        return r;
}

static int hook_run_one(const struct spec_hook *h, enum spec_hook_kind kind, const char *state_json,
                        struct err *err)
{
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "%s hook %s: pipe", spec_hook_kind_name(kind), h->path);
        pid_t pid = fork();
        if (pid < 0) {
                int r = neg_errno();
                close(pipefd[0]);
                close(pipefd[1]);
                return err_errno(err, r, "%s hook %s: fork", spec_hook_kind_name(kind), h->path);
        }
        if (pid == 0) {
                close(pipefd[1]);
                hook_exec(h, pipefd[0]);
        }
        close(pipefd[0]);
        /* A hook may exit without reading its stdin: ignore EPIPE, the exit status decides. */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        write_all(pipefd[1], state_json, strlen(state_json));
        close(pipefd[1]);
        signal(SIGPIPE, old);

        int status;
        int r = hook_wait(pid, h->timeout, &status);
        if (r == -ETIMEDOUT)
                return err_set(err, r, "%s hook %s: did not finish within its timeout of %d s", spec_hook_kind_name(kind),
                               h->path, h->timeout);
        if (r < 0)
                return err_errno(err, r, "%s hook %s: wait", spec_hook_kind_name(kind), h->path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFSIGNALED(status))
                return err_set(err, -ECANCELED, "%s hook %s: killed by signal %d", spec_hook_kind_name(kind),
                               h->path, WTERMSIG(status));
        return err_set(err, -ECANCELED, "%s hook %s: exited with status %d", spec_hook_kind_name(kind),
                       h->path, WEXITSTATUS(status));
}

int hooks_run(const struct spec_hook_list *list, enum spec_hook_kind kind, const char *state_json,
              struct err *err)
{
        for (size_t i = 0; i < list->n; i++) {
                int r = hook_run_one(&list->hooks[i], kind, state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Borrowed NULL-terminated string vector from a JSON array; caller frees the vector only. */
static char **json_strv(json_object *o, const char *key)
{
        json_object *a;
        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return NULL;
        size_t n = json_object_array_length(a);
        char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = (char *)json_object_get_string(json_object_array_get_idx(a, i));
        return v;
}

int hooks_run_json(json_object *hooks, enum spec_hook_kind kind, const char *state_json, struct err *err)
{
        size_t n = hooks && json_object_is_type(hooks, json_type_array) ? json_object_array_length(hooks) : 0;
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *o = json_object_array_get_idx(hooks, i), *v;
                struct spec_hook h = { 0 };
                if (!json_object_object_get_ex(o, "path", &v))
                        continue;
                h.path = json_object_get_string(v);
                if (json_object_object_get_ex(o, "timeout", &v))
                        h.timeout = json_object_get_int(v);
                h.args = json_strv(o, "args");
                h.env = json_strv(o, "env");
                r = hook_run_one(&h, kind, state_json, err);
                free(h.args);
                free(h.env);
        }
        return r;
}
