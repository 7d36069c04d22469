#include "oci/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

int console_listen(struct console_listener *l, struct err *err)
{
        const char *tmp = getenv("TMPDIR");
        *l = (struct console_listener){ .fd = -1 };
        if (asprintf(&l->dir, "%s/staple-console-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
                l->dir = NULL;
                return err_errno(err, -ENOMEM, "console socket");
        }
        if (!mkdtemp(l->dir)) {
                int r = neg_errno();
                free(l->dir);
                l->dir = NULL;
                return err_errno(err, r, "create a directory for the console socket");
        }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r = -ENOMEM;
        if (asprintf(&l->path, "%s/console.sock", l->dir) < 0)
                l->path = NULL;
        else if (strlen(l->path) >= sizeof(sa.sun_path))
                r = -ENAMETOOLONG;
        else if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
                r = neg_errno();
        else if (strcpy(sa.sun_path, l->path), bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                 listen(l->fd, 1) < 0)
                r = neg_errno();
        else
                return 0;
        console_listener_done(l);
        return err_errno(err, r, "console socket");
}

void console_listener_done(struct console_listener *l)
{
        closep(&l->fd);
        if (l->path)
                unlink(l->path);
        if (l->dir)
                rmdir(l->dir);
        free(l->path);
        free(l->dir);
        l->path = l->dir = NULL;
}

static int recv_fd(int sock, int *ret_fd)
{
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        ssize_t n;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return neg_errno();
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EPROTO;
        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return 0;
}

int console_receive_master(const struct console_listener *l, int *ret_master, struct err *err)
{
        /* create connected before it returned, so the connection is already queued */
        _cleanup_close_ int conn = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (conn < 0)
                return err_errno(err, neg_errno(), "accept on the console socket");
        int fd, r = recv_fd(conn, &fd);
        if (r < 0)
                return err_errno(err, r, "receive the pty master from the container");
        *ret_master = fd;
        return 0;
}

int console_raw_enter(struct console_raw *raw, int fd, struct err *err)
{
        *raw = (struct console_raw){ .fd = fd };
        if (!isatty(fd))
                return 0;
        if (tcgetattr(fd, &raw->saved) < 0)
                return err_errno(err, neg_errno(), "read terminal settings");
        struct termios t = raw->saved;
        cfmakeraw(&t);
        if (tcsetattr(fd, TCSANOW, &t) < 0)
                return err_errno(err, neg_errno(), "put the terminal in raw mode");
        raw->active = true;
        return 0;
}

void console_raw_leave(struct console_raw *raw)
{
        if (raw->active)
                tcsetattr(raw->fd, TCSANOW, &raw->saved);
        raw->active = false;
}

int console_copy_winsize(int from, int master)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) < 0)
                return errno == ENOTTY || errno == EINVAL ? 0 : neg_errno();
        return ioctl(master, TIOCSWINSZ, &ws) < 0 ? neg_errno() : 0;
}

/* Input read from stdin that the pty did not take yet: stdin is not read meanwhile, so
 * a container that does not read its input stalls the input only, never the output. */
struct relay {
        int master, sfd;
        pid_t pid;
        bool in_open, out_open, exited;
        int code;
        char buf[4096];
        size_t len, off;
};

static int relay_output(struct relay *rl)
{
        char buf[8192];
        for (;;) {
                ssize_t n = read(rl->master, buf, sizeof(buf));
                if (n > 0) {
                        (void)write_all(STDOUT_FILENO, buf, (size_t)n); /* a closed stdout drops output */
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                rl->out_open = false; /* EIO: every slave fd is closed */
                return 0;
        }
}

static void relay_input(struct relay *rl, short revents)
{
        if (rl->len == 0 && (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
                ssize_t n = read(STDIN_FILENO, rl->buf, sizeof(rl->buf));
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        return;
                if (n <= 0) {
                        rl->in_open = false;
                        return;
                }
                rl->len = (size_t)n;
                rl->off = 0;
        }
        while (rl->off < rl->len) {
                ssize_t n = write(rl->master, rl->buf + rl->off, rl->len - rl->off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0) {
                        rl->in_open = false; /* the pty is gone: input has nowhere to go */
                        break;
                }
                rl->off += (size_t)n;
        }
        rl->len = rl->off = 0;
}

static void relay_reap(struct relay *rl)
{
        int status;
        pid_t w;
        while ((w = waitpid(-1, &status, __WALL | WNOHANG)) > 0)
                if (w == rl->pid) {
                        rl->exited = true;
                        rl->code = WIFEXITED(status) ? WEXITSTATUS(status)
                                 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
                }
}

static int relay_signals(struct relay *rl, struct err *err)
{
        struct signalfd_siginfo si;
        ssize_t n;
        while ((n = read(rl->sfd, &si, sizeof(si))) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        relay_reap(rl);
                else if (si.ssi_signo == SIGWINCH)
                        console_copy_winsize(STDIN_FILENO, rl->master);
                else
                        kill(rl->pid, (int)si.ssi_signo);
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
                return err_errno(err, neg_errno(), "read signals");
        return 0;
}

int console_relay(int master, pid_t pid, const sigset_t *set, int *ret_code, struct err *err)
{
        _cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return err_errno(err, neg_errno(), "signalfd");
        int fl = fcntl(master, F_GETFL);
        if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
                return err_errno(err, neg_errno(), "pty master: set non-blocking");
        struct relay rl = { .master = master, .sfd = sfd, .pid = pid, .in_open = true, .out_open = true };
        relay_reap(&rl); /* the container may be gone already */
        while (!rl.exited) {
                struct pollfd p[3] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = rl.out_open ? master : -1, .events = POLLIN | (rl.len ? POLLOUT : 0) },
                        { .fd = rl.in_open && !rl.len ? STDIN_FILENO : -1, .events = POLLIN },
                };
                if (poll(p, ARRAY_SIZE(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return err_errno(err, neg_errno(), "poll");
                }
                int r = relay_signals(&rl, err);
                if (r < 0)
                        return r;
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
                        relay_output(&rl);
                if (rl.in_open && (p[2].revents || (rl.len && (p[1].revents & POLLOUT))))
                        relay_input(&rl, p[2].revents);
        }
        if (rl.out_open)
                relay_output(&rl); /* what the container wrote just before it exited */
        *ret_code = rl.code;
        return 0;
}
