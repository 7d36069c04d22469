#include "oci/namespaces.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

bool ns_creates(const struct spec *s, enum spec_ns_type type)
{
        const struct spec_namespace *ns = spec_namespace_find(s, type);
        return ns && !ns->path;
}

int ns_clone_flags(const struct spec *s)
{
        int flags = 0;
        for (size_t i = 0; i < s->linux.n_namespaces; i++) {
                const struct spec_namespace *ns = &s->linux.namespaces[i];
                if (ns->path || ns->type == SPEC_NS_CGROUP || ns->type == SPEC_NS_TIME)
                        continue;
                flags |= ns->clone_flag;
        }
        return flags;
}

bool ns_needs_intermediate(const struct spec *s)
{
        for (size_t i = 0; i < s->linux.n_namespaces; i++) {
                const struct spec_namespace *ns = &s->linux.namespaces[i];
                if (ns->path || ns->type == SPEC_NS_TIME)
                        return true;
        }
        return false;
}

static int ns_write_time_offsets(const struct spec *s, struct err *err)
{
        char buf[128];
        int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
                         (long long)s->linux.time_monotonic.secs, s->linux.time_monotonic.nanosecs,
                         (long long)s->linux.time_boottime.secs, s->linux.time_boottime.nanosecs);
        int r = write_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t)n, 0);
        if (r < 0)
                return err_errno(err, r, "write time namespace offsets");
        return 0;
}

int ns_enter_paths_and_time(const struct spec *s, struct err *err)
{
        /* Open every path first: joining a mount namespace changes what later paths mean. */
        int fds[SPEC_NS_COUNT];
        const struct spec_namespace *order[SPEC_NS_COUNT];
        size_t n = 0;
        int r = 0;
        for (int pass = 0; pass < 2; pass++) /* user namespace first */
                for (size_t i = 0; i < s->linux.n_namespaces; i++) {
                        const struct spec_namespace *ns = &s->linux.namespaces[i];
                        if (ns->path && (ns->type == SPEC_NS_USER) == (pass == 0))
                                order[n++] = ns;
                }
        for (size_t i = 0; i < n; i++) {
                fds[i] = open(order[i]->path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        r = err_errno(err, neg_errno(), "open %s namespace %s",
                                      spec_ns_type_name(order[i]->type), order[i]->path);
                        n = i;
                        goto out;
                }
        }
        for (size_t i = 0; i < n; i++)
                if (setns(fds[i], order[i]->clone_flag) < 0) {
                        r = err_errno(err, neg_errno(), "join %s namespace %s",
                                      spec_ns_type_name(order[i]->type), order[i]->path);
                        goto out;
                }
        if (ns_creates(s, SPEC_NS_TIME)) {
                if (unshare(CLONE_NEWTIME) < 0) {
                        r = err_errno(err, neg_errno(), "create time namespace");
                        goto out;
                }
                r = ns_write_time_offsets(s, err);
        }
out:
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        return r;
}

static int write_map(pid_t pid, const char *file, const struct spec_idmap *m, size_t n, struct err *err)
{
        char buf[4096], path[64];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                int k = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                 m[i].size);
                if (k < 0 || (size_t)k >= sizeof(buf) - len)
                        return err_set(err, -E2BIG, "%s: too many mappings", file);
                len += (size_t)k;
        }
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
        int r = write_file_at(AT_FDCWD, path, buf, len, 0);
        if (r < 0)
                return err_errno(err, r, "write %s", file);
        return 0;
}

int ns_write_id_maps(pid_t pid, const struct spec *s, struct err *err)
{
        if (s->linux.n_uid_mappings == 0 && s->linux.n_gid_mappings == 0)
                return err_set(err, -EINVAL, "a new user namespace needs linux.uidMappings and linux.gidMappings");
        int r = write_map(pid, "uid_map", s->linux.uid_mappings, s->linux.n_uid_mappings, err);
        if (r < 0)
                return r;
        return write_map(pid, "gid_map", s->linux.gid_mappings, s->linux.n_gid_mappings, err);
}

int ns_loopback_up(struct err *err)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_errno(err, neg_errno(), "bring up lo: socket");
        struct ifreq ifr = { 0 };
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return err_errno(err, neg_errno(), "bring up lo: get its flags");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return err_errno(err, neg_errno(), "bring up lo");
        return 0;
}
