#include "oci/features.h"

#include <ctype.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/spec.h"
#include "util/cleanup.h"

#define OCI_VERSION_MIN "1.0.0"
#define OCI_VERSION_MAX "1.3.0"

/* runtime-spec config-linux.md architectures; listed when libseccomp knows them */
static const char *const seccomp_arches[] = {
        "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",        "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",     "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",       "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",    "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

/* Each flag security.c can set: the kernel's bit, and the libseccomp API level it needs
 * (0: this libseccomp cannot set it at all, as security.c decides for WAIT_KILLABLE_RECV
 * before libseccomp 2.6). */
static const struct {
        const char *name;
        unsigned int kernel_flag;
        unsigned int api_level;
} seccomp_flags[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", 1u << 0, 1 },
        { "SECCOMP_FILTER_FLAG_LOG", 1u << 1, 3 },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2, 4 },
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5, 7 },
#else
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5, 0 },
#endif
};

static const char *const ns_names[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time" };

static json_object *strv_json(const char *(*name_at)(size_t))
{
        json_object *a = json_object_new_array();
        const char *n;
        for (size_t i = 0; a && (n = name_at(i)); i++)
                json_object_array_add(a, json_object_new_string(n));
        return a;
}

static json_object *array_json(const char *const *names, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < n; i++)
                json_object_array_add(a, json_object_new_string(names[i]));
        return a;
}

static const char *hook_name_at(size_t i)
{
        return i < SPEC_HOOK_KIND_COUNT ? spec_hook_kind_name((enum spec_hook_kind)i) : NULL;
}

/* Every capability libcap can name, up to the running kernel's last one. */
static json_object *caps_json(void)
{
        json_object *a = json_object_new_array();
        int last = (int)cap_max_bits() - 1;
        for (int c = 0; a && c <= last && c < 64; c++) {
                char *n = cap_to_name((cap_value_t)c);
                if (!n)
                        continue;
                if (!isdigit((unsigned char)n[0])) { /* libcap names caps it does not know by number */
                        for (char *s = n; *s; s++)
                                *s = (char)toupper((unsigned char)*s);
                        json_object_array_add(a, json_object_new_string(n));
                }
                cap_free(n);
        }
        return a;
}

static json_object *arches_json(void)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < ARRAY_SIZE(seccomp_arches); i++) {
                char lower[32];
                const char *s = seccomp_arches[i] + strlen("SCMP_ARCH_");
                size_t k = 0;
                for (; s[k] && k < sizeof(lower) - 1; k++)
                        lower[k] = (char)tolower((unsigned char)s[k]);
                lower[k] = '\0';
                if (seccomp_arch_resolve_name(lower))
                        json_object_array_add(a, json_object_new_string(seccomp_arches[i]));
        }
        return a;
}

/* A flag is supported when libseccomp can set it and the kernel knows it: seccomp(2)
 * with a NULL filter fails with EFAULT for known flags, EINVAL for unknown ones. */
static json_object *supported_flags_json(void)
{
        json_object *a = json_object_new_array();
        unsigned int api = seccomp_api_get();
        for (size_t i = 0; a && i < ARRAY_SIZE(seccomp_flags); i++) {
                if (!seccomp_flags[i].api_level || api < seccomp_flags[i].api_level)
                        continue;
                long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, seccomp_flags[i].kernel_flag, NULL);
                if (r < 0 && errno == EFAULT)
                        json_object_array_add(a, json_object_new_string(seccomp_flags[i].name));
        }
        return a;
}

static json_object *enabled_json(bool enabled)
{
        json_object *o = json_object_new_object();
        if (o)
                json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
        return o;
}

static json_object *seccomp_json(void)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "enabled", json_object_new_boolean(true));
        json_object_object_add(o, "actions", strv_json(spec_seccomp_action_name));
        json_object_object_add(o, "operators", strv_json(spec_seccomp_op_name));
        json_object_object_add(o, "archs", arches_json());
        json_object_object_add(o, "knownFlags", strv_json(spec_seccomp_flag_name));
        json_object_object_add(o, "supportedFlags", supported_flags_json());
        return o;
}

static json_object *cgroup_json(void)
{
        static const struct {
                const char *key;
                bool value;
        } support[] = { { "v1", true }, { "v2", true }, { "systemd", false }, { "systemdUser", false },
                        { "rdma", false } };
        json_object *o = json_object_new_object();
        for (size_t i = 0; o && i < ARRAY_SIZE(support); i++)
                json_object_object_add(o, support[i].key, json_object_new_boolean(support[i].value));
        return o;
}

static json_object *linux_json(void)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object *ext = json_object_new_object();
        if (ext)
                json_object_object_add(ext, "idmap", enabled_json(false));
        json_object_object_add(o, "namespaces", array_json(ns_names, ARRAY_SIZE(ns_names)));
        json_object_object_add(o, "capabilities", caps_json());
        json_object_object_add(o, "cgroup", cgroup_json());
        json_object_object_add(o, "seccomp", seccomp_json());
        json_object_object_add(o, "apparmor", enabled_json(false));
        json_object_object_add(o, "selinux", enabled_json(false));
        json_object_object_add(o, "intelRdt", enabled_json(false));
        json_object_object_add(o, "mountExtensions", ext);
        return o;
}

static json_object *annotations_json(void)
{
        char buf[64];
        const struct scmp_version *v = seccomp_version();
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "io.github.staple.version", json_object_new_string(STAPLE_VERSION));
        if (v) {
                snprintf(buf, sizeof(buf), "%u.%u.%u", v->major, v->minor, v->micro);
                json_object_object_add(o, "io.github.seccomp.libseccomp.version", json_object_new_string(buf));
        }
        return o;
}

int features_json(char **ret, struct err *err)
{
        json_object *o = json_object_new_object();
        if (!o)
                return err_errno(err, -ENOMEM, "features");
        json_object_object_add(o, "ociVersionMin", json_object_new_string(OCI_VERSION_MIN));
        json_object_object_add(o, "ociVersionMax", json_object_new_string(OCI_VERSION_MAX));
        json_object_object_add(o, "hooks", strv_json(hook_name_at));
        json_object_object_add(o, "mountOptions", strv_json(spec_mount_option_name));
        json_object_object_add(o, "linux", linux_json());
        json_object_object_add(o, "annotations", annotations_json());
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = s ? strdup(s) : NULL;
        json_object_put(o);
        return *ret ? 0 : err_errno(err, -ENOMEM, "features");
}
