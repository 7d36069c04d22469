/* bench/helper.c: the two things bench/run cannot do well in bash.
 *
 * helper time CMD [ARGS...]
 *	Runs CMD with stdin and stdout on /dev/null (stderr kept) and prints one line:
 *	"<wall us> <peak RSS KiB> <status> <CPU us>", where status is the exit code or
 *	128+signal. Wall time covers fork, exec, the whole run and wait4; peak RSS and CPU
 *	time (user + system) come from wait4's rusage: the process and the descendants it
 *	reaped (for `run`, the container's processes too). Exits 0 if it could
 *	run CMD at all, so a failing runtime is a number to count, not a script abort.
 *
 * helper reap CMD [ARGS...]
 *	Becomes a child subreaper, runs CMD and reaps every orphan reparented to it (container
 *	inits left behind by `create`; PID 1 on this host does not reap them) until CMD exits,
 *	then reaps the stragglers for at most 5 s. Ignores SIGINT/SIGQUIT so that it outlives
 *	a Ctrl-C and keeps reaping while CMD cleans up. Exits with CMD's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "bench helper: %s: %s\n", what, strerror(errno));
	return 127;
}

static int status_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L + (b->tv_nsec - a->tv_nsec) / 1000L;
}

static int cmd_time(char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;

	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return fail("open /dev/null");
	if (clock_gettime(CLOCK_MONOTONIC, &t0) < 0)
		return fail("clock_gettime");
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(fail("dup2 /dev/null"));
		execvp(argv[0], argv);
		_exit(fail(argv[0]));
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return fail("wait4");
	if (clock_gettime(CLOCK_MONOTONIC, &t1) < 0)
		return fail("clock_gettime");
	long cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L +
		      ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	printf("%ld %ld %d %ld\n", elapsed_us(&t0, &t1), ru.ru_maxrss, status_code(status), cpu_us);
	return 0;
}

static void reap_stragglers(void)
{
	for (int i = 0; i < 500; i++) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p < 0)
			return; /* ECHILD: nobody left */
		if (p == 0)
			usleep(10000);
	}
}

static int cmd_reap(char **argv)
{
	int status = 0;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return fail("become subreaper");
	pid_t main_pid = fork();
	if (main_pid < 0)
		return fail("fork");
	if (main_pid == 0) {
		execvp(argv[0], argv);
		_exit(fail(argv[0]));
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return fail("waitpid");
		if (p == main_pid) {
			status = st;
			break;
		}
	}
	reap_stragglers();
	return status_code(status);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "time") == 0)
		return cmd_time(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "reap") == 0)
		return cmd_reap(argv + 2);
	fprintf(stderr, "usage: helper time|reap CMD [ARGS...]\n");
	return 2;
}
