#!/usr/bin/env bats
# exec: a new process in a running container joins its namespaces and cgroup, gets its
# security settings, and reports its exit code; and `features`.

load helpers

# start_sleeper: run the container detached with a long sleep as its init.
start_sleeper() {
	set_args sleep 600
	oci run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
	wait_status "$ID" running
	INIT_PID=$(state_field "$ID" pid)
}

# Console-socket receiver (the same protocol as console.bats): takes the pty master and
# copies what the process writes to OUT until every slave is closed.
EXEC_RECEIVER='
import os, signal, socket, sys
signal.alarm(30)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
conn, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(conn, 4096, 4)
data = b""
while True:
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
open(sys.argv[2], "wb").write(data)
'

@test "exec: prints the command's output and passes its exit code through" {
	start_sleeper
	run oci exec "$ID" echo hi
	assert_success
	assert_equal "$output" hi
	run oci exec "$ID" sh -c 'exit 7'
	assert_equal "$status" 7
	run oci exec "$ID" sh -c 'kill -KILL $$'
	assert_equal "$status" 137
}

@test "exec: same namespaces as the init" {
	start_sleeper
	run oci exec "$ID" sh -c 'for n in ipc mnt net pid uts cgroup user; do readlink /proc/self/ns/$n; done'
	assert_success
	local want n
	want=$(for n in ipc mnt net pid uts cgroup user; do readlink "/proc/$INIT_PID/ns/$n"; done)
	assert_equal "$output" "$want"
}

@test "exec: same hostname, pid namespace, mount table and cgroup as the init" {
	update_config '.hostname = "exec-box"'
	start_sleeper
	run oci exec "$ID" hostname
	assert_equal "$output" exec-box
	# the init is PID 1 of the exec'd process's pid namespace
	run oci exec "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	assert_success
	assert_equal "${lines[0]}" "sleep 600 "
	[ "${lines[1]}" -gt 1 ]
	run oci exec "$ID" sh -c 'diff /proc/self/mountinfo /proc/1/mountinfo && echo same'
	assert_equal "$output" same
	run oci exec "$ID" sh -c 'diff /proc/self/cgroup /proc/1/cgroup && echo same'
	assert_equal "$output" same
	# and from the host: the exec'd process sits in the container's cgroup
	run oci exec "$ID" cat /proc/self/cgroup
	assert_equal "$output" "$(cat "/proc/$INIT_PID/cgroup")"
}

@test "exec: --env, --cwd and --user apply" {
	start_sleeper
	run oci exec --env FOO=bar --env PATH=/bin:/usr/bin --cwd /tmp --user 1000:1001 \
		-g 5 -g 6 "$ID" sh -c 'echo "$FOO $PATH"; pwd; '"$HELPER"' id'
	assert_success
	assert_equal "${lines[0]}" "bar /bin:/usr/bin"
	assert_equal "${lines[1]}" /tmp
	assert_equal "${lines[2]}" "uid=1000 gid=1001 groups=5,6"
}

@test "exec: the config's env, cwd and rlimits are the defaults" {
	update_config '.process.env += ["FROM_CONFIG=yes"] | .process.cwd = "/home"
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 1234}]'
	start_sleeper
	run oci exec "$ID" sh -c 'echo $FROM_CONFIG; pwd; ulimit -n'
	assert_success
	assert_equal "${lines[0]}" yes
	assert_equal "${lines[1]}" /home
	assert_equal "${lines[2]}" 1234
}

# capeff_has CAP_NUMBER: the CapEff line in $output has that bit.
capeff_has() {
	local hex
	hex=$(awk '/^CapEff:/ {print $2}' <<<"$output")
	(((0x$hex >> $1) & 1))
}

@test "exec: --cap adds a capability" {
	start_sleeper
	run oci exec "$ID" "$HELPER" caps
	assert_success
	! capeff_has 21 || false # CAP_SYS_ADMIN is not in the default set
	capeff_has 5             # CAP_KILL is
	run oci exec --cap CAP_SYS_ADMIN "$ID" "$HELPER" caps
	assert_success
	capeff_has 21
	capeff_has 5
}

@test "exec: --no-new-privs" {
	start_sleeper
	run oci exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
	assert_success
	assert_output_contains "1"
}

@test "exec: --process process.json" {
	start_sleeper
	cat >"$TEST_TMP/process.json" <<-'EOF'
		{
			"terminal": false,
			"user": {"uid": 0, "gid": 0},
			"args": ["sh", "-c", "echo $GREETING from $(pwd); exit 3"],
			"env": ["PATH=/bin:/usr/bin", "GREETING=hello"],
			"cwd": "/tmp"
		}
	EOF
	run oci exec --process "$TEST_TMP/process.json" "$ID"
	assert_equal "$status" 3
	assert_equal "$output" "hello from /tmp"
}

@test "exec: --detach with --pid-file" {
	start_sleeper
	# the detached process keeps the stdio it is given: not bats' output pipe
	oci exec --detach --pid-file "$TEST_TMP/exec.pid" "$ID" sleep 300 </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$TEST_TMP/exec.pid")
	pid_alive "$pid"
	assert_equal "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$INIT_PID/ns/pid")"
	assert_equal "$(cat "/proc/$pid/cgroup")" "$(cat "/proc/$INIT_PID/cgroup")"
	# the container's ps view sees it
	run oci exec "$ID" sh -c 'ps -o comm | grep -c sleep'
	assert_equal "$output" 2
	kill -9 "$pid"
}

@test "exec: signals sent to the runtime reach the process" {
	start_sleeper
	timeout 30 "$STAPLE_OCI" --root "$ROOT" exec "$ID" \
		sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' >"$TEST_TMP/out" &
	local pid=$! i
	for i in $(seq 50); do
		grep -q ready "$TEST_TMP/out" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	local code=0
	wait "$pid" || code=$?
	assert_equal "$code" 42
}

@test "exec: no host fd leaks into the process" {
	start_sleeper
	run oci exec "$ID" "$HELPER" ls-fds 3</dev/null 4<"$BUNDLE/config.json" 7<"$TEST_TMP"
	assert_success
	assert_equal "$output" ""
}

@test "exec: --preserve-fds 1 passes fd 3" {
	start_sleeper
	echo preserved >"$TEST_TMP/preserved"
	run oci exec --preserve-fds 1 "$ID" sh -c "$HELPER ls-fds; cat <&3" 3<"$TEST_TMP/preserved" 5</dev/null
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "3 "* ]]
	assert_equal "${lines[1]}" preserved
}

@test "exec: the container's seccomp filter applies" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_sleeper
	run oci exec "$ID" mkdir /dev/shm/blocked
	assert_failure
	assert_output_contains "not permitted"
	run oci exec "$ID" touch /dev/shm/allowed
	assert_success
}

@test "exec: into a container with a user namespace" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chmod 755 "$TEST_TMP" "$BUNDLE"
	start_sleeper
	run oci exec "$ID" sh -c "readlink /proc/self/ns/user; $HELPER id"
	assert_success
	assert_equal "${lines[0]}" "$(readlink "/proc/$INIT_PID/ns/user")"
	assert_equal "${lines[1]}" "uid=0 gid=0 groups="
	# uid 0 inside is 100000 outside
	oci exec --detach --pid-file "$TEST_TMP/p" "$ID" sleep 100 </dev/null >/dev/null 2>&1
	assert_equal "$(awk '/^Uid:/ {print $2}' "/proc/$(cat "$TEST_TMP/p")/status")" 100000
}

@test "exec: --tty with --console-socket gives the process a pty" {
	local py
	py=$(command -v python3) || skip "no python3"
	start_sleeper
	"$py" -c "$EXEC_RECEIVER" "$TEST_TMP/console.sock" "$TEST_TMP/console.out" &
	TEST_BG_PID=$!
	for _ in $(seq 50); do
		[ -S "$TEST_TMP/console.sock" ] && break
		sleep 0.1
	done
	# runc takes --console-socket only with --detach
	oci exec --tty --detach --console-socket "$TEST_TMP/console.sock" "$ID" \
		sh -c "$HELPER isatty 0; $HELPER isatty 1; tty" </dev/null >/dev/null 2>&1
	wait "$TEST_BG_PID"
	out=$(tr -d '\r' <"$TEST_TMP/console.out")
	[ "$(grep -c '^tty$' <<<"$out")" -eq 2 ]
	grep -q '^/dev/pts/' <<<"$out"
}

@test "exec: --tty without --console-socket fails clearly" {
	skip_if_runc "runc relays the pty itself"
	start_sleeper
	run oci exec --tty "$ID" true
	assert_failure
	assert_output_contains "console-socket"
}

@test "exec: into a stopped container fails" {
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null
	oci start "$ID"
	wait_status "$ID" stopped
	run oci exec "$ID" echo hi
	assert_failure
	assert_output_contains "stopped"
}

@test "exec: into a created container fails" {
	skip_if_runc "runc allows exec before start"
	set_args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null
	run oci exec "$ID" echo hi
	assert_failure
	assert_output_contains "created"
}

@test "exec: into a paused container fails" {
	start_sleeper
	oci pause "$ID" 2>/dev/null || skip "pause is not available"
	run oci exec "$ID" echo hi
	assert_failure
	assert_output_contains "paused"
	oci resume "$ID"
	run oci exec "$ID" echo hi
	assert_success
}

@test "exec: into a missing container fails" {
	run oci exec "$ID-none" echo hi
	assert_failure
	assert_output_contains "not exist"
}

@test "exec: a missing executable fails with the runtime's error" {
	start_sleeper
	run oci exec "$ID" /no/such/program
	assert_failure
	assert_output_contains "/no/such/program"
}

@test "features: valid JSON describing this runtime" {
	run oci features
	assert_success
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq -r .ociVersionMin <<<"$output")" 1.0.0
	jq -e '.hooks | index("prestart") and index("poststop")' <<<"$output" >/dev/null
	jq -e '.mountOptions | index("ro") and index("rbind") and index("nosuid")' <<<"$output" >/dev/null
	jq -e '.linux.namespaces | index("pid") and index("mount") and index("user")' <<<"$output" >/dev/null
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_KILL")' <<<"$output" >/dev/null
	jq -e '.linux.cgroup.v1 == true' <<<"$output" >/dev/null
	jq -e '.linux.seccomp.enabled == true and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))
		and (.linux.seccomp.operators | index("SCMP_CMP_EQ"))
		and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64"))' <<<"$output" >/dev/null
	# every supported flag is a known one
	jq -e '.linux.seccomp as $s | all(($s.supportedFlags // [])[]; . as $f | ($s.knownFlags // []) | index($f))' \
		<<<"$output" >/dev/null
}

@test "features: capabilities stop at the running kernel's last one" {
	skip_if_runc "runc lists what its library knows"
	run oci features
	assert_success
	local n
	n=$(jq '.linux.capabilities | length' <<<"$output")
	[ "$n" -le $(($(cat /proc/sys/kernel/cap_last_cap) + 1)) ]
	[ "$n" -ge 38 ]
}
