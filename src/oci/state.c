#include "oci/state.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cgroup.h"
#include "util/cleanup.h"
#include "util/fileutil.h"

#define STATE_FILE "state.json"
#define STATE_OCI_VERSION "1.2.0"

int state_validate_id(const char *id, struct err *err)
{
        size_t n = strlen(id);
        if (n == 0 || n > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
                return err_set(err, -EINVAL, "invalid container id \"%s\"", id);
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p))
                        return err_set(err, -EINVAL,
                                       "invalid container id \"%s\": only letters, digits and _+.- are allowed", id);
        return 0;
}

static int open_dir(int rootfd, const char *id, bool lock, int *ret_dirfd, struct err *err)
{
        _cleanup_close_ int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return err_set(err, -ENOENT, "container %s does not exist", id);
                return err_errno(err, neg_errno(), "open state of %s", id);
        }
        while (lock && flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return err_errno(err, neg_errno(), "lock state of %s", id);
        *ret_dirfd = TAKE_FD(fd);
        return 0;
}

int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct err *err)
{
        int r = mkdir_p_at(AT_FDCWD, root, 0700);
        if (r < 0)
                return err_errno(err, r, "create runtime root %s", root);
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_errno(err, neg_errno(), "open runtime root %s", root);
        if (mkdirat(rootfd, id, 0700) < 0) {
                if (errno == EEXIST)
                        return err_set(err, -EEXIST, "container %s already exists", id);
                return err_errno(err, neg_errno(), "create state directory %s/%s", root, id);
        }
        return open_dir(rootfd, id, true, ret_dirfd, err);
}

int state_dir_open(const char *root, const char *id, bool lock, int *ret_dirfd, struct err *err)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                if (errno == ENOENT)
                        return err_set(err, -ENOENT, "container %s does not exist", id);
                return err_errno(err, neg_errno(), "open runtime root %s", root);
        }
        return open_dir(rootfd, id, lock, ret_dirfd, err);
}

int state_dir_remove(const char *root, const char *id, struct err *err)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return errno == ENOENT ? 0 : err_errno(err, neg_errno(), "open runtime root %s", root);
        int r = rm_rf_at(rootfd, id);
        if (r < 0)
                return err_errno(err, r, "remove state directory %s/%s", root, id);
        return 0;
}

static void add_string(json_object *o, const char *key, const char *value)
{
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *state_to_object(const struct state *st, const char *status)
{
        json_object *o = json_object_new_object();
        add_string(o, "ociVersion", STATE_OCI_VERSION);
        add_string(o, "id", st->id);
        add_string(o, "status", status);
        if (st->pid > 0 && strcmp(status, "stopped"))
                json_object_object_add(o, "pid", json_object_new_int(st->pid));
        add_string(o, "bundle", st->bundle);
        add_string(o, "rootfs", st->rootfs);
        add_string(o, "created", st->created);
        json_object_object_add(o, "owner", json_object_new_int64(st->owner));
        if (st->annotations)
                json_object_object_add(o, "annotations", json_object_get(st->annotations));
        return o;
}

int state_write(int dirfd, const struct state *st, struct err *err)
{
        json_object *o = state_to_object(st, "created");
        json_object_object_add(o, "startTime", json_object_new_uint64(st->start_time));
        add_string(o, "cgroupPath", st->cgroup_path);
        if (st->hooks)
                json_object_object_add(o, "hooks", json_object_get(st->hooks));
        if (st->creating)
                json_object_object_add(o, "creating", json_object_new_boolean(1));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        int r = write_file_atomic_at(dirfd, STATE_FILE, text, strlen(text), 0600);
        json_object_put(o);
        if (r < 0)
                return err_errno(err, r, "write %s", STATE_FILE);
        return 0;
}

static char *dup_string(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return strdup(json_object_get_string(v));
}

static json_object *get_ref(json_object *o, const char *key)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return json_object_get(v);
}

int state_read(int dirfd, struct state **ret, struct err *err)
{
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(dirfd, STATE_FILE, &text, NULL);
        if (r == -ENOENT)
                return err_set(err, -ENOENT, "container state is missing (still being created?)");
        if (r < 0)
                return err_errno(err, r, "read %s", STATE_FILE);
        json_object *o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return err_set(err, -EINVAL, "%s is corrupt", STATE_FILE);
        }
        struct state *st = calloc(1, sizeof(*st));
        if (!st) {
                json_object_put(o);
                return err_errno(err, -ENOMEM, "read state");
        }
        json_object *v;
        st->id = dup_string(o, "id");
        st->bundle = dup_string(o, "bundle");
        st->rootfs = dup_string(o, "rootfs");
        st->created = dup_string(o, "created");
        st->cgroup_path = dup_string(o, "cgroupPath");
        if (json_object_object_get_ex(o, "pid", &v))
                st->pid = json_object_get_int(v);
        if (json_object_object_get_ex(o, "startTime", &v))
                st->start_time = json_object_get_uint64(v);
        if (json_object_object_get_ex(o, "owner", &v))
                st->owner = (uid_t)json_object_get_int64(v);
        st->annotations = get_ref(o, "annotations");
        st->hooks = get_ref(o, "hooks");
        if (json_object_object_get_ex(o, "creating", &v))
                st->creating = json_object_get_boolean(v);
        json_object_put(o);
        if (!st->id || !st->bundle || st->pid <= 0) {
                state_free(st);
                return err_set(err, -EINVAL, "%s is corrupt", STATE_FILE);
        }
        *ret = st;
        return 0;
}

void state_free(struct state *st)
{
        if (!st)
                return;
        free(st->id);
        free(st->bundle);
        free(st->rootfs);
        free(st->cgroup_path);
        free(st->created);
        json_object_put(st->annotations);
        json_object_put(st->hooks);
        free(st);
}

int state_pid_start_time(pid_t pid, uint64_t *ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r;
        /* comm may hold spaces and parentheses: fields resume after the last ')' */
        char *p = strrchr(text, ')');
        if (!p || p[1] != ' ')
                return -EINVAL;
        char state_char = p[2];
        if (state_char == 'Z' || state_char == 'X')
                return -ESRCH;
        p += 2;
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EINVAL;
                p++;
        }
        *ret = strtoull(p, NULL, 10);
        return 0;
}

bool state_pid_alive(const struct state *st)
{
        uint64_t t;
        return st->pid > 0 && state_pid_start_time(st->pid, &t) >= 0 && t == st->start_time;
}

enum container_status state_status(int dirfd, const struct state *st)
{
        if (!state_pid_alive(st))
                return STATUS_STOPPED;
        if (st->creating)
                return STATUS_CREATING;
        if (faccessat(dirfd, STATE_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return STATUS_CREATED;
        struct cgroup *cg = NULL;
        struct err e = {0};
        if (st->cgroup_path && cgroup_open(st->cgroup_path, &cg, &e) >= 0) {
                bool frozen = cgroup_is_frozen(cg);
                cgroup_free(cg);
                if (frozen)
                        return STATUS_PAUSED;
        }
        return STATUS_RUNNING;
}

const char *state_status_name(enum container_status s)
{
        static const char *const names[] = {
                [STATUS_CREATING] = "creating",
                [STATUS_CREATED] = "created",
                [STATUS_RUNNING] = "running",
                [STATUS_PAUSED] = "paused",
                [STATUS_STOPPED] = "stopped",
        };
        return names[s];
}

char *state_to_json(const struct state *st, enum container_status status)
{
        json_object *o = state_to_object(st, state_status_name(status));
        char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}
