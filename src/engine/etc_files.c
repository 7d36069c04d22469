/* etc_files.c: /etc/hostname, /etc/hosts and /etc/resolv.conf of engine containers. */
#include "engine/etc_files.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/record.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define HOSTS_LOCAL "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
#define RESOLV_FALLBACK "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" /* docker's, when none is left */

/* Writes text to dir/name in place (O_TRUNC, never renamed: a bind mount pins the inode). */
static int put(const char *dir, const char *name, const char *text, struct err *err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return err_errno(err, -ENOMEM, "write %s/%s", dir, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
                return err_errno(err, neg_errno(), "write %s", path);
        return 0;
}

static bool loopback_server(const char *line)
{
        return !strncmp(line, "nameserver", 10) &&
               (strstr(line, " 127.") || strstr(line, "\t127.") || strstr(line, " ::1") || strstr(line, "\t::1"));
}

/* The host's resolv.conf; for the bridge without loopback servers (a fallback if none is left). */
static char *resolv_conf(bool bridge)
{
        _cleanup_free_ char *host = NULL;
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                return NULL;
        bool server = false;
        if (read_file_at(AT_FDCWD, "/etc/resolv.conf", &host, NULL) >= 0) {
                char *save = NULL;
                for (char *l = strtok_r(host, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        if (bridge && loopback_server(l))
                                continue;
                        server |= !strncmp(l, "nameserver", 10);
                        fprintf(f, "%s\n", l);
                }
        }
        if (bridge && !server)
                fputs(RESOLV_FALLBACK, f);
        return fclose(f) == 0 ? out : (free(out), NULL);
}

static void add_mount(json_object *mounts, const char *dest, const char *src)
{
        json_object *m = json_object_new_object(), *opts = json_object_new_array();
        record_set_str(m, "destination", dest);
        record_set_str(m, "type", "bind");
        record_set_str(m, "source", src);
        json_object_array_add(opts, json_object_new_string("rbind"));
        json_object_array_add(opts, json_object_new_string("rprivate"));
        json_object_object_add(m, "options", opts);
        json_object_array_add(mounts, m);
}

int etc_files_bundle(const char *dir, json_object *cfg, const char *mode, struct err *err)
{
        const char *hostname = record_str(cfg, "hostname");
        _cleanup_free_ char *hn = NULL, *hosts = NULL, *resolv = resolv_conf(!strcmp(mode, "bridge"));
        if (!strcmp(mode, "host") && read_file_at(AT_FDCWD, "/etc/hosts", &hosts, NULL) < 0)
                hosts = NULL;
        if ((!hosts && !(hosts = strdup(HOSTS_LOCAL))) || !resolv ||
            asprintf(&hn, "%s\n", hostname ? hostname : "") < 0)
                return err_errno(err, -ENOMEM, "/etc files of %s", dir);
        int r;
        if ((r = put(dir, "hostname", hn, err)) < 0 || (r = put(dir, "hosts", hosts, err)) < 0 ||
            (r = put(dir, "resolv.conf", resolv, err)) < 0)
                return r;
        json_object *mounts = NULL;
        if (!json_object_object_get_ex(cfg, "mounts", &mounts) || !json_object_is_type(mounts, json_type_array))
                return err_set(err, -EBADMSG, "the config of %s has no mounts", dir);
        static const char *const names[] = { "hostname", "hosts", "resolv.conf" };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *src = NULL, *dest = NULL;
                if (asprintf(&src, "%s/%s", dir, names[i]) < 0 || asprintf(&dest, "/etc/%s", names[i]) < 0)
                        return err_errno(err, -ENOMEM, "/etc files of %s", dir);
                add_mount(mounts, dest, src);
        }
        return 0;
}

int etc_hosts_set_ip(const char *dir, const char *ip, struct err *err)
{
        _cleanup_free_ char *path = NULL, *hn = NULL, *text = NULL;
        if (asprintf(&path, "%s/hostname", dir) < 0)
                return err_errno(err, -ENOMEM, "hosts of %s", dir);
        int r = read_file_at(AT_FDCWD, path, &hn, NULL);
        if (r < 0)
                return err_errno(err, r, "read %s", path);
        hn[strcspn(hn, "\n")] = '\0';
        if (asprintf(&text, HOSTS_LOCAL "%s\t%s\n", ip, hn) < 0)
                return err_errno(err, -ENOMEM, "hosts of %s", dir);
        return put(dir, "hosts", text, err);
}
