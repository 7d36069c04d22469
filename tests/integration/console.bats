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

# A terminal driver for foreground `run`: runs the command on a new pty of 33x111,
# types "hello\r" once the container printed "ready" (first resizing the pty to
# 40x120 when RESIZE is set), copies everything to OUT and exits with the
# command's code.
DRIVER='
import fcntl, os, pty, signal, struct, sys, termios, time
out = sys.argv[1]
signal.alarm(30)
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
data, typed = b"", False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO once the command and the container are gone
        break
    if not chunk:
        break
    data += chunk
    if not typed and b"ready" in data:
        if os.environ.get("RESIZE"):
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
            time.sleep(0.5)
        os.write(fd, b"hello\r")
        typed = True
_, status = os.waitpid(pid, 0)
with open(out, "wb") as f:
    f.write(data)
sys.exit(os.waitstatus_to_exitcode(status))
'

# drive CMD...: runs CMD under the driver; $output is what the terminal showed, CR removed.
drive() {
	local rc=0
	"$PYTHON" -c "$DRIVER" "$TEST_TMP/tty.out" "$@" || rc=$?
	output=$(tr -d '\r' <"$TEST_TMP/tty.out")
	echo "$output"
	return $rc
}

@test "foreground run with a terminal: the runtime is the console (tty, input, exit code)" {
	[ -n "$PYTHON" ] || skip "no python3"
	update_config '.process.terminal = true'
	set_args sh -c 'tty; '"$HELPER"' isatty 0; echo ready; read line; echo "got:$line"; exit 7'
	local rc=0
	drive "$STAPLE_OCI" --root "$ROOT" run --bundle "$BUNDLE" "$ID" || rc=$?
	assert_equal "$rc" 7
	[[ $output == *"/dev/pts/"* ]] || [[ $output == *"/dev/console"* ]]
	assert_output_contains "got:hello"
	assert_no_container "$ID"
}

@test "foreground run with a terminal: raw mode while it runs, the terminal restored after" {
	[ -n "$PYTHON" ] || skip "no python3"
	update_config '.process.terminal = true'
	set_args sh -c 'echo ready; read line; echo "got:$line"'
	drive sh -c 'stty -a >"$1/before"; "$2" --root "$3" run --bundle "$4" "$5"; stty -a >"$1/after"' \
		sh "$TEST_TMP" "$STAPLE_OCI" "$ROOT" "$BUNDLE" "$ID"
	# raw mode: the host pty did not echo the typed line, only the container's pty did
	[ "$(grep -c hello <<<"$output")" -eq 2 ]
	assert_equal "$(cat "$TEST_TMP/after")" "$(cat "$TEST_TMP/before")"
	grep -qw icanon "$TEST_TMP/after"
}

@test "foreground run with a terminal: window size copied at start and on SIGWINCH" {
	[ -n "$PYTHON" ] || skip "no python3"
	update_config '.process.terminal = true | .process.consoleSize = {"height": 25, "width": 77}'
	set_args sh -c 'stty size; echo ready; read line; stty size'
	RESIZE=1 drive "$STAPLE_OCI" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_output_contains "33 111"
	assert_output_contains "40 120"
}

@test "foreground run with a terminal and no tty on stdin: consoleSize applies" {
	update_config '.process.terminal = true | .process.consoleSize = {"height": 25, "width": 77}'
	set_args sh -c 'stty size; '"$HELPER"' isatty 1'
	run oci run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_output_contains "25 77"
	assert_no_container "$ID"
}

@test "run -d with a terminal still needs --console-socket" {
	update_config '.process.terminal = true'
	run oci run -d --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_output_contains "console"
	assert_no_container "$ID"
}

# Starts the runtime as socket activation would (LISTEN_PID is the runtime's own pid)
# with a listening TCP socket as fd 3.
ACTIVATE='
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execvp(sys.argv[1], sys.argv[1:])
'

@test "socket activation: LISTEN_FDS sockets pass as fd 3.., LISTEN_PID=1 in the container" {
	[ -n "$PYTHON" ] || skip "no python3"
	set_args sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; '"$HELPER"' ls-fds'
	update_config '.process.env += ["LISTEN_FDS=9", "LISTEN_PID=42"]'
	run "$PYTHON" -c "$ACTIVATE" "$STAPLE_OCI" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_success
	assert_equal "${lines[0]}" "fds=1 pid=1"
	[[ ${lines[1]} == "3 socket:"* ]]
	[ "${#lines[@]}" -eq 2 ]
}

@test "socket activation: LISTEN_PID of another process is ignored" {
	set_args sh -c 'echo "fds=${LISTEN_FDS:-none}"; '"$HELPER"' ls-fds'
	run env LISTEN_FDS=1 LISTEN_PID=1 "$STAPLE_OCI" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3</dev/null </dev/null
	assert_success
	assert_equal "$output" "fds=none"
}
