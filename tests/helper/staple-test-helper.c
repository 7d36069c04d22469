/* staple-test-helper: a tiny static program placed in the test rootfs so that
 * integration tests can ask the container what it sees.  Built by
 * tests/rootfs.sh with `gcc -static -O2` (never sanitized: it runs inside
 * containers whose rootfs holds no shared libraries). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
        fprintf(stderr, "usage: staple-test-helper VERB [ARG...]\n"
                        "verbs: ls-fds caps id cwd isatty FD sleep N forkbomb N memhog MB\n"
                        "       open PATH rlimit NAME exit N kill-self SIG write PATH TEXT\n");
        return 2;
}

static long num_arg(const char *s)
{
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0') {
                fprintf(stderr, "staple-test-helper: bad number: %s\n", s);
                exit(2);
        }
        return v;
}

struct name_num {
        const char *name;
        int num;
};

#define E(x) { #x, x }
static const struct name_num errnos[] = {
        E(EPERM), E(ENOENT), E(EIO), E(ENXIO), E(EBADF), E(EACCES), E(EBUSY), E(EEXIST),
        E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(EMFILE), E(ENOSPC), E(EROFS),
        E(ELOOP), E(ENAMETOOLONG), E(EOPNOTSUPP), E(ENOMEM), E(EFAULT), E(ETXTBSY),
};
static const struct name_num rlimits[] = {
        { "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "core", RLIMIT_CORE },
        { "cpu", RLIMIT_CPU }, { "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE },
        { "stack", RLIMIT_STACK }, { "as", RLIMIT_AS }, { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE }, { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING },
        { "locks", RLIMIT_LOCKS }, { "rss", RLIMIT_RSS },
};
static const struct name_num signals[] = {
        E(SIGHUP), E(SIGINT), E(SIGQUIT), E(SIGABRT), E(SIGKILL), E(SIGSEGV), E(SIGTERM),
        E(SIGUSR1), E(SIGUSR2), E(SIGPIPE), E(SIGALRM),
};
#undef E

static const struct name_num *lookup(const struct name_num *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(t[i].name, name) == 0)
                        return &t[i];
        return NULL;
}

static const char *errno_name(int e)
{
        for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
                if (errnos[i].num == e)
                        return errnos[i].name;
        return strerror(e);
}

/* ls-fds: one line "FD TARGET" per open fd except 0, 1, 2 and the dir fd used to list. */
static int verb_ls_fds(int argc, char **argv)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d) {
                perror("opendir /proc/self/fd");
                return 1;
        }
        int self = dirfd(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = atoi(de->d_name);
                if (fd <= 2 || fd == self)
                        continue;
                char target[PATH_MAX];
                ssize_t n = readlinkat(self, de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                        snprintf(target, sizeof(target), "?(%s)", strerror(errno));
                else
                        target[n] = '\0';
                printf("%d %s\n", fd, target);
        }
        closedir(d);
        return 0;
}

static int verb_caps(int argc, char **argv)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f) {
                perror("open /proc/self/status");
                return 1;
        }
        char line[512];
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Cap", 3) == 0)
                        fputs(line, stdout);
        fclose(f);
        return 0;
}

static int verb_id(int argc, char **argv)
{
        gid_t groups[256];
        int n = getgroups(256, groups);
        if (n < 0) {
                perror("getgroups");
                return 1;
        }
        printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", (unsigned)groups[i]);
        printf("\n");
        return 0;
}

static int verb_cwd(int argc, char **argv)
{
        char buf[PATH_MAX];
        if (!getcwd(buf, sizeof(buf))) {
                perror("getcwd");
                return 1;
        }
        printf("%s\n", buf);
        return 0;
}

static int verb_isatty(int argc, char **argv)
{
        int fd = argc > 0 ? (int)num_arg(argv[0]) : 0;
        int yes = isatty(fd);
        printf("%s\n", yes ? "tty" : "not a tty");
        return yes ? 0 : 1;
}

static int verb_sleep(int argc, char **argv)
{
        long n = argc > 0 ? num_arg(argv[0]) : 1000;
        sleep((unsigned)n);
        return 0;
}

/* forkbomb N: fork up to N children that sleep; print the number that succeeded.
 * The children are killed before returning. */
static int verb_forkbomb(int argc, char **argv)
{
        long want = argc > 0 ? num_arg(argv[0]) : 100;
        pid_t *pids = calloc((size_t)(want > 0 ? want : 1), sizeof(pid_t));
        long ok = 0;
        if (!pids)
                return 1;
        for (long i = 0; i < want; i++) {
                pid_t p = fork();
                if (p < 0)
                        break;
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                pids[ok++] = p;
        }
        printf("%ld\n", ok);
        fflush(stdout);
        for (long i = 0; i < ok; i++)
                kill(pids[i], SIGKILL);
        for (long i = 0; i < ok; i++)
                waitpid(pids[i], NULL, 0);
        free(pids);
        return 0;
}

static int verb_memhog(int argc, char **argv)
{
        long mb = argc > 0 ? num_arg(argv[0]) : 100;
        size_t len = (size_t)mb << 20;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("mmap");
                return 1;
        }
        for (size_t off = 0; off < len; off += 4096)
                p[off] = 1;
        printf("done\n");
        return 0;
}

static int verb_open(int argc, char **argv)
{
        if (argc < 1)
                return usage();
        int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                printf("%s\n", errno_name(errno));
                return 1;
        }
        close(fd);
        printf("ok\n");
        return 0;
}

static void print_limit(rlim_t v)
{
        if (v == RLIM_INFINITY)
                printf("unlimited");
        else
                printf("%llu", (unsigned long long)v);
}

/* rlimit NAME: prints "SOFT HARD" (name without RLIMIT_ prefix, any case). */
static int verb_rlimit(int argc, char **argv)
{
        if (argc < 1)
                return usage();
        const char *name = argv[0];
        if (strncasecmp(name, "RLIMIT_", 7) == 0)
                name += 7;
        const struct name_num *r = lookup(rlimits, sizeof(rlimits) / sizeof(rlimits[0]), name);
        if (!r) {
                fprintf(stderr, "unknown rlimit %s\n", argv[0]);
                return 2;
        }
        struct rlimit rl;
        if (getrlimit(r->num, &rl) < 0) {
                perror("getrlimit");
                return 1;
        }
        print_limit(rl.rlim_cur);
        printf(" ");
        print_limit(rl.rlim_max);
        printf("\n");
        return 0;
}

static int verb_exit(int argc, char **argv)
{
        return argc > 0 ? (int)num_arg(argv[0]) : 0;
}

static int verb_kill_self(int argc, char **argv)
{
        const char *s = argc > 0 ? argv[0] : "KILL";
        int sig = -1;
        if (s[0] >= '0' && s[0] <= '9') {
                sig = (int)num_arg(s);
        } else {
                char buf[32];
                snprintf(buf, sizeof(buf), "%s%s", strncasecmp(s, "SIG", 3) ? "SIG" : "", s);
                const struct name_num *n = lookup(signals, sizeof(signals) / sizeof(signals[0]), buf);
                sig = n ? n->num : -1;
        }
        if (sig <= 0) {
                fprintf(stderr, "unknown signal %s\n", s);
                return 2;
        }
        signal(sig, SIG_DFL);
        fflush(stdout);
        kill(getpid(), sig);
        return 1;
}

static int verb_write(int argc, char **argv)
{
        if (argc < 2)
                return usage();
        int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                printf("%s\n", errno_name(errno));
                return 1;
        }
        size_t len = strlen(argv[1]);
        ssize_t n = write(fd, argv[1], len);
        int e = errno;
        close(fd);
        if (n != (ssize_t)len) {
                printf("%s\n", n < 0 ? errno_name(e) : "short write");
                return 1;
        }
        printf("ok\n");
        return 0;
}

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
} verbs[] = {
        { "ls-fds", verb_ls_fds },   { "caps", verb_caps },     { "id", verb_id },
        { "cwd", verb_cwd },         { "isatty", verb_isatty }, { "sleep", verb_sleep },
        { "forkbomb", verb_forkbomb }, { "memhog", verb_memhog }, { "open", verb_open },
        { "rlimit", verb_rlimit },   { "exit", verb_exit },     { "kill-self", verb_kill_self },
        { "write", verb_write },
};

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage();
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(verbs[i].name, argv[1]) == 0) {
                        int r = verbs[i].fn(argc - 2, argv + 2);
                        fflush(stdout);
                        return r;
                }
        fprintf(stderr, "staple-test-helper: unknown verb %s\n", argv[1]);
        return usage();
}
