#!/usr/bin/env bats
# Root filesystem: mounts, /dev, devices, masked and read-only paths, rlimits, sysctl.

load helpers

run_container() {
	run oci run --bundle "$BUNDLE" "$@" "$ID" </dev/null
}

@test "mounts: a tmpfs with a size option" {
	update_config '.mounts += [{"destination": "/mnt/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "size=1m"]}]'
	set_args sh -c 'grep " /mnt/scratch " /proc/mounts; echo x > /mnt/scratch/f && cat /mnt/scratch/f'
	run_container
	assert_success
	assert_output_contains "tmpfs /mnt/scratch tmpfs"
	assert_output_contains "size=1024k"
	assert_equal "${lines[1]}" x
}

@test "mounts: a read-only bind mount of a host dir" {
	mkdir "$TEST_TMP/hostdir"
	echo from-host >"$TEST_TMP/hostdir/file"
	update_config --arg src "$TEST_TMP/hostdir" '.mounts += [{"destination": "/mnt/host",
		"type": "bind", "source": $src, "options": ["rbind", "ro"]}]'
	set_args sh -c 'cat /mnt/host/file; '"$HELPER"' write /mnt/host/new x'
	run_container
	assert_failure
	assert_equal "${lines[0]}" from-host
	assert_equal "${lines[1]}" EROFS
	[ ! -e "$TEST_TMP/hostdir/new" ]
}

@test "mounts: a read-write bind mount writes through to the host" {
	mkdir "$TEST_TMP/hostdir"
	update_config --arg src "$TEST_TMP/hostdir" '.mounts += [{"destination": "/mnt/host",
		"type": "bind", "source": $src, "options": ["rbind", "rw"]}]'
	set_args "$HELPER" write /mnt/host/new from-container
	run_container
	assert_success
	assert_equal "$(cat "$TEST_TMP/hostdir/new")" from-container
}

@test "/dev has the standard devices" {
	set_args sh -c 'for d in null zero full random urandom tty; do [ -c /dev/$d ] || echo "missing $d"; done
		[ -e /dev/ptmx ] || echo "missing ptmx"; [ -d /dev/pts ] || echo "missing pts"
		[ -d /dev/shm ] || echo "missing shm"; echo done'
	run_container
	assert_success
	assert_equal "$output" done
}

@test "/dev/null and /dev/zero work" {
	set_args sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
	run_container
	assert_success
	assert_equal "$output" 4
}

@test "linux.devices creates a device node" {
	update_config '.linux.devices = [{"path": "/dev/staple-null", "type": "c", "major": 1,
		"minor": 3, "fileMode": 438, "uid": 0, "gid": 0}]'
	set_args stat -c '%F %t %T %a' /dev/staple-null
	run_container
	assert_success
	assert_equal "$output" "character special file 1 3 666"
}

@test "maskedPaths: /proc/kcore, /proc/keys and /proc/timer_list are empty" {
	local f n=0
	for f in /proc/kcore /proc/keys /proc/timer_list; do
		[ -e "$f" ] || continue # /proc/kcore is absent on some kernels
		n=$((n + 1))
		update_config --arg f "$f" '.process.args += [$f]'
	done
	[ "$n" -gt 0 ] || skip "none of the masked files exists on this kernel"
	update_config '.process.args = ["sh", "-c", "for f; do wc -c < $f; done", "sh"] + .process.args[1:]'
	# the loop above appended the files after the placeholder args[0]
	run_container
	assert_success
	assert_equal "$(tr -d ' \n' <<<"$output")" "$(printf '0%.0s' $(seq $n))"
}

@test "maskedPaths: a masked directory is empty" {
	update_config '.linux.maskedPaths += ["/etc"]'
	set_args sh -c 'ls -A /etc | wc -l'
	run_container
	assert_success
	assert_equal "$output" 0
}

@test "readonlyPaths: writing under /proc/sys fails" {
	set_args "$HELPER" write /proc/sys/kernel/hostname other
	run_container
	assert_failure
	assert_equal "$output" EROFS
}

@test "root.readonly: writing to / fails" {
	update_config '.root.readonly = true'
	set_args "$HELPER" write /newfile x
	run_container
	assert_failure
	assert_equal "$output" EROFS
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "root.readonly false: writing to / works" {
	update_config '.root.readonly = false'
	set_args "$HELPER" write /newfile x
	run_container
	assert_success
	[ -f "$BUNDLE/rootfs/newfile" ]
}

@test "--no-pivot runs the container" {
	set_args sh -c 'cat /etc/hostname; ls /bin/staple-test-helper'
	run_container --no-pivot
	assert_success
	assert_equal "${lines[0]}" staple
	assert_equal "${lines[1]}" /bin/staple-test-helper
}

@test "sysctl: net.ipv4.ip_forward=1 in a new network namespace" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args cat /proc/sys/net/ipv4/ip_forward
	run_container
	assert_success
	assert_equal "$output" 1
}

@test "rlimits: RLIMIT_NOFILE soft and hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048}]'
	set_args sh -c 'ulimit -n; '"$HELPER"' rlimit nofile'
	run_container
	assert_success
	assert_equal "${lines[0]}" 1024
	assert_equal "${lines[1]}" "1024 2048"
}

@test "rlimits: a limit above the hard limit fails clearly" {
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard nofile limit on this host"
	if capsh --has-p=cap_sys_resource 2>/dev/null; then
		skip "this host has CAP_SYS_RESOURCE: raising the limit would succeed"
	fi
	want=$((hard + 10000))
	update_config --argjson n "$want" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $n, "hard": $n}]'
	set_args true
	run_container
	assert_failure
	assert_output_contains "rlimit"
	assert_no_container "$ID"
}
