/* console.h: the runtime's side of a container's pty in a foreground run: receiving the
 * pty master, raw mode on the caller's terminal, and the relay between the two. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "util/err.h"

/* A console socket of the runtime's own: a listening unix socket in a private temp dir
 * that create connects to as it would to --console-socket. */
struct console_listener {
        char *dir;
        char *path;
        int fd;
};

/* Creates the socket; on failure nothing is left behind. */
int console_listen(struct console_listener *l, struct err *err);

/* Closes the socket and removes its directory; safe on a zeroed or half-made listener. */
void console_listener_done(struct console_listener *l);

/* Accepts the connection create made and takes the pty master the init sent over it.
 * *ret_master is owned by the caller. */
int console_receive_master(const struct console_listener *l, int *ret_master, struct err *err);

/* The caller's terminal settings, saved when raw mode was entered. */
struct console_raw {
        int fd;
        bool active;
        struct termios saved;
};

/* Puts fd in raw mode when it is a tty (a no-op otherwise). */
int console_raw_enter(struct console_raw *raw, int fd, struct err *err);

/* Restores what console_raw_enter changed; safe to call twice. */
void console_raw_leave(struct console_raw *raw);

/* Copies the window size of the tty `from` to the pty `master`; 0 when from is no tty. */
int console_copy_winsize(int from, int master);

/* With `set` blocked: copies stdin to master and master to stdout until pid exits,
 * forwarding SIGWINCH as a window size and every other signal of the set to pid.
 * *ret_code as process_wait_forwarding's. */
int console_relay(int master, pid_t pid, const sigset_t *set, int *ret_code, struct err *err);
