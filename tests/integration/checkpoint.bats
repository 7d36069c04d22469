#!/usr/bin/env bats
# checkpoint / restore through CRIU.
#
# Debian 12's criu 3.17 fails `criu check` on this host's kernel (it does not know the
# vDSO layout of 6.18): here both commands must fail with a message saying so and leave
# the container as it was. tests/run runs this file again in the cgroup v2 VM (Debian's
# 6.1 kernel, through tests/criu-vm.sh), where CRIU works and the round trips run.

load helpers

criu_works() {
	command -v criu >/dev/null && criu check >/dev/null 2>&1
}

need_criu() {
	criu_works || skip "criu check fails on this host: $(criu check 2>&1 | grep -m1 Error)"
}

# A counter: i goes up by one a tick, written to /tmp/count (and stdout); it exits
# with 7 once it reaches $1 (default: never).
start_counter() {
	local upto=${1:-0}
	update_config '.root.readonly = false'
	set_args sh -c "i=0; while [ $upto -eq 0 ] || [ \$i -lt $upto ]; do i=\$((i+1)); echo \$i >/tmp/count; echo \$i; sleep 0.1; done; exit 7"
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
}

# read_count FILE: a counter's last value (0 before its first); a read that races
# the counter's rewrite of the file (empty) is retried.
read_count() {
	local c="" tries=20
	while [[ -z $c ]] && ((tries-- > 0)); do
		[[ -e $1 ]] || { echo 0 && return; }
		c=$(cat "$1" 2>/dev/null)
		[[ -n $c ]] || sleep 0.01
	done
	echo "${c:-0}"
}

count() {
	read_count "$BUNDLE/rootfs/tmp/count"
}

# wait_count N: until the counter got to N (TCG in the VM is slow).
wait_count() {
	local tries=300
	while (($(count) < $1 && tries-- > 0)); do sleep 0.1; done
	(($(count) >= $1))
}

checkpoint() {
	oci checkpoint --image-path "$TEST_TMP/img" --work-path "$TEST_TMP/work" "$@" "$ID"
}

restore() {
	oci restore --image-path "$TEST_TMP/img" --work-path "$TEST_TMP/work" --bundle "$BUNDLE" "$@" "$ID"
}

# assert_continues FROM: the restored counter goes on from FROM (a fresh start would
# count from 1 again) and keeps counting.
assert_continues() {
	local from=$1 a b
	a=$(count)
	[ "$a" -ge "$from" ] || { echo "count $a after restore, dumped at $from" >&2; return 1; }
	sleep 1
	b=$(count)
	[ "$b" -gt "$a" ] || { echo "count stuck at $a after restore" >&2; return 1; }
}

@test "checkpoint and restore fail clearly where CRIU does not work" {
	command -v criu >/dev/null || skip "criu is not installed"
	criu_works && skip "criu works on this host"
	start_counter
	run checkpoint --leave-running
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
	run restore -d
	assert_failure
	assert_output_contains "no checkpoint in"
	assert_no_container "$ID"
}

@test "checkpoint of a container that does not exist or is not running" {
	run checkpoint
	assert_failure
	assert_output_contains "does not exist"
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run checkpoint
	assert_failure
	assert_output_contains "not running"
}

@test "restore refuses an id that exists, flags of the other command, an empty image dir" {
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run restore
	assert_failure
	assert_output_contains "already exists"
	run oci restore --leave-running "$ID"
	assert_failure
	assert_output_contains "unknown flag"
	run oci checkpoint --manage-cgroups-mode=sometimes "$ID"
	assert_failure
	assert_output_contains "is not soft, full, strict or ignore"
	oci delete -f "$ID"
	mkdir "$TEST_TMP/img"
	run restore -d
	assert_failure
	assert_output_contains "no checkpoint in $TEST_TMP/img"
	assert_no_container "$ID"
}

@test "checkpoint refuses a terminal and a joined namespace other than the network's" {
	update_config '.process.terminal = true'
	run restore -d
	assert_failure
	assert_output_contains "containers with a terminal"
	assert_no_container "$ID"
	update_config '.process.terminal = false'
	unshare --ipc sleep 600 &
	TEST_BG_PID=$! # killed by teardown
	sleep 0.2
	update_config --arg p "/proc/$TEST_BG_PID/ns/ipc" '.linux.namespaces |= map(if .type == "ipc" then .path = $p else . end)'
	start_counter
	run checkpoint
	assert_failure
	assert_output_contains "joined the ipc namespace"
	wait_status "$ID" running
}

@test "checkpoint, restore: a counter continues from where it was, in its cgroup" {
	need_criu
	start_counter
	wait_count 5
	checkpoint
	local at
	at=$(count)
	# as runc: a checkpoint without --leave-running ends the container
	assert_no_container "$ID"
	sleep 0.5
	assert_equal "$(count)" "$at"
	restore -d </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	assert_continues "$at"
	local pid
	pid=$(state_field "$ID" pid)
	grep -q "staple-test/$ID\$" "/proc/$pid/cgroup"
	[ "$(stat -L -c %i "/proc/$pid/ns/pid")" != "$(stat -L -c %i /proc/self/ns/pid)" ]
	[ "$(stat -L -c %i "/proc/$pid/ns/mnt")" != "$(stat -L -c %i /proc/self/ns/mnt)" ]
	oci delete -f "$ID"
	assert_no_container "$ID"
}

@test "checkpoint --leave-running: the container goes on; restore from the image later" {
	need_criu
	start_counter
	wait_count 5
	local before a
	before=$(count) # the dump happens at this value or later
	checkpoint --leave-running
	wait_status "$ID" running
	[ -f "$TEST_TMP/img/inventory.img" ]
	a=$(count)
	sleep 0.5
	[ "$(count)" -gt "$a" ]
	oci delete -f "$ID"
	restore -d </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	assert_continues "$before"
	oci delete -f "$ID"
}

@test "restore in the foreground waits for the container and returns its exit code" {
	need_criu
	start_counter 40
	wait_count 5
	checkpoint
	run restore
	assert_equal "$status" 7
	assert_equal "$(count)" 40
	assert_no_container "$ID"
}

@test "restore: stdio pipes of the dump are replaced by the restoring caller's" {
	need_criu
	update_config '.root.readonly = false'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo "tick $i"; sleep 0.1; done'
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null 2>/dev/null > >(cat >"$TEST_TMP/out1")
	wait_status "$ID" running
	wait_count 5
	checkpoint
	local at last tries=50
	at=$(count)
	# the dump may have frozen it between the count file and the tick line: the old pipe
	# ends at at-1 or at (and its reader may still be writing out1)
	while tries=$((tries - 1)); do
		last=$(last_tick "$TEST_TMP/out1")
		[[ $last == "$at" || $last == "$((at - 1))" ]] && break
		((tries > 0)) || { echo "out1 ends at '$last', the counter at $at" >&2; return 1; }
		sleep 0.1
	done
	restore -d </dev/null 2>/dev/null > >(cat >"$TEST_TMP/out2")
	wait_status "$ID" running
	sleep 1
	oci delete -f "$ID"
	sleep 0.2
	# the new pipe carries on right after the old one's last tick; the old one got none of them
	assert_equal "$(sed -n 's/^tick //p' "$TEST_TMP/out2" | head -1)" "$((last + 1))"
	assert_equal "$(last_tick "$TEST_TMP/out1")" "$last"
}

last_tick() { # FILE: the number of its last "tick N" line
	sed -n 's/^tick //p' "$1" | tail -1
}

@test "restore: a bind mount comes from its source in the restoring config" {
	need_criu
	mkdir "$TEST_TMP/d1" "$TEST_TMP/d2"
	update_config --arg s "$TEST_TMP/d1" '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]'
	update_config '.root.readonly = false'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i >/data/count; sleep 0.1; done'
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	wait_count 5
	checkpoint
	update_config --arg s "$TEST_TMP/d2" '(.mounts[] | select(.destination == "/data")).source = $s'
	restore -d </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	sleep 1
	local d1 d2
	d1=$(read_count "$TEST_TMP/d1/count")
	d2=$(read_count "$TEST_TMP/d2/count")
	[ "$d2" -gt "$d1" ]
	oci delete -f "$ID"
}

@test "restore: a joined network namespace is joined again, not copied" {
	need_criu
	TEST_NETNS=staple-test-$$-$RANDOM # deleted by teardown
	ip netns add "$TEST_NETNS"
	update_config --arg p "/run/netns/$TEST_NETNS" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	start_counter
	wait_count 5
	checkpoint
	restore -d </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	local pid
	pid=$(state_field "$ID" pid)
	assert_equal "$(stat -L -c %i "/proc/$pid/ns/net")" "$(stat -L -c %i "/run/netns/$TEST_NETNS")"
	oci delete -f "$ID"
}

@test "restore of a damaged image fails with criu's reason and leaves nothing" {
	need_criu
	start_counter
	wait_count 5
	checkpoint
	echo garbage >"$TEST_TMP/img/pstree.img"
	run restore -d
	assert_failure
	assert_output_contains "criu restore failed"
	assert_output_contains "restore.log"
	assert_no_container "$ID"
	[ -z "$(leaked_mounts)" ]
}

@test "checkpoint --pre-dump, then a dump on top of it with --parent-path" {
	need_criu
	start_counter
	wait_count 5
	oci checkpoint --pre-dump --image-path "$TEST_TMP/pre" --work-path "$TEST_TMP/work" "$ID"
	wait_status "$ID" running # a pre-dump leaves the container running
	oci checkpoint --image-path "$TEST_TMP/img" --parent-path ../pre --work-path "$TEST_TMP/work" "$ID"
	[ -L "$TEST_TMP/img/parent" ] # criu links the dump to the pre-dump it builds on
	local at
	at=$(count)
	assert_no_container "$ID"
	restore -d </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	assert_continues "$at"
	oci delete -f "$ID"
}

@test "checkpoint --tcp-established: a TCP connection inside the container survives" {
	need_criu
	update_config '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
	update_config '.root.readonly = false'
	# the listener's stdin never ends: busybox nc closes the connection at its EOF
	set_args sh -c 'ip link set lo up; sleep 100000 | nc -l -p 5000 >/tmp/recv & sleep 1;
		i=0; while :; do i=$((i+1)); echo $i; echo $i >/tmp/count; sleep 0.1; done | nc 127.0.0.1 5000'
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	wait_count 5
	run checkpoint
	assert_failure
	assert_output_contains "tcp-established" # criu's own advice, passed on
	wait_status "$ID" running
	checkpoint --tcp-established
	local at
	at=$(count)
	restore -d --tcp-established </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	assert_continues "$at"
	# what the sender wrote after the restore came through the restored connection
	awk -v at="$at" '$1 > at + 1 { found = 1 } END { exit !found }' "$BUNDLE/rootfs/tmp/recv"
	oci delete -f "$ID"
}
