#!/usr/bin/env bats
# cgroups: placement and limits.  Runs on the host (v1 hybrid) and, by
# tests/run, on pure cgroup v2 in the VM.

load helpers

MiB=$((1024 * 1024))



@test "the container's process is in the cgroup from cgroupsPath" {
	set_args sleep 1000
	create_started
	pid=$(state_field "$ID" pid)
	cat "/proc/$pid/cgroup"
	if cgroup_v2; then
		grep -qx "0::/staple-test/$ID" "/proc/$pid/cgroup"
	else
		local c
		for c in memory pids cpu,cpuacct devices freezer; do
			grep -qE "^[0-9]+:([a-z,]*,)?${c%%,*}(,[a-z,]*)?:/staple-test/$ID\$" "/proc/$pid/cgroup"
		done
	fi
}

@test "children of the container stay in its cgroup" {
	set_args sh -c 'sleep 1000 & wait'
	create_started
	for _ in $(seq 20); do
		[ "$(pgrep -P "$(state_field "$ID" pid)" | wc -l)" -ge 1 ] && break
		sleep 0.1
	done
	child=$(pgrep -P "$(state_field "$ID" pid)")
	[ -n "$child" ]
	grep -q ":/staple-test/$ID\$" "/proc/$child/cgroup"
}

@test "memory limit 64 MiB reads back" {
	update_config --argjson l $((64 * MiB)) '.linux.resources.memory = {"limit": $l}'
	set_args sleep 1000
	create_started
	assert_equal "$(cg_read memory memory.limit_in_bytes memory.max)" $((64 * MiB))
}

@test "a 200 MiB memhog under a 64 MiB limit is OOM-killed (137)" {
	update_config --argjson l $((64 * MiB)) '.linux.resources.memory = {"limit": $l, "swap": $l}'
	set_args "$HELPER" memhog 200
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 137 ]
	[[ $output != *done* ]]
}

@test "a 16 MiB memhog under a 64 MiB limit succeeds" {
	update_config --argjson l $((64 * MiB)) '.linux.resources.memory = {"limit": $l, "swap": $l}'
	set_args "$HELPER" memhog 16
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$output" done
}

@test "pids limit 10 stops a fork bomb" {
	update_config '.linux.resources.pids = {"limit": 10}'
	set_args "$HELPER" forkbomb 50
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# the helper itself counts against the limit
	[ "$output" -ge 5 ]
	[ "$output" -lt 10 ]
}

@test "pids limit reads back" {
	update_config '.linux.resources.pids = {"limit": 42}'
	set_args sleep 1000
	create_started
	assert_equal "$(cg_read pids pids.max pids.max)" 42
}

@test "cpu quota and period read back" {
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	set_args sleep 1000
	create_started
	if cgroup_v2; then
		assert_equal "$(cg_read cpu - cpu.max)" "50000 100000"
	else
		assert_equal "$(cg_read cpu cpu.cfs_quota_us -)" 50000
		assert_equal "$(cg_read cpu cpu.cfs_period_us -)" 100000
	fi
}

@test "cpu shares read back (v1) / weight is set (v2)" {
	update_config '.linux.resources.cpu = {"shares": 512}'
	set_args sleep 1000
	create_started
	if cgroup_v2; then
		w=$(cg_read cpu - cpu.weight)
		# runc and crun convert shares to weight; 100 is the untouched default
		[ "$w" != 100 ]
	else
		assert_equal "$(cg_read cpu cpu.shares -)" 512
	fi
}

@test "the cgroup is gone after delete" {
	set_args sleep 1000
	create_started
	[ -n "$(leaked_cgroups)" ]
	oci kill "$ID" KILL
	wait_status "$ID" stopped
	oci delete "$ID"
	for _ in $(seq 20); do
		[ -z "$(leaked_cgroups)" ] && break
		sleep 0.1
	done
	assert_equal "$(leaked_cgroups)" ""
}

@test "the cgroup is gone after a foreground run" {
	set_args true
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$(leaked_cgroups)" ""
}
