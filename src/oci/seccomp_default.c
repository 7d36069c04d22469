/* seccomp_default.c: the default seccomp profile of `staple-oci spec`, as strong as podman's
 * (containers/common) and moby's defaults for a container without CAP_SYS_ADMIN.
 *
 * Shape, as in podman's profile: a syscall the table does not name fails with ENOSYS, so a
 * libc probing a syscall newer than this table (clone3, ...) falls back to an older one; a
 * syscall named as dangerous fails with EPERM, the "you may not" answer; the rest is allowed.
 * The profile is static (it cannot see the capabilities), so it is written for the default
 * capability set: whoever adds CAP_SYS_ADMIN or CAP_SYS_PTRACE edits the profile too. */
#include "oci/seccomp_default.h"

#include <errno.h>
#include <stdint.h>

#include "util/cleanup.h"

/* ---- allowed ------------------------------------------------------------------------- */

/* Processes, threads, identity within the container's own user ids. clone is conditional
 * (below); clone3 hides its flags in memory a filter cannot read, so it gets ENOSYS. */
static const char *const allow_process[] = {
        "exit", "exit_group", "execve", "execveat", "fork", "vfork", "wait4", "waitid",
        "waitpid", "getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setsid",
        "setpgid", "set_tid_address", "restart_syscall", "rseq", "arch_prctl",
        "set_thread_area", "get_thread_area", "prctl", "capget", "capset", "seccomp",
        "uname", "sysinfo", "getcpu", "umask", "times", "getrusage", "getrlimit",
        "ugetrlimit", "setrlimit", "prlimit64", "getpriority", "setpriority",
        "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid",
        "getegid32", "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups",
        "getgroups32", "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32",
        "setregid", "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32",
        "setgroups", "setgroups32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
        "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", NULL,
};

/* Signals; kill and pidfds reach only processes of the container's pid namespace. */
static const char *const allow_signals[] = {
        "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "rt_sigaction",
        "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sigaltstack", "sigreturn", "sigaction", "sigprocmask", "sigpending", "sigsuspend",
        "signal", "signalfd", "signalfd4", "pause", "alarm", NULL,
};

/* The process's own memory, futexes and NUMA policy. */
static const char *const allow_memory[] = {
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore",
        "mlock", "mlock2", "mlockall", "munlock", "munlockall", "msync", "remap_file_pages",
        "membarrier", "memfd_create", "pkey_alloc", "pkey_free", "pkey_mprotect",
        "get_mempolicy", "set_mempolicy", "mbind", "set_robust_list", "get_robust_list",
        "futex", "futex_time64", "futex_waitv", "cacheflush", NULL,
};

/* Files, directories, xattrs and fds: confined by the mount namespace and DAC. */
static const char *const allow_files[] = {
        "open", "openat", "openat2", "creat", "close", "close_range", "read", "readv",
        "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
        "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "ioctl",
        "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat",
        "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat",
        "faccessat2", "getcwd", "chdir", "fchdir", "getdents", "getdents64", "readdir",
        "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "link", "linkat", "symlink",
        "symlinkat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "readlink",
        "readlinkat", "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate",
        "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
        "fchownat", "lchown", "lchown32", "utime", "utimes", "utimensat", "utimensat_time64",
        "futimesat", "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr",
        "fsetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
        "fremovexattr", "fadvise64", "fadvise64_64", "arm_fadvise64_64", "readahead",
        "sendfile", "sendfile64", "copy_file_range", "splice", "tee", "sync", "syncfs",
        "fsync", "fdatasync", "sync_file_range", "sync_file_range2", "arm_sync_file_range",
        "name_to_handle_at", "inotify_init", "inotify_init1", "inotify_add_watch",
        "inotify_rm_watch", NULL,
};

/* Waiting, events, clocks and timers (reading time; setting it is denied below). */
static const char *const allow_events_time[] = {
        "pipe", "pipe2", "eventfd", "eventfd2", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2",
        "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
        "pselect6_time64", "io_setup", "io_destroy", "io_submit", "io_cancel",
        "io_getevents", "io_pgetevents", "io_pgetevents_time64", "clock_gettime",
        "clock_gettime64", "clock_getres", "clock_getres_time64", "clock_nanosleep",
        "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time", "adjtimex",
        "clock_adjtime", "clock_adjtime64", "timer_create", "timer_delete",
        "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "getitimer", "setitimer", "getrandom", NULL,
};

/* System V and POSIX IPC (the ipc namespace) and sockets (the network namespace). */
static const char *const allow_ipc_net[] = {
        "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open",
        "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_notify", "mq_getsetattr", "socket", "socketpair",
        "socketcall", "bind", "connect", "listen", "accept", "accept4", "getsockname",
        "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg",
        "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown", NULL,
};

/* Scheduling of the container's own processes (raising priority needs CAP_SYS_NICE). */
static const char *const allow_sched[] = {
        "sched_yield", "sched_getparam", "sched_setparam", "sched_getscheduler",
        "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "ioprio_get", "ioprio_set",
        NULL,
};

/* ---- denied with EPERM ----------------------------------------------------------------- */

/* Kernel code: loading a module or a new kernel is a host takeover. */
static const char *const deny_kernel[] = {
        "init_module", "finit_module", "delete_module", "create_module", "query_module",
        "get_kernel_syms", "kexec_load", "kexec_file_load", "reboot", NULL,
};

/* Mounts and namespaces: remounting, pivoting or a new user namespace reopen the ways out of
 * the container that the runtime closed (and widen the kernel's attack surface). */
static const char *const deny_mount_ns[] = {
        "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig",
        "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "unshare", "setns",
        NULL,
};

/* Reading or changing other processes' memory, fds or kernel objects. */
static const char *const deny_ptrace[] = {
        "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
        "pidfd_getfd", "move_pages", "migrate_pages", NULL,
};

/* Kernel introspection and programs in the kernel: BPF, perf, the kernel log, fanotify. */
static const char *const deny_introspection[] = {
        "bpf", "perf_event_open", "lookup_dcookie", "syslog", "fanotify_init", "userfaultfd",
        NULL,
};

/* Global kernel state that no namespace isolates: keyrings, the clock, swap, accounting,
 * quotas, raw I/O ports, the host name without a UTS namespace, file handles (the
 * "shocker" escape via open_by_handle_at). */
static const char *const deny_global[] = {
        "keyctl", "add_key", "request_key", "settimeofday", "stime", "clock_settime",
        "clock_settime64", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
        "nfsservctl", "iopl", "ioperm", "pciconfig_iobase", "pciconfig_read",
        "pciconfig_write", "sethostname", "setdomainname", "open_by_handle_at", "vhangup",
        NULL,
};

/* Obsolete interfaces with a history of kernel bugs. */
static const char *const deny_obsolete[] = {
        "uselib", "ustat", "sysfs", "_sysctl", "bdflush", "vm86", "vm86old", "modify_ldt",
        "vmsplice", NULL,
};

/* ---- conditional ---------------------------------------------------------------------- */

#define CLONE_NEW_MASK 0x7E020000ULL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */

struct arg_cond {
        unsigned int index;
        uint64_t value, value_two;
        const char *op;
};

/* clone without any CLONE_NEW* flag (flags are argument 0 on x86 and arm). */
static const struct arg_cond clone_plain[] = {
        { 0, CLONE_NEW_MASK, 0, "SCMP_CMP_MASKED_EQ" },
};

/* clone with one of them: EPERM (conditions on one index are OR-ed, one rule each; two
 * entries because an entry holds at most 6 conditions). */
static const struct arg_cond clone_new_ns[] = {
        { 0, 0x00020000, 0x00020000, "SCMP_CMP_MASKED_EQ" },
        { 0, 0x02000000, 0x02000000, "SCMP_CMP_MASKED_EQ" },
        { 0, 0x04000000, 0x04000000, "SCMP_CMP_MASKED_EQ" },
        { 0, 0x08000000, 0x08000000, "SCMP_CMP_MASKED_EQ" },
};

static const struct arg_cond clone_new_ns2[] = {
        { 0, 0x10000000, 0x10000000, "SCMP_CMP_MASKED_EQ" },
        { 0, 0x20000000, 0x20000000, "SCMP_CMP_MASKED_EQ" },
        { 0, 0x40000000, 0x40000000, "SCMP_CMP_MASKED_EQ" },
};

/* personality: query (0xffffffff), PER_LINUX, PER_LINUX32, UNAME26 and both; not the flags
 * that turn off ASLR (ADDR_NO_RANDOMIZE) or map page zero (MMAP_PAGE_ZERO). */
static const struct arg_cond personality_safe[] = {
        { 0, 0x0, 0, "SCMP_CMP_EQ" },     { 0, 0x8, 0, "SCMP_CMP_EQ" },
        { 0, 0x20000, 0, "SCMP_CMP_EQ" }, { 0, 0x20008, 0, "SCMP_CMP_EQ" },
        { 0, 0xffffffff, 0, "SCMP_CMP_EQ" },
};

static const char *const name_clone[] = { "clone", NULL };
static const char *const name_clone3[] = { "clone3", NULL };
static const char *const name_personality[] = { "personality", NULL };

struct rule_group {
        const char *const *names;
        int errno_ret; /* 0: allow */
        const struct arg_cond *args;
        size_t n_args;
};

#define ALLOW(n) { n, 0, NULL, 0 }
#define DENY(n) { n, EPERM, NULL, 0 }
#define COND(n, e, a) { n, e, a, ARRAY_SIZE(a) }

static const struct rule_group default_rules[] = {
        ALLOW(allow_process), ALLOW(allow_signals), ALLOW(allow_memory), ALLOW(allow_files),
        ALLOW(allow_events_time), ALLOW(allow_ipc_net), ALLOW(allow_sched),
        COND(name_clone, 0, clone_plain), COND(name_clone, EPERM, clone_new_ns),
        COND(name_clone, EPERM, clone_new_ns2),
        { name_clone3, ENOSYS, NULL, 0 }, COND(name_personality, 0, personality_safe),
        DENY(deny_kernel), DENY(deny_mount_ns), DENY(deny_ptrace), DENY(deny_introspection),
        DENY(deny_global), DENY(deny_obsolete),
};

/* The native architecture and the ones its kernel can also run (a 32-bit x86 binary on
 * x86_64 gets the same filter, not a hole). */
static const char *const default_arches[] = {
#if defined(__x86_64__) || defined(__i386__)
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__aarch64__) || defined(__arm__)
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#endif
        NULL,
};

static json_object *arg_json(const struct arg_cond *a, bool *ok)
{
        json_object *o = json_object_new_object();

        spec_json_put(o, "index", json_object_new_int64(a->index), ok);
        spec_json_put(o, "value", json_object_new_uint64(a->value), ok);
        spec_json_put(o, "valueTwo", json_object_new_uint64(a->value_two), ok);
        spec_json_put(o, "op", json_object_new_string(a->op), ok);
        return o;
}

static json_object *rule_json(const struct rule_group *g, bool *ok)
{
        json_object *o = json_object_new_object();
        const char *action = g->errno_ret ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW";

        spec_json_put(o, "names", spec_json_strv(g->names, ok), ok);
        spec_json_put(o, "action", json_object_new_string(action), ok);
        if (g->errno_ret)
                spec_json_put(o, "errnoRet", json_object_new_int(g->errno_ret), ok);
        if (g->n_args) {
                json_object *args = json_object_new_array();
                for (size_t i = 0; i < g->n_args; i++)
                        spec_json_push(args, arg_json(&g->args[i], ok), ok);
                spec_json_put(o, "args", args, ok);
        }
        return o;
}

json_object *seccomp_default_json(bool *ok)
{
        json_object *sc = json_object_new_object();
        json_object *rules = json_object_new_array();

        spec_json_put(sc, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"), ok);
        spec_json_put(sc, "defaultErrnoRet", json_object_new_int(ENOSYS), ok);
        if (default_arches[0])
                spec_json_put(sc, "architectures", spec_json_strv(default_arches, ok), ok);
        for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
                spec_json_push(rules, rule_json(&default_rules[i], ok), ok);
        spec_json_put(sc, "syscalls", rules, ok);
        return sc;
}
