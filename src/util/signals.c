#include "util/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

static const struct {
        const char *name;
        int sig;
} signal_table[] = {
        { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
        { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
        { "FPE", SIGFPE },   { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },   { "URG", SIGURG },
        { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH }, { "IO", SIGIO },       { "POLL", SIGPOLL },   { "PWR", SIGPWR },
        { "SYS", SIGSYS },
};

static int parse_number(const char *s, int lo, int hi)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        return (int)v;
}

int signal_parse(const char *s)
{
        if (*s >= '0' && *s <= '9')
                return parse_number(s, 0, SIGRTMAX); /* 0: only check that it exists */
        if (!strncasecmp(s, "SIG", 3))
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
                if (!strcasecmp(s, signal_table[i].name))
                        return signal_table[i].sig;
        if (!strncasecmp(s, "RTMIN", 5)) {
                int off = s[5] ? (s[5] == '+' ? parse_number(s + 6, 0, SIGRTMAX - SIGRTMIN) : -EINVAL) : 0;
                return off < 0 ? off : SIGRTMIN + off;
        }
        if (!strncasecmp(s, "RTMAX", 5)) {
                int off = s[5] ? (s[5] == '-' ? parse_number(s + 6, 0, SIGRTMAX - SIGRTMIN) : -EINVAL) : 0;
                return off < 0 ? off : SIGRTMAX - off;
        }
        return -EINVAL;
}
