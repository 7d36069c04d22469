#!/usr/bin/env bats
# podman 4.3 driving staple-oci (and crun, for comparison) through conmon.
# Each test has its own containers.conf, storage (graphroot/runroot) and
# cgroup parent /staple-test-clients/<id> under a temp dir; teardown removes
# the containers, podman's storage and overlay mounts, and the cgroups, and
# fails when a mount, a cgroup or a process is left behind.

load ../clients/lib

setup() {
	need_tools podman conmon
	ensure_rootfs
	PT=$(mktemp -d /tmp/staple-test-podman.XXXXXX)
	CG_LEAF=podman-$$-$BATS_TEST_NUMBER
	CGP=/$CG_TOP/$CG_LEAF
	cat >"$PT/containers.conf" <<-CONF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PT/events.log"
		tmp_dir = "$PT/tmp"
		volume_path = "$PT/volumes"
	CONF
	cat >"$PT/storage.conf" <<-CONF
		[storage]
		driver = "overlay"
		graphroot = "$PT/graph"
		runroot = "$PT/run"
	CONF
	export CONTAINERS_CONF=$PT/containers.conf CONTAINERS_STORAGE_CONF=$PT/storage.conf
	IMG=localhost/staple-test:latest
}

teardown() {
	[[ -n ${PT:-} && -d $PT ]] || return 0
	local problems=""
	if [[ -n ${RT:-} ]]; then
		pm rm -af -t 0 >/dev/null 2>&1
		pm system reset -f >/dev/null 2>&1
	fi
	local p
	for p in $(pids_mentioning "$PT"); do kill -9 "$p" 2>/dev/null; done
	unmount_under "$PT" || problems+="mounts left under $PT; "
	remove_cgroups "$CG_LEAF" || problems+="cgroups left: $(client_cgroups "$CG_LEAF" | tr '\n' ' '); "
	rm -rf "$PT"
	if [[ -n $problems ]]; then
		echo "teardown: $problems" >&2
		return 1
	fi
}

# pm ARGS: podman with this test's storage and runtime.
pm() {
	timeout -k 5 120 podman --root "$PT/graph" --runroot "$PT/run" --runtime "$RT" "$@"
}

# prun ARGS: podman run in this test's cgroup parent.
prun() {
	pm run --cgroup-parent "$CGP" "$@"
}

# start RUNTIME: choose the runtime and import the test image.
start() {
	use_runtime "$1"
	if [[ $1 == staple ]]; then
		# podman passes no --root to a runtime it does not know: this wrapper keeps
		# staple-oci's state and seccomp cache under $PT, not in /run/staple-oci
		printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$RT" "$PT/oci-root" >"$PT/staple-oci"
		chmod 755 "$PT/staple-oci"
		RT=$PT/staple-oci
	fi
	rootfs_tar | pm import - "$IMG" >/dev/null || return 1
}

# A long-running container named $1 that exits 0 on SIGTERM.
run_sleeper() {
	prun -d --name "$1" "${@:2}" "$IMG" sh -c 'trap "exit 0" TERM; trap "exit 42" USR1; echo started; while :; do sleep 0.1; done'
}

ct_pid() {
	pm inspect --format '{{.State.Pid}}' "$1"
}

ct_status() {
	pm inspect --format '{{.State.Status}}' "$1"
}

# cg_file CONTAINER CONTROLLER FILE: a cgroup v1 file of the container's init.
cg_file() {
	local pid rel
	pid=$(ct_pid "$1") || return 1
	rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	cat "/sys/fs/cgroup/$2$rel/$3"
}

# --- scenarios ------------------------------------------------------------------

run_rm() {
	start "$1"
	run prun --rm "$IMG" echo hi
	assert_success
	assert_equal "$output" hi
	run pm ps -aq
	assert_equal "$output" ""
}

run_detached_logs_stop() {
	start "$1"
	run_sleeper c1
	retry 25 bash -c "podman --root '$PT/graph' --runroot '$PT/run' logs c1 | grep -q started"
	run pm logs c1
	assert_output_contains started
	assert_equal "$(ct_status c1)" running
	run pm stop -t 10 c1
	assert_success
	assert_equal "$(ct_status c1)" exited
	assert_equal "$(pm inspect --format '{{.State.ExitCode}}' c1)" 0
}

exec_basic() {
	start "$1"
	need_command exec
	run_sleeper c1
	run pm exec c1 cat /etc/hostname
	assert_success
	run pm exec c1 sh -c 'exit 3'
	assert_equal "$status" 3
	run pm exec -e FOO=bar -w /tmp c1 sh -c 'echo $FOO $(pwd)'
	assert_success
	assert_equal "$output" "bar /tmp"
}

exec_tty() {
	start "$1"
	need_command exec
	run_sleeper c1
	run "$CLIENTS/pty-drive.py" -e 'tty=/dev/pts/[0-9]+' -- \
		podman --root "$PT/graph" --runroot "$PT/run" --runtime "$RT" exec -it c1 sh -c 'echo tty=$(tty)'
	assert_success
	run "$CLIENTS/pty-drive.py" -e '/ # ' -s 'echo $((6*7))' -e 42 -s 'exit 4' -- \
		podman --root "$PT/graph" --runroot "$PT/run" --runtime "$RT" exec -it c1 sh
	assert_equal "$status" 4
}

run_limits() {
	start "$1"
	run_sleeper c1 --memory 64m --pids-limit 50
	assert_equal "$(cg_file c1 memory memory.limit_in_bytes)" 67108864
	assert_equal "$(cg_file c1 pids pids.max)" 50
}

pause_unpause() {
	start "$1"
	need_command pause
	run_sleeper c1
	run pm pause c1
	assert_success
	assert_equal "$(ct_status c1)" paused
	assert_equal "$(cg_file c1 freezer freezer.state)" FROZEN
	run pm unpause c1
	assert_success
	assert_equal "$(ct_status c1)" running
	assert_equal "$(cg_file c1 freezer freezer.state)" THAWED
}

stats_no_stream() {
	start "$1"
	run_sleeper c1 --memory 64m
	run pm stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' c1
	assert_success
	assert_output_contains "c1 "
	assert_output_contains "67.11MB"
}

top() {
	start "$1"
	run_sleeper c1
	run pm top c1
	assert_success
	assert_output_contains "trap"
}

kill_ct() {
	start "$1"
	run_sleeper c1
	wait_caught "$(ct_pid c1)" 10 # USR1: PID 1 gets only the signals it handles
	run pm kill -s USR1 c1
	assert_success
	run pm wait c1
	assert_equal "$output" 42
	assert_equal "$(ct_status c1)" exited
}

run_it_shell() {
	start "$1"
	run "$CLIENTS/pty-drive.py" -e '/ # ' -s 'tty; echo $((6*7))' -e '/dev/pts/[0-9]+' -e 42 -s 'exit 5' -- \
		podman --root "$PT/graph" --runroot "$PT/run" --runtime "$RT" run --rm -it --cgroup-parent "$CGP" "$IMG" sh
	assert_equal "$status" 5
}

read_only() {
	start "$1"
	run prun --rm --read-only "$IMG" sh -c 'touch /x'
	assert_failure
	assert_output_contains "Read-only file system"
	run prun --rm --read-only "$IMG" sh -c 'touch /tmp/x && echo tmp-ok'
	assert_success
	assert_equal "$output" tmp-ok
}

cap_drop_all() {
	start "$1"
	run prun --rm --cap-drop ALL "$IMG" grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
	assert_success
	assert_equal "$(awk '{print $2}' <<<"$output" | sort -u)" 0000000000000000
	run prun --rm --cap-drop ALL "$IMG" chown 1000 /tmp
	assert_failure
}

seccomp_profile() {
	start "$1"
	cat >"$PT/seccomp.json" <<-'JSON'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	JSON
	run prun --rm --security-opt seccomp="$PT/seccomp.json" "$IMG" mkdir /tmp/d
	assert_failure
	assert_output_contains "Operation not permitted"
	run prun --rm --security-opt seccomp="$PT/seccomp.json" "$IMG" grep Seccomp: /proc/self/status
	assert_equal "$(awk '{print $2}' <<<"$output")" 2
}

uidmap() {
	start "$1"
	run_sleeper c1 --uidmap 0:100000:65536 --gidmap 0:100000:65536
	local pid
	pid=$(ct_pid c1)
	assert_equal "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" "0 100000 65536"
	assert_equal "$(stat -c %u "/proc/$pid")" 100000
	run prun --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" sh -c 'id -u; touch /tmp/f && echo ok'
	assert_success
	assert_equal "$output" "0
ok"
}

# --- one test per scenario and runtime -------------------------------------------

@test "podman staple: run --rm echo hi" { run_rm staple; }
@test "podman crun: run --rm echo hi" { run_rm crun; }
@test "podman staple: run -d, logs, stop" { run_detached_logs_stop staple; }
@test "podman crun: run -d, logs, stop" { run_detached_logs_stop crun; }
@test "podman staple: exec" { exec_basic staple; }
@test "podman crun: exec" { exec_basic crun; }
@test "podman staple: exec -it under a pty" { exec_tty staple; }
@test "podman crun: exec -it under a pty" { exec_tty crun; }
@test "podman staple: run --memory 64m --pids-limit 50" { run_limits staple; }
@test "podman crun: run --memory 64m --pids-limit 50" { run_limits crun; }
@test "podman staple: pause, unpause" { pause_unpause staple; }
@test "podman crun: pause, unpause" { pause_unpause crun; }
@test "podman staple: stats --no-stream" { stats_no_stream staple; }
@test "podman crun: stats --no-stream" { stats_no_stream crun; }
@test "podman staple: top" { top staple; }
@test "podman crun: top" { top crun; }
@test "podman staple: kill" { kill_ct staple; }
@test "podman crun: kill" { kill_ct crun; }
@test "podman staple: run --rm -it sh through a pty" { run_it_shell staple; }
@test "podman crun: run --rm -it sh through a pty" { run_it_shell crun; }
@test "podman staple: --read-only" { read_only staple; }
@test "podman crun: --read-only" { read_only crun; }
@test "podman staple: --cap-drop ALL" { cap_drop_all staple; }
@test "podman crun: --cap-drop ALL" { cap_drop_all crun; }
@test "podman staple: --security-opt seccomp=PROFILE" { seccomp_profile staple; }
@test "podman crun: --security-opt seccomp=PROFILE" { seccomp_profile crun; }
@test "podman staple: --uidmap 0:100000:65536" { uidmap staple; }
@test "podman crun: --uidmap 0:100000:65536" { uidmap crun; }
