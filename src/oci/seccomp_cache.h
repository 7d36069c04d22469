/* seccomp_cache.h: compiled seccomp filters (classic BPF) kept under the runtime root, so a
 * profile is compiled by libseccomp once, not on every container start. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/spec.h"

/* Under --root. '@' cannot appear in a container id, so no container can collide with it
 * (and `list` skips it). */
#define SECCOMP_CACHE_DIR "@seccomp-cache"
#define SECCOMP_CACHE_MAGIC "STPLSBPF"
#define SECCOMP_CACHE_VERSION 1u
#define SECCOMP_CACHE_KEY_MAX (4u << 20)
/* Entries kept: a store beyond this removes the least recently used (by mtime, which a hit
 * renews), and temporary files left by crashed runtimes. */
#define SECCOMP_CACHE_MAX 64

/* An entry: this header, the key's bytes, then the program (n * sizeof(struct sock_filter)). */
struct seccomp_cache_header {
        char magic[8];
        uint32_t version;
        uint32_t key_len;
};

/* The key: the text of everything the compiled program depends on (versions of the cache,
 * staple and libseccomp, seccomp_api_get(), native arch, kernel release, the profile).
 * *ret (NUL-terminated) is owned by the caller. */
int seccomp_cache_key(const struct spec_seccomp *sc, char **ret, size_t *ret_len);

/* The cache directory root/SECCOMP_CACHE_DIR, created 0700 when missing. A negative errno
 * when it cannot be used: not a directory (a symlink), not ours, not exactly 0700. */
int seccomp_cache_open(const char *root);

/* 1 with the program (*ret owned by the caller) when the entry for key is valid, else 0:
 * every problem with an entry is a miss. A hit renews the entry's mtime. */
int seccomp_cache_lookup(int dirfd, const char *key, size_t key_len, struct sock_filter **ret,
                         size_t *ret_n);

/* Writes the entry for key atomically (temporary file, rename), then prunes the directory
 * down to SECCOMP_CACHE_MAX entries. A negative errno on failure, which callers ignore: a
 * full or read-only disk only means the next start compiles again. */
int seccomp_cache_store(int dirfd, const char *key, size_t key_len, const struct sock_filter *prog,
                        size_t n);
