/* test_spec.c: config.json parsing and validation (src/oci/spec.c, spec_default.c). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci/spec.h"
#include "oci/spec_default.h"
#include "util/fileutil.h"

#define CAP(x) (UINT64_C(1) << (x))

static const char full_config[] =
        "{\n"
        "  \"ociVersion\": \"1.2.0\",\n"
        "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
        "  \"hostname\": \"box\", \"domainname\": \"example.org\",\n"
        "  \"unknownField\": {\"ignored\": [1, 2]},\n"
        "  \"process\": {\n"
        "    \"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
        "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
        "    \"args\": [\"/bin/sh\", \"-c\", \"true\"],\n"
        "    \"env\": [\"PATH=/bin\", \"EMPTY=\"],\n"
        "    \"cwd\": \"/work\",\n"
        "    \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_NET_ADMIN\"],\n"
        "       \"effective\": [\"cap_kill\"], \"permitted\": [\"CAP_KILL\"],\n"
        "       \"inheritable\": [], \"ambient\": [\"CAP_CHOWN\"]},\n"
        "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 512, \"hard\": 1024},\n"
        "                {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 18446744073709551615}],\n"
        "    \"noNewPrivileges\": true, \"oomScoreAdj\": -500,\n"
        "    \"apparmorProfile\": \"prof\", \"selinuxLabel\": \"lab\"\n"
        "  },\n"
        "  \"mounts\": [\n"
        "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
        "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
        "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"gid=5\"]},\n"
        "    {\"destination\": \"data\", \"type\": \"bind\", \"source\": \"/srv\",\n"
        "     \"options\": [\"rbind\", \"ro\", \"rprivate\", \"rnosuid\", \"tmpcopyup\"]},\n"
        "    {\"destination\": \"/mnt\", \"source\": \"/x\", \"options\": [\"bind\", \"rw\", \"suid\"]}\n"
        "  ],\n"
        "  \"hooks\": {\n"
        "    \"prestart\": [{\"path\": \"/bin/hook\", \"args\": [\"hook\", \"a\"], \"env\": [\"A=1\"], \"timeout\": 5}],\n"
        "    \"poststop\": [{\"path\": \"/bin/stop\"}, {\"path\": \"/bin/stop2\"}]\n"
        "  },\n"
        "  \"annotations\": {\"org.example.key\": \"value\"},\n"
        "  \"linux\": {\n"
        "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"},\n"
        "                   {\"type\": \"mount\"}, {\"type\": \"uts\"}, {\"type\": \"user\"},\n"
        "                   {\"type\": \"time\"}],\n"
        "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
        "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1000}],\n"
        "    \"timeOffsets\": {\"boottime\": {\"secs\": -7, \"nanosecs\": 12},\n"
        "                    \"monotonic\": {\"secs\": 3600}},\n"
        "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
        "    \"cgroupsPath\": \"/staple-test/x\",\n"
        "    \"resources\": {\n"
        "      \"memory\": {\"limit\": 1048576, \"swap\": -1, \"swappiness\": 10, \"disableOOMKiller\": true},\n"
        "      \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\", \"mems\": \"0\"},\n"
        "      \"pids\": {\"limit\": 64},\n"
        "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
        "                  {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}],\n"
        "      \"unified\": {\"memory.high\": \"max\"}\n"
        "    },\n"
        "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
        "                 \"fileMode\": 438, \"uid\": 0, \"gid\": 0}],\n"
        "    \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
        "    \"rootfsPropagation\": \"rslave\", \"mountLabel\": \"ml\"\n"
        "  }\n"
        "}\n";

static struct spec *parse_ok(const char *text)
{
        struct spec *s = NULL;
        struct err err = { 0 };
        int r = spec_parse("config.json", text, strlen(text), &s, &err);
        cr_assert_eq(r, 0, "parse failed: %s", err.msg);
        cr_assert_not_null(s);
        return s;
}

/* Parses text, expects failure, and checks the message contains `want`. */
static void parse_fails(const char *text, const char *want)
{
        struct spec *s = NULL;
        struct err err = { 0 };
        int r = spec_parse("config.json", text, strlen(text), &s, &err);
        cr_assert_lt(r, 0, "expected a failure for: %s", text);
        cr_assert_null(s);
        cr_assert_eq(r, err.code);
        cr_assert_not_null(strstr(err.msg, want), "message \"%s\" lacks \"%s\"", err.msg, want);
}

/* A minimal valid config with `process` and `linux` bodies spliced in. */
static char *config_with(const char *process, const char *linux_body)
{
        char *text = NULL;
        int r = asprintf(&text,
                         "{\"ociVersion\": \"1.0.2-dev\", \"root\": {\"path\": \"rootfs\"},"
                         " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"%s%s},"
                         " \"linux\": {%s}}",
                         *process ? ", " : "", process, linux_body);
        cr_assert_gt(r, 0);
        return text;
}

static void fails_with(const char *process, const char *linux_body, const char *want)
{
        char *text = config_with(process, linux_body);
        parse_fails(text, want);
        free(text);
}

Test(spec, full_config_process)
{
        struct spec *s = parse_ok(full_config);
        const struct spec_process *p = &s->process;

        cr_assert_str_eq(s->oci_version, "1.2.0");
        cr_assert_str_eq(s->root_path, "rootfs");
        cr_assert(s->root_readonly);
        cr_assert_str_eq(s->hostname, "box");
        cr_assert_str_eq(s->domainname, "example.org");
        cr_assert(s->has_process);
        cr_assert(p->terminal && p->has_console_size);
        cr_assert_eq(p->console_height, 24);
        cr_assert_eq(p->console_width, 80);
        cr_assert_eq(p->user.uid, 1000);
        cr_assert_eq(p->user.gid, 1001);
        cr_assert(p->user.has_umask);
        cr_assert_eq(p->user.umask, 022);
        cr_assert_eq(p->user.n_additional_gids, 2);
        cr_assert_eq(p->user.additional_gids[1], 6);
        cr_assert_eq(p->n_args, 3);
        cr_assert_str_eq(p->args[2], "true");
        cr_assert_null(p->args[3]);
        cr_assert_str_eq(p->env[1], "EMPTY=");
        cr_assert_null(p->env[2]);
        cr_assert_str_eq(p->cwd, "/work");
        cr_assert(p->caps.present);
        cr_assert_eq(p->caps.bounding, CAP(CAP_KILL) | CAP(CAP_NET_ADMIN));
        cr_assert_eq(p->caps.effective, CAP(CAP_KILL));
        cr_assert_eq(p->caps.permitted, CAP(CAP_KILL));
        cr_assert_eq(p->caps.inheritable, 0);
        cr_assert_eq(p->caps.ambient, CAP(CAP_CHOWN));
        cr_assert_eq(p->n_rlimits, 2);
        cr_assert_eq(p->rlimits[0].resource, RLIMIT_NOFILE);
        cr_assert_eq(p->rlimits[0].soft, 512);
        cr_assert_eq(p->rlimits[0].hard, 1024);
        cr_assert_eq(p->rlimits[1].resource, RLIMIT_CORE);
        cr_assert_eq(p->rlimits[1].hard, UINT64_MAX);
        cr_assert(p->no_new_privileges);
        cr_assert(p->has_oom_score_adj);
        cr_assert_eq(p->oom_score_adj, -500);
        cr_assert_str_eq(p->apparmor_profile, "prof");
        cr_assert_str_eq(p->selinux_label, "lab");
        cr_assert_eq(s->n_annotations, 1);
        cr_assert_str_eq(s->annotation_keys[0], "org.example.key");
        cr_assert_str_eq(s->annotation_values[0], "value");
        spec_free(s);
}

Test(spec, full_config_mounts_and_hooks)
{
        struct spec *s = parse_ok(full_config);

        cr_assert_eq(s->n_mounts, 4);
        cr_assert_str_eq(s->mounts[0].type, "proc");
        cr_assert_null(s->mounts[0].data);
        cr_assert_eq(s->mounts[1].flags, MS_NOSUID | MS_NOEXEC);
        cr_assert_str_eq(s->mounts[1].data, "newinstance,ptmxmode=0666,gid=5");
        cr_assert_eq(s->mounts[1].n_options, 5);
        /* relative destination resolved against "/" */
        cr_assert_str_eq(s->mounts[2].destination, "/data");
        cr_assert(s->mounts[2].bind);
        cr_assert_eq(s->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
        cr_assert_eq(s->mounts[2].propagation, MS_PRIVATE | MS_REC);
        cr_assert_eq(s->mounts[2].rec_attr_set, MOUNT_ATTR_NOSUID);
        cr_assert(s->mounts[2].tmpcopyup);
        cr_assert_null(s->mounts[2].data);
        cr_assert_null(s->mounts[3].type);
        cr_assert(s->mounts[3].bind);
        cr_assert_eq(s->mounts[3].flags, MS_BIND);
        cr_assert_eq(s->mounts[3].clear_flags, MS_RDONLY | MS_NOSUID);

        const struct spec_hook_list *pre = &s->hooks[SPEC_HOOK_PRESTART];
        cr_assert_eq(pre->n, 1);
        cr_assert_str_eq(pre->hooks[0].path, "/bin/hook");
        cr_assert_str_eq(pre->hooks[0].args[1], "a");
        cr_assert_null(pre->hooks[0].args[2]);
        cr_assert_str_eq(pre->hooks[0].env[0], "A=1");
        cr_assert_eq(pre->hooks[0].timeout, 5);
        cr_assert_eq(s->hooks[SPEC_HOOK_POSTSTOP].n, 2);
        cr_assert_null(s->hooks[SPEC_HOOK_POSTSTOP].hooks[1].args);
        cr_assert_eq(s->hooks[SPEC_HOOK_POSTSTOP].hooks[1].timeout, 0);
        cr_assert_eq(s->hooks[SPEC_HOOK_CREATE_RUNTIME].n, 0);
        cr_assert_str_eq(spec_hook_kind_name(SPEC_HOOK_CREATE_RUNTIME), "createRuntime");
        spec_free(s);
}

Test(spec, full_config_linux)
{
        struct spec *s = parse_ok(full_config);
        const struct spec_linux *l = &s->linux;

        cr_assert(s->has_linux);
        cr_assert_eq(l->n_namespaces, 6);
        const struct spec_namespace *net = spec_namespace_find(s, SPEC_NS_NETWORK);
        cr_assert_not_null(net);
        cr_assert_eq(net->clone_flag, CLONE_NEWNET);
        cr_assert_str_eq(net->path, "/proc/1/ns/net");
        cr_assert_null(spec_namespace_find(s, SPEC_NS_PID)->path);
        cr_assert_eq(spec_namespace_find(s, SPEC_NS_TIME)->clone_flag, CLONE_NEWTIME);
        cr_assert_null(spec_namespace_find(s, SPEC_NS_IPC));
        cr_assert_str_eq(spec_ns_type_name(SPEC_NS_NETWORK), "network");
        cr_assert_eq(l->n_uid_mappings, 1);
        cr_assert_eq(l->uid_mappings[0].host_id, 100000);
        cr_assert_eq(l->uid_mappings[0].size, 65536);
        cr_assert_eq(l->gid_mappings[0].host_id, 200000);
        cr_assert(l->time_boottime.present);
        cr_assert_eq(l->time_boottime.secs, -7);
        cr_assert_eq(l->time_boottime.nanosecs, 12);
        cr_assert_eq(l->time_monotonic.secs, 3600);
        cr_assert_eq(l->n_sysctl, 1);
        cr_assert_str_eq(l->sysctl[0].key, "net.ipv4.ip_forward");
        cr_assert_str_eq(l->sysctl[0].value, "1");
        cr_assert_str_eq(l->cgroups_path, "/staple-test/x");
        cr_assert_eq(l->n_devices, 1);
        cr_assert_eq(l->devices[0].type, 'c');
        cr_assert_eq(l->devices[0].major, 10);
        cr_assert_eq(l->devices[0].minor, 229);
        cr_assert(l->devices[0].has_mode);
        cr_assert_eq(l->devices[0].file_mode, 0666);
        cr_assert_eq(l->n_masked_paths, 1);
        cr_assert_str_eq(l->readonly_paths[1], "/proc/bus");
        cr_assert_eq(l->rootfs_propagation, MS_SLAVE | MS_REC);
        cr_assert_str_eq(l->mount_label, "ml");
        cr_assert_null(l->seccomp);
        spec_free(s);
}

Test(spec, full_config_resources)
{
        struct spec *s = parse_ok(full_config);
        const struct spec_resources *r = &s->linux.resources;

        cr_assert(s->linux.has_resources);
        cr_assert(r->has_memory_limit);
        cr_assert_eq(r->memory_limit, 1048576);
        cr_assert(!r->has_memory_reservation);
        cr_assert(r->has_memory_swap);
        cr_assert_eq(r->memory_swap, -1);
        cr_assert_eq(r->memory_swappiness, 10);
        cr_assert(r->has_disable_oom_killer && r->disable_oom_killer);
        cr_assert_eq(r->cpu_shares, 512);
        cr_assert_eq(r->cpu_quota, 50000);
        cr_assert_eq(r->cpu_period, 100000);
        cr_assert(!r->has_cpu_rt_runtime);
        cr_assert_str_eq(r->cpu_cpus, "0-1");
        cr_assert_str_eq(r->cpu_mems, "0");
        cr_assert(r->has_pids_limit);
        cr_assert_eq(r->pids_limit, 64);
        cr_assert_eq(r->n_devices, 2);
        cr_assert(!r->devices[0].allow);
        cr_assert_eq(r->devices[0].type, 'a');
        cr_assert_eq(r->devices[0].major, -1);
        cr_assert_str_eq(r->devices[0].access, "rwm");
        cr_assert(r->devices[1].allow);
        cr_assert_eq(r->devices[1].type, 'c');
        cr_assert_eq(r->devices[1].minor, 3);
        cr_assert_str_eq(r->devices[1].access, "rw");
        cr_assert_eq(r->n_unified, 1);
        cr_assert_str_eq(r->unified_keys[0], "memory.high");
        cr_assert_str_eq(r->unified_values[0], "max");
        spec_free(s);
}

Test(spec, minimal_config_defaults)
{
        struct spec *s = parse_ok("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/r\"}}");
        cr_assert(!s->has_process);
        cr_assert(!s->has_linux);
        cr_assert_eq(s->n_mounts, 0);
        cr_assert_null(s->hostname);
        spec_free(s);

        char *text = config_with("", "");
        s = parse_ok(text);
        free(text);
        cr_assert(s->has_process);
        cr_assert_not_null(s->process.env);
        cr_assert_null(s->process.env[0]);
        cr_assert(!s->process.caps.present);
        cr_assert(!s->process.has_oom_score_adj);
        cr_assert(!s->linux.has_resources);
        cr_assert_eq(s->linux.rootfs_propagation, 0);
        spec_free(s);
}

Test(spec, malformed_json_line_column)
{
        parse_fails("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\" \"x\"}\n}",
                    "config.json:3:");
        parse_fails("{\"a\": 1,\n\n   ]", "config.json:3:4: ");
        parse_fails("{\"ociVersion\": \"1.0.0\"", "config.json:1:23: unexpected end of input");
        parse_fails("{} x", "config.json:1:4: ");
        parse_fails("{}\n {}", "config.json:2:2: ");
        parse_fails("", "config.json:1:1:");
        parse_fails("[1, 2]", "config.json: expected a JSON object at the top level");
}

Test(spec, wrong_types_name_the_path)
{
        parse_fails("{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}",
                    "config.json: ociVersion: expected a string");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"process\": {\"args\": \"sh\", \"cwd\": \"/\"}}",
                    "config.json: process.args: expected an array of strings");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"process\": {\"args\": [\"sh\", 3], \"cwd\": \"/\"}}",
                    "config.json: process.args[1]: expected a string");
        fails_with("\"user\": {\"uid\": -1}", "", "process.user.uid: expected an integer between 0 and 4294967295");
        fails_with("\"user\": {\"uid\": 1.5}", "", "process.user.uid: expected an integer");
        fails_with("\"terminal\": \"yes\"", "", "process.terminal: expected a boolean");
        fails_with("", "\"namespaces\": {}", "linux.namespaces: expected an array");
        fails_with("", "\"resources\": {\"memory\": {\"limit\": \"1G\"}}",
                   "linux.resources.memory.limit: expected an integer");
        fails_with("", "\"sysctl\": {\"a\": 1}", "linux.sysctl[\"a\"]: expected a string");
        parse_fails("{\"ociVersion\": \"1.0.0\"}", "config.json: root: required object is missing");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {}}", "root.path: required string is missing");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"mounts\": [{\"type\": \"tmpfs\"}]}",
                    "mounts[0].destination: required string is missing");
}

Test(spec, namespaces_unknown_and_duplicate)
{
        fails_with("", "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"foo\"}]",
                   "config.json: linux.namespaces[2].type: unknown namespace \"foo\"");
        fails_with("", "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]",
                   "linux.namespaces[1].type: duplicate namespace \"pid\"");
        fails_with("", "\"namespaces\": [{\"type\": \"user\"}]",
                   "a new user namespace needs uidMappings and gidMappings");
        fails_with("", "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]",
                   "need a user namespace");
        fails_with("", "\"namespaces\": [{\"type\": \"net\", \"path\": \"x\"}]", "linux.namespaces[0].path: expected an absolute path");
}

Test(spec, process_validation)
{
        fails_with("\"cwd\": \"work\"", "", "process.cwd: expected an absolute path, got \"work\"");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"process\": {\"args\": [], \"cwd\": \"/\"}}",
                    "process.args: expected a non-empty array of strings");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"process\": {\"args\": [\"sh\"]}}",
                    "process.cwd: required string is missing");
        fails_with("\"env\": [\"A=1\", \"NOEQUALS\"]", "",
                   "process.env[1]: expected \"KEY=VALUE\", got \"NOEQUALS\"");
        fails_with("\"oomScoreAdj\": 1001", "", "process.oomScoreAdj: expected an integer between -1000 and 1000");
        fails_with("\"user\": {\"umask\": 4096}", "", "process.user.umask");
        fails_with("\"consoleSize\": {\"height\": 70000, \"width\": 1}", "", "process.consoleSize");
}

Test(spec, capabilities)
{
        fails_with("\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FOO\"]}", "",
                   "config.json: process.capabilities.bounding: unknown capability \"CAP_FOO\"");
        fails_with("\"capabilities\": {\"ambient\": \"CAP_KILL\"}", "",
                   "process.capabilities.ambient: expected an array of strings");
        char *text = config_with("\"capabilities\": {\"effective\": [\"CAP_SYS_ADMIN\", \"cap_net_raw\"]}", "");
        struct spec *s = parse_ok(text);
        free(text);
        cr_assert_eq(s->process.caps.effective, CAP(CAP_SYS_ADMIN) | CAP(CAP_NET_RAW));
        cr_assert_eq(s->process.caps.bounding, 0);
        spec_free(s);
}

Test(spec, rlimits)
{
        fails_with("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]", "",
                   "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
        fails_with("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 1}]", "",
                   "process.rlimits[0]: soft limit 2 exceeds hard limit 1");
        fails_with("\"rlimits\": [{\"type\": \"RLIMIT_NPROC\", \"soft\": 1, \"hard\": 1},"
                   " {\"type\": \"RLIMIT_NPROC\", \"soft\": 1, \"hard\": 1}]", "",
                   "process.rlimits[1].type: duplicate rlimit");
        fails_with("\"rlimits\": [{\"type\": \"RLIMIT_NPROC\", \"soft\": 1}]", "",
                   "process.rlimits[0]: both \"soft\" and \"hard\" are required");
}

Test(spec, oci_versions)
{
        static const char *const good[] = { "1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.0.0-rc5" };
        static const char *const bad[] = { "2.0.0", "0.9.0", "", "1.", "1.x", "10.0.0", "1.0.0junk" };
        char buf[256];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                snprintf(buf, sizeof(buf), "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"r\"}}", good[i]);
                spec_free(parse_ok(buf));
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(buf, sizeof(buf), "{\"ociVersion\": \"%s\", \"root\": {\"path\": \"r\"}}", bad[i]);
                parse_fails(buf, "config.json: ociVersion: unsupported version");
        }
        parse_fails("{\"root\": {\"path\": \"r\"}}", "ociVersion: required string is missing");
}

static struct spec_mount *one_mount(struct spec **ret, const char *type, const char *options)
{
        char buf[1024];
        snprintf(buf, sizeof(buf),
                 "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"mounts\": "
                 "[{\"destination\": \"/m\", \"type\": \"%s\", \"source\": \"s\", \"options\": [%s]}]}",
                 type, options);
        *ret = parse_ok(buf);
        cr_assert_eq((*ret)->n_mounts, 1);
        return &(*ret)->mounts[0];
}

Test(spec, mount_option_flags)
{
        struct spec *s;
        struct spec_mount *m = one_mount(&s, "tmpfs",
                "\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"sync\", \"dirsync\", \"noatime\","
                " \"nodiratime\", \"strictatime\", \"mand\", \"mode=1777\", \"size=65536k\"");
        cr_assert_eq(m->flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
                     MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME | MS_STRICTATIME | MS_MANDLOCK);
        cr_assert_eq(m->clear_flags, 0);
        cr_assert_str_eq(m->data, "mode=1777,size=65536k");
        cr_assert(!m->bind);
        cr_assert_eq(m->propagation, 0);
        spec_free(s);

        /* a later option wins over an earlier opposite one */
        m = one_mount(&s, "tmpfs", "\"ro\", \"rw\", \"nosuid\", \"suid\", \"exec\", \"async\","
                                  " \"atime\", \"diratime\", \"norelatime\", \"nostrictatime\", \"nomand\"");
        cr_assert_eq(m->flags, 0);
        cr_assert_eq(m->clear_flags, MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_SYNCHRONOUS |
                     MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_MANDLOCK);
        cr_assert_null(m->data);
        spec_free(s);

        m = one_mount(&s, "none", "\"rbind\", \"shared\", \"remount\", \"relatime\", \"dev\"");
        cr_assert(m->bind);
        cr_assert_eq(m->flags, MS_BIND | MS_REC | MS_REMOUNT | MS_RELATIME);
        cr_assert_eq(m->clear_flags, MS_NODEV);
        cr_assert_eq(m->propagation, MS_SHARED);
        spec_free(s);

        static const struct { const char *opt; unsigned long prop; } props[] = {
                { "private", MS_PRIVATE }, { "rshared", MS_SHARED | MS_REC },
                { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
                { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
        };
        for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
                char opt[64];
                snprintf(opt, sizeof(opt), "\"%s\"", props[i].opt);
                m = one_mount(&s, "none", opt);
                cr_assert_eq(m->propagation, props[i].prop, "%s", props[i].opt);
                cr_assert_eq(m->flags, 0);
                spec_free(s);
        }

        m = one_mount(&s, "bind", "\"rro\", \"rnoexec\", \"rrw\", \"rnoatime\"");
        cr_assert(m->bind);
        cr_assert_eq(m->flags, MS_BIND);
        cr_assert_eq(m->rec_attr_set, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME);
        cr_assert_eq(m->rec_attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME);
        spec_free(s);

        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"mounts\": "
                    "[{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"/tmp\", \"options\": [\"idmap\"]}]}",
                    "mounts[0]: idmap without uidMappings/gidMappings");
}

static const char seccomp_linux[] =
        "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\"],"
        " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
        " \"listenerPath\": \"/run/notify.sock\", \"listenerMetadata\": \"meta\","
        " \"syscalls\": ["
        "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
        "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
        "   \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
        "            {\"index\": 1, \"value\": 255, \"valueTwo\": 18446744073709551615, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
        "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},"
        "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
        "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_NOTIFY\"},"
        "  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_TRACE\"}"
        " ]}";

Test(spec, seccomp_parse)
{
        char *text = config_with("", seccomp_linux);
        struct spec *s = parse_ok(text);
        free(text);
        const struct spec_seccomp *sc = s->linux.seccomp;

        cr_assert_not_null(sc);
        cr_assert_str_eq(sc->default_action_name, "SCMP_ACT_ERRNO");
        cr_assert_eq(sc->default_action, SCMP_ACT_ERRNO(0));
        cr_assert(sc->has_default_errno_ret);
        cr_assert_eq(sc->default_errno_ret, 38);
        cr_assert_eq(sc->n_arches, 3);
        cr_assert_eq(sc->arches[0], SCMP_ARCH_X86_64);
        cr_assert_eq(sc->arches[1], SCMP_ARCH_X86);
        cr_assert_eq(sc->arches[2], SCMP_ARCH_AARCH64);
        cr_assert_eq(sc->n_flags, 1);
        cr_assert_str_eq(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
        cr_assert_str_eq(sc->listener_path, "/run/notify.sock");
        cr_assert_str_eq(sc->listener_metadata, "meta");
        cr_assert_eq(sc->n_syscalls, 6);
        cr_assert_eq(sc->syscalls[0].n_names, 2);
        cr_assert_str_eq(sc->syscalls[0].names[1], "write");
        cr_assert_eq(sc->syscalls[0].action, SCMP_ACT_ALLOW);
        cr_assert(!sc->syscalls[0].has_errno_ret);
        cr_assert_eq(sc->syscalls[1].n_args, 2);
        cr_assert_eq(sc->syscalls[1].args[0].op, SCMP_CMP_EQ);
        cr_assert_eq(sc->syscalls[1].args[0].value, 8);
        cr_assert_eq(sc->syscalls[1].args[1].index, 1);
        cr_assert_eq(sc->syscalls[1].args[1].op, SCMP_CMP_MASKED_EQ);
        cr_assert_eq(sc->syscalls[1].args[1].value_two, UINT64_MAX);
        cr_assert_eq(sc->syscalls[2].action, SCMP_ACT_ERRNO(0));
        cr_assert(sc->syscalls[2].has_errno_ret);
        cr_assert_eq(sc->syscalls[2].errno_ret, 1);
        cr_assert_eq(sc->syscalls[3].action, SCMP_ACT_KILL_PROCESS);
        cr_assert_eq(sc->syscalls[4].action, SCMP_ACT_NOTIFY);
        cr_assert_eq(sc->syscalls[5].action, SCMP_ACT_TRACE(0));
        spec_free(s);
}

Test(spec, seccomp_errors)
{
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOPE\"}",
                   "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
                   "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                   " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                   "linux.seccomp.syscalls[0].args[0].index: expected an integer between 0 and 5");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                   " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_XX\"}]}]}",
                   "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XX\"");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                   " \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                   "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_X\"]}",
                   "linux.seccomp.flags[0]: unknown seccomp flag");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
                   "linux.seccomp.syscalls[0].names: expected a non-empty array of strings");
}

Test(spec, linux_misc_errors)
{
        fails_with("", "\"rootfsPropagation\": \"sideways\"", "linux.rootfsPropagation: unknown propagation \"sideways\"");
        fails_with("", "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"q\", \"major\": 1, \"minor\": 1}]",
                   "linux.devices[0].type: expected \"c\", \"b\", \"u\" or \"p\", got \"q\"");
        fails_with("", "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\"}]",
                   "linux.devices[0]: major and minor are required");
        fails_with("", "\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
                   "linux.resources.devices[0].access: expected a subset of \"rwm\"");
        fails_with("", "\"resources\": {\"memory\": {\"swappiness\": 101}}",
                   "linux.resources.memory.swappiness: expected an integer between 0 and 100");
        fails_with("", "\"maskedPaths\": [\"proc/kcore\"]", "linux.maskedPaths[0]: expected an absolute path");
        fails_with("", "\"timeOffsets\": {\"realtime\": {\"secs\": 1}}", "linux.timeOffsets.realtime: unknown clock");
        fails_with("", "\"timeOffsets\": {\"boottime\": {\"secs\": 1}}", "linux.timeOffsets: time offsets need a time namespace");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"hostname\": \"h\"}",
                    "hostname: setting the hostname needs a uts namespace");
}

Test(spec, hooks_errors)
{
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"hooks\": {\"createRuntime\": [{\"path\": \"hook\"}]}}",
                    "hooks.createRuntime[0].path: expected an absolute path");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"hooks\": {\"poststart\": [{\"path\": \"/h\", \"timeout\": 0}]}}",
                    "hooks.poststart[0].timeout: expected a positive number of seconds");
        parse_fails("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"},"
                    " \"hooks\": {\"prestart\": [{\"args\": []}]}}",
                    "hooks.prestart[0].path: required string is missing");
}

Test(spec, parse_process_json)
{
        static const char proc[] = "{\"args\": [\"ls\", \"-l\"], \"env\": [\"A=B\"], \"terminal\": false,"
                                   " \"user\": {\"uid\": 5, \"gid\": 6}}";
        struct spec *s = NULL;
        struct err err = { 0 };

        cr_assert_eq(spec_parse_process("process.json", proc, strlen(proc), &s, &err), 0, "%s", err.msg);
        cr_assert(s->has_process);
        cr_assert_eq(s->process.n_args, 2);
        cr_assert_str_eq(s->process.cwd, "/");
        cr_assert_eq(s->process.user.uid, 5);
        spec_free(s);

        static const char bad[] = "{\"args\": [\"ls\"], \"cwd\": \"rel\"}";
        s = NULL;
        cr_assert_lt(spec_parse_process("process.json", bad, strlen(bad), &s, &err), 0);
        cr_assert_null(s);
        cr_assert_str_eq(err.msg, "process.json: cwd: expected an absolute path, got \"rel\"");
}

Test(spec, load_from_bundle)
{
        char dir[] = "/tmp/staple-test-spec-XXXXXX";
        struct spec *s = NULL;
        struct err err = { 0 };

        cr_assert_not_null(mkdtemp(dir));
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        int r = spec_load(fd, &s, &err);
        cr_assert_eq(r, -ENOENT);
        cr_assert_str_eq(err.msg, "open config.json: No such file or directory");

        cr_assert_eq(write_file_at(fd, "config.json", full_config, strlen(full_config), 0644), 0);
        r = spec_load(fd, &s, &err);
        unlinkat(fd, "config.json", 0);
        close(fd);
        rmdir(dir);
        cr_assert_eq(r, 0, "%s", err.msg);
        cr_assert_str_eq(s->process.args[0], "/bin/sh");
        spec_free(s);
}

static void check_default(bool rootless)
{
        char *text = spec_default_json(rootless);
        cr_assert_not_null(text);
        struct spec *s = parse_ok(text);
        free(text);

        cr_assert_str_eq(s->oci_version, "1.0.2-dev");
        cr_assert_str_eq(s->root_path, "rootfs");
        cr_assert(s->root_readonly);
        cr_assert(s->process.terminal);
        cr_assert_str_eq(s->process.args[0], "sh");
        cr_assert_eq(s->process.n_args, 1);
        uint64_t caps = CAP(CAP_AUDIT_WRITE) | CAP(CAP_KILL) | CAP(CAP_NET_BIND_SERVICE);
        cr_assert_eq(s->process.caps.bounding, caps);
        cr_assert_eq(s->process.caps.ambient, caps);
        cr_assert_eq(s->process.caps.inheritable, 0);
        cr_assert(s->process.no_new_privileges);
        cr_assert_eq(s->process.rlimits[0].resource, RLIMIT_NOFILE);
        cr_assert_eq(s->linux.n_masked_paths, 10);
        cr_assert_eq(s->linux.n_readonly_paths, 5);
        cr_assert_eq(s->n_mounts, 7);
        cr_assert_str_eq(s->mounts[5].destination, "/sys");
        cr_assert_not_null(spec_namespace_find(s, SPEC_NS_MOUNT));
        if (rootless) {
                cr_assert_not_null(spec_namespace_find(s, SPEC_NS_USER));
                cr_assert_null(spec_namespace_find(s, SPEC_NS_NETWORK));
                cr_assert_eq(s->linux.uid_mappings[0].host_id, getuid());
                cr_assert_eq(s->linux.gid_mappings[0].host_id, getgid());
                cr_assert_eq(s->linux.uid_mappings[0].container_id, 0);
                cr_assert(s->mounts[5].bind);
                cr_assert_eq(s->mounts[5].flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV);
                cr_assert(!s->linux.has_resources);
        } else {
                cr_assert_null(spec_namespace_find(s, SPEC_NS_USER));
                cr_assert_not_null(spec_namespace_find(s, SPEC_NS_NETWORK));
                cr_assert_str_eq(s->mounts[5].type, "sysfs");
                cr_assert_str_eq(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
                cr_assert_eq(s->linux.resources.n_devices, 1);
                cr_assert(!s->linux.resources.devices[0].allow);
        }
        spec_free(s);
}

Test(spec, default_spec_parses_back) { check_default(false); }

Test(spec, default_spec_rootless_parses_back) { check_default(true); }

Test(spec, seccomp_architecture_names)
{
        static const struct { const char *name; uint32_t arch; } arches[] = {
                { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 }, { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
                { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },       { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
                { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 }, { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
                { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE }, { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
                { "SCMP_ARCH_S390", SCMP_ARCH_S390 },     { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
                { "x86_64", SCMP_ARCH_X86_64 },
        };
        char body[512];

        for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
                snprintf(body, sizeof(body),
                         "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"%s\"]}",
                         arches[i].name);
                char *text = config_with("", body);
                struct spec *s = parse_ok(text);
                free(text);
                cr_assert_eq(s->linux.seccomp->arches[0], arches[i].arch, "%s", arches[i].name);
                cr_assert_eq(s->linux.seccomp->n_syscalls, 0);
                spec_free(s);
        }
}

Test(spec, seccomp_errno_range)
{
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 65536}",
                   "linux.seccomp.defaultErrnoRet: expected an integer between 0 and 65535");
        fails_with("", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"],"
                   " \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": -1}]}",
                   "linux.seccomp.syscalls[0].errnoRet: expected an integer between 0 and 65535");
}

Test(spec, resources_devices_hugepages_network)
{
        char *text = config_with("",
                "\"resources\": {\"blockIO\": {\"leafWeight\": 300, \"weightDevice\": "
                "[{\"major\": 8, \"minor\": 0, \"weight\": 500, \"leafWeight\": 0}],"
                " \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 1048576}],"
                " \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 300}]},"
                " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 8388608}],"
                " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}},"
                " \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]},"
                " \"cpu\": {\"burst\": 20000, \"idle\": 1},"
                " \"memory\": {\"useHierarchy\": true, \"checkBeforeUpdate\": true, \"kernel\": 1}}");
        struct spec *s = parse_ok(text);
        const struct spec_resources *rs = &s->linux.resources;
        cr_assert(rs->has_blkio_leaf_weight && rs->blkio_leaf_weight == 300);
        cr_assert_eq(rs->n_blkio_weight_devices, 1);
        cr_assert(rs->blkio_weight_devices[0].has_weight && !rs->blkio_weight_devices[0].has_leaf_weight);
        cr_assert_eq(rs->blkio_weight_devices[0].weight, 500);
        cr_assert_eq(rs->n_blkio_throttle[SPEC_THROTTLE_READ_BPS], 1);
        cr_assert_eq(rs->blkio_throttle[SPEC_THROTTLE_READ_BPS][0].minor, 16);
        cr_assert_eq(rs->blkio_throttle[SPEC_THROTTLE_READ_BPS][0].rate, 1048576);
        cr_assert_eq(rs->n_blkio_throttle[SPEC_THROTTLE_WRITE_IOPS], 1);
        cr_assert_eq(rs->n_blkio_throttle[SPEC_THROTTLE_WRITE_BPS], 0);
        cr_assert_eq(rs->n_hugepage_limits, 1);
        cr_assert_str_eq(rs->hugepage_limits[0].page_size, "2MB");
        cr_assert_eq(rs->hugepage_limits[0].limit, 8388608);
        cr_assert_eq(rs->n_rdma, 1);
        cr_assert_str_eq(rs->rdma[0].device, "mlx5_1");
        cr_assert(rs->rdma[0].has_handles && !rs->rdma[0].has_objects);
        cr_assert(rs->has_net_class_id && rs->net_class_id == 1048577);
        cr_assert_eq(rs->n_net_priorities, 1);
        cr_assert_str_eq(rs->net_priorities[0].name, "eth0");
        cr_assert(rs->has_cpu_burst && rs->cpu_burst == 20000);
        cr_assert(rs->has_cpu_idle && rs->cpu_idle == 1);
        cr_assert(rs->has_memory_use_hierarchy && rs->memory_use_hierarchy);
        cr_assert(rs->memory_check_before_update && rs->has_memory_kernel && !rs->has_memory_kernel_tcp);
        spec_free(s);
        free(text);
}

Test(spec, resources_devices_errors)
{
        fails_with("", "\"resources\": {\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
                   "linux.resources.hugepageLimits[0].pageSize: expected a size like \"2MB\"");
        fails_with("", "\"resources\": {\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]}",
                   "linux.resources.hugepageLimits[0].limit: required integer is missing");
        fails_with("", "\"resources\": {\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}}",
                   "linux.resources.blockIO.throttleReadBpsDevice[0].minor: required integer is missing");
        fails_with("", "\"resources\": {\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 5}]}}",
                   "linux.resources.blockIO.weightDevice[0].weight: must be between 10 and 1000");
        fails_with("", "\"resources\": {\"cpu\": {\"idle\": 2}}",
                   "linux.resources.cpu.idle: expected an integer between 0 and 1");
        fails_with("", "\"resources\": {\"network\": {\"priorities\": [{\"name\": \"eth0\"}]}}",
                   "linux.resources.network.priorities[0]: required integer \"priority\" is missing");
}
