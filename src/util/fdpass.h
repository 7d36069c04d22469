/* fdpass.h: sending a file descriptor over a unix socket (SCM_RIGHTS), with a payload. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Sends fd and len bytes of data (at least one byte: an empty message carries no fd) in one
 * sendmsg, without SIGPIPE. Returns the bytes sent or a negative errno. */
ssize_t fdpass_send(int sock, int fd, const void *data, size_t len);
