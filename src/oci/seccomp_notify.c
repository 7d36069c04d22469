#include "oci/seccomp_notify.h"

#include <json-c/json.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fileutil.h"

bool seccomp_notify_wanted(const struct spec_seccomp *sc)
{
        if (!sc || !sc->listener_path)
                return false;
        for (size_t i = 0; i < sc->n_syscalls; i++)
                if (sc->syscalls[i].action == SCMP_ACT_NOTIFY)
                        return true;
        return false;
}

int seccomp_notify_connect(const struct spec_seccomp *sc, int *ret_fd, struct err *err)
{
        *ret_fd = -1;
        if (!seccomp_notify_wanted(sc))
                return 0;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(sc->listener_path) >= sizeof(sa.sun_path))
                return err_set(err, -ENAMETOOLONG, "seccomp listenerPath %s is too long", sc->listener_path);
        strcpy(sa.sun_path, sc->listener_path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_errno(err, neg_errno(), "seccomp listener socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return err_errno(err, neg_errno(), "connect to seccomp listenerPath %s", sc->listener_path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

/* runtime-spec runtime.md / config-linux.md: the containerProcessState document. */
static int build_payload(const struct spec_seccomp *sc, const char *state_json, json_object **ret,
                         struct err *err)
{
        json_object *state = json_tokener_parse(state_json);
        if (!state)
                return err_set(err, -EINVAL, "seccomp agent: container state is not valid JSON");
        json_object *v = NULL, *pid = NULL;
        json_object *doc = json_object_new_object();
        json_object *fds = json_object_new_array();
        json_object_array_add(fds, json_object_new_string("seccompFd"));
        json_object_object_get_ex(state, "ociVersion", &v);
        json_object_object_get_ex(state, "pid", &pid);
        json_object_object_add(doc, "ociVersion", v ? json_object_get(v) : json_object_new_string("1.0.2"));
        json_object_object_add(doc, "fds", fds);
        json_object_object_add(doc, "pid", pid ? json_object_get(pid) : json_object_new_int(0));
        json_object_object_add(doc, "metadata",
                               json_object_new_string(sc->listener_metadata ? sc->listener_metadata : ""));
        json_object_object_add(doc, "state", state);
        *ret = doc;
        return 0;
}

int seccomp_notify_send(int sock, int notify_fd, const struct spec_seccomp *sc, const char *state_json,
                        struct err *err)
{
        _cleanup_(json_putp) json_object *doc = NULL;
        int r = build_payload(sc, state_json, &doc, err);
        if (r < 0)
                return r;
        const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
        size_t len = strlen(text);
        ssize_t n = fdpass_send(sock, notify_fd, text, len);
        if (n < 0)
                return err_errno(err, (int)n, "send seccomp fd to %s", sc->listener_path);
        if ((size_t)n != len)
                return err_set(err, -EPIPE, "send seccomp fd to %s: short write", sc->listener_path);
        return 0;
}
