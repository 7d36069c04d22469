#!/usr/bin/env bats
# containerd 1.6 (ctr + the runc v2 shim, as Kubernetes nodes use it) driving
# staple-oci and crun through `ctr run --runc-binary`.  One containerd per
# file, with root, state, sockets and opt dir under a temp dir and the CRI
# plugin disabled; it is stopped by PID and its mounts removed in
# teardown_file.  Containers live in cgroups /staple-test-clients/<leaf>/<id>.

load ../clients/lib

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || return 0
	ensure_rootfs
	export CT_DIR
	CT_DIR=$(mktemp -d /tmp/staple-test-containerd.XXXXXX)
	make_oci_archives "$CT_DIR" || return 1
	containerd_start "$CT_DIR" 0 || return 1
	export CTRD_PID CTRD_SOCK
	ctr --address "$CTRD_SOCK" images import "$CT_DIR/staple-test.tar" >/dev/null || return 1
}

teardown_file() {
	[[ -n ${CT_DIR:-} && -d $CT_DIR ]] || return 0
	local rc=0
	containerd_stop "$CT_DIR" || rc=1
	rm -rf "$CT_DIR"
	return $rc
}

setup() {
	need_tools containerd ctr
	CG_LEAF=ctr-$$-$BATS_TEST_NUMBER
	CID=staple-test-$BATS_TEST_NUMBER-$RANDOM
	IMG=localhost/staple-test:latest
}

teardown() {
	[[ -n ${CTRD_SOCK:-} && -n ${CG_LEAF:-} ]] || return 0
	c task kill -s SIGKILL "$CID" >/dev/null 2>&1
	sleep 0.2
	c task rm -f "$CID" >/dev/null 2>&1
	c containers rm "$CID" >/dev/null 2>&1
	remove_cgroups "$CG_LEAF" || {
		echo "cgroups left: $(client_cgroups "$CG_LEAF")" >&2
		return 1
	}
}

c() {
	timeout -k 5 60 ctr --address "$CTRD_SOCK" "$@"
}

# ctr_run ARGS...: ctr run with the runtime binary, its root and this test's cgroup.
ctr_run() {
	c run --runc-binary "$RT" --runc-root "$CT_DIR/runc-root" --cgroup "/$CG_TOP/$CG_LEAF/$CID" "$@"
}

run_sleeper() {
	ctr_run -d "$IMG" "$CID" sh -c 'trap "exit 0" TERM; trap "exit 42" USR1; while :; do sleep 0.1; done' >/dev/null
}

task_status() {
	c task ls | awk -v id="$CID" '$1 == id { print $3 }'
}

task_stopped() {
	[[ $(task_status) == STOPPED ]]
}

task_pid() {
	c task ls | awk -v id="$CID" '$1 == id { print $2 }'
}

# --- scenarios --------------------------------------------------------------------

run_rm() {
	use_runtime "$1"
	run ctr_run --rm "$IMG" "$CID" echo hi
	assert_success
	assert_equal "$output" hi
	run ctr_run --rm "$IMG" "$CID" sh -c 'exit 7'
	assert_equal "$status" 7
}

task_exec() {
	use_runtime "$1"
	need_command exec
	run_sleeper
	run c task exec --exec-id e1 "$CID" sh -c 'echo from-exec $$; exit 3'
	assert_equal "$status" 3
	assert_output_contains from-exec
	run c task exec --exec-id e2 "$CID" cat /proc/1/cmdline
	assert_success
	assert_output_contains trap
}

task_kill() {
	use_runtime "$1"
	run_sleeper
	assert_equal "$(task_status)" RUNNING
	wait_caught "$(task_pid)" 10 # USR1
	run c task kill -s SIGUSR1 "$CID"
	assert_success
	retry 50 task_stopped
	run c task rm "$CID"
	assert_success
	assert_output_contains 42
}

task_pause_resume() {
	use_runtime "$1"
	need_command pause
	run_sleeper
	run c task pause "$CID"
	assert_success
	assert_equal "$(task_status)" PAUSED
	assert_equal "$(cat "/sys/fs/cgroup/freezer/$CG_TOP/$CG_LEAF/$CID/freezer.state")" FROZEN
	run c task resume "$CID"
	assert_success
	assert_equal "$(task_status)" RUNNING
}

task_metrics() {
	use_runtime "$1"
	run_sleeper
	run c task metrics "$CID"
	assert_success
	assert_output_contains memory.usage_in_bytes
	assert_output_contains pids.current
}

@test "containerd staple: ctr run --rm echo hi" { run_rm staple; }
@test "containerd crun: ctr run --rm echo hi" { run_rm crun; }
@test "containerd staple: ctr task exec" { task_exec staple; }
@test "containerd crun: ctr task exec" { task_exec crun; }
@test "containerd staple: ctr task kill" { task_kill staple; }
@test "containerd crun: ctr task kill" { task_kill crun; }
@test "containerd staple: ctr task pause, resume" { task_pause_resume staple; }
@test "containerd crun: ctr task pause, resume" { task_pause_resume crun; }
@test "containerd staple: ctr task metrics" { task_metrics staple; }
@test "containerd crun: ctr task metrics" { task_metrics crun; }
