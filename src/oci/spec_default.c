/* spec_default.c: the config.json that `staple-oci spec` writes. Same content as `runc spec`
 * (and `runc spec --rootless`), built from the tables below with json-c, plus a default
 * seccomp profile (seccomp_default.c) that runc's spec lacks. */
#include "oci/spec_default.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "oci/seccomp_default.h"
#include "util/cleanup.h"

#define NOFILE_DEFAULT 1024

static const char *const default_caps[] = {
        "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

static const char *const cap_sets[] = { "bounding", "effective", "permitted", "ambient", NULL };

static const char *const default_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL,
};

static const char *const masked_paths[] = {
        "/proc/acpi",        "/proc/asound",      "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",     "/proc/scsi",        NULL,
};

static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct default_mount {
        const char *destination, *type, *source;
        const char *options[8];
        /* which variant the entry belongs to */
        bool rootful_only, rootless_only;
};

static const struct default_mount default_mounts[] = {
        { "/proc", "proc", "proc", { NULL }, false, false },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" }, false, false },
        { "/dev/pts", "devpts", "devpts",
          { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" }, true, false },
        { "/dev/pts", "devpts", "devpts",
          { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" }, false, true },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" },
          false, false },
        { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" }, false, false },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" }, true, false },
        { "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro" }, false, true },
        { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" },
          false, false },
};

/* The builder helpers (seccomp_default.h) */
void spec_json_put(json_object *obj, const char *key, json_object *val, bool *ok)
{
        if (!obj || !val || json_object_object_add(obj, key, val) < 0) {
                json_object_put(val);
                *ok = false;
        }
}

void spec_json_push(json_object *arr, json_object *val, bool *ok)
{
        if (!arr || !val || json_object_array_add(arr, val) < 0) {
                json_object_put(val);
                *ok = false;
        }
}

json_object *spec_json_strv(const char *const *v, bool *ok)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; v[i]; i++)
                spec_json_push(a, json_object_new_string(v[i]), ok);
        return a;
}

static json_object *obj_ints(const char *const *keys, const int64_t *vals, bool *ok)
{
        json_object *o = json_object_new_object();

        for (size_t i = 0; keys[i]; i++)
                spec_json_put(o, keys[i], json_object_new_int64(vals[i]), ok);
        return o;
}

static json_object *default_process(bool *ok)
{
        static const char *const user_keys[] = { "uid", "gid", NULL };
        static const int64_t user_vals[] = { 0, 0 };
        static const char *const args[] = { "sh", NULL };
        json_object *p = json_object_new_object();
        json_object *caps = json_object_new_object();
        json_object *rlimits = json_object_new_array();
        json_object *nofile = json_object_new_object();

        spec_json_put(p, "terminal", json_object_new_boolean(1), ok);
        spec_json_put(p, "user", obj_ints(user_keys, user_vals, ok), ok);
        spec_json_put(p, "args", spec_json_strv(args, ok), ok);
        spec_json_put(p, "env", spec_json_strv(default_env, ok), ok);
        spec_json_put(p, "cwd", json_object_new_string("/"), ok);
        for (size_t i = 0; cap_sets[i]; i++)
                spec_json_put(caps, cap_sets[i], spec_json_strv(default_caps, ok), ok);
        spec_json_put(p, "capabilities", caps, ok);
        spec_json_put(nofile, "type", json_object_new_string("RLIMIT_NOFILE"), ok);
        spec_json_put(nofile, "hard", json_object_new_int64(NOFILE_DEFAULT), ok);
        spec_json_put(nofile, "soft", json_object_new_int64(NOFILE_DEFAULT), ok);
        spec_json_push(rlimits, nofile, ok);
        spec_json_put(p, "rlimits", rlimits, ok);
        spec_json_put(p, "noNewPrivileges", json_object_new_boolean(1), ok);
        return p;
}

static json_object *default_mounts_json(bool rootless, bool *ok)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
                const struct default_mount *m = &default_mounts[i];
                if ((rootless && m->rootful_only) || (!rootless && m->rootless_only))
                        continue;
                json_object *o = json_object_new_object();
                spec_json_put(o, "destination", json_object_new_string(m->destination), ok);
                spec_json_put(o, "type", json_object_new_string(m->type), ok);
                spec_json_put(o, "source", json_object_new_string(m->source), ok);
                if (m->options[0])
                        spec_json_put(o, "options", spec_json_strv(m->options, ok), ok);
                spec_json_push(a, o, ok);
        }
        return a;
}

/* [{"containerID": 0, "hostID": id, "size": 1}] */
static json_object *id_mapping(unsigned int id, bool *ok)
{
        static const char *const keys[] = { "containerID", "hostID", "size", NULL };
        const int64_t vals[] = { 0, id, 1 };
        json_object *a = json_object_new_array();

        spec_json_push(a, obj_ints(keys, vals, ok), ok);
        return a;
}

static json_object *default_namespaces(bool rootless, bool *ok)
{
        static const char *const rootful[] = { "pid", "network", "ipc", "uts", "mount", NULL };
        static const char *const rootless_ns[] = { "pid", "ipc", "uts", "mount", "user", NULL };
        const char *const *types = rootless ? rootless_ns : rootful;
        json_object *a = json_object_new_array();

        for (size_t i = 0; types[i]; i++) {
                json_object *o = json_object_new_object();
                spec_json_put(o, "type", json_object_new_string(types[i]), ok);
                spec_json_push(a, o, ok);
        }
        return a;
}

static json_object *default_linux(bool rootless, bool *ok)
{
        json_object *l = json_object_new_object();

        if (rootless) {
                spec_json_put(l, "uidMappings", id_mapping(getuid(), ok), ok);
                spec_json_put(l, "gidMappings", id_mapping(getgid(), ok), ok);
        } else {
                /* deny every device; the runtime adds the default ones */
                json_object *res = json_object_new_object();
                json_object *devices = json_object_new_array();
                json_object *deny = json_object_new_object();
                spec_json_put(deny, "allow", json_object_new_boolean(0), ok);
                spec_json_put(deny, "access", json_object_new_string("rwm"), ok);
                spec_json_push(devices, deny, ok);
                spec_json_put(res, "devices", devices, ok);
                spec_json_put(l, "resources", res, ok);
        }
        spec_json_put(l, "namespaces", default_namespaces(rootless, ok), ok);
        spec_json_put(l, "maskedPaths", spec_json_strv(masked_paths, ok), ok);
        spec_json_put(l, "readonlyPaths", spec_json_strv(readonly_paths, ok), ok);
        spec_json_put(l, "seccomp", seccomp_default_json(ok), ok);
        return l;
}

char *spec_default_json(bool rootless)
{
        bool ok = true;
        json_object *spec = json_object_new_object();
        json_object *root = json_object_new_object();

        spec_json_put(spec, "ociVersion", json_object_new_string("1.0.2-dev"), &ok);
        spec_json_put(spec, "process", default_process(&ok), &ok);
        spec_json_put(root, "path", json_object_new_string("rootfs"), &ok);
        spec_json_put(root, "readonly", json_object_new_boolean(1), &ok);
        spec_json_put(spec, "root", root, &ok);
        spec_json_put(spec, "hostname", json_object_new_string("staple"), &ok);
        spec_json_put(spec, "mounts", default_mounts_json(rootless, &ok), &ok);
        spec_json_put(spec, "linux", default_linux(rootless, &ok), &ok);

        char *text = NULL;
        if (ok) {
                int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
                            JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;
                const char *s = json_object_to_json_string_ext(spec, flags);
                text = s ? strdup(s) : NULL;
        }
        json_object_put(spec);
        return text;
}
