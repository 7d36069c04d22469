/* network.c: --network and -p through CNI plugins run by exec. See network.h. */
#include "engine/network.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/etc_files.h"
#include "engine/record.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define CNI_VERSION "1.0.0"
#define CNI_PATH "/usr/lib/cni:/opt/cni/bin"
#define CNI_RESULT_FILE "network.json"
#define CNI_OUTPUT_MAX (1 << 20)

/* ---- configuration from the flags ---- */

struct port {
        char ip[64], proto[8];
        unsigned int host, ctr;
};

/* "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]"; false when it is not one. */
static bool port_parse(const char *s, struct port *p)
{
        const char *slash = strchr(s, '/');
        snprintf(p->proto, sizeof(p->proto), "%s", slash ? slash + 1 : "tcp");
        if (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp"))
                return false;
        char body[128];
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (len >= sizeof(body))
                return false;
        memcpy(body, s, len);
        body[len] = '\0';
        char *last = strrchr(body, ':');
        char *first = last ? memrchr(body, ':', (size_t)(last - body)) : NULL;
        struct in_addr a;
        p->ip[0] = '\0';
        if (first) {
                *first = '\0';
                if (strlen(body) >= sizeof(p->ip) || inet_pton(AF_INET, body, &a) != 1)
                        return false;
                snprintf(p->ip, sizeof(p->ip), "%s", body);
        }
        const char *hp = first ? first + 1 : body;
        int n = 0;
        return last && sscanf(hp, "%u:%u%n", &p->host, &p->ctr, &n) == 2 && !hp[n] && p->host >= 1 &&
               p->host <= 65535 && p->ctr >= 1 && p->ctr <= 65535 && isdigit((unsigned char)hp[0]);
}

static int parse_port(const char *s, json_object **ret, struct err *err)
{
        struct port p;
        if (!port_parse(s, &p))
                return err_set(err, -EINVAL, "invalid -p \"%s\": use [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]", s);
        json_object *o = json_object_new_object();
        record_set_str(o, "host_ip", p.ip);
        record_set_int(o, "host_port", (int)p.host);
        record_set_int(o, "container_port", (int)p.ctr);
        record_set_str(o, "protocol", p.proto);
        *ret = o;
        return 0;
}

int network_config(const char *mode, char *const *ports, json_object **ret, struct err *err)
{
        static const char *const modes[] = { "none", "host", "bridge" };
        const char *m = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
                if (!strcmp(mode ? mode : "none", modes[i]))
                        m = modes[i];
        if (!m)
                return err_set(err, -EINVAL, "invalid --network \"%s\": use none, host or bridge", mode);
        if (ports && ports[0] && strcmp(m, "bridge"))
                return err_set(err, -EINVAL, "-p needs --network bridge (the container has no address to forward to)");
        _cleanup_json_ json_object *net = json_object_new_object(), *arr = json_object_new_array();
        record_set_str(net, "mode", m);
        for (size_t i = 0; ports && ports[i]; i++) {
                json_object *p = NULL;
                int r = parse_port(ports[i], &p, err);
                if (r < 0)
                        return r;
                json_object_array_add(arr, p);
        }
        json_object_object_add(net, "ports", TAKE_PTR(arr));
        *ret = TAKE_PTR(net);
        return 0;
}

const char *network_mode(json_object *net)
{
        const char *m = net ? record_str(net, "mode") : NULL;
        return m ? m : "none";
}

int network_netns_path(const char *runtime_root, const char *id, char **ret)
{
        return asprintf(ret, "%s/netns/%s", runtime_root, id) < 0 ? -ENOMEM : 0;
}

/* ---- the namespace ---- */

/* A new network namespace, pinned by a bind mount of a child's ns file on path. */
static int netns_create(const char *path, struct err *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_errno(err, neg_errno(), "create %s", path);
        pid_t pid = fork();
        if (pid < 0)
                return err_errno(err, neg_errno(), "network namespace: fork");
        if (pid == 0)
                _exit(unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0 ? errno : 0);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
        if (code) {
                unlink(path);
                return err_errno(err, -code, "network namespace on %s", path);
        }
        return 0;
}

static int netns_remove(const char *path, struct err *err)
{
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return err_errno(err, neg_errno(), "unmount %s", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return err_errno(err, neg_errno(), "remove %s", path);
        return 0;
}

/* ---- running a plugin ---- */

static int plugin_path(const char *type, char **ret)
{
        _cleanup_free_ char *dirs = strdup(CNI_PATH);
        char *save = NULL;
        if (!dirs)
                return -ENOMEM;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", d, type) < 0)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

static _Noreturn void plugin_child(const char *path, int in, int out, char *const env[])
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
                _exit(127);
        execve(path, (char *const[]){ (char *)path, NULL }, env);
        _exit(127);
}

/* Reads fd to EOF (at most CNI_OUTPUT_MAX bytes). */
static char *read_output(int fd)
{
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        ssize_t k;
        while (buf && (k = read(fd, buf + n, cap - n - 1)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;
                n += (size_t)k;
                if (n + 1 == cap) {
                        char *b = cap < CNI_OUTPUT_MAX ? realloc(buf, cap *= 2) : NULL;
                        if (!b)
                                break;
                        buf = b;
                }
        }
        if (buf)
                buf[n] = '\0';
        return buf;
}

/* A plugin's error: its JSON "msg" (and "details"), else its raw output. */
static int plugin_error(const char *type, const char *cmd, int status, const char *out, struct err *err)
{
        _cleanup_json_ json_object *o = out ? json_tokener_parse(out) : NULL;
        const char *msg = o ? record_str(o, "msg") : NULL, *details = o ? record_str(o, "details") : NULL;
        return err_set(err, -EIO, "network: CNI %s %s failed (status %d): %s%s%s", type, cmd, status,
                       msg ? msg : out && *out ? out : "no message", details ? ": " : "", details ? details : "");
}

/* Runs plugin conf["type"] with CNI_COMMAND=cmd; *ret (may be NULL) gets its stdout. */
static int cni_exec(json_object *conf, const char *cmd, const char *id, const char *netns, const char *ifname,
                    char **ret, struct err *err)
{
        const char *type = record_str(conf, "type");
        _cleanup_free_ char *path = NULL, *e_cmd = NULL, *e_id = NULL, *e_ns = NULL, *e_if = NULL;
        if (!type || plugin_path(type, &path) < 0)
                return err_set(err, -ENOENT, "network: no CNI plugin \"%s\" in %s (install containernetworking-plugins)",
                               type ? type : "?", CNI_PATH);
        if (asprintf(&e_cmd, "CNI_COMMAND=%s", cmd) < 0 || asprintf(&e_id, "CNI_CONTAINERID=%s", id) < 0 ||
            asprintf(&e_ns, "CNI_NETNS=%s", netns) < 0 || asprintf(&e_if, "CNI_IFNAME=%s", ifname) < 0)
                return err_errno(err, -ENOMEM, "network");
        char *env[] = { e_cmd, e_id, e_ns, e_if, "CNI_PATH=" CNI_PATH, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return err_errno(err, neg_errno(), "network: pipe");
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return err_errno(err, neg_errno(), "network: pipe");
        }
        pid_t pid = fork();
        if (pid == 0)
                plugin_child(path, in[0], out[1], env);
        close(in[0]);
        close(out[1]);
        const char *text = json_object_to_json_string_ext(conf, JSON_C_TO_STRING_PLAIN);
        bool wrote = pid > 0 && write_all(in[1], text, strlen(text)) >= 0;
        close(in[1]);
        _cleanup_free_ char *output = pid > 0 ? read_output(out[0]) : NULL;
        close(out[0]);
        if (pid < 0)
                return err_errno(err, neg_errno(), "network: fork");
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return plugin_error(type, cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1, output, err);
        if (ret)
                *ret = TAKE_PTR(output);
        return 0;
}

/* ---- the plugins' configs ---- */

static json_object *conf_new(const char *type)
{
        json_object *c = json_object_new_object();
        record_set_str(c, "cniVersion", CNI_VERSION);
        record_set_str(c, "name", "staple");
        record_set_str(c, "type", type);
        return c;
}

static json_object *bridge_conf(const char *runtime_root)
{
        json_object *c = conf_new("bridge"), *ipam = json_object_new_object(), *range = json_object_new_object(),
                    *set = json_object_new_array(), *ranges = json_object_new_array(),
                    *route = json_object_new_object(), *routes = json_object_new_array();
        _cleanup_free_ char *data = NULL;
        record_set_str(c, "bridge", NETWORK_BRIDGE);
        json_object_object_add(c, "isGateway", json_object_new_boolean(true));
        json_object_object_add(c, "ipMasq", json_object_new_boolean(true));
        json_object_object_add(c, "hairpinMode", json_object_new_boolean(true));
        record_set_str(ipam, "type", "host-local");
        record_set_str(range, "subnet", NETWORK_SUBNET);
        json_object_array_add(set, range);
        json_object_array_add(ranges, set);
        json_object_object_add(ipam, "ranges", ranges);
        record_set_str(route, "dst", "0.0.0.0/0");
        json_object_array_add(routes, route);
        json_object_object_add(ipam, "routes", routes);
        if (asprintf(&data, "%s/cni", runtime_root) >= 0)
                record_set_str(ipam, "dataDir", data);
        json_object_object_add(c, "ipam", ipam);
        return c;
}

/* portmap with the -p mappings as runtimeConfig and the bridge's result as prevResult. */
static json_object *portmap_conf(json_object *net, json_object *prev)
{
        json_object *c = conf_new("portmap"), *caps = json_object_new_object(), *rc = json_object_new_object(),
                    *maps = json_object_new_array(), *ports = NULL;
        json_object_object_add(caps, "portMappings", json_object_new_boolean(true));
        json_object_object_add(c, "capabilities", caps);
        json_object_object_get_ex(net, "ports", &ports);
        for (size_t i = 0; ports && i < json_object_array_length(ports); i++) {
                json_object *p = json_object_array_get_idx(ports, i), *m = json_object_new_object();
                record_set_int(m, "hostPort", record_int(p, "host_port", 0));
                record_set_int(m, "containerPort", record_int(p, "container_port", 0));
                record_set_str(m, "protocol", record_str(p, "protocol"));
                if (record_str(p, "host_ip") && *record_str(p, "host_ip"))
                        record_set_str(m, "hostIP", record_str(p, "host_ip"));
                json_object_array_add(maps, m);
        }
        json_object_object_add(rc, "portMappings", maps);
        json_object_object_add(c, "runtimeConfig", rc);
        if (prev)
                json_object_object_add(c, "prevResult", json_object_get(prev));
        return c;
}

static bool has_ports(json_object *net)
{
        json_object *ports = NULL;
        return json_object_object_get_ex(net, "ports", &ports) && json_object_array_length(ports) > 0;
}

/* The first address of a CNI result, without its prefix length. */
static char *result_ip(json_object *res)
{
        json_object *ips = NULL;
        if (!res || !json_object_object_get_ex(res, "ips", &ips) || json_object_array_length(ips) == 0)
                return NULL;
        const char *a = record_str(json_object_array_get_idx(ips, 0), "address");
        return a ? strndup(a, strcspn(a, "/")) : NULL;
}

/* ---- up and down ---- */

static int dir_path(const char *dir, const char *name, char **ret)
{
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

static int bridge_up(const char *runtime_root, const char *id, const char *dir, json_object *net, const char *ns,
                     char **ret_ip, struct err *err)
{
        _cleanup_json_ json_object *lo = conf_new("loopback"), *br = bridge_conf(runtime_root), *res = NULL,
                                   *pm = NULL;
        _cleanup_free_ char *out = NULL, *saved = NULL;
        int r = cni_exec(lo, "ADD", id, ns, "lo", NULL, err);
        if (r < 0 || (r = cni_exec(br, "ADD", id, ns, "eth0", &out, err)) < 0)
                return r;
        if (dir_path(dir, CNI_RESULT_FILE, &saved) < 0 ||
            (r = write_file_atomic_at(AT_FDCWD, saved, out, strlen(out), 0600)) < 0)
                return err_errno(err, r < 0 ? r : -ENOMEM, "network: keep the CNI result in %s", dir);
        if (!(res = json_tokener_parse(out)))
                return err_set(err, -EBADMSG, "network: the bridge plugin's result is not JSON");
        if (has_ports(net) && (r = cni_exec(pm = portmap_conf(net, res), "ADD", id, ns, "eth0", NULL, err)) < 0)
                return r;
        if (ret_ip)
                *ret_ip = result_ip(res);
        return 0;
}

int network_up(const char *runtime_root, const char *id, const char *dir, json_object *net, char **ret_ip,
               struct err *err)
{
        if (strcmp(network_mode(net), "bridge"))
                return 0;
        _cleanup_free_ char *ns = NULL, *nsdir = NULL;
        if (network_netns_path(runtime_root, id, &ns) < 0 || asprintf(&nsdir, "%s/netns", runtime_root) < 0)
                return err_errno(err, -ENOMEM, "network");
        int r = mkdir_p_at(AT_FDCWD, nsdir, 0700);
        if (r < 0)
                return err_errno(err, r, "create %s", nsdir);
        if ((r = netns_create(ns, err)) < 0)
                return r;
        if ((r = bridge_up(runtime_root, id, dir, net, ns, ret_ip, err)) < 0)
                network_down(runtime_root, id, dir, net, &(struct err){ 0 });
        return r;
}

int network_down(const char *runtime_root, const char *id, const char *dir, json_object *net, struct err *err)
{
        if (strcmp(network_mode(net), "bridge"))
                return 0;
        _cleanup_free_ char *ns = NULL, *saved = NULL, *text = NULL;
        if (network_netns_path(runtime_root, id, &ns) < 0 || dir_path(dir, CNI_RESULT_FILE, &saved) < 0)
                return err_errno(err, -ENOMEM, "network");
        _cleanup_json_ json_object *res = read_file_at(AT_FDCWD, saved, &text, NULL) >= 0 ? json_tokener_parse(text)
                                                                                          : NULL;
        _cleanup_json_ json_object *pm = has_ports(net) ? portmap_conf(net, res) : NULL, *br = bridge_conf(runtime_root),
                                   *lo = conf_new("loopback");
        struct err first = { 0 }, e = { 0 };
        /* DEL in the reverse order of ADD; each one even when an earlier one failed */
        if (pm && cni_exec(pm, "DEL", id, ns, "eth0", NULL, &e) < 0 && !first.code)
                first = e;
        if (cni_exec(br, "DEL", id, ns, "eth0", NULL, &e) < 0 && !first.code)
                first = e;
        if (access(ns, F_OK) == 0 && cni_exec(lo, "DEL", id, ns, "lo", NULL, &e) < 0 && !first.code)
                first = e;
        if (netns_remove(ns, &e) < 0 && !first.code)
                first = e;
        if (unlink(saved) < 0 && errno != ENOENT && !first.code)
                err_errno(&first, neg_errno(), "remove %s", saved);
        if (first.code) {
                *err = first;
                return first.code;
        }
        return 0;
}

/* ---- the bundle ---- */

int network_spec(const char *runtime_root, const char *id, const char *dir, json_object *net, json_object *cfg,
                 struct err *err)
{
        const char *mode = network_mode(net);
        _cleanup_free_ char *ns = NULL;
        if (network_netns_path(runtime_root, id, &ns) < 0)
                return err_errno(err, -ENOMEM, "network");
        json_object *lnx = NULL, *nss = NULL;
        if (!json_object_object_get_ex(cfg, "linux", &lnx) || !json_object_object_get_ex(lnx, "namespaces", &nss) ||
            !json_object_is_type(nss, json_type_array))
                return err_set(err, -EBADMSG, "the config of %s has no linux.namespaces", dir);
        for (size_t i = json_object_array_length(nss); i-- > 0;) {
                json_object *n = json_object_array_get_idx(nss, i);
                const char *type = record_str(n, "type");
                if (!type || strcmp(type, "network"))
                        continue;
                if (!strcmp(mode, "host"))
                        json_object_array_del_idx(nss, i, 1);
                else if (!strcmp(mode, "bridge"))
                        record_set_str(n, "path", ns);
        }
        return etc_files_bundle(dir, cfg, mode, err);
}

/* ---- from the record ---- */

int network_start(const char *runtime_root, const char *id, const char *dir, struct err *err)
{
        _cleanup_json_ json_object *rec = NULL;
        int r = record_read(dir, &rec);
        if (r < 0)
                return err_errno(err, r, "read the record of %s", dir);
        json_object *net = NULL;
        if (!json_object_object_get_ex(rec, "network", &net) || strcmp(network_mode(net), "bridge"))
                return 0;
        _cleanup_free_ char *ip = NULL;
        if ((r = network_up(runtime_root, id, dir, net, &ip, err)) < 0)
                return r;
        record_set_str(rec, "ip_address", ip);
        if ((ip && (r = etc_hosts_set_ip(dir, ip, err)) < 0) || (r = record_write(dir, rec, err)) < 0)
                network_down(runtime_root, id, dir, net, &(struct err){ 0 });
        return r;
}

int network_stop(const char *runtime_root, const char *id, const char *dir, struct err *err)
{
        _cleanup_json_ json_object *rec = NULL;
        json_object *net = NULL;
        if (record_read(dir, &rec) < 0 || !json_object_object_get_ex(rec, "network", &net))
                return 0;
        return network_down(runtime_root, id, dir, net, err);
}
