/* run.h: the engine: images in a store, containers made from them and run in the
 * foreground through the runtime library. No daemon: every call opens the store, holds
 * its lock while it reads or changes it, and lets go before a container runs.
 *   <root>/containers/<id>/  container.json (record), rootfs (snapshot), config.json */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/bundle.h"
#include "util/err.h"

#define ENGINE_DEFAULT_RUNTIME_ROOT "/run/staple"

struct json_object;
struct health_opts;

struct engine {
        const char *root;          /* the image store, default STORE_DEFAULT_ROOT */
        const char *runtime_root;  /* staple-oci state, default ENGINE_DEFAULT_RUNTIME_ROOT */
};

struct run_mode {
        bool rm;             /* remove the container once it has ended for good */
        bool detach;         /* start it under a monitor (monitor.h) and return */
        const char *restart; /* restart policy, detached only; NULL: "no" */
        const struct health_opts *health; /* --health-* flags, detached only; may be NULL */
        const char *network; /* --network none|host|bridge; NULL: none */
        char **ports;        /* -p values (NULL-terminated; may be NULL) */
        char **labels;       /* "k=v" (NULL-terminated; may be NULL): the record's "labels" */
};

/* staple run: image -> snapshot -> bundle -> container_run -> exit code. With rm the
 * container's directory is removed afterwards (and on any error); without, it stays
 * (rootfs unmounted) for engine_rm. o->name may be NULL; o->cmd etc. as in bundle.h.
 * Detached, it returns once the container runs (*ret_exit_code 0). *ret_id (may be NULL):
 * the new container's id, set once it exists. */
int engine_run(const struct engine *e, const char *image, const struct run_opts *o, const struct run_mode *m,
               int *ret_exit_code, char **ret_id, struct err *err);

struct engine_container {
        char *id, *name, *image, *image_digest, *created, *status;
        char *health; /* a running container's health check status, or NULL */
        int exit_code;
        char **labels; /* "k=v", NULL-terminated (never NULL) */
};
int engine_containers(const struct engine *e, struct engine_container **ret, size_t *ret_n, struct err *err);
void engine_containers_free(struct engine_container *c, size_t n);

/* Removes a stopped container (id, unique id prefix or name); force kills a running one. */
int engine_rm(const struct engine *e, const char *ref, bool force, char **ret_id, struct err *err);

struct engine_image {
        char *repository, *tag, *digest, *created;
        uint64_t size;
};
int engine_images(const struct engine *e, struct engine_image **ret, size_t *ret_n, struct err *err);
void engine_images_free(struct engine_image *img, size_t n);

/* Untags ref (refusing while a container uses the image, unless force); when no tag is
 * left the image's data is pruned. *ret_deleted: the manifest digest if it went. */
int engine_rmi(const struct engine *e, const char *ref, bool force, char **ret_deleted, struct err *err);
int engine_image_inspect(const struct engine *e, const char *ref, struct json_object **ret, struct err *err);
int engine_image_prune(const struct engine *e, size_t *ret_freed, struct err *err);
/* progress (may be NULL) is called per layer as it is unpacked (see store_set_progress). */
int engine_load(const struct engine *e, const char *path, store_progress_fn progress, void *userdata,
                char ***ret_refs, struct err *err);
int engine_import(const struct engine *e, const char *tar_path, const char *ref, struct err *err);

/* staple save -o FILE IMAGE: a docker-archive that podman load and docker load read. */
int engine_save(const struct engine *e, const char *ref, const char *out_path, struct err *err);
/* staple pull / push through image/registry.h (o may be NULL); *ret_digest: manifest digest. */
struct registry_opts;
int engine_pull(const struct engine *e, const char *ref, const struct registry_opts *o, char **ret_digest,
                struct err *err);
int engine_push(const struct engine *e, const char *src, const char *dest, const struct registry_opts *o,
                char **ret_digest, struct err *err);

/* Shared with images.c: <root>/containers[/<id>] (-ENOMEM only); the diff-ids every
 * container's snapshot uses (NULL-terminated, caller frees); the id of a container made
 * from the image with that manifest digest, or NULL when none is. */
int engine_dir(const struct engine *e, const char *id, char **ret);
int engine_layers_in_use(const struct engine *e, char ***ret, struct err *err);
int engine_image_user(const struct engine *e, const char *digest, char **ret_id, struct err *err);
/* Mounts dir's snapshot again over the layers of the image with that manifest digest. */
int engine_remount(const struct engine *e, const char *dir, const char *digest, struct err *err);
