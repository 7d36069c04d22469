#!/usr/bin/env bats
# `staple stats` and the resource flags of `staple run` (-m/--memory, --memory-swap, --cpus,
# --cpu-shares, --pids-limit), as a user checks them: in the stats table and its JSON, in
# the container's cgroup files, and by what the kernel does to a container over its limit.
# Runs on cgroup v1 (this host, hybrid) and v2. Each test has its own --root, --runtime-root
# and cgroup parent /staple-test/$ID; teardown (engine-lib.bash) fails it on leftovers.
#
# Environment: STAPLE (default $REPO/build/staple), STAPLE_TEST_ROOTFS (the busybox
# rootfs of tests/rootfs.sh, built on demand).

load engine-lib

MiB=$((1024 * 1024))

setup_file() {
	make_rootfs_tar
}

# ctr_cg CONTROLLER V1FILE V2FILE: a cgroup file of the container $CID, on either version.
ctr_cg() {
	if cgroup_v2; then
		cat "/sys/fs/cgroup$CGP/$CID/$3"
	else
		cat "/sys/fs/cgroup/$1$CGP/$CID/$2"
	fi
}

# stat_field CONTAINER FIELD: one field of the container's `stats --no-stream --format json` row.
stat_field() {
	st stats --no-stream --format json "$1" | jq -r ".[0].$2"
}

# pids_are CONTAINER N: the PIDS the JSON shows is N.
pids_are() {
	[[ $(stat_field "$1" PIDs) == "$2" ]]
}

# in_range VALUE LOW HIGH: LOW <= VALUE <= HIGH (decimals allowed).
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }' ||
		{ echo "$1 is not in [$2, $3]" >&2; return 1; }
}

@test "stats: the table header, as docker's" {
	import_image
	run st stats --no-stream
	assert_success
	local want="CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS"
	assert_equal "$(head -1 <<<"$output" | tr -s ' ' | sed 's/ $//')" "$want"
	assert_equal "$(wc -l <<<"$output")" 1 # no container runs: the header alone
}

@test "stats: --memory 64m is the limit stats shows and the cgroup's memory limit" {
	import_image
	rund --name lim -m 64m "$IMG" sleep 1000
	assert_equal "$(stat_field lim MemLimit)" $((64 * MiB))
	assert_equal "$(ctr_cg memory memory.limit_in_bytes memory.max)" $((64 * MiB))
	run st stats --no-stream lim
	assert_success
	[[ $(sed -n 2p <<<"$output") == "${CID:0:12}"*" lim "*" / 64MiB "* ]] || { echo "row: $output" >&2; return 1; }
	# no --memory: the host's RAM is the limit
	rund --name nolim "$IMG" sleep 1000
	local host
	host=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))
	assert_equal "$(stat_field nolim MemLimit)" "$host"
}

@test "run: a 200 MiB memhog under --memory 64m is OOM-killed (137); 16 MiB fits" {
	import_image
	run strun --rm -m 64m "$IMG" "$HELPER" memhog 200
	[ "$status" -eq 137 ] || { echo "status $status: $output" >&2; return 1; }
	[[ $output != *done* ]]
	run strun --rm -m 64m "$IMG" "$HELPER" memhog 16
	assert_success
	assert_equal "$output" done
}

@test "run: --memory-swap is memory plus swap in the cgroup; -1 is unlimited" {
	import_image
	if ! cgroup_v2 && [[ ! -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]]; then
		skip "no swap accounting (memory.memsw.*) on this kernel"
	fi
	rund -m 64m --memory-swap 128m "$IMG" sleep 1000
	if cgroup_v2; then
		assert_equal "$(ctr_cg memory - memory.swap.max)" $((64 * MiB))
	else
		assert_equal "$(ctr_cg memory memory.memsw.limit_in_bytes -)" $((128 * MiB))
	fi
	rund -m 64m --memory-swap -1 "$IMG" sleep 1000
	if cgroup_v2; then
		assert_equal "$(ctr_cg memory - memory.swap.max)" max
	else
		(($(ctr_cg memory memory.memsw.limit_in_bytes -) > 1 << 50))
	fi
}

@test "run: --pids-limit 10 stops a fork bomb and reads back" {
	import_image
	run strun --rm --pids-limit 10 "$IMG" "$HELPER" forkbomb 50
	assert_success
	# the helper itself counts against the limit
	[ "$output" -ge 5 ] && [ "$output" -lt 10 ] || { echo "forked $output" >&2; return 1; }
	rund --pids-limit 10 "$IMG" sleep 1000
	assert_equal "$(ctr_cg pids pids.max pids.max)" 10
}

@test "run: --cpus 0.5 is a CFS quota of 50000 per 100000; --cpu-shares reads back" {
	import_image
	rund --cpus 0.5 --cpu-shares 512 "$IMG" sleep 1000
	if cgroup_v2; then
		assert_equal "$(ctr_cg cpu - cpu.max)" "50000 100000"
		# v2 has a weight, not shares: 512 shares map to 1 + (512 - 2) * 9999 / 262142
		assert_equal "$(ctr_cg cpu - cpu.weight)" 20
	else
		assert_equal "$(ctr_cg cpu cpu.cfs_quota_us -)" 50000
		assert_equal "$(ctr_cg cpu cpu.cfs_period_us -)" 100000
		assert_equal "$(ctr_cg cpu cpu.shares -)" 512
	fi
}

@test "stats: a busy loop under --cpus 0.5 shows 20-70 % CPU; an idle sleeper under 5 %" {
	import_image
	rund --name busy --cpus 0.5 "$IMG" sh -c 'while :; do :; done'
	rund --name idle "$IMG" sleep 1000
	run st stats --no-stream --format json
	assert_success
	local busy idle
	busy=$(jq -r '.[] | select(.Name == "busy") | .CPUPerc' <<<"$output")
	idle=$(jq -r '.[] | select(.Name == "idle") | .CPUPerc' <<<"$output")
	in_range "$busy" 20 70
	in_range "$idle" 0 5
	# the table says the same
	run st stats --no-stream busy
	assert_success
	local pct
	pct=$(sed -n 2p <<<"$output" | awk '{ print $3 }')
	[[ $pct == *% ]] || { echo "CPU % column: $pct" >&2; return 1; }
	in_range "${pct%\%}" 20 70
}

@test "stats: PIDS counts a shell and its two background sleeps as 3" {
	import_image
	rund --name three "$IMG" sh -c 'sleep 1000 & sleep 1000 & wait'
	retry 30 pids_are three 3
	run st stats --no-stream three
	assert_success
	assert_equal "$(sed -n 2p <<<"$output" | awk '{ print $NF }')" 3
}

@test "stats: BLOCK I/O counts a container's 20 MiB of direct writes" {
	local fs
	fs=$(stat -f -c %T "$TEST_TMP")
	[[ $fs == ext* || $fs == xfs || $fs == btrfs ]] || skip "the store is on $fs: no block device to count"
	import_image
	rund --name io "$IMG" sh -c 'dd if=/dev/zero of=/x bs=1M count=20 oflag=direct && touch /written; sleep 1000'
	retry 100 st exec io test -e /written
	local w
	w=$(stat_field io BlockWrite)
	((w >= 20 * MiB)) || { echo "BlockWrite $w" >&2; return 1; }
	run st stats --no-stream io
	[[ $(sed -n 2p <<<"$output") == *" / 2"?"MB "* ]] || { echo "row: $output" >&2; return 1; }
}

@test "stats: JSON fields; a stopped container named explicitly shows zeros; -a lists it" {
	import_image
	run strun --name done "$IMG" true
	assert_success
	rund --name up "$IMG" sleep 1000
	run st stats --no-stream --format json done
	assert_success
	assert_equal "$(jq -c '.[0] | [.Name, .CPUPerc, .MemUsage, .MemLimit, .MemPerc, .PIDs, .BlockRead, .BlockWrite]' <<<"$output")" \
		'["done",0,0,0,0,0,0,0]'
	[[ $(jq -r '.[0].ID' <<<"$output") =~ ^[0-9a-f]{64}$ ]]
	run st stats --no-stream done
	assert_success
	[[ $(sed -n 2p <<<"$output" | tr -s ' ') == *" done 0.00% 0B / 0B 0.00% 0B / 0B 0B / 0B 0" ]] ||
		{ echo "row: $output" >&2; return 1; }
	# without names: the running ones only; -a: all
	assert_equal "$(st stats --no-stream --format json | jq -r '[.[].Name] | join(",")')" up
	assert_equal "$(st stats --no-stream --format json -a | jq -r '[.[].Name] | join(",")')" done,up
	# an unknown one is an error
	run st stats --no-stream nosuch
	[ "$status" -eq 125 ]
	[[ $output == *"nosuch: no such container"* ]]
}

@test "stats: without --no-stream a sample every second until SIGTERM, then exit 0" {
	import_image
	rund --name s "$IMG" sleep 1000
	"$STAPLE" --root "$STORE" --runtime-root "$ROOT" stats --format json >"$TEST_TMP/out" 2>&1 &
	local pid=$!
	sleep 3.5
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	local n
	n=$(wc -l <"$TEST_TMP/out")
	((n >= 2 && n <= 4)) || { echo "$n samples in 3.5 s: $(cat "$TEST_TMP/out")" >&2; return 1; }
	# not a terminal: no screen clearing
	! grep -q $'\033' "$TEST_TMP/out"
	jq -e 'all(.[]; .Name == "s")' <"$TEST_TMP/out" >/dev/null
}

@test "run: bad resource values fail with 125 and one line naming the flag; nothing is left" {
	import_image
	local a flag
	for a in "-m abc:--memory" "--memory 1k:--memory" "--memory-swap 12x:--memory-swap" "--cpus 0:--cpus" \
		"--cpus lots:--cpus" "--cpus 100000:--cpus" "--cpu-shares 1:--cpu-shares" "--pids-limit -2:--pids-limit" \
		"--pids-limit ten:--pids-limit" "--memory-swap 128m:--memory-swap" "-m 128m --memory-swap 64m:--memory-swap"; do
		flag=${a##*:}
		# shellcheck disable=SC2086 # the flag and its value are two words
		run strun ${a%:*} "$IMG" true
		[ "$status" -eq 125 ] || { echo "$a: status $status: $output" >&2; return 1; }
		assert_equal "$(wc -l <<<"$output")" 1
		[[ $output == "staple: "*"$flag"* ]] || { echo "$a: $output" >&2; return 1; }
	done
	assert_nothing_left
}
