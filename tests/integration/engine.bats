#!/usr/bin/env bats
# The `staple` engine: images in a store (import, load, images, rmi, inspect, prune) and
# `staple run` in the foreground through overlayfs snapshots. Every test has its own
# --root and --runtime-root under a temp dir and the cgroup parent /staple-test/$ID;
# teardown removes containers, mounts and cgroups and fails the test when one leaked.
#
# Environment: STAPLE (default $REPO/build/staple), STAPLE_TEST_ROOTFS (the busybox
# rootfs of tests/rootfs.sh, built on demand).

load engine-lib

setup_file() {
	make_rootfs_tar
}

@test "engine: import a rootfs tarball; images lists it (table and json)" {
	run st import "$ROOTFS_TAR" "$IMG"
	assert_success
	run st images
	assert_success
	assert_output_contains "staple-test/busybox"
	[[ ${lines[0]} == REPOSITORY*TAG*"IMAGE ID"*SIZE ]]
	[[ ${lines[1]} =~ ^staple-test/busybox\ +1\ +[0-9a-f]{12}\ +[0-9.]+[kMG]?B$ ]]
	run st images --format json
	assert_success
	assert_equal "$(jq -r '.[0].Repository + ":" + .[0].Tag' <<<"$output")" "$IMG"
	[[ $(jq -r '.[0].Id' <<<"$output") == sha256:* ]]
	run st image inspect "$IMG"
	assert_success
	assert_equal "$(jq -r '.[0].Layers | length' <<<"$output")" 1
	assert_equal "$(jq -r '.[0].RepoTags[0]' <<<"$output")" "$IMG"
}

@test "engine: run --rm echo hi prints hi, exits 0 and leaves nothing behind" {
	import_image
	run strun --rm "$IMG" echo hi
	assert_success
	assert_equal "$output" "hi"
	assert_nothing_left
}

@test "engine: the container's exit code passes through" {
	import_image
	run strun --rm "$IMG" sh -c 'exit 42'
	assert_equal "$status" 42
	run strun --rm "$IMG" false
	assert_equal "$status" 1
	assert_nothing_left
}

@test "engine: -e, -w and -u apply; user names come from the image's /etc/passwd" {
	import_image
	run strun --rm -e FOO=bar -e PATH=/bin -w /tmp -u user "$IMG" sh -c 'echo $FOO $PATH; pwd; id -u; id -g; echo $HOME'
	assert_success
	assert_equal "${lines[0]}" "bar /bin"
	assert_equal "${lines[1]}" "/tmp"
	assert_equal "${lines[2]}" "1000"
	assert_equal "${lines[3]}" "1000"
	assert_equal "${lines[4]}" "/home/user"
	run strun --rm -u 1000:nogroup "$IMG" sh -c 'id -u; id -g'
	assert_success
	assert_equal "${lines[0]}" "1000"
	assert_equal "${lines[1]}" "65534"
	run strun --rm -u nosuchuser "$IMG" true
	assert_failure
	assert_output_contains "unable to find user nosuchuser"
	assert_nothing_left
}

@test "engine: --entrypoint and --hostname" {
	import_image
	run strun --rm --entrypoint /bin/echo "$IMG" from entrypoint
	assert_success
	assert_equal "$output" "from entrypoint"
	run strun --rm --hostname box "$IMG" hostname
	assert_success
	assert_equal "$output" "box"
	run strun --rm --entrypoint "" "$IMG"
	assert_failure
	assert_output_contains "no command specified"
	assert_nothing_left
}

@test "engine: writes to / stay in the container's snapshot and go with --rm" {
	import_image
	run strun --rm "$IMG" sh -c 'echo data >/written && cat /written && rm /bin/cat'
	assert_success
	assert_equal "$output" "data"
	[[ -z $(find "$STORE" -name written) ]]
	run strun --rm "$IMG" sh -c 'ls /written; ls /bin/cat'
	assert_equal "${lines[-1]}" "/bin/cat"
	assert_nothing_left
}

@test "engine: --read-only makes the root read-only" {
	import_image
	run strun --rm --read-only "$IMG" sh -c 'echo x >/f'
	assert_failure
	assert_output_contains "read-only"
	assert_nothing_left
}

@test "engine: a kept container shows in ps -a; rmi refuses its image until rm; rmi -f works" {
	import_image
	run strun --name keeper "$IMG" sh -c 'exit 3'
	assert_equal "$status" 3
	run st ps -a
	assert_success
	assert_output_contains "keeper"
	assert_output_contains "Exited (3)"
	[[ -z $(leaked_mounts) ]]
	run st rmi "$IMG"
	assert_failure
	assert_output_contains "in use by container"
	run st images
	assert_output_contains "staple-test/busybox"
	run st rm keeper
	assert_success
	run st rmi "$IMG"
	assert_success
	assert_output_contains "Deleted: sha256:"
	run st images -q
	assert_equal "$output" ""

	import_image
	run strun --name keeper2 "$IMG" true
	assert_success
	run st rmi -f "$IMG"
	assert_success
	run st rm keeper2
	assert_success
	assert_nothing_left
}

@test "engine: an unknown image fails with a clear message and leaves nothing" {
	run strun --rm nosuch/image:tag true
	assert_failure
	assert_equal "$status" 125
	assert_output_contains "nosuch/image"
	assert_nothing_left
}

@test "engine: image prune keeps tagged images and removes untagged data" {
	import_image
	run st image prune
	assert_success
	run strun --rm "$IMG" echo still
	assert_equal "$output" "still"
	run st rmi "$IMG"
	assert_success
	run st image prune
	assert_success
	[[ -z $(ls -A "$STORE/layers" 2>/dev/null | grep -v '^tmp') ]]
}

# podman_config DIR: containers.conf and storage.conf of this machine's podman settings
# (../shared/HOST.md) with everything under DIR.
podman_config() {
	local pt=$1
	mkdir -p "$pt"
	cat >"$pt/containers.conf" <<-CONF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$pt/events.log"
	CONF
	cat >"$pt/storage.conf" <<-CONF
		[storage]
		driver = "vfs"
		graphroot = "$pt/graph"
		runroot = "$pt/run"
	CONF
}

@test "engine: load a docker-archive made by podman save, and run it" {
	command -v podman >/dev/null || skip "podman not installed"
	local pt=$TEST_TMP/podman
	podman_config "$pt"
	local -x CONTAINERS_CONF=$pt/containers.conf CONTAINERS_STORAGE_CONF=$pt/storage.conf
	if ! podman import --change 'CMD ["echo","from podman"]' "$ROOTFS_TAR" localhost/staple-test/pm:1 >/dev/null 2>&1 ||
		! podman save --format docker-archive -o "$pt/img.tar" localhost/staple-test/pm:1 >/dev/null 2>&1; then
		podman system reset -f >/dev/null 2>&1
		skip "podman import/save does not work here"
	fi
	podman system reset -f >/dev/null 2>&1
	run st load -i "$pt/img.tar"
	assert_success
	assert_output_contains "Loaded image: "
	run strun --rm localhost/staple-test/pm:1
	assert_success
	assert_equal "$output" "from podman"
	assert_nothing_left
}

@test "engine: staple save writes a docker-archive that podman loads and runs" {
	command -v podman >/dev/null || skip "podman not installed"
	local pt=$TEST_TMP/podman
	podman_config "$pt"
	local -x CONTAINERS_CONF=$pt/containers.conf CONTAINERS_STORAGE_CONF=$pt/storage.conf
	run st import "$ROOTFS_TAR" staple-test/saved:1
	assert_success
	run st save -o "$pt/out.tar" staple-test/saved:1
	assert_success
	run podman load -i "$pt/out.tar"
	assert_success
	run podman run --rm --runtime "$(command -v runc)" --network none --cgroup-parent /staple-test-podman \
		staple-test/saved:1 echo "from staple"
	podman system reset -f >/dev/null 2>&1
	# podman puts conmon in a child cgroup of the parent; remove both
	local d
	for d in /sys/fs/cgroup/*/staple-test-podman /sys/fs/cgroup/staple-test-podman; do
		[[ -d $d ]] || continue
		rmdir "$d/conmon" 2>/dev/null || true
		rmdir "$d" 2>/dev/null || true
	done
	assert_success
	assert_output_contains "from staple"
}

# A realistic root filesystem: Debian's minbase, made once by debootstrap and cached
# between runs (in /var/cache/staple-tests, or the bench's copy when it has one).
debian_minbase_tar() {
	local cache=${STAPLE_TEST_CACHE:-/var/cache/staple-tests} d
	local tar=$cache/bookworm-minbase.tar
	[[ -s $tar ]] && { echo "$tar"; return 0; }
	[[ -s /var/cache/staple-bench/bookworm-minbase.tar ]] &&
		{ echo /var/cache/staple-bench/bookworm-minbase.tar; return 0; }
	command -v debootstrap >/dev/null || return 1
	mkdir -p "$cache" && d=$(mktemp -d "$cache/tmp.XXXXXX") || return 1
	if ! timeout 900 debootstrap --variant=minbase bookworm "$d/root" >"$d/log" 2>&1; then
		tail -3 "$d/log" >&2
		rm -rf "$d"
		return 1
	fi
	tar -C "$d/root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
	rm -rf "$d"
	[[ -s $tar ]] && echo "$tar"
}

@test "engine: a debootstrap minbase Debian image (thousands of files) imports and runs" {
	local tar
	tar=$(debian_minbase_tar) || skip "no debootstrap minbase image (debootstrap missing or no Debian mirror)"
	run st import "$tar" staple-test/debian:12
	assert_success
	local files
	files=$(find "$STORE/layers" -mindepth 1 | wc -l)
	((files > 3000)) || { echo "only $files entries unpacked" >&2; return 1; }
	run strun --rm staple-test/debian:12 sh -c 'cat /etc/debian_version; id -un; dpkg -l | grep -c "^ii"'
	assert_success
	[[ ${lines[0]} == 12* ]] || { echo "debian_version: ${lines[0]}" >&2; return 1; }
	assert_equal "${lines[1]}" root
	((${lines[2]} > 50))
	assert_nothing_left
}

@test "engine: load shows per-layer progress on a terminal, and nothing when not on one" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	import_image
	run st save -o "$TEST_TMP/img.tar" "$IMG"
	assert_success
	rm -rf "$STORE"
	run script -qec "$STAPLE --root $STORE --runtime-root $ROOT load -i $TEST_TMP/img.tar" /dev/null
	assert_success
	assert_output_contains "/s"
	assert_output_contains "Loaded image: $IMG"
	rm -rf "$STORE"
	st load -i "$TEST_TMP/img.tar" 2>"$TEST_TMP/err" >/dev/null
	[[ ! -s $TEST_TMP/err ]] || { echo "stderr off a terminal: $(cat "$TEST_TMP/err")" >&2; return 1; }
}
