#!/usr/bin/env bats
# cgroups that control a running container: pause/resume, ps, update, events,
# device rules.  Runs on the host (v1 hybrid) and, by tests/run (its name matches
# *cgroup*.bats), on pure cgroup v2 in the VM.

load helpers

MiB=$((1024 * 1024))

# run_detached: create + start the bundle's container $ID, wait until it runs.
run_detached() {
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		return 1
	}
	wait_status "$ID" running
}

# in_ctr PATH: a path inside the running container, seen from the host.
in_ctr() {
	echo "/proc/$(state_field "$ID" pid)/root$1"
}

# wait_file PATH [TRIES]: poll until PATH exists (tenths of a second).
wait_file() {
	local tries=${2:-100}
	while ((tries-- > 0)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	echo "no file $1" >&2
	return 1
}

# A container that bumps a counter in /dev/shm/c every 50 ms.
counter_config() {
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/dev/shm/c.new; mv /dev/shm/c.new /dev/shm/c; usleep 50000; done'
}

# A container that runs `memhog MB` each time /dev/shm/goN appears, leaving its
# output in /dev/shm/outN and status in /dev/shm/rcN.
memhog_config() { # LIMIT_BYTES MB
	update_config --argjson l "$1" '.linux.resources.memory = {"limit": $l, "swap": $l}'
	set_args sh -c "n=0; while :; do if [ -e /dev/shm/go\$n ]; then $HELPER memhog $2 >/dev/shm/out\$n; echo \$? >/dev/shm/rc\$n; n=\$((n+1)); fi; usleep 50000; done"
}

# cg_file V1CONTROLLER V1FILE V2FILE: path of a control file of this test's cgroup.
cg_file() {
	if cgroup_v2; then
		echo "/sys/fs/cgroup/staple-test/$ID/$3"
	else
		echo "/sys/fs/cgroup/$1/staple-test/$ID/$2"
	fi
}

@test "pause stops progress, resume restarts it, state and list say paused" {
	counter_config
	run_detached
	wait_file "$(in_ctr /dev/shm/c)"
	oci pause "$ID"
	assert_equal "$(state_field "$ID" status)" paused
	assert_equal "$(oci list -f json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" paused
	a=$(cat "$(in_ctr /dev/shm/c)")
	sleep 0.5
	b=$(cat "$(in_ctr /dev/shm/c)")
	assert_equal "$b" "$a"
	oci resume "$ID"
	assert_equal "$(state_field "$ID" status)" running
	sleep 0.5
	c=$(cat "$(in_ctr /dev/shm/c)")
	[ "$c" -gt "$b" ]
}

@test "pause and resume refuse the wrong states" {
	set_args sleep 1000
	oci create --bundle "$BUNDLE" "$ID" </dev/null
	run oci pause "$ID"
	assert_failure
	assert_output_contains "not running"
	oci start "$ID"
	wait_status "$ID" running
	run oci resume "$ID"
	assert_failure
	assert_output_contains "container $ID is not paused"
	oci pause "$ID"
	run oci pause "$ID"
	assert_failure
	assert_output_contains "already paused"
	oci resume "$ID"
	oci kill "$ID" KILL
	wait_status "$ID" stopped
	run oci pause "$ID"
	assert_failure
	assert_output_contains "not running"
}

@test "a paused container can be deleted with --force" {
	set_args sleep 1000
	run_detached
	oci pause "$ID"
	oci delete --force "$ID"
	assert_no_container "$ID"
}

@test "ps lists the container's pid as json and as a table" {
	set_args sleep 1000
	run_detached
	pid=$(state_field "$ID" pid)
	run oci ps --format json "$ID"
	assert_success
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	run oci ps "$ID"
	assert_success
	[[ ${lines[0]} == *PID* ]]
	[ "$(awk -v p="$pid" 'NR > 1 && $2 == p' <<<"$output" | wc -l)" -eq 1 ]
	# no host process besides the container's
	[ "${#lines[@]}" -eq 2 ]
	run oci ps "$ID" -o pid,comm
	assert_success
	[[ ${lines[1]} == *"$pid sleep"* ]]
}

@test "update raises the memory limit of a running container; memhog then succeeds" {
	memhog_config $((32 * MiB)) 64
	run_detached
	touch "$(in_ctr /dev/shm/go0)"
	wait_file "$(in_ctr /dev/shm/rc0)"
	assert_equal "$(cat "$(in_ctr /dev/shm/rc0)")" 137
	oci update --memory 128m --memory-swap 128m "$ID"
	assert_equal "$(cat "$(cg_file memory memory.limit_in_bytes memory.max)")" $((128 * MiB))
	touch "$(in_ctr /dev/shm/go1)"
	wait_file "$(in_ctr /dev/shm/rc1)"
	assert_equal "$(cat "$(in_ctr /dev/shm/rc1)")" 0
	assert_equal "$(cat "$(in_ctr /dev/shm/out1)")" done
}

@test "update sets pids, cpu quota and shares from flags" {
	set_args sleep 1000
	run_detached
	oci update --pids-limit 77 --cpu-quota 20000 --cpu-period 100000 --cpu-shares 512 "$ID"
	assert_equal "$(cat "$(cg_file pids pids.max pids.max)")" 77
	if cgroup_v2; then
		assert_equal "$(cat "$(cg_file cpu - cpu.max)")" "20000 100000"
		[ "$(cat "$(cg_file cpu - cpu.weight)")" != 100 ]
	else
		assert_equal "$(cat "$(cg_file cpu cpu.cfs_quota_us -)")" 20000
		assert_equal "$(cat "$(cg_file cpu cpu.shares -)")" 512
	fi
}

@test "update -r reads LinuxResources JSON from a file and from stdin" {
	set_args sleep 1000
	run_detached
	echo '{"pids": {"limit": 55}, "memory": {"limit": 100663296, "swap": 100663296}}' >"$TEST_TMP/r.json"
	oci update -r "$TEST_TMP/r.json" "$ID"
	assert_equal "$(cat "$(cg_file pids pids.max pids.max)")" 55
	assert_equal "$(cat "$(cg_file memory memory.limit_in_bytes memory.max)")" 100663296
	echo '{"pids": {"limit": 66}}' | oci update -r - "$ID"
	assert_equal "$(cat "$(cg_file pids pids.max pids.max)")" 66
	run oci update -r - "$ID" <<<'{"pids": {"limit": "x"}}'
	assert_failure
	assert_output_contains "pids"
}

@test "update --blkio-weight sets the weight where the kernel has a weight file" {
	set_args sleep 1000
	run_detached
	local f
	if cgroup_v2; then
		for f in io.bfq.weight io.weight; do
			[[ -f /sys/fs/cgroup/staple-test/$ID/$f ]] && break
		done
	else
		for f in blkio.weight blkio.bfq.weight; do
			[[ -f /sys/fs/cgroup/blkio/staple-test/$ID/$f ]] && break
		done
	fi
	run oci update --blkio-weight 300 "$ID"
	if [[ ! -f $(cg_file blkio "$f" "$f") ]]; then
		assert_failure
		assert_output_contains "neither"
		skip "no block I/O weight file on this kernel (the clear error was checked)"
	fi
	assert_success
	case $f in
	io.weight) grep -q '^default 2930$' "$(cg_file - - io.weight)" ;;
	*) grep -qw 300 "$(cg_file blkio "$f" "$f")" ;;
	esac
	run oci update --blkio-weight 5 "$ID"
	assert_failure
}

@test "update refuses kernel memory, bad sizes and stopped containers" {
	set_args sleep 1000
	run_detached
	run oci update --kernel-memory 10m "$ID"
	assert_failure
	assert_output_contains "kernel memory"
	run oci update --memory 12x "$ID"
	assert_failure
	assert_output_contains "invalid value"
	oci kill "$ID" KILL
	wait_status "$ID" stopped
	run oci update --pids-limit 5 "$ID"
	assert_failure
	assert_output_contains "not running"
}

@test "events --stats prints runc's stats JSON" {
	set_args sh -c 'sleep 1000 & wait'
	run_detached
	run oci events --stats "$ID"
	assert_success
	echo "$output" | jq -c '.data.memory.usage, .data.pids, .data.cpu.usage'
	assert_equal "$(jq -r .type <<<"$output")" stats
	assert_equal "$(jq -r .id <<<"$output")" "$ID"
	jq -e '.data.memory.usage.usage > 0' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	jq -e '.data.cpu.usage.total > 0' <<<"$output"
	jq -e '.data.memory.raw | length > 0' <<<"$output"
	jq -e '(.data.hugetlb | type) == "object" and (.data.blkio | type) == "object"' <<<"$output"
}

@test "events streams stats every interval and reports an OOM kill" {
	memhog_config $((32 * MiB)) 200
	run_detached
	oci events --interval 200ms "$ID" >"$TEST_TMP/events" 2>&1 &
	TEST_BG_PID=$!
	sleep 0.5
	touch "$(in_ctr /dev/shm/go0)"
	for _ in $(seq 100); do
		grep -q '"type":"oom"' "$TEST_TMP/events" && break
		sleep 0.1
	done
	kill "$TEST_BG_PID"
	wait "$TEST_BG_PID" || true
	TEST_BG_PID=
	cut -c1-100 "$TEST_TMP/events"
	grep -qx "{\"type\":\"oom\",\"id\":\"$ID\"}" "$TEST_TMP/events"
	[ "$(grep -c '"type":"stats"' "$TEST_TMP/events")" -ge 2 ]
}

@test "events ends when the container stops" {
	set_args sh -c 'while [ ! -e /dev/shm/stop ]; do usleep 50000; done'
	run_detached
	oci events --interval 100ms "$ID" >"$TEST_TMP/events" 2>&1 &
	TEST_BG_PID=$!
	sleep 0.5
	touch "$(in_ctr /dev/shm/stop)"
	wait_status "$ID" stopped
	for _ in $(seq 50); do
		kill -0 "$TEST_BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$TEST_BG_PID" # events exits 0 by itself once the init is gone
	TEST_BG_PID=
	[ "$(grep -c '"type":"stats"' "$TEST_TMP/events")" -ge 1 ]
}

# Device rules (v1 devices.deny/allow, v2 an eBPF program): mknod is allowed by the
# default rules, but opening a device the rules do not allow must fail with EPERM.
device_config() { # EXTRA_RULES_JSON
	update_config --argjson extra "$1" '
		.process.capabilities |= map_values(. + ["CAP_MKNOD"]) |
		.linux.resources.devices = [{"allow": false, "access": "rwm"}] + $extra'
	set_args sh -c "mknod /dev/fusex c 10 229 && $HELPER open /dev/fusex; $HELPER open /dev/null"
}

@test "a device the rules do not allow cannot be opened" {
	device_config '[]'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	assert_equal "${lines[0]}" EPERM
	assert_equal "${lines[1]}" ok
}

@test "a device the rules allow can be opened (control)" {
	device_config '[{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	# ok, or ENODEV/ENXIO where no fuse driver is loaded: anything but EPERM
	[[ ${lines[0]} != EPERM && -n ${lines[0]} ]]
	assert_equal "${lines[1]}" ok
}

@test "a deny rule for one access blocks it, the rest stays allowed" {
	device_config '[{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}, {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "r"}]'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	echo "$output"
	assert_equal "${lines[0]}" EPERM
}
