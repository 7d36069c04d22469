#!/usr/bin/env bats
# cgroups: the less common linux.resources (blockIO devices, cpu burst/idle,
# hugepageLimits, network, kernel memory).  Runs on the host (v1 hybrid) and,
# by tests/run, on pure cgroup v2 in the VM.

load helpers

MiB=$((1024 * 1024))



# create_fails WORDS: create is refused, the message holds WORDS, nothing is left.
create_fails() {
	set_args true
	run oci create --bundle "$BUNDLE" "$ID"
	echo "$output"
	assert_failure
	assert_output_contains "$1"
	assert_no_container "$ID"
}

# The whole disk under /tmp (or /) as MAJ:MIN; throttling takes no partitions.
throttle_device() {
	local d dev sys
	for d in /tmp /; do
		dev=$(findmnt -no MAJ:MIN -T "$d" | head -1 | tr -d ' ')
		sys=/sys/dev/block/$dev
		[[ -n $dev && -e $sys ]] || continue
		if [[ -e $sys/partition ]]; then
			dev=$(cat "$(readlink -f "$sys")/../dev") || continue
		fi
		echo "$dev"
		return 0
	done
	# else any disk (the VM's root is 9p): a rule needs no mounted file system
	for sys in /sys/block/*; do
		[[ -e $sys/dev && ${sys##*/} != loop* && ${sys##*/} != ram* && ${sys##*/} != zram* ]] || continue
		cat "$sys/dev"
		return 0
	done
	return 1
}

@test "blockIO throttle read bps and write iops read back" {
	dev=$(throttle_device) || skip "no block device on this machine"
	update_config --argjson maj "${dev%%:*}" --argjson min "${dev##*:}" \
		'.linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": $maj, "minor": $min, "rate": 1048576}],
		  "throttleWriteIOPSDevice": [{"major": $maj, "minor": $min, "rate": 300}]}'
	set_args sleep 1000
	create_started
	if cgroup_v2; then
		cg_read io - io.max | grep -x "$dev rbps=1048576 wbps=max riops=max wiops=300"
	else
		assert_equal "$(cg_read blkio blkio.throttle.read_bps_device -)" "$dev 1048576"
		assert_equal "$(cg_read blkio blkio.throttle.write_iops_device -)" "$dev 300"
	fi
}

@test "cpu burst and idle read back" {
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1}'
	set_args sleep 1000
	create_started
	assert_equal "$(cg_read cpu cpu.cfs_burst_us cpu.max.burst)" 20000
	assert_equal "$(cg_read cpu cpu.idle cpu.idle)" 1
}

@test "hugepage limit 2MB reads back where hugetlb exists" {
	[[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]] || skip "no 2 MB huge pages on this kernel"
	local u=/sys/fs/cgroup/unified file
	if cgroup_v2; then
		grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers || skip "no hugetlb controller"
		file=/sys/fs/cgroup/staple-test/$ID/hugetlb.2MB.max
	elif [[ -d /sys/fs/cgroup/hugetlb ]]; then
		file=/sys/fs/cgroup/hugetlb/staple-test/$ID/hugetlb.2MB.limit_in_bytes
	elif grep -qw hugetlb $u/cgroup.controllers 2>/dev/null; then
		file=$u/staple-test/$ID/hugetlb.2MB.max
		was_on=$(cat $u/cgroup.subtree_control)
	else
		skip "no hugetlb controller"
	fi
	update_config --argjson l $((8 * MiB)) '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": $l}]'
	set_args sleep 1000
	create_started
	got=$(cat "$file")
	oci delete --force "$ID"
	# hybrid: give the unified root back its controllers as we found them
	if [[ -n ${was_on+x} && $was_on != *hugetlb* ]]; then
		rmdir $u/staple-test 2>/dev/null || true
		echo -hugetlb >$u/cgroup.subtree_control 2>/dev/null || true
	fi
	assert_equal "$got" $((8 * MiB))
}

@test "hugepageLimits with a bad page size is refused at parse" {
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2M", "limit": 4194304}]'
	create_fails "hugepageLimits[0].pageSize"
}

@test "network classID is refused clearly where net_cls is not available" {
	if ! cgroup_v2 && [[ -d /sys/fs/cgroup/net_cls ]]; then
		skip "this host has net_cls"
	fi
	update_config '.linux.resources.network = {"classID": 1048577}'
	create_fails "linux.resources.network needs the net_cls/net_prio cgroup"
}

@test "kernel memory limits are refused clearly" {
	update_config --argjson l $((64 * MiB)) '.linux.resources.memory = {"kernel": $l}'
	create_fails "linux.resources.memory.kernel: kernel memory limits are not supported"
}

@test "weightDevice applies or is refused clearly" {
	dev=$(throttle_device) || skip "no block device on this machine"
	update_config --argjson maj "${dev%%:*}" --argjson min "${dev##*:}" \
		'.linux.resources.blockIO = {"weightDevice": [{"major": $maj, "minor": $min, "weight": 500}]}'
	set_args sleep 1000
	if oci create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1; then
		local f=blkio.weight_device
		cgroup_v2 && f=io.bfq.weight
		[[ -e $(cgroup_dir blkio /staple-test/$ID)/$f ]] || f=${f/.weight_device/.bfq.weight_device}
		cgroup_v2 && [[ ! -e /sys/fs/cgroup/staple-test/$ID/$f ]] && f=io.weight
		cat "$(cgroup_dir blkio /staple-test/$ID)/$f"
		grep -q "^$dev " "$(cgroup_dir blkio /staple-test/$ID)/$f"
	else
		# no weight files, or the device's scheduler has no weights (not BFQ)
		cat "$TEST_TMP/out"
		grep -q "linux.resources.blockIO.weightDevice" "$TEST_TMP/out"
		assert_no_container "$ID"
	fi
}
