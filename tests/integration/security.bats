#!/usr/bin/env bats
# Security: each test attacks a real container made from the default `spec` config and
# asserts that the attack fails and the host is unchanged (docs/security.md).

load helpers

# The helpers' setup and teardown, kept under other names: ours add the attack program
# and the rootless clean-up.
eval "$(declare -f setup | sed '1s/^setup/common_setup/')"
eval "$(declare -f teardown | sed '1s/^teardown/common_teardown/')"

ROOTLESS_USER=staple-rootless-test

# A static attack program: `staple-attack VERB [ARG...]` makes one syscall and prints "ok"
# or the errno's name (exit 0 / 1). Compiled once per file, copied into each bundle.
setup_file() {
	local src=$BATS_FILE_TMPDIR/staple-attack.c
	cat >"$src" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long r)
{
	const char *name = strerrorname_np(errno);
	if (r >= 0) {
		printf("ok\n");
		return 0;
	}
	printf("%s\n", name ? name : "E?");
	return 1;
}

static int child_fn(void *arg) { (void)arg; _exit(0); }

static long do_clone(unsigned long flags)
{
	static char stack[65536];
	long pid = clone(child_fn, stack + sizeof(stack), (int)(flags | SIGCHLD), NULL);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

int main(int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : "", *a = argc > 2 ? argv[2] : "";
	if (!strcmp(v, "finit_module")) {
		int fd = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
		return report(syscall(SYS_finit_module, fd, "", 0));
	}
	if (!strcmp(v, "init_module"))
		return report(syscall(SYS_init_module, "\177ELF", 4UL, ""));
	if (!strcmp(v, "mount"))
		return report(mount("tmpfs", a, "tmpfs", 0, NULL));
	if (!strcmp(v, "umount"))
		return report(umount2(a, MNT_DETACH));
	/* wrong magic numbers: the capability and seccomp checks come first (EPERM), then the
	 * magic check (EINVAL), so this reboots nothing even with every defence off */
	if (!strcmp(v, "reboot"))
		return report(syscall(SYS_reboot, 0, 0, 0, NULL));
	if (!strcmp(v, "sethostname"))
		return report(sethostname(a, strlen(a)));
	if (!strcmp(v, "ptrace"))
		return report(ptrace(PTRACE_ATTACH, (pid_t)atoi(a), 0, 0));
	if (!strcmp(v, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return report(syscall(SYS_keyctl, 0, -3, 0));
	if (!strcmp(v, "add_key"))
		return report(syscall(SYS_add_key, "user", "staple-test", "x", 1UL, -3));
	if (!strcmp(v, "unshare-user"))
		return report(unshare(CLONE_NEWUSER));
	if (!strcmp(v, "clone-newuser"))
		return report(do_clone(CLONE_NEWUSER));
	if (!strcmp(v, "clone-newns"))
		return report(do_clone(CLONE_NEWNS));
	if (!strcmp(v, "clone"))
		return report(do_clone(0));
	if (!strcmp(v, "clone3"))
		return report(syscall(SYS_clone3, NULL, 0UL));
	if (!strcmp(v, "bpf"))
		return report(syscall(SYS_bpf, 0, NULL, 0));
	if (!strcmp(v, "perf_event_open"))
		return report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	if (!strcmp(v, "mkdir"))
		return report(mkdir(a, 0755));
	if (!strcmp(v, "syscall"))
		return report(syscall(strtol(a, NULL, 0), 0, 0, 0));
	fprintf(stderr, "staple-attack: unknown verb %s\n", v);
	return 2;
}
EOF
	gcc -static -O2 -Wall -o "$BATS_FILE_TMPDIR/staple-attack" "$src" 2>&1 | grep -v 'statically linked' >&2
	[[ -x $BATS_FILE_TMPDIR/staple-attack ]]
}

setup() {
	common_setup
	install -m 0755 "$BATS_FILE_TMPDIR/staple-attack" "$BUNDLE/rootfs/bin/staple-attack"
}

teardown_file() {
	if [[ -e $BATS_FILE_TMPDIR/created-user ]]; then
		userdel "$ROOTLESS_USER" 2>/dev/null || true
	fi
}

teardown() {
	if [[ -n ${AGENT_PID:-} ]]; then kill "$AGENT_PID" 2>/dev/null || true; fi
	rootless_cleanup
	common_teardown
}

run_container() {
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
}

# attack "VERB ARG; VERB ARG; ...": runs the attack program once per verb in one container.
attack() {
	local script="" v
	IFS=';' read -ra verbs <<<"$1"
	for v in "${verbs[@]}"; do script+="staple-attack $v; "; done
	set_args sh -c "$script"
	run_container
}

# start_detached: run the container in the background (its stdio away from bats' pipes).
start_detached() {
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
}

no_seccomp() {
	update_config 'del(.linux.seccomp)'
}

# ---- the default profile ----------------------------------------------------------------

@test "spec: default seccomp profile: ENOSYS by default, EPERM for the dangerous, x86 arches" {
	local f=$BUNDLE/config.json
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and .linux.seccomp.defaultErrnoRet == 38' "$f"
	jq -e '.linux.seccomp.architectures | index("SCMP_ARCH_X86_64") and index("SCMP_ARCH_X86") and index("SCMP_ARCH_X32")' "$f"
	local denied
	denied=$(jq -r '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ERRNO" and .errnoRet == 1 and (.args|not)) | .names[]] | join(" ")' "$f")
	for s in finit_module init_module delete_module kexec_load reboot mount umount2 pivot_root \
		unshare setns ptrace process_vm_writev bpf perf_event_open keyctl add_key \
		open_by_handle_at sethostname syslog userfaultfd; do
		[[ " $denied " == *" $s "* ]] || { echo "$s is not denied" >&2; return 1; }
	done
	# and `spec --rootless` carries the same profile
	(cd "$TEST_TMP" && "$STAPLE_OCI" spec --rootless)
	cmp <(jq -S .linux.seccomp "$f") <(jq -S .linux.seccomp "$TEST_TMP/config.json")
}

@test "seccomp: clone with a namespace flag fails, plain clone works, clone3 is ENOSYS" {
	attack "clone; clone-newuser; clone-newns; unshare-user; clone3; syscall 1000"
	assert_equal "$(echo $output)" "ok EPERM EPERM EPERM ENOSYS ENOSYS"
}

# ---- the attacks --------------------------------------------------------------------------

@test "attack: loading a kernel module fails" {
	local before=""
	[[ -r /proc/modules ]] && before=$(cut -d' ' -f1 /proc/modules | sort | md5sum)
	echo 'not a module' >"$BUNDLE/rootfs/evil.ko"
	attack "finit_module; init_module"
	assert_equal "$(echo $output)" "EPERM EPERM"
	set_args sh -c 'insmod /evil.ko && echo LOADED; exit 0'
	run_container
	[[ $output != *LOADED* ]]
	# without the seccomp filter, missing CAP_SYS_MODULE stops it (ENOSYS: a kernel built
	# without module support, as some hosts are)
	no_seccomp
	attack "finit_module; init_module"
	[[ $(echo $output) == "EPERM EPERM" || (! -e /proc/modules && $(echo $output) == "ENOSYS ENOSYS") ]]
	if [[ -n $before ]]; then
		assert_equal "$(cut -d' ' -f1 /proc/modules | sort | md5sum)" "$before"
	fi
}

@test "attack: mounting fails (seccomp, and capabilities alone)" {
	attack "mount /tmp; umount /proc; umount /sys/fs/cgroup"
	assert_equal "$(echo $output)" "EPERM EPERM EPERM"
	set_args sh -c 'mount -t tmpfs tmpfs /tmp && echo MOUNTED; grep -c " /tmp " /proc/self/mounts; exit 0'
	run_container
	[[ $output != *MOUNTED* ]]
	assert_equal "${lines[-1]}" 0
	no_seccomp
	attack "mount /tmp; umount /proc"
	assert_equal "$(echo $output)" "EPERM EPERM"
}

@test "attack: reboot fails" {
	attack "reboot"
	assert_equal "$output" EPERM
	no_seccomp
	attack "reboot"
	assert_equal "$output" EPERM
}

@test "attack: sethostname fails by default, and with CAP_SYS_ADMIN changes only the container" {
	local host
	host=$(hostname)
	attack "sethostname staple-evil"
	assert_equal "$output" EPERM
	no_seccomp
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] |
		.process.capabilities.effective += ["CAP_SYS_ADMIN"] |
		.process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_args sh -c 'staple-attack sethostname staple-evil; hostname'
	run_container
	assert_success
	assert_equal "$(echo $output)" "ok staple-evil"
	assert_equal "$(hostname)" "$host"
}

@test "attack: host processes are invisible and ptrace fails" {
	set_args sh -c 'ls /proc | grep -c "^[0-9]"; cat /proc/[0-9]*/cmdline | tr "\0" " "; echo'
	run_container
	assert_success
	# sh, ls, grep at most
	((lines[0] <= 4))
	[[ $output != *bats* && $output != *staple-oci* ]]
	# the container's own pid 1 (sh) cannot be traced without CAP_SYS_PTRACE
	attack "ptrace 1"
	assert_equal "$output" EPERM
}

@test "attack: /proc/kcore and friends are masked, /proc/sys is read-only" {
	local f=/proc/sys/vm/overcommit_memory cur m present=""
	cur=$(cat "$f")
	# the masked files this host's kernel has (masking skips the others)
	for m in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		[[ -e $m ]] && present+=" $m"
	done
	[[ -n $present ]]
	# writing the current value back: harmless if the defence failed, still detected
	set_args sh -c 'cat '"$present"' | wc -c; ls -A /sys/firmware | wc -l
		'"$HELPER write $f $cur"'; grep " /proc/sys " /proc/self/mounts
		grep " /proc/sysrq-trigger " /proc/self/mounts || echo " ro, (absent)"'
	run_container
	assert_equal "${lines[0]}" 0
	assert_equal "${lines[1]}" 0
	assert_equal "${lines[2]}" EROFS
	[[ ${lines[3]} == *" ro,"* ]]
	[[ ${lines[4]} == *" ro,"* || ! -e /proc/sysrq-trigger ]]
	assert_equal "$(cat "$f")" "$cur"
}

@test "attack: writing to /sys/fs/cgroup fails" {
	local name=staple-test-attack-$ID d
	set_args sh -c 'for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do mkdir "$d/'"$name"'" 2>/dev/null && echo "MADE $d"; done
		{ echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes; } 2>/dev/null && echo WROTE; echo done'
	run_container
	assert_success
	assert_equal "$output" done
	for d in /sys/fs/cgroup/"$name" /sys/fs/cgroup/*/"$name"; do
		[[ ! -e $d ]] || { rmdir "$d"; echo "created $d on the host" >&2; return 1; }
	done
}

@test "attack: keyctl and add_key fail (keyrings are not namespaced)" {
	attack "keyctl; add_key; bpf; perf_event_open"
	assert_equal "$(echo $output)" "EPERM EPERM EPERM EPERM"
}

# ---- CVEs -----------------------------------------------------------------------------------

@test "CVE-2024-21626: no host fd leaks into the container, cwd is inside it" {
	update_config '.process.cwd = "/tmp"'
	set_args sh -c "$HELPER ls-fds; echo fds-done; $HELPER cwd; readlink /proc/self/cwd; ls /proc/self/cwd/../../../bin/staple-attack"
	# the runtime itself runs with extra host fds open, as a leaky caller would leave them
	run oci run --bundle "$BUNDLE" "$ID" </dev/null 5</etc/hostname 7<"$TEST_TMP" 9<"$STAPLE_OCI"
	assert_success
	assert_equal "${lines[0]}" fds-done
	assert_equal "${lines[1]}" /tmp
	assert_equal "${lines[2]}" /tmp
	assert_equal "${lines[3]}" /proc/self/cwd/../../../bin/staple-attack
	# the original attack: cwd set to a leaked fd of the runtime
	update_config '.process.cwd = "/proc/self/fd/7"'
	set_args "$HELPER" cwd
	run oci run --bundle "$BUNDLE" "$ID-cwd" </dev/null 7<"$TEST_TMP"
	[[ $output != *"$TEST_TMP"* ]]
}

@test "CVE-2024-21626: exec leaks no host fd either" {
	set_args sleep 300
	start_detached
	run oci exec "$ID" "$HELPER" ls-fds 5</etc/hostname 7<"$TEST_TMP"
	assert_success
	assert_equal "$output" ""
	run oci exec "$ID" readlink /proc/self/cwd
	assert_equal "$output" /
}

@test "CVE-2021-30465: mount destinations that are symlinks out of the rootfs stay inside" {
	ln -s / "$BUNDLE/rootfs/evil-root"
	ln -s ../../../etc "$BUNDLE/rootfs/evil-etc"
	mkdir "$TEST_TMP/src"
	echo inside >"$TEST_TMP/src/staple-marker"
	update_config --arg src "$TEST_TMP/src" '.mounts += [
		{"destination": "/evil-etc", "type": "bind", "source": $src, "options": ["rbind", "ro"]},
		{"destination": "/evil-root/staple-evil-target", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sh -c 'cat /etc/staple-marker; grep -c " /staple-evil-target " /proc/self/mountinfo'
	run_container
	assert_success
	assert_equal "${lines[0]}" inside
	assert_equal "${lines[1]}" 1
	[[ ! -e /etc/staple-marker && ! -e /staple-evil-target ]]
	! grep -qE ' /(etc|staple-evil-target) ' /proc/self/mountinfo
}

@test "CVE-2019-5736: exec runs from a sealed memfd, the host binary is unchanged" {
	local sum pid exe i
	sum=$(sha256sum <"$STAPLE_OCI")
	# the init hunts for a runtime process in its pid namespace and writes through its exe
	set_args sh -c 'end=$(($(date +%s) + 4)); while [ $(date +%s) -lt $end ]; do
		for p in /proc/[0-9]*; do echo evil >> $p/exe 2>/dev/null && echo "$p" >> /dev/shm/hits; done
		done; touch /dev/shm/done; sleep 300'
	start_detached
	"$STAPLE_OCI" --root "$ROOT" exec "$ID" sleep 2 </dev/null >/dev/null 2>&1 &
	pid=$!
	TEST_BG_PID=$pid
	sleep 0.5
	exe=$(readlink "/proc/$pid/exe")
	for i in 1 2 3 4 5 6 7 8 9 10; do oci exec "$ID" true </dev/null >/dev/null 2>&1; done
	wait "$pid"
	[[ $exe == /memfd:staple-oci* ]] || { echo "exec runs from $exe" >&2; return 1; }
	run oci exec "$ID" sh -c 'while [ ! -e /dev/shm/done ]; do sleep 0.2; done; cat /dev/shm/hits 2>/dev/null; echo end'
	assert_equal "$output" end
	assert_equal "$(sha256sum <"$STAPLE_OCI")" "$sum"
}

# ---- capabilities, no_new_privs, seccomp rules ----------------------------------------------

cap_masks() { # prints "Bnd Eff Prm Inh Amb" of the container's process
	set_args "$HELPER" caps
	run_container
	assert_success
	local b e p i a
	b=$(awk '/^CapBnd/ {print $2}' <<<"$output")
	e=$(awk '/^CapEff/ {print $2}' <<<"$output")
	p=$(awk '/^CapPrm/ {print $2}' <<<"$output")
	i=$(awk '/^CapInh/ {print $2}' <<<"$output")
	a=$(awk '/^CapAmb/ {print $2}' <<<"$output")
	echo "$b $e $p $i $a"
}

@test "capabilities: the default set exactly" {
	# CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)
	assert_equal "$(cap_masks)" "0000000020000420 0000000020000420 0000000020000420 0000000000000000 0000000000000000"
}

@test "capabilities: each set exactly as configured" {
	update_config '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"],
		"effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	assert_equal "$(cap_masks)" "0000000000000021 0000000000000020 0000000000000020 0000000000000020 0000000000000020"
}

@test "noNewPrivileges: on by default, off when asked" {
	set_args grep NoNewPrivs /proc/self/status
	run_container
	assert_equal "$(echo $output)" "NoNewPrivs: 1"
	update_config '.process.noNewPrivileges = false'
	run_container
	assert_equal "$(echo $output)" "NoNewPrivs: 0"
}

@test "seccomp: an ERRNO rule returns its errno, EPERM without errnoRet; unknown names skipped" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["no_such_syscall_staple", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
		{"names": ["rmdir", "also_not_a_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	set_args sh -c 'staple-attack mkdir /tmp/x; staple-attack syscall 84; staple-attack syscall 0'
	run_container
	# mkdir: EPERM; rmdir (84 on x86_64): EDQUOT; read(0) from /dev/null: allowed
	if [[ $(uname -m) == x86_64 ]]; then
		assert_equal "$(echo $output)" "EPERM EDQUOT ok"
	else
		assert_equal "${lines[0]}" EPERM
	fi
}

# ---- the compiled-filter cache (docs/security.md) -----------------------------------------------

SC_ATTACKS="mount /mnt; reboot; syscall 1000; clone"
SC_WANT="EPERM EPERM ENOSYS ok"

sc_entry() { # the one entry of $ROOT's seccomp cache
	local f
	for f in "$ROOT/@seccomp-cache"/*; do [[ -e $f || -L $f ]] && echo "$f"; done
}

sc_attack_ok() { # the default profile's answers, in a fresh container
	attack "$SC_ATTACKS"
	assert_equal "$(echo $output)" "$SC_WANT"
}

@test "seccomp cache: the first run stores the default profile's filter, the second loads it" {
	sc_attack_ok
	local e ino
	e=$(sc_entry)
	[[ -n $e ]]
	assert_equal "$(stat -c '%a %u %F' "$ROOT/@seccomp-cache")" "700 0 directory"
	assert_equal "$(stat -c '%a %u %F' "$e")" "600 0 regular file"
	ino=$(stat -c %i "$e")
	# a hit reads the entry and leaves it as it is (a miss would replace it: a new inode)
	sc_attack_ok
	assert_equal "$(stat -c %i "$e")" "$ino"
	assert_equal "$(sc_entry)" "$e"
	# exec uses the same cache and gets the same filter
	set_args sleep 60
	start_detached
	run oci exec "$ID" staple-attack mount /mnt
	assert_equal "$output" EPERM
	assert_equal "$(stat -c %i "$e")" "$ino"
}

@test "seccomp cache: a tampered entry is ignored and replaced, the container gets the right filter" {
	sc_attack_ok
	local e ino
	e=$(sc_entry)
	# one byte of the stored key (after the 16-byte header)
	ino=$(stat -c %i "$e")
	printf X | dd of="$e" bs=1 seek=20 conv=notrunc status=none
	sc_attack_ok
	[[ $(stat -c %i "$e") != "$ino" ]]
	# the program cut short
	ino=$(stat -c %i "$e")
	truncate -s -4 "$e"
	sc_attack_ok
	[[ $(stat -c %i "$e") != "$ino" ]]
	# readable by others
	ino=$(stat -c %i "$e")
	chmod 0644 "$e"
	sc_attack_ok
	[[ $(stat -c %i "$e") != "$ino" ]]
	assert_equal "$(stat -c %a "$e")" 600
	# a symlink to a valid entry
	mv "$e" "$TEST_TMP/entry"
	ln -s "$TEST_TMP/entry" "$e"
	sc_attack_ok
	assert_equal "$(stat -c '%a %F' "$e")" "600 regular file"
	# a cache directory others may read is not used
	rm -rf "$ROOT/@seccomp-cache"
	mkdir -m 0755 "$ROOT/@seccomp-cache"
	sc_attack_ok
	assert_equal "$(sc_entry)" ""
}

# ---- rootless ------------------------------------------------------------------------------------

rootless_cleanup() {
	[[ -n ${RL_ROOT:-} && -d $RL_ROOT ]] || return 0
	local c
	for c in $(runuser -u "$ROOTLESS_USER" -- "$RL_OCI" --root "$RL_ROOT" list -q 2>/dev/null); do
		runuser -u "$ROOTLESS_USER" -- "$RL_OCI" --root "$RL_ROOT" delete --force "$c" >/dev/null 2>&1
	done
}

# rl_oci ARGS...: the runtime as the unprivileged user.
rl_oci() {
	timeout -k 5 "$STAPLE_TEST_TIMEOUT" runuser -u "$ROOTLESS_USER" -- \
		env XDG_RUNTIME_DIR="$TEST_TMP/xdg" "$RL_OCI" --root "$RL_ROOT" "$@"
}

rootless_setup() {
	if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
		useradd -M -s /usr/sbin/nologin "$ROOTLESS_USER" || skip "cannot create user $ROOTLESS_USER"
		touch "$BATS_FILE_TMPDIR/created-user" # removed again by teardown_file
	fi
	if [[ $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null) == 0 ]] ||
		! runuser -u "$ROOTLESS_USER" -- unshare -U true 2>/dev/null; then
		skip "this host forbids unprivileged user namespaces"
	fi
	chmod 755 "$TEST_TMP"
	RL_OCI=$TEST_TMP/staple-oci
	install -m 0755 "$STAPLE_OCI" "$RL_OCI"
	RL_ROOT=$TEST_TMP/rl-state
	RL_BUNDLE=$TEST_TMP/rl-bundle
	mkdir -p "$RL_BUNDLE" "$RL_ROOT" "$TEST_TMP/xdg"
	cp -a "$BUNDLE/rootfs" "$RL_BUNDLE/rootfs"
	chown -R "$ROOTLESS_USER:" "$RL_BUNDLE" "$RL_ROOT" "$TEST_TMP/xdg"
	(cd "$RL_BUNDLE" && runuser -u "$ROOTLESS_USER" -- "$RL_OCI" spec --rootless)
	local f=$RL_BUNDLE/config.json
	jq --arg cg "/staple-test/$ID" '.process.terminal = false | .linux.cgroupsPath = $cg' "$f" >"$f.new" &&
		mv "$f.new" "$f" && chown "$ROOTLESS_USER:" "$f"
}

rl_set_args() {
	local f=$RL_BUNDLE/config.json a
	a=$(printf '%s\0' "$@" | jq -Rsc 'split("\u0000")')
	jq --argjson a "$a" '.process.args = $a' "$f" >"$f.new" && mv "$f.new" "$f" && chown "$ROOTLESS_USER:" "$f"
}

@test "rootless: spec --rootless maps only the caller's uid, and runs without cgroups" {
	rootless_setup
	local uid
	uid=$(id -u "$ROOTLESS_USER")
	jq -e --argjson u "$uid" '.linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]' "$RL_BUNDLE/config.json"
	rl_set_args sh -c 'id -u; cat /proc/self/uid_map | tr -s " "; echo x > /dev/null && echo devnull'
	run rl_oci run --bundle "$RL_BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "${lines[0]}" 0
	assert_equal "$(echo ${lines[1]})" "0 $uid 1"
	assert_equal "${lines[2]}" devnull
	[[ -z $(leaked_cgroups) ]]
	[[ ! -d $RL_ROOT/$ID ]]
}

@test "rootless: the attacks fail too" {
	rootless_setup
	local host
	host=$(hostname)
	rl_set_args sh -c 'for v in "mount /mnt" "sethostname evil" finit_module reboot keyctl "ptrace 1" clone-newuser; do staple-attack $v; done; hostname'
	run rl_oci run --bundle "$RL_BUNDLE" "$ID" </dev/null
	assert_equal "$(echo $output)" "EPERM EPERM EPERM EPERM EPERM EPERM EPERM staple"
	assert_equal "$(hostname)" "$host"
}

@test "rootless: a clear error for a map the kernel forbids, and for resource limits" {
	rootless_setup
	local f=$RL_BUNDLE/config.json
	jq '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]' "$f" >"$f.new" && mv "$f.new" "$f" && chown "$ROOTLESS_USER:" "$f"
	run rl_oci run --bundle "$RL_BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "single-id map"
	(cd "$RL_BUNDLE" && rm config.json && runuser -u "$ROOTLESS_USER" -- "$RL_OCI" spec --rootless)
	jq --arg cg "/staple-test/$ID" '.process.terminal = false | .linux.cgroupsPath = $cg |
		.linux.resources = {"pids": {"limit": 10}}' "$f" >"$f.new" && mv "$f.new" "$f" && chown "$ROOTLESS_USER:" "$f"
	run rl_oci run --bundle "$RL_BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "Permission denied"
	[[ ! -d $RL_ROOT/$ID ]]
}

# ---- seccomp user notification -------------------------------------------------------------

# A one-shot seccomp agent: accepts one connection on $1, writes the JSON it got to $2 and the
# number of fds that came with it to $2.nfds, then closes everything (notified syscalls of the
# container then fail with ENOSYS).
seccomp_agent() {
	cat >"$TEST_TMP/agent.py" <<'EOF2'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(out + ".ready", "w").close()
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
with open(out + ".nfds", "w") as f:
    f.write("%d\n" % len(fds))
with open(out, "wb") as f:
    f.write(msg)
for fd in fds:
    os.close(fd)
c.close()
s.close()
EOF2
	timeout 60 python3 "$TEST_TMP/agent.py" "$1" "$2" &
	AGENT_PID=$!
}

@test "seccomp: SCMP_ACT_NOTIFY sends the listener fd and the process state to listenerPath" {
	skip_if_runc "staple sends the fd at start, runc at create"
	local sock=$TEST_TMP/agent.sock out=$TEST_TMP/agent.json
	seccomp_agent "$sock" "$out"
	for _ in $(seq 100); do [[ -e $out.ready ]] && break; sleep 0.05; done
	[[ -e $out.ready ]]
	update_config --arg p "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p, "listenerMetadata": "staple-meta",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args sh -c 'staple-attack mkdir /tmp/x; test -d /tmp/x && echo exists || echo absent'
	run_container
	wait "$AGENT_PID"
	AGENT_PID=
	assert_equal "$(echo $output)" "ENOSYS absent"
	assert_equal "$(cat "$out.nfds")" 1
	assert_equal "$(jq -c .fds "$out")" '["seccompFd"]'
	assert_equal "$(jq -r .metadata "$out")" staple-meta
	assert_equal "$(jq -r .state.id "$out")" "$ID"
	[[ $(jq -r .pid "$out") -gt 1 ]]
	assert_equal "$(jq -r .pid "$out")" "$(jq -r .state.pid "$out")"
	[[ -n $(jq -r .ociVersion "$out") ]]
}

@test "seccomp: a listenerPath nobody listens on is a clear error" {
	skip_if_runc "error text"
	update_config --arg p "$TEST_TMP/nobody.sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p, "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args true
	run_container
	assert_failure
	assert_output_contains "connect to seccomp listenerPath"
}

# ---- idmapped mounts -----------------------------------------------------------------------

@test "idmapped mount: uidMappings/gidMappings of a bind mount shift the owner (1000 -> 0)" {
	skip_if_runc "runc maps in the runtime, error texts differ"
	# as runc and crun: the maps are written as given into the mount's user namespace, so a
	# file owned by containerID on disk is seen as hostID (here without a user namespace)
	local dir=$TEST_TMP/idmapped
	mkdir -p "$dir" && touch "$dir/f" && chown 1000:1000 "$dir/f"
	update_config --arg d "$dir" '.mounts += [{"destination": "/idm", "type": "bind", "source": $d,
		"options": ["rbind"], "uidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}],
		"gidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}]}] |
		.mounts += [{"destination": "/plain", "type": "bind", "source": $d, "options": ["rbind"]}]'
	set_args sh -c 'stat -c "%u %g" /idm/f /plain/f'
	run_container
	if [[ $status -ne 0 && $output == *"Invalid argument"* ]]; then
		skip "the file system of $dir does not support idmapped mounts: $output"
	fi
	assert_success
	assert_equal "$(echo $output)" "0 0 1000 1000"
	assert_equal "$(stat -c %u "$dir/f")" 1000
}

@test "idmapped mount: clear errors for what is not supported" {
	skip_if_runc "error texts"
	update_config '.mounts += [{"destination": "/idm", "type": "tmpfs", "source": "tmpfs",
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	run_container
	assert_failure
	assert_output_contains "bind mounts only"
	update_config '.mounts[-1] = {"destination": "/idm", "type": "bind", "source": "/tmp", "options": ["rbind", "idmap"]}'
	run_container
	assert_failure
	assert_output_contains "idmap without uidMappings"
	update_config '.mounts[-1] = {"destination": "/idm", "type": "bind", "source": "/tmp", "options": ["rbind"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}'
	run_container
	assert_failure
	assert_output_contains "both uidMappings and gidMappings"
}

@test "LSM: an AppArmor profile or SELinux label on a host without that LSM is refused, not ignored" {
	skip_if_runc "runc ignores labels the host cannot apply"
	if [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]]; then
		skip "AppArmor is enabled here: the refusal path cannot be checked"
	fi
	update_config '.process.apparmorProfile = "staple-test"'
	run oci run -b "$BUNDLE" "$ID"
	assert_failure
	assert_output_contains "AppArmor is not enabled"
	assert_no_container "$ID"
	if [[ ! -e /sys/fs/selinux/enforce ]]; then
		update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
		run oci run -b "$BUNDLE" "$ID"
		assert_failure
		assert_output_contains "SELinux is not enabled"
		assert_no_container "$ID"
	fi
}
