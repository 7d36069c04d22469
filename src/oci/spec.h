/* spec.h: config.json as typed structs. Parsed and validated completely before the
 * runtime touches the system (runtime-spec config.md, config-linux.md).
 *
 * Ownership: struct spec owns a json-c tree; every `const char *` below borrows from it
 * and lives until spec_free(). Arrays (`char **`, struct arrays) are owned by the spec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

struct json_object;

#define SPEC_MAX_ITEMS 4096 /* bound on every user-controlled array */

struct spec_mount {
        const char *destination;  /* absolute path inside the container */
        const char *type;         /* may be NULL (bind mounts) */
        const char *source;       /* may be NULL */
        const char **options;     /* raw option strings, n_options of them */
        size_t n_options;
        /* derived from options by spec_parse: */
        unsigned long flags;      /* MS_* to set (MS_BIND, MS_REC, MS_RDONLY, ...) */
        unsigned long clear_flags;/* MS_* explicitly cleared ("rw", "suid", ...) */
        unsigned long propagation;/* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) or 0 */
        char *data;               /* comma-joined options that are not flags, owned; may be NULL */
        bool bind;                /* "bind" or "rbind" option, or type "bind" */
        /* recursive options of runtime-spec 1.1 ("rro", "rnosuid", ...): MOUNT_ATTR_* bits
         * to set and clear with mount_setattr(AT_RECURSIVE) after the mount */
        uint64_t rec_attr_set, rec_attr_clr;
        bool tmpcopyup;           /* "tmpcopyup" (runc/crun extension): copy the image's files up into a tmpfs */
        /* idmapped bind mount: "idmap"/"ridmap" options or per-mount uidMappings/gidMappings
         * (runtime-spec config.md); without per-mount maps, linux.uidMappings/gidMappings apply */
        bool idmap;
        bool idmap_recursive;     /* "ridmap" */
        struct spec_idmap *uid_mappings, *gid_mappings; /* owned; may be NULL */
        size_t n_uid_mappings, n_gid_mappings;
};

enum spec_ns_type {
        SPEC_NS_PID,
        SPEC_NS_NETWORK,
        SPEC_NS_MOUNT,
        SPEC_NS_IPC,
        SPEC_NS_UTS,
        SPEC_NS_USER,
        SPEC_NS_CGROUP,
        SPEC_NS_TIME,
        SPEC_NS_COUNT,
};

struct spec_namespace {
        enum spec_ns_type type;
        int clone_flag;           /* CLONE_NEWPID, ... */
        const char *path;         /* join this namespace instead of creating one; may be NULL */
};

struct spec_idmap {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

struct spec_rlimit {
        int resource;             /* RLIMIT_* */
        const char *name;         /* "RLIMIT_NOFILE" */
        uint64_t soft;
        uint64_t hard;
};

struct spec_hook {
        const char *path;
        char **args;              /* NULL-terminated, borrowed strings; NULL when absent */
        char **env;               /* NULL-terminated, borrowed strings; NULL when absent */
        int timeout;              /* seconds; 0 = none */
};

enum spec_hook_kind {
        SPEC_HOOK_PRESTART,
        SPEC_HOOK_CREATE_RUNTIME,
        SPEC_HOOK_CREATE_CONTAINER,
        SPEC_HOOK_START_CONTAINER,
        SPEC_HOOK_POSTSTART,
        SPEC_HOOK_POSTSTOP,
        SPEC_HOOK_KIND_COUNT,
};

struct spec_hook_list {
        struct spec_hook *hooks;
        size_t n;
};

struct spec_capabilities {
        bool present;             /* process.capabilities was given */
        uint64_t bounding, effective, permitted, inheritable, ambient; /* bit (1 << CAP_X) */
};

struct spec_device {
        const char *path;
        char type;                /* 'c', 'b', 'u' or 'p' */
        int64_t major, minor;     /* -1 when absent (only valid for 'p') */
        bool has_mode, has_uid, has_gid;
        uint32_t file_mode;
        uint32_t uid, gid;
};

struct spec_device_rule {
        bool allow;
        char type;                /* 'a', 'c' or 'b' */
        int64_t major, minor;     /* -1 = wildcard */
        char access[4];           /* subset of "rwm", NUL-terminated */
};

struct spec_seccomp_arg {
        unsigned int index;
        uint64_t value;
        uint64_t value_two;
        int op;                   /* SCMP_CMP_* from <seccomp.h> */
};

struct spec_seccomp_syscall {
        const char **names;
        size_t n_names;
        /* action is the base value: SCMP_ACT_ERRNO(0) / SCMP_ACT_TRACE(0) for those two, the
         * caller folds in the errno: SCMP_ACT_ERRNO(has_errno_ret ? errno_ret : EPERM) and
         * SCMP_ACT_TRACE(has_errno_ret ? errno_ret : 0). SCMP_ACT_KILL == SCMP_ACT_KILL_THREAD. */
        uint32_t action;
        const char *action_name;  /* "SCMP_ACT_ERRNO" */
        bool has_errno_ret;
        uint32_t errno_ret;
        struct spec_seccomp_arg *args;
        size_t n_args;
};

struct spec_seccomp {
        const char *default_action_name;
        uint32_t default_action;  /* SCMP_ACT_* base value, folded like spec_seccomp_syscall.action
                                   * with default_errno_ret (EPERM when absent); never NOTIFY */
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        uint32_t *arches;         /* SCMP_ARCH_* */
        size_t n_arches;
        const char **flags;       /* "SECCOMP_FILTER_FLAG_TSYNC", ... */
        size_t n_flags;
        const char *listener_path;
        const char *listener_metadata;
        struct spec_seccomp_syscall *syscalls;
        size_t n_syscalls;
};

struct spec_user {
        uint32_t uid, gid;
        bool has_umask;
        uint32_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
};

struct spec_process {
        bool terminal;
        bool has_console_size;
        unsigned int console_height, console_width;
        struct spec_user user;
        char **args;              /* NULL-terminated, borrowed strings */
        size_t n_args;
        char **env;               /* NULL-terminated, borrowed strings; never NULL */
        const char *cwd;          /* absolute */
        struct spec_capabilities caps;
        struct spec_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        const char *apparmor_profile;
        const char *selinux_label;
};

/* linux.resources.blockIO.weightDevice[] and throttle*Device[] entries. */
struct spec_blkio_device {
        int64_t major, minor;
        bool has_weight, has_leaf_weight; /* weightDevice */
        uint64_t weight, leaf_weight;     /* 10..1000 */
        uint64_t rate;                    /* throttle: bytes or ios per second */
};

enum spec_throttle {
        SPEC_THROTTLE_READ_BPS,
        SPEC_THROTTLE_WRITE_BPS,
        SPEC_THROTTLE_READ_IOPS,
        SPEC_THROTTLE_WRITE_IOPS,
        SPEC_THROTTLE_COUNT,
};

struct spec_hugepage_limit {
        const char *page_size;    /* "2MB", "1GB": validated digits + KB/MB/GB */
        uint64_t limit;           /* bytes */
};

struct spec_rdma_limit {
        const char *device;       /* "mlx5_1" */
        bool has_handles, has_objects;
        uint32_t handles, objects;
};

struct spec_net_priority {
        const char *name;         /* interface */
        uint32_t priority;
};

/* Every limit has a has_* flag: absent means "leave the cgroup's value alone". */
struct spec_resources {
        bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness;
        int64_t memory_limit, memory_reservation, memory_swap; /* bytes, -1 = unlimited */
        uint64_t memory_swappiness;
        bool has_disable_oom_killer, disable_oom_killer;
        bool has_cpu_shares, has_cpu_quota, has_cpu_period;
        uint64_t cpu_shares;
        int64_t cpu_quota;        /* -1 = unlimited */
        uint64_t cpu_period;
        bool has_cpu_rt_runtime, has_cpu_rt_period;
        int64_t cpu_rt_runtime;
        uint64_t cpu_rt_period;
        const char *cpu_cpus, *cpu_mems; /* may be NULL */
        bool has_pids_limit;
        int64_t pids_limit;       /* <= 0 = unlimited */
        bool has_blkio_weight;
        uint64_t blkio_weight;    /* blockIO.weight, 10..1000 */
        struct spec_device_rule *devices;
        size_t n_devices;
        bool has_memory_use_hierarchy, memory_use_hierarchy;
        bool has_memory_kernel, has_memory_kernel_tcp; /* refused: no kmem limits */
        bool memory_check_before_update;
        bool has_cpu_burst, has_cpu_idle;
        uint64_t cpu_burst;       /* microseconds */
        int64_t cpu_idle;         /* 0 or 1 */
        bool has_blkio_leaf_weight;
        uint64_t blkio_leaf_weight;
        struct spec_blkio_device *blkio_weight_devices;
        size_t n_blkio_weight_devices;
        struct spec_blkio_device *blkio_throttle[SPEC_THROTTLE_COUNT];
        size_t n_blkio_throttle[SPEC_THROTTLE_COUNT];
        struct spec_hugepage_limit *hugepage_limits;
        size_t n_hugepage_limits;
        struct spec_rdma_limit *rdma;
        size_t n_rdma;
        bool has_net_class_id;
        uint32_t net_class_id;
        struct spec_net_priority *net_priorities;
        size_t n_net_priorities;
        /* linux.resources.unified: key/value pairs for cgroup v2 files */
        const char **unified_keys, **unified_values;
        size_t n_unified;
};

struct spec_sysctl {
        const char *key;          /* "net.ipv4.ip_forward" */
        const char *value;
};

struct spec_time_offset {
        bool present;
        int64_t secs;
        uint32_t nanosecs;
};

struct spec_linux {
        struct spec_namespace namespaces[SPEC_NS_COUNT];
        size_t n_namespaces;
        struct spec_idmap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        struct spec_sysctl *sysctl;
        size_t n_sysctl;
        const char *cgroups_path; /* may be NULL */
        bool has_resources;
        struct spec_resources resources;
        struct spec_device *devices;
        size_t n_devices;
        const char **masked_paths;
        size_t n_masked_paths;
        const char **readonly_paths;
        size_t n_readonly_paths;
        unsigned long rootfs_propagation; /* MS_* or 0 when absent */
        const char *mount_label;
        struct spec_time_offset time_boottime, time_monotonic;
        struct spec_seccomp *seccomp; /* NULL when absent; owned */
};

struct spec {
        struct json_object *json; /* owner of every borrowed string */
        const char *oci_version;
        const char *root_path;    /* as written in config.json (relative to the bundle or absolute) */
        bool root_readonly;
        bool has_process;
        struct spec_process process;
        const char *hostname;     /* may be NULL */
        const char *domainname;   /* may be NULL */
        struct spec_mount *mounts;
        size_t n_mounts;
        struct spec_hook_list hooks[SPEC_HOOK_KIND_COUNT];
        bool has_linux;
        struct spec_linux linux;
        const char **annotation_keys, **annotation_values;
        size_t n_annotations;
};

/* Parses and validates a config.json held in memory. `name` is used in messages
 * ("config.json:12:5: ..."). On failure err says what and where, and *ret is untouched. */
int spec_parse(const char *name, const char *text, size_t len, struct spec **ret, struct err *err);

/* Reads and parses BUNDLE/config.json through the bundle directory fd. */
int spec_load(int bundle_fd, struct spec **ret, struct err *err);

/* Parses a runc-style process.json (for exec): the "process" object alone. */
int spec_parse_process(const char *name, const char *text, size_t len, struct spec **ret,
                       struct err *err);

/* Parses a LinuxResources JSON object alone (runc update -r) into s->linux.resources,
 * with the messages of linux.resources. */
int spec_parse_resources(const char *name, const char *text, size_t len, struct spec **ret,
                         struct err *err);

void spec_free(struct spec *s);

/* The namespace entry of a type, or NULL when the config does not list it. */
const struct spec_namespace *spec_namespace_find(const struct spec *s, enum spec_ns_type type);

/* Name of a namespace type as config.json spells it ("pid", "network", ...). */
const char *spec_ns_type_name(enum spec_ns_type type);

/* The hook kind's name as config.json spells it ("createRuntime", ...). */
const char *spec_hook_kind_name(enum spec_hook_kind kind);

/* The i-th name the parser recognizes (mount options, seccomp actions, operators and
 * flags), NULL past the last: for `features`. */
const char *spec_mount_option_name(size_t i);
const char *spec_seccomp_action_name(size_t i);
const char *spec_seccomp_op_name(size_t i);
const char *spec_seccomp_flag_name(size_t i);
