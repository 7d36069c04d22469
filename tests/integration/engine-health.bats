#!/usr/bin/env bats
# Health checks of detached containers: --health-* flags and the image's Healthcheck, run
# by the container's monitor, seen through `staple inspect` (State.Health) and `staple ps`.
# Each test has its own store, runtime root and cgroup parent (engine-lib.bash), and its
# teardown fails the test when anything of it was left.

load engine-lib

setup_file() {
	make_rootfs_tar
}

SLEEPER='trap "exit 0" TERM; while :; do sleep 0.1; done'

# health CONTAINER JQ: a field of State.Health.
health() {
	st inspect "$1" | jq -r ".State.Health$2"
}

has_checked() { # CONTAINER: a check has run (and been logged)
	[[ $(health "$1" '.Log | length') -gt 0 ]]
}

health_is() { # CONTAINER STATUS
	[[ $(health "$1" .Status) == "$2" ]]
}

@test "health: a passing check makes the container healthy; ps shows it" {
	import_image
	run strun -d --name h1 --health-cmd 'test -f /tmp/ok && echo fine' --health-interval 200ms \
		"$IMG" sh -c "touch /tmp/ok; $SLEEPER"
	assert_success
	assert_equal "$(health h1 .Status)" starting
	retry 50 health_is h1 healthy
	assert_equal "$(health h1 .FailingStreak)" 0
	assert_equal "$(health h1 '.Log[-1].ExitCode')" 0
	assert_equal "$(health h1 '.Log[-1].Output')" fine
	run st ps
	assert_output_contains "running (healthy)"
	run st stop h1
	assert_success
}

@test "health: failures past the retries make it unhealthy; a later pass makes it healthy again" {
	import_image
	run strun -d --name h2 --health-cmd 'test -f /tmp/ok || { echo broken; exit 3; }' \
		--health-interval 200ms --health-retries 2 "$IMG" sh -c "$SLEEPER"
	assert_success
	retry 50 health_is h2 unhealthy
	[ "$(health h2 .FailingStreak)" -ge 2 ]
	assert_equal "$(health h2 '.Log[-1].ExitCode')" 3
	assert_equal "$(health h2 '.Log[-1].Output')" broken
	[ "$(health h2 '.Log | length')" -le 5 ]
	assert_equal "$(st inspect h2 | jq -r .State.Status)" running # not restarted, not stopped
	run st exec h2 touch /tmp/ok
	assert_success
	retry 50 health_is h2 healthy
	assert_equal "$(health h2 .FailingStreak)" 0
	run st rm -f h2
	assert_success
}

@test "health: failures in the start period do not count" {
	import_image
	run strun -d --name h3 --health-cmd 'exit 1' --health-interval 200ms --health-retries 1 \
		--health-start-period 30s "$IMG" sh -c "$SLEEPER"
	assert_success
	retry 50 has_checked h3
	sleep 0.5
	assert_equal "$(health h3 .Status)" starting
	assert_equal "$(health h3 .FailingStreak)" 0
	run st rm -f h3
	assert_success
}

@test "health: a check that runs past its timeout fails with -1" {
	import_image
	run strun -d --name h4 --health-cmd 'sleep 10' --health-timeout 300ms --health-interval 200ms \
		--health-retries 1 "$IMG" sh -c "$SLEEPER"
	assert_success
	retry 100 health_is h4 unhealthy
	assert_equal "$(health h4 '.Log[-1].ExitCode')" -1
	[[ $(health h4 '.Log[-1].Output') == *timeout* ]]
	run st rm -f h4
	assert_success
}

# An image whose config has a Healthcheck (a one-layer docker-archive, loaded).
load_image_with_healthcheck() {
	local d=$TEST_TMP/archive h
	mkdir -p "$d"
	cp "$ROOTFS_TAR" "$d/layer.tar"
	h=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	cat >"$d/config.json" <<-EOF
		{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],
		 "Healthcheck":{"Test":["CMD-SHELL","echo from-image"],"Interval":200000000,"Retries":1}},
		 "rootfs":{"type":"layers","diff_ids":["sha256:$h"]}}
	EOF
	echo '[{"Config":"config.json","RepoTags":["staple-test/hc:1"],"Layers":["layer.tar"]}]' >"$d/manifest.json"
	tar -C "$d" -cf "$d/image.tar" manifest.json config.json layer.tar
	st load -i "$d/image.tar" >/dev/null
}

@test "health: the image's Healthcheck runs; --no-healthcheck turns it off" {
	load_image_with_healthcheck
	run strun -d --name h5 staple-test/hc:1 sh -c "$SLEEPER"
	assert_success
	retry 50 health_is h5 healthy
	assert_equal "$(health h5 '.Log[-1].Output')" from-image
	run strun -d --name h6 --no-healthcheck staple-test/hc:1 sh -c "$SLEEPER"
	assert_success
	assert_equal "$(st inspect h6 | jq -r '.State.Health // "none"')" none
	run st rm -f h5 h6
	assert_success
}

@test "health: bad flags fail with 125 and leave nothing" {
	import_image
	run strun --health-cmd true "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "need -d"
	run strun -d --health-cmd true --health-interval soon "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "--health-interval"
	run strun -d --health-retries 2 "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "--health-cmd"
	run strun -d --no-healthcheck --health-cmd true "$IMG" true
	assert_equal "$status" 125
	run st ps -a -q
	assert_equal "$output" ""
}
