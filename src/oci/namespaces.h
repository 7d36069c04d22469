/* namespaces.h: which namespaces a container creates, which it joins by path, its
 * uid/gid maps and time offsets. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/err.h"

/* CLONE_NEW* flags of the namespaces the container creates at clone time. The cgroup
 * namespace is left out: init unshares it once it is inside its cgroup. The time
 * namespace is left out: it is unshared before the clone (offsets must be set first). */
int ns_clone_flags(const struct spec *s);

/* Whether the container creates (no path) a namespace of this type. */
bool ns_creates(const struct spec *s, enum spec_ns_type type);

/* Whether spawning needs an intermediate process: namespaces joined by path, or a new
 * time namespace (both change the namespaces of whoever calls clone). */
bool ns_needs_intermediate(const struct spec *s);

/* In the intermediate process: joins every namespace given by path (user first, so
 * the others are joined with its credentials), then unshares the time namespace and
 * writes its offsets. */
int ns_enter_paths_and_time(const struct spec *s, struct err *err);

/* Writes uid_map and gid_map of pid (the parent does this for its child). */
/* Brings up the loopback interface of the network namespace we are in (a new one starts
 * with lo down; runc brings it up too). */
int ns_loopback_up(struct err *err);

int ns_write_id_maps(pid_t pid, const struct spec *s, struct err *err);
