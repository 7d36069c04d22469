#include "util/fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"

ssize_t fdpass_send(int sock, int fd, const void *data, size_t len)
{
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        return n < 0 ? neg_errno() : n;
}
