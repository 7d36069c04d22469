#!/usr/bin/env bats
# Invalid configurations fail before anything is created, and leave nothing behind.

load helpers

# create_fails [KEYWORD]: create must fail (mentioning KEYWORD) and leave no
# state dir and no cgroup.
create_fails() {
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	if [[ -n ${1:-} ]]; then
		assert_output_contains "$1"
	fi
	assert_no_container "$ID"
}

@test "malformed JSON fails and names config.json" {
	echo '{"ociVersion": "1.0.2", "process": {' >"$BUNDLE/config.json"
	# runc says only "unexpected EOF"; staple names the file (and line:column).
	if is_runc; then create_fails; else create_fails config.json; fi
}

@test "a missing config.json fails and names it" {
	rm "$BUNDLE/config.json"
	create_fails config.json
}

@test "process.args as a string fails" {
	update_config '.process.args = "sh"'
	create_fails
}

@test "an empty process.args fails" {
	update_config '.process.args = []'
	create_fails args
}

@test "a missing rootfs fails" {
	rm -rf "$BUNDLE/rootfs"
	create_fails rootfs
}

@test "an unknown namespace type fails" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails bogus
}

@test "a bad ociVersion fails" {
	skip_if_runc "runc 1.1 accepts any ociVersion"
	update_config '.ociVersion = "banana"'
	create_fails ociVersion
}

@test "a namespace path that does not exist fails" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/no/such/ns" else . end)'
	create_fails "/no/such/ns"
}

@test "a relative process.cwd fails" {
	update_config '.process.cwd = "relative/dir"'
	create_fails cwd
}

@test "an executable that does not exist fails at create or start" {
	set_args /bin/no-such-program
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "no-such-program"
	assert_no_container "$ID"
}

@test "a state dir is not left behind in --root after failures" {
	update_config '.process.args = "sh"'
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	run oci list -q
	assert_equal "$output" ""
}
