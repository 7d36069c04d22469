/* bench/floor.c: the kernel's own cost of a container start, with no runtime around it.
 *
 * floor ROOTFS: clone into new pid, mount, uts, ipc and net namespaces (the set the benchmark
 * bundle asks for), make the mount tree private, bind the rootfs onto itself, pivot_root into
 * it, mount /proc, execve /bin/true, and wait for it. Exits with the child's status.
 * No cgroup, no config parsing, no state: whatever a runtime costs above this is its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

static int fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return 127;
}

static int container_init(void *arg)
{
	const char *root = arg;
	char *const argv[] = { "true", NULL };
	char *const envp[] = { "PATH=/bin", NULL };

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make / private");
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind rootfs");
	if (chdir(root) < 0)
		return fail("chdir rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return fail("detach old root");
	if (chdir("/") < 0)
		return fail("chdir /");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail("mount proc");
	execve("/bin/true", argv, envp);
	return fail("execve /bin/true");
}

int main(int argc, char **argv)
{
	const int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: floor ROOTFS\n");
		return 2;
	}
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return fail("mmap stack");
	pid_t pid = clone(container_init, stack + STACK_SIZE, flags | SIGCHLD, argv[1]);
	if (pid < 0)
		return fail("clone");
	if (waitpid(pid, &status, 0) < 0)
		return fail("waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
