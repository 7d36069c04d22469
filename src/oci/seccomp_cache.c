/* oci/seccomp_cache.c: compiled seccomp filters under the runtime root, keyed by the full
 * text of what they depend on; a stored key must equal the computed one byte for byte, so a
 * hash collision is only a miss. Trust: the directory and its entries must belong to the
 * runtime's own user with no access for anyone else; anything else is ignored. */
#include "oci/seccomp_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fileutil.h"

#define ENTRY_MAX (sizeof(struct seccomp_cache_header) + SECCOMP_CACHE_KEY_MAX + \
                   BPF_MAXINSNS * sizeof(struct sock_filter))

/* ---- the key ---------------------------------------------------------------------------- */

/* Strings carry their length, so no name can fake a separator. */
static void key_str(FILE *f, const char *s)
{
        fprintf(f, " %zu:%s", s ? strlen(s) : 0, s ? s : "");
}

static void key_action(FILE *f, uint32_t action, bool has_errno, uint32_t errno_ret)
{
        fprintf(f, " %#" PRIx32 " %d %" PRIu32, action, has_errno, errno_ret);
}

static void key_syscall(FILE *f, const struct spec_seccomp_syscall *s)
{
        fputs("syscall", f);
        key_action(f, s->action, s->has_errno_ret, s->errno_ret);
        fprintf(f, " names %zu", s->n_names);
        for (size_t i = 0; i < s->n_names; i++)
                key_str(f, s->names[i]);
        fprintf(f, " args %zu", s->n_args);
        for (size_t i = 0; i < s->n_args; i++)
                fprintf(f, " %u %d %#" PRIx64 " %#" PRIx64, s->args[i].index, s->args[i].op,
                        s->args[i].value, s->args[i].value_two);
        fputc('\n', f);
}

static void key_environment(FILE *f)
{
        const struct scmp_version *v = seccomp_version();
        struct utsname u;

        if (uname(&u) < 0)
                snprintf(u.release, sizeof(u.release), "?");
        fprintf(f, "staple-seccomp-cache %u\nstaple %s\n", SECCOMP_CACHE_VERSION, STAPLE_VERSION);
        fprintf(f, "libseccomp %u.%u.%u\napi %u\narch %#" PRIx32 "\nkernel %s\n", v->major, v->minor,
                v->micro, seccomp_api_get(), seccomp_arch_native(), u.release);
}

/* listenerPath and the action names do not change the program: they are not part of it. */
int seccomp_cache_key(const struct spec_seccomp *sc, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return -ENOMEM;
        key_environment(f);
        fputs("default", f);
        key_action(f, sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
        fprintf(f, "\narches %zu", sc->n_arches);
        for (size_t i = 0; i < sc->n_arches; i++)
                fprintf(f, " %#" PRIx32, sc->arches[i]);
        fprintf(f, "\nflags %zu", sc->n_flags);
        for (size_t i = 0; i < sc->n_flags; i++)
                key_str(f, sc->flags[i]);
        fprintf(f, "\nsyscalls %zu\n", sc->n_syscalls);
        for (size_t i = 0; i < sc->n_syscalls; i++)
                key_syscall(f, &sc->syscalls[i]);
        if (ferror(f) | fclose(f))
                return -ENOMEM;
        if (len > SECCOMP_CACHE_KEY_MAX)
                return -E2BIG;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* 64-bit FNV-1a of the key, as 16 hex digits: the entry's file name. */
static void key_name(const char *key, size_t len, char name[static 17])
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)key[i];
                h *= UINT64_C(0x100000001b3);
        }
        snprintf(name, 17, "%016" PRIx64, h);
}

/* ---- the directory ------------------------------------------------------------------------ */

static bool owned_exactly(const struct stat *st, mode_t type, mode_t perm)
{
        return (st->st_mode & S_IFMT) == type && st->st_uid == geteuid() && (st->st_mode & 07777) == perm;
}

int seccomp_cache_open(const char *root)
{
        struct stat st;

        (void)mkdir_p_at(AT_FDCWD, root, 0700); /* create makes it a moment later anyway */
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return neg_errno();
        if (mkdirat(rootfd, SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)
                return neg_errno();
        _cleanup_close_ int fd = openat(rootfd, SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return neg_errno();
        if (fstat(fd, &st) < 0)
                return neg_errno();
        if (!owned_exactly(&st, S_IFDIR, 0700))
                return -EPERM;
        return TAKE_FD(fd);
}

/* ---- entries ------------------------------------------------------------------------------ */

/* The whole entry, if it is a regular file of ours, mode 0600, of a plausible size; its
 * mtime is renewed (the pruning's "recently used"). */
static int entry_read(int dirfd, const char *name, char **ret, size_t *ret_len)
{
        struct stat st;
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return neg_errno();
        if (fstat(fd, &st) < 0)
                return neg_errno();
        if (!owned_exactly(&st, S_IFREG, 0600))
                return -EPERM;
        if (st.st_size < (off_t)sizeof(struct seccomp_cache_header) || (size_t)st.st_size > ENTRY_MAX)
                return -EBADMSG;
        size_t len = (size_t)st.st_size;
        _cleanup_free_ char *buf = malloc(len);
        if (!buf)
                return -ENOMEM;
        int r = read_all(fd, buf, len);
        if (r < 0)
                return r;
        (void)futimens(fd, NULL); /* best effort: a read-only disk keeps the old time */
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int seccomp_cache_lookup(int dirfd, const char *key, size_t key_len, struct sock_filter **ret,
                         size_t *ret_n)
{
        struct seccomp_cache_header h;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, hl = sizeof(h);
        char name[17];

        key_name(key, key_len, name);
        if (entry_read(dirfd, name, &buf, &len) < 0)
                return 0;
        memcpy(&h, buf, hl);
        if (memcmp(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic)) || h.version != SECCOMP_CACHE_VERSION ||
            h.key_len != key_len || len - hl < key_len || memcmp(buf + hl, key, key_len))
                return 0;
        size_t prog_len = len - hl - key_len;
        if (prog_len == 0 || prog_len % sizeof(struct sock_filter) ||
            prog_len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return 0;
        struct sock_filter *prog = malloc(prog_len);
        if (!prog)
                return 0;
        memcpy(prog, buf + hl + key_len, prog_len);
        *ret = prog;
        *ret_n = prog_len / sizeof(struct sock_filter);
        return 1;
}

static int entry_write(int dirfd, const char *tmp, const struct seccomp_cache_header *h, const char *key,
                       size_t key_len, const struct sock_filter *prog, size_t n)
{
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return neg_errno();
        if (fchmod(fd, 0600) < 0) /* whatever the umask */
                return neg_errno();
        if ((r = write_all(fd, h, sizeof(*h))) < 0 || (r = write_all(fd, key, key_len)) < 0 ||
            (r = write_all(fd, prog, n * sizeof(*prog))) < 0)
                return r;
        if (close(TAKE_FD(fd)) < 0)
                return neg_errno();
        return 0;
}

/* An entry's name: 16 lowercase hex digits. */
static bool entry_name(const char *name)
{
        return strlen(name) == 16 && strspn(name, "0123456789abcdef") == 16;
}

struct entry_age {
        char name[17];
        struct timespec mtime;
};

static int entry_age_cmp(const void *a, const void *b)
{
        const struct timespec *x = &((const struct entry_age *)a)->mtime;
        const struct timespec *y = &((const struct entry_age *)b)->mtime;
        if (x->tv_sec != y->tv_sec)
                return (x->tv_sec > y->tv_sec) - (x->tv_sec < y->tv_sec);
        return (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

/* Removes the least recently used entries beyond SECCOMP_CACHE_MAX, and temporary files
 * older than a minute (a crashed runtime's). */
static void cache_prune(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        _cleanup_free_ struct entry_age *v = NULL;
        size_t n = 0, cap = 0;
        struct timespec now;
        struct dirent *e;
        struct stat st;

        if (!d) {
                closep(&fd);
                return;
        }
        clock_gettime(CLOCK_REALTIME, &now);
        while ((e = readdir(d))) {
                if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp.") && st.st_mtim.tv_sec + 60 < now.tv_sec)
                        unlinkat(dirfd, e->d_name, 0);
                if (!entry_name(e->d_name))
                        continue;
                if (n == cap) {
                        struct entry_age *nv = realloc(v, (cap = cap ? cap * 2 : 128) * sizeof(*v));
                        if (!nv)
                                return;
                        v = nv;
                }
                memcpy(v[n].name, e->d_name, sizeof(v[n].name));
                v[n++].mtime = st.st_mtim;
        }
        if (n <= SECCOMP_CACHE_MAX)
                return;
        qsort(v, n, sizeof(*v), entry_age_cmp);
        for (size_t i = 0; i < n - SECCOMP_CACHE_MAX; i++)
                unlinkat(dirfd, v[i].name, 0);
}

int seccomp_cache_store(int dirfd, const char *key, size_t key_len, const struct sock_filter *prog,
                        size_t n)
{
        struct seccomp_cache_header h = { .version = SECCOMP_CACHE_VERSION, .key_len = (uint32_t)key_len };
        char name[17], tmp[64];

        if (n == 0 || n > BPF_MAXINSNS || key_len > SECCOMP_CACHE_KEY_MAX)
                return -E2BIG;
        memcpy(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic));
        key_name(key, key_len, name);
        snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", name, (int)getpid());
        unlinkat(dirfd, tmp, 0); /* left by a crashed runtime that had our pid */
        int r = entry_write(dirfd, tmp, &h, key, key_len, prog, n);
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = neg_errno();
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        else
                cache_prune(dirfd);
        return r;
}
