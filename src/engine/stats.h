/* stats.h: `staple stats`: a sample of each container's CPU, memory, pids and block I/O,
 * read through the runtime library's cgroup statistics (two readings, interval_ms apart,
 * for the CPU rate). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/run.h"
#include "util/err.h"

struct engine_stat {
        char id[65];
        char *name;
        bool running;           /* false: every number below is 0 */
        double cpu_percent;     /* CPU time over wall-clock time; 100 = one full CPU */
        uint64_t mem_usage;     /* usage minus inactive file cache, bytes */
        uint64_t mem_limit;     /* config.json's memory limit, else the host's RAM */
        double mem_percent;
        uint64_t pids;
        uint64_t block_read, block_write; /* bytes */
        uint64_t net_rx, net_tx;          /* bytes, every interface but lo */
};

/* One sample of the containers refs[0..n) (ids, unique id prefixes or names; an unknown
 * one is an error) or, when n is 0, of the running containers (all: every container).
 * A stopped container gets a row of zeros. Takes two readings interval_ms apart (and
 * waits as long when there is no container); -EINTR when a signal cut the wait short. *ret (sorted by name) is freed with
 * engine_stats_free. */
int engine_stats(const struct engine *e, char **refs, size_t n, bool all, unsigned interval_ms,
                 struct engine_stat **ret, size_t *ret_n, struct err *err);
void engine_stats_free(struct engine_stat *s, size_t n);
