#!/usr/bin/env bats
# Namespaces: what the container sees of uts, pid, mount, net, ipc, user, time, cgroup.

load helpers

run_container() {
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
}

@test "uts: hostname from config.json" {
	update_config '.hostname = "staple-box"'
	set_args hostname
	run_container
	assert_success
	assert_equal "$output" staple-box
}

@test "pid: the container process is PID 1" {
	set_args sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	run_container
	assert_success
	assert_equal "${lines[0]}" 1
	assert_output_contains "sh -c"
}

@test "pid: host processes are not visible" {
	set_args sh -c 'ls -d /proc/[0-9]* | wc -l'
	run_container
	assert_success
	# sh, ls and wc at most
	[ "$output" -le 3 ]
}

@test "mount: the mount table differs from the host and has /proc" {
	set_args cat /proc/self/mountinfo
	run_container
	assert_success
	grep -q ' /proc proc ' <<<"$output" || grep -qE ' /proc [^ ]+ - proc ' <<<"$output"
	[ "$output" != "$(cat /proc/self/mountinfo)" ]
	# The rootfs is "/" inside; the bundle path is no mount point there.
	! grep -qE "^[^ ]+ [^ ]+ [^ ]+ [^ ]+ $TEST_TMP" <<<"$output" || false
}

@test "network: only lo in a new network namespace" {
	set_args sh -c 'ls /sys/class/net'
	run_container
	assert_success
	assert_equal "$output" lo
}

@test "network: lo of a new network namespace is up, as runc leaves it" {
	# IFF_UP | IFF_LOOPBACK = 0x9; a namespace's lo starts down (0x8)
	set_args sh -c 'cat /sys/class/net/lo/flags'
	run_container
	assert_success
	assert_equal "$output" 0x9
}

@test "ipc: a host message queue is not visible inside" {
	command -v ipcmk >/dev/null || skip "no ipcmk on the host"
	qid=$(ipcmk -Q | grep -o '[0-9]*$')
	[ -n "$qid" ]
	set_args cat /proc/sysvipc/msg
	run_container
	ipcrm -q "$qid"
	assert_success
	! grep -qw "$qid" <<<"$output" || false
}

@test "user: uid and gid maps are applied" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .root.readonly = false'
	# The rootfs must be accessible to the mapped root; a read-only world is enough.
	chmod 755 "$TEST_TMP" "$BUNDLE"
	set_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	run_container
	assert_success
	read -r c h s <<<"${lines[0]}"
	assert_equal "$c $h $s" "0 100000 65536"
	read -r c h s <<<"${lines[1]}"
	assert_equal "$c $h $s" "0 200000 65536"
}

@test "network: joining an existing namespace by path" {
	command -v ip >/dev/null || skip "no ip(8)"
	TEST_NETNS=staple-test-$$-$RANDOM # deleted by teardown
	ip netns add "$TEST_NETNS"
	ip -n "$TEST_NETNS" link add staple-v0 type veth peer name staple-v1
	update_config --arg p "/var/run/netns/$TEST_NETNS" \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	set_args ls /sys/class/net
	run_container
	assert_success
	assert_output_contains staple-v0
	assert_output_contains staple-v1
}

@test "time: boottime and monotonic offsets shift /proc/uptime" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	skip_if_runc "runc 1.1 does not implement time namespaces"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 86400000, "nanosecs": 0},
		                        "monotonic": {"secs": 86400000, "nanosecs": 0}}'
	set_args cat /proc/uptime
	run_container
	assert_success
	up=${output%%.*}
	host=$(cut -d. -f1 /proc/uptime)
	[ "$up" -ge $((host + 86400000 - 5)) ]
	[ "$up" -le $((host + 86400000 + 60)) ]
}

@test "cgroup: a cgroup namespace shows / paths" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args cat /proc/self/cgroup
	run_container
	assert_success
	# every line ends with ":/"
	[ -n "$output" ]
	! grep -v ':/$' <<<"$output" || false
}

@test "namespaces: the container's namespaces differ from the host's" {
	set_args sh -c 'for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done'
	run_container
	assert_success
	for n in pid net ipc uts mnt; do
		! grep -qxF "$(readlink /proc/self/ns/$n)" <<<"$output" || false
	done
}
