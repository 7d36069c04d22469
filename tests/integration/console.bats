#!/usr/bin/env bats
# Terminals over --console-socket, and file descriptors: --preserve-fds passes
# exactly the fds asked for and no host fd leaks into the container.

load helpers

# A console-socket receiver: accepts one connection, takes the pty master from
# SCM_RIGHTS, optionally types INPUT into it, and copies the container's output
# to OUT until the pty closes.
RECEIVER='
import os, signal, socket, sys
path, out = sys.argv[1], sys.argv[2]
typed = sys.argv[3] if len(sys.argv) > 3 else ""
signal.alarm(30)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(conn, 4096, 4)
master = fds[0]
if typed:
    os.write(master, typed.encode())
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO once every slave fd is closed
        break
    if not chunk:
        break
    data += chunk
with open(out, "wb") as f:
    f.write(data)
'

PYTHON=$(command -v /usr/bin/python3 python3 | head -1)

start_receiver() { # [INPUT]
	SOCK=$TEST_TMP/console.sock
	"$PYTHON" -c "$RECEIVER" "$SOCK" "$TEST_TMP/console.out" "$@" &
	RECEIVER_PID=$!
	TEST_BG_PID=$RECEIVER_PID # killed by teardown if the test fails first
	for _ in $(seq 50); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	echo "console receiver did not start" >&2
	return 1
}

wait_receiver() {
	local i
	for i in $(seq 100); do
		kill -0 "$RECEIVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$RECEIVER_PID" 2>/dev/null; then
		kill "$RECEIVER_PID"
		wait "$RECEIVER_PID"
		echo "console receiver timed out" >&2
		return 1
	fi
	wait "$RECEIVER_PID"
}

@test "terminal: the container gets a tty through --console-socket" {
	[ -n "$PYTHON" ] || skip "no python3"
	update_config '.process.terminal = true'
	set_args sh -c 'tty; '"$HELPER"' isatty 0; '"$HELPER"' isatty 1'
	start_receiver
	oci create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out"
		kill "$RECEIVER_PID"
		false
	}
	oci start "$ID"
	wait_receiver
	cat "$TEST_TMP/console.out"
	out=$(tr -d '\r' <"$TEST_TMP/console.out")
	[[ $out == /dev/pts/* ]] || [[ $out == /dev/console* ]]
	[ "$(grep -c '^tty$' <<<"$out")" -eq 2 ]
}

@test "terminal: input typed into the pty reaches the process" {
	[ -n "$PYTHON" ] || skip "no python3"
	update_config '.process.terminal = true'
	set_args sh -c 'read line; echo "got:$line"'
	start_receiver $'hello\n'
	oci run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out"
		kill "$RECEIVER_PID"
		false
	}
	wait_receiver
	grep -q 'got:hello' "$TEST_TMP/console.out"
}

@test "terminal=true without --console-socket fails for create" {
	update_config '.process.terminal = true'
	run oci create --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "console"
	assert_no_container "$ID"
}

@test "--preserve-fds 1 passes fd 3 and nothing else" {
	echo preserved >"$TEST_TMP/preserved-file"
	set_args sh -c "$HELPER ls-fds; cat <&3"
	run oci run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$TEST_TMP/preserved-file" 5</dev/null </dev/null
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "3 "*preserved-file ]]
	assert_equal "${lines[1]}" preserved
}

@test "no host fd leaks into the container" {
	set_args "$HELPER" ls-fds
	run oci run --bundle "$BUNDLE" "$ID" 3</dev/null 4<"$BUNDLE/config.json" 7<"$TEST_TMP" </dev/null
	assert_success
	assert_equal "$output" ""
}

@test "no host fd leaks into a created-then-started container" {
	set_args sh -c "$HELPER ls-fds > /tmp/fds"
	update_config '.root.readonly = false'
	oci create --bundle "$BUNDLE" "$ID" 4<"$BUNDLE/config.json" </dev/null >"$TEST_TMP/out" 2>&1
	oci start "$ID" 5<"$BUNDLE/config.json"
	wait_status "$ID" stopped
	assert_equal "$(cat "$BUNDLE/rootfs/tmp/fds")" ""
}

@test "the container's cwd is not a host directory" {
	set_args sh -c 'pwd; ls -d ..'
	update_config '.process.cwd = "/"'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "${lines[0]}" /
	# /proc/self/cwd resolves inside the rootfs
	set_args readlink /proc/self/cwd
	run oci run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_equal "$output" /
}
