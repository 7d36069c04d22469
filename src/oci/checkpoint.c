#include "oci/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/state.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define CRIU_OUTPUT_MAX 65536

/* Runs `criu check`; its first error line goes to `why` when it fails. 0 when usable. */
static int criu_check(char *why, size_t size)
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
        _cleanup_free_ char *out = calloc(1, CRIU_OUTPUT_MAX + 1);
        size_t len = 0;
        ssize_t n;
        while (out && len < CRIU_OUTPUT_MAX &&
               ((n = read(p[0], out + len, CRIU_OUTPUT_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
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

/* Fails with -EOPNOTSUPP, saying why: CRIU does not work here, or (when it does) the
 * dump and restore themselves are not written yet. */
static int criu_unsupported(const char *what, const char *id, struct err *err)
{
        char why[512];
        int r = criu_check(why, sizeof(why));
        if (r < 0)
                return err_set(err, -EOPNOTSUPP, "%s %s: CRIU cannot work on this host (%s); checkpoint/restore is not supported here",
                               what, id, why);
        return err_set(err, -EOPNOTSUPP, "%s %s: not supported by this version of staple-oci", what, id);
}

int checkpoint_dump(const struct checkpoint_opts *o, struct err *err)
{
        _cleanup_close_ int fd = -1;
        struct state *st = NULL;
        int r = state_validate_id(o->id, err);
        if (r < 0 || (r = state_dir_open(o->root, o->id, false, &fd, err)) < 0)
                return r;
        if ((r = state_read(fd, &st, err)) < 0)
                return err_wrap(err, "checkpoint: container %s", o->id);
        enum container_status s = state_status(fd, st);
        state_free(st);
        if (s != STATUS_RUNNING)
                return err_set(err, -EINVAL, "checkpoint %s: container is not running", o->id);
        return criu_unsupported("checkpoint", o->id, err);
}

int checkpoint_restore(const struct checkpoint_opts *o, int *ret_exit_code, struct err *err)
{
        _cleanup_close_ int fd = -1;
        *ret_exit_code = 1;
        int r = state_validate_id(o->id, err);
        if (r < 0)
                return r;
        if (state_dir_open(o->root, o->id, false, &fd, &(struct err){ 0 }) >= 0)
                return err_set(err, -EEXIST, "restore %s: container already exists", o->id);
        return criu_unsupported("restore", o->id, err);
}
