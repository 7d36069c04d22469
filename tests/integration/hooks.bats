#!/usr/bin/env bats
# OCI hooks: order, the state on stdin, failure and timeout.

load helpers

# The hook dir is bind-mounted at the same path inside the container, so one
# script and one log path serve the host-side hooks (prestart, createRuntime,
# poststart, poststop) and the container-side ones (createContainer,
# startContainer).  The script runs under dash on the host, busybox sh inside.
setup_hooks() {
	HOOKS=$TEST_TMP/hooks
	mkdir -p "$HOOKS"
	chmod 755 "$TEST_TMP"
	cat >"$HOOKS/hook.sh" <<'EOF'
#!/bin/sh
status=$(sed -n 's/.*"status" *: *"\([a-z]*\)".*/\1/p')
echo "$1 $status" >>"$2"
EOF
	chmod 755 "$HOOKS/hook.sh"
	update_config --arg d "$HOOKS" '.mounts += [{"destination": $d, "type": "bind",
		"source": $d, "options": ["rbind", "rw"]}]'
	local kind
	for kind in prestart createRuntime createContainer startContainer poststart poststop; do
		update_config --arg k "$kind" --arg p "$HOOKS/hook.sh" --arg log "$HOOKS/log" \
			'.hooks[$k] = [{"path": $p, "args": ["hook.sh", $k, $log]}]'
	done
}

# runtime-spec: startContainer runs before the user process is executed, poststart
# after.  runc 1.1 runs poststart concurrently with the init's startContainer, so
# for runc alone the two may appear swapped.
assert_hook_order() {
	local got want="prestart createRuntime createContainer startContainer poststart poststop"
	got=$(cut -d' ' -f1 "$HOOKS/log" | tr '\n' ' ')
	got=${got% }
	if is_runc && [[ $got == "prestart createRuntime createContainer poststart startContainer poststop" ]]; then
		return 0
	fi
	assert_equal "$got" "$want"
}

@test "hooks run in order with the state on stdin" {
	setup_hooks
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out"
		false
	}
	oci start "$ID"
	wait_status "$ID" stopped
	oci delete "$ID"
	cat "$HOOKS/log"
	assert_hook_order
	# createRuntime runs while the container is being created; poststop after it stopped
	assert_equal "$(grep '^createRuntime ' "$HOOKS/log")" "createRuntime creating"
	assert_equal "$(grep '^poststop ' "$HOOKS/log")" "poststop stopped"
}

@test "hooks: run runs them all too" {
	setup_hooks
	set_args true
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_hook_order
}

@test "hooks: a failing prestart hook fails create and leaves nothing" {
	update_config '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 7"]}]'
	set_args true
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_no_container "$ID"
}

@test "hooks: a hook exceeding its timeout fails" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
	set_args true
	start=$SECONDS
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	[ $((SECONDS - start)) -lt 15 ]
	assert_output_contains "timeout"
	assert_no_container "$ID"
}

@test "hooks: hook env and args are passed" {
	update_config --arg log "$TEST_TMP/env.log" '.hooks.createRuntime = [{"path": "/bin/sh",
		"args": ["sh", "-c", "echo \"$0 $HOOK_VAR\" > \"$1\"", "arg0", $log], "env": ["HOOK_VAR=hello"]}]'
	set_args true
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "$(cat "$TEST_TMP/env.log")" "arg0 hello"
}
