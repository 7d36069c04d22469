/* cgroup_bpf.c: cgroup v2 device control. v2 has no devices.allow/deny files; the
 * kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup instead.
 * We write that program's instructions ourselves from the rule list (no libbpf). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/cgroup_internal.h"
#include "util/cleanup.h"

#define BPF_RULES_MAX 4096
#define BPF_PROLOGUE_LEN 6
#define BPF_RULE_LEN_MAX 8
#define BPF_OLD_PROGS_MAX 64
#define BPF_LOG_SIZE 4096

/* The program's registers: r2 device type, r3 requested access, r4 major, r5 minor. */
enum { R0, R1, R2, R3, R4, R5 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
                                  .imm = imm };
}

size_t cgroup_bpf_insn_max(size_t n_rules)
{
        return BPF_PROLOGUE_LEN + n_rules * BPF_RULE_LEN_MAX + 2;
}

static int32_t access_bits(const char *access)
{
        int32_t bits = 0;
        for (const char *p = access[0] ? access : "rwm"; *p; p++)
                bits |= *p == 'r' ? BPF_DEVCG_ACC_READ : *p == 'w' ? BPF_DEVCG_ACC_WRITE
                                                                  : BPF_DEVCG_ACC_MKNOD;
        return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* One rule: every test that fails jumps past the rule's "return verdict". An allow
 * rule matches when the request is within its access; a deny rule when they overlap. */
static size_t emit_rule(const struct spec_device_rule *d, struct bpf_insn *out)
{
        int32_t acc = access_bits(d->access);
        /* type 'a' is every device whatever the numbers say (as v1's "a") */
        bool check_type = d->type != 'a', check_acc = acc != ACC_ALL;
        bool check_major = check_type && d->major >= 0, check_minor = check_type && d->minor >= 0;
        size_t len = (check_type ? 1 : 0) + (check_acc ? 3 : 0) + (check_major ? 1 : 0) +
                     (check_minor ? 1 : 0) + 2;
        size_t i = 0;
        /* a jump at index i skips the len - i - 1 instructions after it */
#define SKIP ((int16_t)(len - i - 1))
        if (check_type) {
                int32_t t = d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
                out[i] = insn(BPF_JMP32 | BPF_JNE | BPF_K, R2, 0, SKIP, t), i++;
        }
        if (check_acc) {
                out[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, R1, R3, 0, 0);
                out[i++] = insn(BPF_ALU64 | BPF_AND | BPF_K, R1, 0, 0, d->allow ? ~acc & ACC_ALL : acc);
                out[i] = insn(BPF_JMP32 | (d->allow ? BPF_JNE : BPF_JEQ) | BPF_K, R1, 0, SKIP, 0), i++;
        }
        if (check_major)
                out[i] = insn(BPF_JMP32 | BPF_JNE | BPF_K, R4, 0, SKIP, (int32_t)(uint32_t)d->major), i++;
        if (check_minor)
                out[i] = insn(BPF_JMP32 | BPF_JNE | BPF_K, R5, 0, SKIP, (int32_t)(uint32_t)d->minor), i++;
#undef SKIP
        out[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, d->allow ? 1 : 0);
        out[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return i;
}

static bool rule_matches_all(const struct spec_device_rule *d)
{
        return d->type == 'a' && access_bits(d->access) == ACC_ALL;
}

size_t cgroup_bpf_devices_program(const struct spec_device_rule *rules, size_t n,
                                  struct bpf_insn *out)
{
        size_t i = 0;
        /* struct bpf_cgroup_dev_ctx: access_type = access << 16 | type; major; minor */
        out[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
        out[i++] = insn(BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
        out[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R3, R1, 0, 0);
        out[i++] = insn(BPF_ALU64 | BPF_RSH | BPF_K, R3, 0, 0, 16);
        out[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
        out[i++] = insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);
        /* the last matching rule wins: test them from the end; a rule that matches
         * everything ends the program (the verifier refuses unreachable code) */
        for (size_t k = n; k-- > 0;) {
                i += emit_rule(&rules[k], out + i);
                if (rule_matches_all(&rules[k]))
                        return i;
        }
        /* no rule matched: allow, as a fresh v1 devices cgroup does */
        out[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
        out[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return i;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? neg_errno() : (int)r;
}

static int prog_load(const struct bpf_insn *prog, size_t n, struct err *err)
{
        static const char license[] = "Apache-2.0";
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)prog;
        attr.insn_cnt = (uint32_t)n;
        attr.license = (uint64_t)(uintptr_t)license;
        int fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        if (fd != -EACCES && fd != -EINVAL)
                return err_errno(err, fd, "load the cgroup device program (bpf)");
        /* ask again with the verifier's log, for a message that says why */
        _cleanup_free_ char *log = calloc(1, BPF_LOG_SIZE);
        if (log) {
                attr.log_buf = (uint64_t)(uintptr_t)log;
                attr.log_size = BPF_LOG_SIZE;
                attr.log_level = 1;
                (void)sys_bpf(BPF_PROG_LOAD, &attr);
                log[strcspn(log, "\n")] = '\0';
        }
        return err_errno(err, fd, "load the cgroup device program (bpf%s%s)", log && *log ? ": " : "",
                         log ? log : "");
}

/* The ids of the device programs attached to the cgroup itself (not inherited). */
static int prog_query(int cgroup_fd, uint32_t *ids, uint32_t *n, struct err *err)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgroup_fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
        attr.query.prog_cnt = *n;
        int r = sys_bpf(BPF_PROG_QUERY, &attr);
        if (r < 0)
                return err_errno(err, r, "query the cgroup's device programs (bpf)");
        *n = attr.query.prog_cnt < *n ? attr.query.prog_cnt : *n;
        return 0;
}

static int prog_attach(int cmd, int cgroup_fd, int prog_fd, uint32_t flags)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = flags;
        return sys_bpf(cmd, &attr);
}

static int prog_detach_id(int cgroup_fd, uint32_t id, struct err *err)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd == -ENOENT)
                return 0; /* gone already */
        if (fd < 0)
                return err_errno(err, fd, "open device program %u (bpf)", id);
        int r = prog_attach(BPF_PROG_DETACH, cgroup_fd, fd, 0);
        if (r < 0 && r != -ENOENT)
                return err_errno(err, r, "detach old device program %u (bpf)", id);
        return 0;
}

int cgroup_bpf_devices_apply(int cgroup_fd, const struct spec_device_rule *rules, size_t n,
                             struct err *err)
{
        if (n > BPF_RULES_MAX)
                return err_set(err, -E2BIG, "more than %d device rules", BPF_RULES_MAX);
        _cleanup_free_ struct bpf_insn *prog = calloc(cgroup_bpf_insn_max(n), sizeof(*prog));
        if (!prog)
                return err_set(err, -ENOMEM, "out of memory");
        size_t len = cgroup_bpf_devices_program(rules, n, prog);
        uint32_t old[BPF_OLD_PROGS_MAX], n_old = BPF_OLD_PROGS_MAX;
        int r = prog_query(cgroup_fd, old, &n_old, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = prog_load(prog, len, err);
        if (fd < 0)
                return fd;
        /* attach first, then detach: while both are there, both must allow (no gap) */
        r = prog_attach(BPF_PROG_ATTACH, cgroup_fd, fd, BPF_F_ALLOW_MULTI);
        if (r < 0)
                return err_errno(err, r, "attach the device program to the cgroup (bpf)");
        for (uint32_t i = 0; i < n_old; i++)
                if ((r = prog_detach_id(cgroup_fd, old[i], err)) < 0)
                        return r;
        return 0;
}
