# engine-lib.bash: what the `staple` engine's bats files share (`load engine-lib`).
#
# Every test gets its own temp dir $TEST_TMP with the store $STORE (--root) and the
# runtime root $ROOT (--runtime-root), the id $ID (staple-test-<file>-<pid>-<test>) and
# the cgroup parent $CGP=/staple-test/$ID. teardown removes every container (rm -f) and
# fails the test when a mount, process, monitor or cgroup of it was left; leftovers are
# then killed by PID, unmounted and removed, so one bad test does not poison the next.
#
# Environment: STAPLE (default $REPO/build/staple), STAPLE_TEST_ROOTFS (the busybox
# rootfs of tests/rootfs.sh, built on demand), STAPLE_TEST_TIMEOUT (helpers.bash).

load helpers

STAPLE=${STAPLE:-$REPO/build/staple}
IMG=staple-test/busybox:1

# make_rootfs_tar: $BATS_FILE_TMPDIR/rootfs.tar, the test rootfs as a tarball (for setup_file).
make_rootfs_tar() {
	local rootfs=${STAPLE_TEST_ROOTFS:-$REPO/build/rootfs}
	if [[ ! -x $rootfs/bin/staple-test-helper ]]; then
		"$REPO/tests/rootfs.sh" "$rootfs" >&2
	fi
	tar -C "$rootfs" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
}

# engine_setup / engine_teardown: what setup and teardown do; a file that needs more
# defines its own setup/teardown around them.
engine_setup() {
	if [[ ! -x $STAPLE ]]; then
		echo "no engine at $STAPLE (build it, or set STAPLE)" >&2
		return 1
	fi
	local file=${BATS_TEST_FILENAME##*/}
	TEST_TMP=$(mktemp -d /tmp/staple-test.XXXXXX)
	ROOT=$TEST_TMP/runtime
	STORE=$TEST_TMP/store
	ID=staple-test-${file%.bats}-$$-${BATS_TEST_NUMBER}
	CGP=/staple-test/$ID
	ROOTFS_TAR=$BATS_FILE_TMPDIR/rootfs.tar
}

# st ARGS: staple with this test's store and runtime root, time-limited.
st() {
	timeout --foreground -k 5 "$STAPLE_TEST_TIMEOUT" "$STAPLE" --root "$STORE" --runtime-root "$ROOT" "$@"
}

# strun ARGS: staple run in this test's cgroup parent.
strun() {
	st run --cgroup-parent "$CGP" "$@"
}

import_image() {
	st import "$ROOTFS_TAR" "$IMG" >/dev/null
}

# rund ARGS: `staple run -d` in this test's cgroup parent; CID is the id it printed.
rund() {
	run strun -d "$@"
	assert_success || return 1
	[[ $output =~ ^[0-9a-f]{64}$ ]] || { echo "run -d printed '$output', not a 64-hex id" >&2; return 1; }
	CID=$output
}

# retry TRIES CMD...: run CMD until it succeeds, at most TRIES times, 0.1 s apart.
retry() {
	local n=$1
	shift
	while ((n-- > 0)); do
		"$@" && return 0
		((n > 0)) && sleep 0.1
	done
	return 1
}

# The cgroup dirs of this test's containers (children of the cgroup parent).
engine_cgroups() {
	find /sys/fs/cgroup/staple-test/"$ID" /sys/fs/cgroup/*/staple-test/"$ID" -mindepth 1 -type d 2>/dev/null
	return 0
}

# PIDs of processes whose command line mentions $TEST_TMP: the monitors of `run -d`
# (forks of `staple --root $STORE ...`). The pattern is read from a file so that grep's
# own command line does not match.
leaked_monitors() {
	grep -lFzf <(printf '%s' "$TEST_TMP") /proc/[0-9]*/cmdline 2>/dev/null |
		awk -F/ '{ print $3 }' | sort -un
	return 0
}

# Runtime state other than the runtime's seccomp filter cache (which is meant to stay).
runtime_state() {
	ls -A "$ROOT" 2>/dev/null | grep -vx '@seccomp-cache'
	return 0
}

# Nothing of a run is left: no container dir, mount, runtime state or cgroup.
assert_nothing_left() {
	local left
	left=$(ls -A "$STORE/containers" 2>/dev/null || true)
	[[ -z $left ]] || { echo "container dirs left: $left" >&2; return 1; }
	[[ -z $(leaked_mounts) ]] || { echo "mounts left: $(leaked_mounts)" >&2; return 1; }
	left=$(runtime_state)
	[[ -z $left ]] || { echo "runtime state left: $left" >&2; return 1; }
	[[ -z $(engine_cgroups) ]] || { echo "cgroups left: $(engine_cgroups)" >&2; return 1; }
}

# nothing_running: no process of a container (root or cwd under $TEST_TMP), no monitor.
nothing_running() {
	[[ -z $(leaked_pids)$(leaked_monitors) ]]
}

# kill_leftovers: SIGKILL, by PID, to this test's monitors and to the processes in its
# containers' cgroups (thawed first), then helpers.bash's force_cleanup.
kill_leftovers() {
	local p d
	for p in $(leaked_monitors); do kill -9 "$p" 2>/dev/null; done
	for d in $(engine_cgroups); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		[[ -f $d/freezer.state ]] && echo THAWED >"$d/freezer.state" 2>/dev/null
		[[ -f $d/cgroup.freeze ]] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
	done
	force_cleanup
}

# remove_test_cgroups: rmdir the cgroup parent of this test and all below it.
remove_test_cgroups() {
	local d
	for d in /sys/fs/cgroup/staple-test/"$ID" /sys/fs/cgroup/*/staple-test/"$ID"; do
		[[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	! compgen -G "/sys/fs/cgroup/*/staple-test/$ID" >/dev/null && [[ ! -d /sys/fs/cgroup/staple-test/$ID ]]
}

engine_teardown() {
	netns_teardown
	[[ -n ${TEST_TMP:-} && -d $TEST_TMP ]] || return 0
	local c problems=""
	for c in $(st ps -aq 2>/dev/null); do
		st rm -f "$c" >/dev/null 2>&1 || problems+="rm -f $c failed; "
	done
	retry 30 nothing_running || true # a monitor may take a moment to exit after its container is removed
	[[ -z $(leaked_mounts) ]] || problems+="leaked mounts: $(leaked_mounts | tr '\n' ' '); "
	[[ -z $(leaked_pids) ]] || problems+="leaked processes: $(leaked_pids | tr '\n' ' '); "
	[[ -z $(leaked_monitors) ]] || problems+="leaked monitors: $(leaked_monitors | tr '\n' ' '); "
	[[ -z $(engine_cgroups) ]] || problems+="leaked cgroups: $(engine_cgroups | tr '\n' ' '); "
	[[ -n $problems ]] && kill_leftovers
	local m
	for m in $(leaked_mounts | sort -r); do umount -l "$m" 2>/dev/null; done
	retry 20 remove_test_cgroups || true
	rmdir /sys/fs/cgroup/staple-test /sys/fs/cgroup/*/staple-test 2>/dev/null || true
	rm -rf "$TEST_TMP"
	if [[ -n $problems ]]; then
		echo "teardown: $problems" >&2
		return 1
	fi
}

# ---- a network namespace of the test's own, for bridge networking ----
# Staple runs inside it (stn), so the bridge staple0, its addresses, routes and iptables
# rules exist only there; the host's network is never touched. Skips without the tools.

netns_setup() {
	command -v nsenter >/dev/null && command -v curl >/dev/null || skip "no nsenter or curl"
	[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap ]] ||
		skip "no CNI plugins in /usr/lib/cni (containernetworking-plugins)"
	NETNS=/run/staple-test-netns-$ID
	touch "$NETNS"
	unshare --net="$NETNS" ip link set lo up
}

netns_teardown() {
	[[ -n ${NETNS:-} && -e $NETNS ]] || return 0
	umount "$NETNS" 2>/dev/null
	rm -f "$NETNS"
}

# inns CMD...: CMD in the test's network namespace.
inns() {
	nsenter --net="$NETNS" "$@"
}

# stn ARGS: staple in the test's network namespace.
stn() {
	inns timeout --foreground -k 5 "$STAPLE_TEST_TIMEOUT" "$STAPLE" --root "$STORE" --runtime-root "$ROOT" "$@"
}

fetch() { # URL, from the test's network namespace
	inns curl -sf --max-time 5 "$1"
}

setup() { engine_setup; }
teardown() { engine_teardown; }
