/* network.h: a container's network, as --network and -p ask for it:
 *   none    a network namespace with loopback only (the default, as before)
 *   host    the host's network namespace
 *   bridge  a network namespace of our own, pinned at RUNTIME_ROOT/netns/<id>, joined to the
 *           bridge "staple0" (10.89.0.0/24) by the CNI plugins of containernetworking-plugins
 *           (loopback, bridge with host-local IPAM and IP masquerading, portmap for -p).
 * The plugins are run by exec with the CNI environment and config on stdin, as podman and
 * containerd run them; their ADD result is kept in the container's dir for the DEL. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

struct json_object;

#define NETWORK_SUBNET "10.89.0.0/24"
#define NETWORK_BRIDGE "staple0"

/* The record's "network" object from --network (NULL: none) and -p values (NULL-terminated,
 * may be NULL): {"mode": "bridge", "ports": [{"host_ip","host_port","container_port","protocol"}]}. */
int network_config(const char *mode, char *const *ports, struct json_object **ret, struct err *err);

/* The mode of a record's network object ("none" when there is none). */
const char *network_mode(struct json_object *net);

/* Where a bridged container's network namespace is pinned; caller frees. */
int network_netns_path(const char *runtime_root, const char *id, char **ret);

/* The config cfg (of the container in dir) as the mode wants it: host drops its network
 * namespace (the host's is kept), bridge names the pinned one by path; and the container's
 * /etc/hostname, hosts and resolv.conf (etc_files.h). */
int network_spec(const char *runtime_root, const char *id, const char *dir, struct json_object *net,
                 struct json_object *cfg, struct err *err);

/* Bridge mode: creates the namespace and runs the plugins' ADD; *ret_ip (may be NULL) gets
 * the container's address ("10.89.0.2"). Undoes what it did on failure. Other modes: no-op. */
int network_up(const char *runtime_root, const char *id, const char *dir, struct json_object *net, char **ret_ip,
               struct err *err);

/* The plugins' DEL in reverse order and the namespace removed; goes on past errors and
 * returns the first. Nothing there is fine. */
int network_down(const char *runtime_root, const char *id, const char *dir, struct json_object *net,
                 struct err *err);

/* network_up / network_down for the container of dir, as its record's "network" says;
 * start records the address ("ip_address"). */
int network_start(const char *runtime_root, const char *id, const char *dir, struct err *err);
int network_stop(const char *runtime_root, const char *id, const char *dir, struct err *err);
