/* etc_files.h: the three files of /etc a container gets from its engine, as docker gives
 * them: /etc/hostname, /etc/hosts (localhost, and the container's address under its
 * hostname when it has one) and /etc/resolv.conf (the host's; on the bridge without the
 * host's loopback name servers, which the container cannot reach). They live in the
 * container's dir and are bind-mounted over the image's. */
#pragma once

#include "util/err.h"

struct json_object;

/* Writes dir/hostname, dir/hosts and dir/resolv.conf for config cfg (its "hostname") and
 * network mode ("none", "host", "bridge"), and adds their bind mounts to cfg's mounts. */
int etc_files_bundle(const char *dir, struct json_object *cfg, const char *mode, struct err *err);

/* Rewrites dir/hosts in place (the bind mount pins its inode) with ip under the hostname. */
int etc_hosts_set_ip(const char *dir, const char *ip, struct err *err);
