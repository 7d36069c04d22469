/* record.c: container records of the engine, read, written, walked and looked up. */
#include "engine/record.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

#define RECORD_FILE "container.json"

void record_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

int record_write(const char *dir, json_object *rec, struct err *err)
{
        const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY);
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/" RECORD_FILE, dir) < 0)
                return err_errno(err, -ENOMEM, "record %s", dir);
        int r = write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600);
        if (r < 0)
                return err_errno(err, r, "write %s", path);
        return 0;
}

int record_read(const char *dir, json_object **ret)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        if (asprintf(&path, "%s/" RECORD_FILE, dir) < 0)
                return -ENOMEM;
        int r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r;
        json_object *o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object)) {
                record_putp(&o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

const char *record_str(json_object *rec, const char *key)
{
        json_object *v = NULL;
        return json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

int record_int(json_object *rec, const char *key, int def)
{
        json_object *v = NULL;
        return json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_int)
                       ? json_object_get_int(v)
                       : def;
}

void record_set_str(json_object *rec, const char *key, const char *val)
{
        json_object_object_add(rec, key, json_object_new_string(val ? val : ""));
}

void record_set_int(json_object *rec, const char *key, int val)
{
        json_object_object_add(rec, key, json_object_new_int(val));
}

char *record_now(void)
{
        char buf[64];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
        snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
        return strdup(buf);
}

int record_update(const char *dir, const char *status, int pid, int exit_code, struct err *err)
{
        _cleanup_json_ json_object *rec = NULL;
        int r = record_read(dir, &rec);
        if (r < 0)
                return err_errno(err, r, "read the record of %s", dir);
        _cleanup_free_ char *now = record_now();
        record_set_str(rec, "status", status);
        record_set_int(rec, "pid", pid);
        if (!strcmp(status, "running"))
                record_set_str(rec, "started_at", now);
        if (exit_code >= 0) {
                record_set_int(rec, "exit_code", exit_code);
                record_set_str(rec, "finished_at", now);
        }
        return record_write(dir, rec, err);
}

int records_foreach(const struct engine *e, int (*fn)(const char *id, json_object *rec, void *u), void *u,
                    struct err *err)
{
        _cleanup_free_ char *cdir = NULL;
        if (engine_dir(e, NULL, &cdir) < 0)
                return err_errno(err, -ENOMEM, "containers");
        _cleanup_closedir_ DIR *d = opendir(cdir);
        if (!d && errno == ENOENT)
                return 0;
        if (!d)
                return err_errno(err, neg_errno(), "open %s", cdir);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = NULL;
                _cleanup_json_ json_object *rec = NULL;
                if (engine_dir(e, de->d_name, &dir) < 0)
                        return err_errno(err, -ENOMEM, "containers");
                if (record_read(dir, &rec) < 0)
                        continue;
                int r = fn(de->d_name, rec, u);
                if (r != 0)
                        return r;
        }
        return 0;
}

struct lookup {
        const char *ref;
        char *id;
        int matches;
};

static int match_ref(const char *id, json_object *rec, void *u)
{
        struct lookup *l = u;
        const char *name = record_str(rec, "name");
        bool exact = !strcmp(id, l->ref) || (name && !strcmp(name, l->ref));
        if (!exact && strncmp(id, l->ref, strlen(l->ref)))
                return 0;
        free(l->id);
        if (!(l->id = strdup(id)))
                return -ENOMEM;
        l->matches = exact ? 1 : l->matches + 1;
        return exact ? 1 : 0;
}

int record_lookup(const struct engine *e, const char *ref, char **ret_id, struct err *err)
{
        struct lookup l = { .ref = ref };
        int r = *ref ? records_foreach(e, match_ref, &l, err) : 0;
        if (r < 0) {
                free(l.id);
                return r == -ENOMEM ? err_errno(err, r, "containers") : r;
        }
        if (l.matches != 1) {
                free(l.id);
                return err_set(err, l.matches ? -EEXIST : -ENOENT, "%s: no such container%s", ref,
                               l.matches ? " (ambiguous prefix)" : "");
        }
        *ret_id = l.id;
        return 0;
}
