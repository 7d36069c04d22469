/* test_rootfs.c: rootfs_prepare / rootfs_pivot / rootfs_finalize on a tiny busybox rootfs.
 *
 * Every test forks a child that enters a private mount namespace (propagation private
 * before anything is mounted) and does its work there; the child reports a failure as a
 * message over a pipe. The namespace dies with the child, so the host keeps no mounts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/rootfs.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define MSG_MAX 2048

static char tmpdir[256];   /* /tmp/staple-test-rootfs-XXXXXX */
static char rootfs[300];   /* tmpdir/rootfs */
static char srcdir[300];   /* tmpdir/src: a host directory to bind */
static char srcfile[300];  /* tmpdir/srcfile: a host file to bind */

static void copy_busybox(void)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, "/bin/busybox", &data, &len);
        cr_assert_eq(r, 0, "read /bin/busybox: %s", strerror(-r));
        char path[400];
        snprintf(path, sizeof(path), "%s/bin/busybox", rootfs);
        cr_assert_eq(write_file_at(AT_FDCWD, path, data, len, 0755), 0);
}

static void setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/staple-test-rootfs-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmpdir);
        snprintf(srcdir, sizeof(srcdir), "%s/src", tmpdir);
        snprintf(srcfile, sizeof(srcfile), "%s/srcfile", tmpdir);
        static const char *dirs[] = { "bin", "etc", "proc", "tmp", "secret" };
        char path[400];
        cr_assert_eq(mkdir(rootfs, 0755), 0);
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", rootfs, dirs[i]);
                cr_assert_eq(mkdir(path, 0755), 0);
        }
        snprintf(path, sizeof(path), "%s/secret/key", rootfs);
        cr_assert_eq(write_file_at(AT_FDCWD, path, "k", 1, 0644), 0);
        cr_assert_eq(mkdir(srcdir, 0755), 0);
        snprintf(path, sizeof(path), "%s/hello", srcdir);
        cr_assert_eq(write_file_at(AT_FDCWD, path, "hello", 5, 0644), 0);
        cr_assert_eq(write_file_at(AT_FDCWD, srcfile, "file", 4, 0644), 0);
        copy_busybox();
}

static void teardown(void)
{
        if (tmpdir[0])
                rm_rf_at(AT_FDCWD, tmpdir);
}

TestSuite(rootfs, .init = setup, .fini = teardown);

typedef int (*child_fn)(void *arg, char *msg);

#define CHECK(cond, ...)                                   \
        do {                                               \
                if (!(cond)) {                             \
                        snprintf(msg, MSG_MAX, __VA_ARGS__); \
                        return -1;                         \
                }                                          \
        } while (0)

#define CHECK_OK(r, what)                                                        \
        do {                                                                     \
                int _r = (r);                                                    \
                CHECK(_r >= 0, "%s: %d (%s)", what, _r, err.msg);               \
        } while (0)

/* Runs fn in a child inside new namespaces (CLONE_NEWNS at least); asserts it succeeded. */
static void run_child(int ns_flags, child_fn fn, void *arg)
{
        int p[2];
        cr_assert_eq(pipe(p), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                char msg[MSG_MAX] = "";
                close(p[0]);
                int r = -1;
                if (unshare(CLONE_NEWNS | ns_flags) < 0)
                        snprintf(msg, sizeof(msg), "unshare: %s", strerror(errno));
                else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        snprintf(msg, sizeof(msg), "make / private: %s", strerror(errno));
                else
                        r = fn(arg, msg);
                if (write(p[1], msg, strlen(msg)) < 0)
                        _exit(3);
                _exit(r == 0 ? 0 : 1);
        }
        close(p[1]);
        char msg[MSG_MAX] = "";
        ssize_t n = read(p[0], msg, sizeof(msg) - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %#x): %s",
                  status, msg);
}

static struct spec_mount mnt(const char *dest, const char *type, const char *source,
                             unsigned long flags, const char *data)
{
        return (struct spec_mount){
                .destination = dest, .type = type, .source = source, .flags = flags,
                .data = (char *)data, .bind = (flags & MS_BIND) != 0,
        };
}

static int check_chr(const char *path, unsigned int maj, unsigned int min, char *msg)
{
        struct stat st;
        CHECK(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
        CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min), "%s is not %u:%u", path,
              maj, min);
        return 0;
}

static int check_link(const char *path, const char *target, char *msg)
{
        char buf[256];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        CHECK(n > 0, "readlink %s: %s", path, strerror(errno));
        buf[n] = '\0';
        CHECK(!strcmp(buf, target), "%s -> %s, want %s", path, buf, target);
        return 0;
}

/* proc, tmpfs, devpts, a read-only directory bind, a file bind, then pivot. */
static int child_basic(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
                mnt("/tmp", "tmpfs", "tmpfs", MS_NOSUID, "mode=1777,size=1m"),
                mnt("/dev", "tmpfs", "tmpfs", MS_NOSUID, "mode=755"),
                mnt("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                    "newinstance,ptmxmode=0666"),
                mnt("/data", "bind", srcdir, MS_BIND | MS_REC | MS_RDONLY, NULL),
                mnt("/etc/hostfile", "bind", srcfile, MS_BIND, NULL),
        };
        struct spec_device dev[] = { {
                .path = "/dev/sub/staple-null", .type = 'c', .major = 1, .minor = 3,
                .has_mode = true, .file_mode = 0600, .has_uid = true, .uid = 1000,
        } };
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m) };
        s.linux.devices = dev;
        s.linux.n_devices = ARRAY_SIZE(dev);
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");

        struct stat dst;
        CHECK(stat("/dev/sub/staple-null", &dst) == 0 && S_ISCHR(dst.st_mode) &&
              (dst.st_mode & 0777) == 0600 && dst.st_uid == 1000 && dst.st_rdev == makedev(1, 3),
              "linux.devices node wrong");
        struct statfs sfs;
        CHECK(statfs("/tmp", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "/tmp is not a tmpfs");
        CHECK(statfs("/proc", &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC, "/proc is not procfs");
        CHECK(access("/proc/self/stat", R_OK) == 0, "/proc/self/stat: %s", strerror(errno));
        _cleanup_free_ char *data = NULL;
        CHECK(read_file_at(AT_FDCWD, "/data/hello", &data, NULL) == 0 && !strcmp(data, "hello"),
              "/data/hello not readable");
        int fd = open("/data/new", O_WRONLY | O_CREAT, 0644);
        CHECK(fd < 0 && errno == EROFS, "write to ro bind: %s", fd < 0 ? strerror(errno) : "ok");
        _cleanup_free_ char *file = NULL;
        CHECK(read_file_at(AT_FDCWD, "/etc/hostfile", &file, NULL) == 0 && !strcmp(file, "file"),
              "/etc/hostfile not bound");
        CHECK(write_file_at(AT_FDCWD, "/tmp/x", "x", 1, 0644) == 0, "write /tmp/x");

        static const struct { const char *p; unsigned int maj, min; } devs[] = {
                { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
                { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
        };
        for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
                if (check_chr(devs[i].p, devs[i].maj, devs[i].min, msg) < 0)
                        return -1;
        struct stat st;
        CHECK(stat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0666, "/dev/null mode %o",
              st.st_mode & 0777);
        if (check_link("/dev/fd", "/proc/self/fd", msg) < 0 ||
            check_link("/dev/stdin", "/proc/self/fd/0", msg) < 0 ||
            check_link("/dev/stderr", "/proc/self/fd/2", msg) < 0 ||
            check_link("/dev/ptmx", "pts/ptmx", msg) < 0)
                return -1;
        CHECK(access("/dev/fd/0", F_OK) == 0, "/dev/fd/0: %s", strerror(errno));

        /* the old root is gone: nothing of the host is visible */
        CHECK(access(tmpdir, F_OK) < 0, "host path %s still visible", tmpdir);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
                execl("/bin/busybox", "busybox", "true", (char *)NULL);
                _exit(127);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "busybox true in the container: status %#x", status);
        return 0;
}

Test(rootfs, mounts_devices_and_pivot)
{
        run_child(CLONE_NEWPID, child_basic, NULL);
}

/* Destinations through symlinks that point out of the rootfs stay inside it. */
static int child_symlinks(void *arg, char *msg)
{
        const char *name = arg;
        char d1[256], d2[256], d3[256];
        snprintf(d1, sizeof(d1), "/abs/%s", name);  /* abs -> /etc */
        snprintf(d2, sizeof(d2), "/up/%s", name);   /* up -> ../../../.. */
        snprintf(d3, sizeof(d3), "/abs/%s.file", name);
        struct spec_mount m[] = {
                mnt(d1, "tmpfs", "tmpfs", 0, NULL),
                mnt(d2, "tmpfs", "tmpfs", 0, NULL),
                mnt(d3, "bind", srcfile, MS_BIND, NULL),
        };
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m) };
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        char host[512];
        snprintf(host, sizeof(host), "/etc/%s", name);
        CHECK(access(host, F_OK) < 0 && errno == ENOENT, "%s was created on the host", host);
        snprintf(host, sizeof(host), "/%s", name);
        CHECK(access(host, F_OK) < 0 && errno == ENOENT, "%s was created on the host", host);
        snprintf(host, sizeof(host), "/etc/%s.file", name);
        CHECK(access(host, F_OK) < 0 && errno == ENOENT, "%s was created on the host", host);

        struct statfs sfs;
        snprintf(host, sizeof(host), "%s/etc/%s", rootfs, name);
        CHECK(statfs(host, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "%s is not the tmpfs", host);
        snprintf(host, sizeof(host), "%s/%s", rootfs, name);
        CHECK(statfs(host, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "%s is not the tmpfs", host);
        _cleanup_free_ char *data = NULL;
        snprintf(host, sizeof(host), "%s/etc/%s.file", rootfs, name);
        CHECK(read_file_at(AT_FDCWD, host, &data, NULL) == 0 && !strcmp(data, "file"),
              "%s is not the bound file", host);
        return 0;
}

Test(rootfs, symlinked_destinations_stay_inside)
{
        char path[400], name[64];
        snprintf(path, sizeof(path), "%s/abs", rootfs);
        cr_assert_eq(symlink("/etc", path), 0);
        snprintf(path, sizeof(path), "%s/up", rootfs);
        cr_assert_eq(symlink("../../../..", path), 0);
        snprintf(name, sizeof(name), "staple-test-%d", (int)getpid());
        run_child(0, child_symlinks, name);
        /* the directories were created inside the rootfs, nothing on the host */
        snprintf(path, sizeof(path), "%s/etc/%s", rootfs, name);
        cr_assert_eq(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "/etc/%s", name);
        cr_assert_neq(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "/%s", name);
        cr_assert_neq(access(path, F_OK), 0);
}

/* maskedPaths, readonlyPaths and root.readonly after pivot. */
static int child_finalize(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
                mnt("/tmp", "tmpfs", "tmpfs", 0, NULL),
        };
        /* no /proc/kcore on this kernel: timer_list is a file that is never empty */
        const char *masked[] = { "/proc/kcore", "/proc/timer_list", "/secret", "/does/not/exist" };
        const char *ro[] = { "/proc/sys", "/missing" };
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m), .root_readonly = true };
        s.linux.masked_paths = masked;
        s.linux.n_masked_paths = ARRAY_SIZE(masked);
        s.linux.readonly_paths = ro;
        s.linux.n_readonly_paths = ARRAY_SIZE(ro);
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, arg != NULL, &err), "pivot");
        CHECK_OK(rootfs_finalize(&s, &err), "finalize");

        _cleanup_free_ char *timers = NULL;
        size_t len = 1;
        int r = read_file_at(AT_FDCWD, "/proc/timer_list", &timers, &len);
        CHECK(r == 0 && len == 0, "/proc/timer_list is not empty (%d, %zu bytes)", r, len);
        CHECK(access("/secret/key", F_OK) < 0 && errno == ENOENT, "/secret/key still visible");
        int fd = open("/secret/x", O_WRONLY | O_CREAT, 0644);
        CHECK(fd < 0 && errno == EROFS, "masked dir is writable");
        fd = open("/proc/sys/kernel/domainname", O_WRONLY);
        CHECK(fd < 0 && errno == EROFS, "/proc/sys writable: %s", fd < 0 ? strerror(errno) : "ok");
        fd = open("/newfile", O_WRONLY | O_CREAT, 0644);
        CHECK(fd < 0 && errno == EROFS, "/ writable: %s", fd < 0 ? strerror(errno) : "ok");
        CHECK(write_file_at(AT_FDCWD, "/tmp/x", "x", 1, 0644) == 0, "/tmp is no longer writable");
        return 0;
}

Test(rootfs, masked_readonly_and_readonly_root)
{
        run_child(CLONE_NEWPID, child_finalize, NULL);
}

Test(rootfs, no_pivot_chroot)
{
        run_child(CLONE_NEWPID, child_finalize, "no-pivot");
}

static int read_ip_forward(char *c)
{
        _cleanup_free_ char *v = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", &v, NULL);
        if (r < 0)
                return r;
        *c = v[0];
        return 0;
}

/* A namespaced sysctl is written in the container's network namespace. */
static int child_sysctl(void *arg, char *msg)
{
        const char *want = arg;
        struct spec_mount m[] = { mnt("/proc", "proc", "proc", 0, NULL) };
        struct spec_sysctl sc[] = { { "net.ipv4.ip_forward", want } };
        struct spec s = { .mounts = m, .n_mounts = 1 };
        s.linux.sysctl = sc;
        s.linux.n_sysctl = 1;
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");
        CHECK_OK(rootfs_finalize(&s, &err), "finalize");
        char c = 0;
        CHECK(read_ip_forward(&c) == 0 && c == want[0], "ip_forward is %c, want %s", c, want);

        const char *bad[] = { "net..ipv4", "kernel/../x", ".net", "" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                sc[0].key = bad[i];
                err = (struct err){ 0 };
                CHECK(rootfs_finalize(&s, &err) == -EINVAL && strstr(err.msg, "invalid sysctl"),
                      "key \"%s\" accepted: %s", bad[i], err.msg);
        }
        return 0;
}

Test(rootfs, sysctl_in_network_namespace)
{
        char before = 0, after = 0;
        cr_assert_eq(read_ip_forward(&before), 0);
        run_child(CLONE_NEWNET | CLONE_NEWPID, child_sysctl, before == '1' ? "0" : "1");
        cr_assert_eq(read_ip_forward(&after), 0);
        cr_assert_eq(before, after, "the host's ip_forward changed");
}

static int child_errors(void *arg, char *msg)
{
        struct spec_mount m[] = { mnt("/data", "bind", "/nonexistent/staple-test", MS_BIND, NULL) };
        struct spec s = { .mounts = m, .n_mounts = 1 };
        struct err err = { 0 };
        int r = rootfs_prepare(&s, rootfs, &err);
        CHECK(r == -ENOENT, "missing bind source: %d", r);
        CHECK(!strcmp(err.msg, "mount /nonexistent/staple-test on /data: No such file or directory"),
              "message: %s", err.msg);

        m[0] = mnt("relative", "tmpfs", "tmpfs", 0, NULL);
        r = rootfs_prepare(&s, rootfs, &err);
        CHECK(r == -EINVAL && strstr(err.msg, "not absolute"), "relative destination: %s", err.msg);

        m[0] = mnt("/x", "nosuchfs", "none", 0, NULL);
        r = rootfs_prepare(&s, rootfs, &err);
        CHECK(r == -ENODEV && !strcmp(err.msg, "mount none on /x: No such device"), "bad type: %s",
              err.msg);
        return 0;
}

Test(rootfs, errors_have_context)
{
        run_child(0, child_errors, NULL);
}

/* type "cgroup" on this host (v1/hybrid: tmpfs + one bind per hierarchy; v2: cgroup2),
 * read-only: nothing is written to any cgroup. */
static int child_cgroup(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/sys/fs/cgroup", "cgroup", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                    NULL),
        };
        struct spec s = { .mounts = m, .n_mounts = 1 };
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");
        struct statvfs sv;
        CHECK(statvfs("/sys/fs/cgroup", &sv) == 0 && (sv.f_flag & ST_RDONLY), "/sys/fs/cgroup not ro");
        struct statfs host;
        CHECK(statfs("/sys/fs/cgroup", &host) == 0, "statfs");
        if (host.f_type == CGROUP2_SUPER_MAGIC)
                return 0;
        CHECK(access("/sys/fs/cgroup/cpu/cgroup.procs", F_OK) == 0, "no cpu hierarchy: %s",
              strerror(errno));
        CHECK(statvfs("/sys/fs/cgroup/cpu", &sv) == 0 && (sv.f_flag & ST_RDONLY), "cpu not ro");
        return 0;
}

Test(rootfs, cgroup_mount_read_only)
{
        struct statfs sfs;
        cr_assert_eq(statfs("/sys/fs/cgroup", &sfs), 0);
        run_child(0, child_cgroup, NULL);
}

/* In a user namespace mknod is refused: the host's devices are bound instead. */
static int child_userns(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/dev", "tmpfs", "tmpfs", MS_NOSUID, "mode=755"),
                mnt("/data", "bind", srcdir, MS_BIND | MS_REC | MS_RDONLY, NULL),
                mnt("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL),
        };
        struct spec_device dev[] = { { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 } };
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m) };
        s.linux.devices = dev;
        s.linux.n_devices = ARRAY_SIZE(dev);
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");
        if (check_chr("/dev/null", 1, 3, msg) < 0 || check_chr("/dev/urandom", 1, 9, msg) < 0 ||
            check_chr("/dev/zero", 1, 5, msg) < 0)
                return -1;
        int fd = open("/dev/null", O_WRONLY);
        CHECK(fd >= 0 && write(fd, "x", 1) == 1, "write /dev/null: %s", strerror(errno));
        close(fd);
        fd = open("/data/new", O_WRONLY | O_CREAT, 0644);
        CHECK(fd < 0 && errno == EROFS, "write to ro bind: %s", fd < 0 ? strerror(errno) : "ok");
        /* sysfs fell back to an rbind of the host's /sys, with the requested flags */
        struct statvfs sv;
        CHECK(access("/sys/kernel", F_OK) == 0, "/sys/kernel: %s", strerror(errno));
        CHECK(statvfs("/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY), "/sys is not read-only");
        return 0;
}

/* A grandchild enters a new user namespace (root mapped to root for 64k ids, written by
 * its parent, which holds CAP_SETFCAP there) and a mount namespace owned by it. */
static int child_userns_entry(void *arg, char *msg)
{
        int ready[2], go[2], res[2];
        CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(res) == 0, "pipe");
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
                char gmsg[MSG_MAX] = "", c;
                int r = -1;
                if (unshare(CLONE_NEWUSER) < 0)
                        snprintf(gmsg, sizeof(gmsg), "unshare user: %s", strerror(errno));
                else if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
                        snprintf(gmsg, sizeof(gmsg), "sync with parent");
                else if (unshare(CLONE_NEWNS) < 0)
                        snprintf(gmsg, sizeof(gmsg), "unshare mount: %s", strerror(errno));
                else
                        r = child_userns(arg, gmsg);
                if (write(res[1], gmsg, strlen(gmsg)) < 0)
                        _exit(3);
                _exit(r == 0 ? 0 : 1);
        }
        close(ready[1]);
        close(go[0]);
        close(res[1]);
        char c, path[64];
        int ok = read(ready[0], &c, 1) == 1;
        static const char *maps[] = { "uid_map", "gid_map" };
        for (size_t i = 0; ok && i < ARRAY_SIZE(maps); i++) {
                snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, maps[i]);
                ok = write_file_at(AT_FDCWD, path, "0 0 65536", 9, 0) == 0;
        }
        if (ok)
                ok = write(go[1], "g", 1) == 1;
        close(go[1]);
        ssize_t n = read(res[0], msg, MSG_MAX - 1);
        msg[n > 0 ? n : 0] = '\0';
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(ok, "write id maps of %d", (int)pid);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

Test(rootfs, user_namespace_binds_devices)
{
        run_child(0, child_userns_entry, NULL);
}

/* The mount line of `mountpoint` in this namespace's mountinfo contains `word`. */
static int mountinfo_has(const char *mountpoint, const char *word, bool *ret)
{
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL);
        if (r < 0)
                return r;
        const char *line = NULL;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                char mp[256];
                if (sscanf(l, "%*s %*s %*s %*s %255s", mp) == 1 && !strcmp(mp, mountpoint))
                        line = l; /* the last one is the top of the stack */
        }
        if (!line)
                return -ENOENT;
        *ret = strstr(line, word) != NULL;
        return 0;
}

/* rootfsPropagation "shared" still pivots (the rootfs's parent mount is made private),
 * and a mount's own propagation is applied after it is mounted. */
static int child_propagation(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/proc", "proc", "proc", 0, NULL),
                mnt("/tmp", "tmpfs", "tmpfs", 0, NULL),
                mnt("/data", "bind", srcdir, MS_BIND | MS_REC, NULL),
        };
        m[1].propagation = MS_PRIVATE;
        m[2].propagation = MS_SHARED;
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m) };
        s.linux.rootfs_propagation = MS_SHARED; /* with MS_REC it would override /tmp */
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");
        CHECK_OK(rootfs_finalize(&s, &err), "finalize");
        bool shared = false;
        CHECK(mountinfo_has("/", "shared:", &shared) == 0 && shared, "/ is not shared");
        CHECK(mountinfo_has("/tmp", "shared:", &shared) == 0 && !shared, "/tmp is shared");
        CHECK(mountinfo_has("/data", "shared:", &shared) == 0 && shared, "/data is not shared");
        return 0;
}

Test(rootfs, rshared_rootfs_propagation)
{
        run_child(CLONE_NEWPID, child_propagation, NULL);
}

/* "tmpcopyup" tmpfs starts with the image's files; recursive attributes ("rro") apply. */
static int child_copyup_rec(void *arg, char *msg)
{
        struct spec_mount m[] = {
                mnt("/secret", "tmpfs", "tmpfs", MS_NOSUID, "size=1m"),
                mnt("/data", "bind", srcdir, MS_BIND | MS_REC, NULL),
        };
        m[0].tmpcopyup = true;
        m[1].rec_attr_set = MOUNT_ATTR_RDONLY;
        m[1].rec_attr_clr = MOUNT_ATTR_NOATIME; /* "ratime": a partial atime clear */
        struct spec s = { .mounts = m, .n_mounts = ARRAY_SIZE(m) };
        struct err err = { 0 };
        CHECK_OK(rootfs_prepare(&s, rootfs, &err), "prepare");
        CHECK_OK(rootfs_pivot(rootfs, false, &err), "pivot");
        struct statfs sfs;
        CHECK(statfs("/secret", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "/secret is not a tmpfs");
        _cleanup_free_ char *key = NULL;
        CHECK(read_file_at(AT_FDCWD, "/secret/key", &key, NULL) == 0 && !strcmp(key, "k"),
              "/secret/key was not copied up");
        struct stat st;
        CHECK(stat("/secret", &st) == 0 && (st.st_mode & 07777) == 0755, "/secret mode %o",
              st.st_mode & 07777);
        CHECK(write_file_at(AT_FDCWD, "/secret/new", "n", 1, 0644) == 0, "write /secret/new");
        int fd = open("/data/new", O_WRONLY | O_CREAT, 0644);
        CHECK(fd < 0 && errno == EROFS, "rro bind writable: %s", fd < 0 ? strerror(errno) : "ok");
        return 0;
}

Test(rootfs, tmpcopyup_and_recursive_attrs)
{
        run_child(0, child_copyup_rec, NULL);
        char path[400];
        snprintf(path, sizeof(path), "%s/secret/new", rootfs);
        cr_assert_neq(access(path, F_OK), 0, "the copy-up tmpfs wrote through to the image");
}
