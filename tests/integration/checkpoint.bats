#!/usr/bin/env bats
# checkpoint / restore through CRIU. Where CRIU cannot work on the host (Debian 12's
# criu 3.17 fails `criu check` on kernels whose vDSO layout it does not know), both
# commands must fail with a message saying so and leave the container as it was.

load helpers

criu_works() {
	command -v criu >/dev/null && criu check >/dev/null 2>&1
}

# A counter: writes increasing numbers to /tmp/count in the container, one a tick.
start_counter() {
	update_config '.root.readonly = false'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
}

count() {
	cat "$BUNDLE/rootfs/tmp/count" 2>/dev/null || echo 0
}

@test "checkpoint and restore fail clearly where CRIU does not work" {
	command -v criu >/dev/null || skip "criu is not installed"
	criu_works && skip "criu works on this host"
	start_counter
	run oci checkpoint --image-path "$TEST_TMP/img" --leave-running "$ID"
	assert_failure
	assert_output_contains "CRIU cannot work on this host"
	assert_output_contains "criu check"
	# the container is left as it was: running and counting
	wait_status "$ID" running
	local a b
	a=$(count)
	sleep 0.5
	b=$(count)
	[ "$b" -gt "$a" ]
	oci delete -f "$ID"
	run oci restore --image-path "$TEST_TMP/img" --bundle "$BUNDLE" -d "$ID"
	assert_failure
	assert_output_contains "CRIU cannot work on this host"
	assert_no_container "$ID"
}

@test "checkpoint of a container that does not exist or is not running" {
	run oci checkpoint --image-path "$TEST_TMP/img" "$ID"
	assert_failure
	assert_output_contains "does not exist"
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run oci checkpoint --image-path "$TEST_TMP/img" "$ID"
	assert_failure
	assert_output_contains "not running"
}

@test "restore refuses an id that exists, and flags of the other command" {
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run oci restore --image-path "$TEST_TMP/img" "$ID"
	assert_failure
	assert_output_contains "already exists"
	run oci restore --leave-running "$ID"
	assert_failure
	assert_output_contains "unknown flag"
}

@test "checkpoint, restore: a counter continues from where it was" {
	criu_works || skip "criu check fails on this host: $(criu check 2>&1 | grep -m1 Error)"
	start_counter
	sleep 0.5
	oci checkpoint --image-path "$TEST_TMP/img" --work-path "$TEST_TMP/work" "$ID"
	wait_status "$ID" stopped 2>/dev/null || run oci state "$ID"
	local at
	at=$(count)
	[ "$at" -gt 0 ]
	oci delete -f "$ID" 2>/dev/null || true
	oci restore -d --image-path "$TEST_TMP/img" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$ID"
	wait_status "$ID" running
	sleep 0.5
	local now
	now=$(count)
	[ "$now" -gt "$at" ]
	[ "$now" -lt $((at + 20)) ] # continued, not restarted from 1 long ago
	oci delete -f "$ID"
}
