#!/usr/bin/env bats
# Lifecycle: run, create/start/state/kill/delete, list, pid files, stdio, user/env/cwd.
# Tagged for cgroup v2: tests/run also runs this file in the cgroup v2 VM.

load helpers

# create_container ID [FLAGS...]: create with stdio in files, not in the bats pipe
# (the container's init keeps create's stdio open).
create_container() {
	local id=$1
	shift
	oci create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TEST_TMP/$id.out" 2>"$TEST_TMP/$id.err" || {
		cat "$TEST_TMP/$id.err" >&2
		return 1
	}
}

# A loop that exits 0 on SIGTERM (PID 1 ignores signals it has no handler for).
TERM_LOOP='trap "exit 0" TERM; while true; do sleep 0.1; done'

@test "run: exit code 0 passes through" {
	set_args true
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
}

@test "run: exit code 3 passes through" {
	set_args sh -c 'exit 3'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 3 ]
}

@test "run: a process killed by SIGKILL exits 137" {
	# Without a pid namespace: PID 1 of a namespace cannot SIGKILL itself.
	update_config 'del(.linux.namespaces[] | select(.type == "pid"))'
	set_args sh -c 'kill -9 $$'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 137 ]
}

@test "run: PID 1 killed from outside exits 137" {
	set_args sleep 1000
	(
		for _ in $(seq 50); do
			[ "$(oci state "$ID" 2>/dev/null | jq -r .status)" = running ] && break
			sleep 0.1
		done
		oci kill "$ID" KILL
	) &
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	wait
	[ "$status" -eq 137 ]
}

@test "run: the foreground container is gone after it exits" {
	set_args true
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	run oci state "$ID"
	assert_failure
}

@test "create, state created, start, running, kill, stopped, delete" {
	set_args sh -c "$TERM_LOOP"
	create_container "$ID"
	run oci state "$ID"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" created
	assert_equal "$(jq -r .id <<<"$output")" "$ID"
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	assert_equal "$(jq -r .bundle <<<"$output")" "$BUNDLE"

	run oci start "$ID"
	assert_success
	wait_status "$ID" running
	wait_caught "$pid" 15 # TERM

	run oci kill "$ID" TERM
	assert_success
	wait_status "$ID" stopped

	run oci delete "$ID"
	assert_success
	run oci state "$ID"
	assert_failure
	! pid_alive "$pid" || false
}

@test "kill: signals by name, SIG-name and number" {
	local sig i=0
	for sig in KILL SIGKILL 9 SIGTERM 15; do
		i=$((i + 1))
		set_args sh -c "$TERM_LOOP"
		create_container "$ID-$i"
		run oci start "$ID-$i"
		assert_success
		wait_caught "$(state_field "$ID-$i" pid)" 15 # TERM
		run oci kill "$ID-$i" "$sig"
		assert_success
		wait_status "$ID-$i" stopped
		run oci delete "$ID-$i"
		assert_success
	done
}

@test "kill: default signal is SIGTERM" {
	set_args sh -c "$TERM_LOOP"
	create_container "$ID"
	oci start "$ID"
	wait_caught "$(state_field "$ID" pid)" 15 # TERM
	run oci kill "$ID"
	assert_success
	wait_status "$ID" stopped
}

@test "kill: an unknown signal fails" {
	set_args sleep 1000
	create_container "$ID"
	run oci kill "$ID" NOSUCHSIG
	assert_failure
	assert_equal "$(state_field "$ID" status)" created
}

@test "start twice fails" {
	set_args sleep 1000
	create_container "$ID"
	run oci start "$ID"
	assert_success
	run oci start "$ID"
	assert_failure
}

@test "delete: a running container needs --force" {
	set_args sleep 1000
	create_container "$ID"
	oci start "$ID"
	wait_status "$ID" running
	pid=$(state_field "$ID" pid)
	run oci delete "$ID"
	assert_failure
	assert_output_contains "running"
	assert_equal "$(state_field "$ID" status)" running
	run oci delete --force "$ID"
	assert_success
	run oci state "$ID"
	assert_failure
	for _ in $(seq 20); do pid_alive "$pid" || break; sleep 0.1; done
	! pid_alive "$pid" || false
}

@test "delete -f of a created container" {
	set_args sleep 1000
	create_container "$ID"
	run oci delete -f "$ID"
	assert_success
	run oci state "$ID"
	assert_failure
}

@test "kill --all reaches every process of the container" {
	set_args sh -c 'sleep 1000 & sleep 1000 & wait'
	create_container "$ID"
	oci start "$ID"
	wait_status "$ID" running
	cgpath=$(cgroup_dir pids "/staple-test/$ID")
	for _ in $(seq 20); do
		[ "$(wc -l <"$cgpath/cgroup.procs")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$cgpath/cgroup.procs")" -ge 3 ]
	run oci kill --all "$ID" KILL
	assert_success
	wait_status "$ID" stopped
	for _ in $(seq 20); do
		[ -z "$(cat "$cgpath/cgroup.procs")" ] && break
		sleep 0.1
	done
	assert_equal "$(cat "$cgpath/cgroup.procs")" ""
}

@test "create --pid-file holds the state pid" {
	set_args sleep 1000
	create_container "$ID" --pid-file "$TEST_TMP/pidfile"
	[ -s "$TEST_TMP/pidfile" ]
	assert_equal "$(cat "$TEST_TMP/pidfile")" "$(state_field "$ID" pid)"
}

@test "run --detach leaves a running container" {
	set_args sleep 1000
	run bash -c "timeout 60 '$STAPLE_OCI' --root '$ROOT' run -d --pid-file '$TEST_TMP/pid' \
		--bundle '$BUNDLE' '$ID' </dev/null >'$TEST_TMP/out' 2>&1"
	assert_success
	wait_status "$ID" running
	assert_equal "$(cat "$TEST_TMP/pid")" "$(state_field "$ID" pid)"
}

@test "list: table and json show the container" {
	set_args sleep 1000
	create_container "$ID"
	run oci list
	assert_success
	assert_output_contains "$ID"
	assert_output_contains "created"
	run oci list --format json
	assert_success
	assert_equal "$(jq -r '.[0].id' <<<"$output")" "$ID"
	assert_equal "$(jq -r '.[0].status' <<<"$output")" created
	run oci list -q
	assert_success
	assert_equal "$output" "$ID"
}

@test "state of an unknown container fails" {
	run oci state "no-such-container-$ID"
	assert_failure
	assert_output_contains "not exist"
}

@test "a duplicate id fails" {
	set_args sleep 1000
	create_container "$ID"
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "exist"
	assert_equal "$(state_field "$ID" status)" created
}

@test "stdout and stderr pass through" {
	set_args sh -c 'echo to-stdout; echo to-stderr >&2'
	oci run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_equal "$(cat "$TEST_TMP/out")" to-stdout
	assert_equal "$(cat "$TEST_TMP/err")" to-stderr
}

@test "stdin passes through" {
	set_args cat
	run bash -c "echo hi | timeout 60 '$STAPLE_OCI' --root '$ROOT' run --bundle '$BUNDLE' '$ID'"
	assert_success
	assert_equal "$output" hi
}

@test "process env and cwd" {
	update_config '.process.env += ["FOO=bar baz"] | .process.cwd = "/tmp"'
	set_args sh -c 'echo "$FOO"; pwd'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "${lines[0]}" "bar baz"
	assert_equal "${lines[1]}" "/tmp"
}

@test "process cwd that does not exist is created" {
	update_config '.process.cwd = "/no/such/dir"'
	set_args "$HELPER" cwd
	update_config '.root.readonly = false'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$output" /no/such/dir
}

@test "process user: uid, gid and additional gids" {
	update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
	set_args "$HELPER" id
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$output" "uid=1000 gid=1000 groups=10,20"
}

@test "process user root has no supplementary groups by default" {
	set_args "$HELPER" id
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$output" "uid=0 gid=0 groups="
}

@test "--version prints a version" {
	run "$STAPLE_OCI" --version
	assert_success
	assert_output_contains "version"
}

@test "state JSON has ociVersion, id, status, pid, bundle" {
	set_args sleep 1000
	create_container "$ID"
	run oci state "$ID"
	assert_success
	jq -e '.ociVersion and .id and .status and .pid and .bundle' <<<"$output"
}

@test "process capabilities and noNewPrivileges from config" {
	update_config '.process.noNewPrivileges = true | .process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": [], "ambient": []}'
	set_args sh -c "$HELPER caps; grep NoNewPrivs /proc/self/status"
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	# CAP_KILL is 5, CAP_NET_BIND_SERVICE is 10
	assert_output_contains "CapEff:	0000000000000420"
	assert_output_contains "CapPrm:	0000000000000420"
	assert_output_contains "CapBnd:	0000000000000420"
	assert_output_contains "CapInh:	0000000000000000"
	assert_output_contains "NoNewPrivs:	1"
}

@test "delete --force clears the state dir of a create that was killed midway" {
	skip_if_runc "runc keeps no state dir before its state.json"
	mkdir -p "$ROOT/$ID" && mkfifo "$ROOT/$ID/exec.fifo"
	run oci delete "$ID"
	assert_failure
	run oci delete --force "$ID"
	assert_success
	[[ ! -e $ROOT/$ID ]]
}

@test "--debug writes the lifecycle's steps to --log, and nothing without it" {
	skip_if_runc "its debug lines differ"
	set_args true
	oci --log "$TEST_TMP/quiet.log" run --bundle "$BUNDLE" "$ID" </dev/null
	[ ! -s "$TEST_TMP/quiet.log" ]
	run oci --debug --log "$TEST_TMP/debug.log" --log-format json run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	[ -z "$output" ] # with --log, debug lines go to the log only
	jq -e -s --arg id "$ID" 'map(select(.level == "debug") | .msg) |
		(any(test("^create " + $id + ": init [0-9]+ cloned"))) and (any(test("^delete " + $id + ": stopped")))' \
		"$TEST_TMP/debug.log"
}
