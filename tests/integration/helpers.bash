# Shared setup/teardown for staple's integration tests (bats).
#
# Every test gets: its own temp dir $TEST_TMP, runtime root $ROOT, bundle
# $BUNDLE (a copy of the busybox rootfs plus a config.json made by
# `$STAPLE_OCI spec`), a unique container id $ID and the cgroup path
# /staple-test/$ID.  teardown force-deletes every container in $ROOT and
# fails the test if a cgroup, mount or process leaked.
#
# Environment:
#   STAPLE_OCI          runtime binary (default: $REPO/build/staple-oci);
#                       `STAPLE_OCI=$(command -v runc)` validates the suite.
#   STAPLE_TEST_ROOTFS  the test rootfs (default: $REPO/build/rootfs, built on demand)
#   STAPLE_TEST_TIMEOUT seconds allowed for one runtime command (default 60)

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
STAPLE_OCI=${STAPLE_OCI:-$REPO/build/staple-oci}
STAPLE_TEST_ROOTFS=${STAPLE_TEST_ROOTFS:-$REPO/build/rootfs}
STAPLE_TEST_TIMEOUT=${STAPLE_TEST_TIMEOUT:-60}
HELPER=/bin/staple-test-helper

# The runtime under test, with this test's root.  Time-limited so a hung
# runtime fails one test instead of hanging the suite.
oci() {
	timeout --foreground -k 5 "$STAPLE_TEST_TIMEOUT" "$STAPLE_OCI" --root "$ROOT" "$@"
}

is_runc() {
	"$STAPLE_OCI" --version 2>/dev/null | grep -qi '^runc version'
}

# skip_if_runc REASON: for tests of behaviour runc does not have.
skip_if_runc() {
	if is_runc; then skip "runc: $*"; fi
}

cgroup_v2() {
	[[ -f /sys/fs/cgroup/cgroup.controllers ]]
}

# update_config [jq options] JQ-FILTER [jq args...]: edit $BUNDLE/config.json in
# place (the file goes on stdin, so --args may follow the filter).
update_config() {
	local f=$BUNDLE/config.json
	jq "$@" <"$f" >"$f.new" && mv "$f.new" "$f"
}

# set_args ARG...: process.args = the arguments.
# (NUL-separated through jq -R: jq would take an argument like "-c" as its own option.)
set_args() {
	local a
	a=$(printf '%s\0' "$@" | jq -Rsc 'split("\u0000")') || return 1
	update_config --argjson a "$a" '.process.args = $a'
}

# make_bundle DIR CGROUP_LEAF: a rootfs copy and a config.json in DIR.
make_bundle() {
	local dir=$1 leaf=$2
	mkdir -p "$dir"
	cp -a "$STAPLE_TEST_ROOTFS" "$dir/rootfs"
	(cd "$dir" && "$STAPLE_OCI" spec) || return 1
	local f=$dir/config.json
	jq --arg cg "/staple-test/$leaf" \
		'.process.terminal = false | .linux.cgroupsPath = $cg | .root.path = "rootfs"' \
		"$f" >"$f.new" && mv "$f.new" "$f"
}

setup() {
	if [[ ! -x $STAPLE_OCI ]]; then
		echo "no runtime at $STAPLE_OCI (build it, or set STAPLE_OCI)" >&2
		return 1
	fi
	if [[ ! -x $STAPLE_TEST_ROOTFS/bin/staple-test-helper ]]; then
		"$REPO/tests/rootfs.sh" "$STAPLE_TEST_ROOTFS" >&2
	fi
	TEST_TMP=$(mktemp -d /tmp/staple-test.XXXXXX)
	ROOT=$TEST_TMP/state
	BUNDLE=$TEST_TMP/bundle
	ID=staple-test-$$-${BATS_TEST_NUMBER}-$RANDOM
	make_bundle "$BUNDLE" "$ID"
}

# Cgroup dirs of this test (the test's ids all start with $ID).
leaked_cgroups() {
	local d
	for d in /sys/fs/cgroup/staple-test/"$ID"* /sys/fs/cgroup/*/staple-test/"$ID"*; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

leaked_pids() {
	find /proc/[0-9]*/root /proc/[0-9]*/cwd -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
		awk -v t="$TEST_TMP" 'index($2, t) == 1 { split($1, a, "/"); print a[3] }' | sort -u
}

leaked_mounts() {
	grep -F " $TEST_TMP" /proc/self/mountinfo | awk '{print $5}'
	return 0
}

# Best-effort removal of whatever leaked, so one bad test does not poison the next.
force_cleanup() {
	local d p m
	for p in $(leaked_pids); do kill -9 "$p" 2>/dev/null; done
	for d in $(leaked_cgroups | sort -r); do
		[[ -f $d/cgroup.procs ]] && for p in $(cat "$d/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
		[[ -f $d/cgroup.freeze ]] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
		[[ -f $d/freezer.state ]] && echo THAWED >"$d/freezer.state" 2>/dev/null
	done
	sleep 0.2
	for d in $(leaked_cgroups | sort -r); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for m in $(leaked_mounts | sort -r); do umount -l "$m" 2>/dev/null; done
	return 0
}

teardown() {
	[[ -n ${TEST_TMP:-} && -d $TEST_TMP ]] || return 0
	local c problems=""
	if [[ -d $ROOT ]]; then
		for c in $(oci list -q 2>/dev/null); do
			oci delete --force "$c" >/dev/null 2>&1 || echo "# delete --force $c failed" >&3
		done
	fi
	# Give killed processes a moment to be reaped by the kernel.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[[ -z $(leaked_pids)$(leaked_cgroups) ]] && break
		sleep 0.1
	done
	[[ -z $(leaked_cgroups) ]] || problems+="leaked cgroups: $(leaked_cgroups | tr '\n' ' ')"$'\n'
	[[ -z $(leaked_pids) ]] || problems+="leaked processes: $(leaked_pids | tr '\n' ' ')"$'\n'
	[[ -z $(leaked_mounts) ]] || problems+="leaked mounts: $(leaked_mounts | tr '\n' ' ')"$'\n'
	[[ -n $problems ]] && force_cleanup
	if [[ -n ${TEST_BG_PID:-} ]]; then # a helper process the test started
		kill "$TEST_BG_PID" 2>/dev/null
		wait "$TEST_BG_PID" 2>/dev/null
	fi
	if [[ -n ${TEST_NETNS:-} ]]; then
		ip netns del "$TEST_NETNS" 2>/dev/null
	fi
	rm -rf "$TEST_TMP"
	rmdir /sys/fs/cgroup/staple-test /sys/fs/cgroup/*/staple-test 2>/dev/null || true
	if [[ -n $problems ]]; then
		echo "$problems" >&2
		return 1
	fi
}

# wait_status ID STATUS [TRIES]: poll `state` until .status == STATUS.
wait_status() {
	local id=$1 want=$2 tries=${3:-50} got=""
	while ((tries-- > 0)); do
		got=$(oci state "$id" 2>/dev/null | jq -r .status)
		[[ $got == "$want" ]] && return 0
		sleep 0.1
	done
	echo "container $id: status '$got', wanted '$want'" >&2
	return 1
}

# pid_alive PID: the process exists and is not a zombie (a zombie waits for its
# reaper, which is not the runtime's business).
pid_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# state_field ID FIELD: one field of the state JSON.
state_field() {
	oci state "$1" | jq -r ".$2"
}

# The cgroup dir of a v1 controller (or the v2 dir) for cgroupsPath $1.
cgroup_dir() { # CONTROLLER CGPATH
	if cgroup_v2; then
		echo "/sys/fs/cgroup$2"
	else
		echo "/sys/fs/cgroup/$1$2"
	fi
}

# Assertions shared with the client tests.
source "$BATS_TEST_DIRNAME/assert.bash"

# No state left in $ROOT for id $1 (after a failed create).
assert_no_container() {
	run oci state "$1"
	assert_failure
	if [[ -d $ROOT/$1 ]]; then
		echo "state dir $ROOT/$1 left behind" >&2
		return 1
	fi
	[[ -z $(leaked_cgroups) ]] || { echo "cgroup left: $(leaked_cgroups)" >&2; return 1; }
}

# create_started: create and start the bundle as $ID, waiting until it runs.
create_started() {
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		return 1
	}
	oci start "$ID"
	wait_status "$ID" running
}

# cg_read CONTROLLER V1FILE V2FILE: a file of this test's cgroup, on either version.
cg_read() {
	if cgroup_v2; then
		cat "/sys/fs/cgroup/staple-test/$ID/$3"
	else
		cat "/sys/fs/cgroup/$1/staple-test/$ID/$2"
	fi
}
