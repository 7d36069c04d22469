#!/usr/bin/env bats
# Detached containers (`staple run -d`) and their monitors: logs, stop, start, kill, wait,
# exec, inspect, rm and restart policies, as a user sees them from the command line.
# Every test has its own --root and --runtime-root under a temp dir and the cgroup parent
# /staple-test/$ID; teardown (engine-lib.bash) fails the test when a container dir, mount,
# runtime state, cgroup, container process or monitor (a process whose command line names
# the temp dir) was left, and kills leftovers by PID.
#
# Environment: STAPLE (default $REPO/build/staple), STAPLE_TEST_ROOTFS (the busybox
# rootfs of tests/rootfs.sh, built on demand).

load engine-lib

setup_file() {
	make_rootfs_tar
}

# insp CONTAINER JQ-FILTER: one field of `staple inspect` (an object; an array's first element).
insp() {
	st inspect "$1" | jq -r "if type == \"array\" then .[0] else . end | $2"
}

# ctr_pid CONTAINER: the host PID of the container's process (State.Pid).
ctr_pid() {
	insp "$1" .State.Pid
}

# ps_line CONTAINER-ID: the `ps -a` row of the container (by its short id).
ps_line() {
	st ps -a | grep "^${1:0:12} "
}

# ms_since T0: milliseconds since T0 (an $EPOCHREALTIME).
ms_since() {
	local now=$EPOCHREALTIME
	echo $(((${now/./} - ${1/./}) / 1000))
}

# monitor_pids [WORD]: this test's monitors: processes running staple with $TEST_TMP in
# their command line (and the argument WORD, when given).
monitor_pids() {
	local p a
	for p in $(leaked_monitors); do
		mapfile -d '' -t a 2>/dev/null <"/proc/$p/cmdline" || continue
		[[ ${a[0]##*/} == "${STAPLE##*/}" ]] || continue
		[[ -z ${1:-} ]] || printf '%s\n' "${a[@]}" | grep -qxF -- "$1" || continue
		echo "$p"
	done
}

no_monitor() {
	[[ -z $(monitor_pids) ]]
}

pid_gone() {
	! pid_alive "$1"
}

# sig_ignored PID SIGNUM: the process ignores SIGNUM.
sig_ignored() {
	local mask
	mask=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$1/status" 2>/dev/null)
	[[ -n $mask ]] && (((16#$mask & (1 << ($2 - 1))) != 0))
}

@test "monitor: run -d prints the full id and returns at once; ps shows the container running" {
	import_image
	local t0=$EPOCHREALTIME
	rund --name bg "$IMG" sleep 100
	local took
	took=$(ms_since "$t0")
	((took < 5000)) || { echo "run -d took $took ms" >&2; return 1; }
	run st ps
	assert_success
	local line
	line=$(grep "^${CID:0:12} " <<<"$output") || { echo "ps: no row for $CID: $output" >&2; return 1; }
	[[ $line == *" running "*bg ]] || { echo "ps row: $line" >&2; return 1; }
	run st ps -q
	assert_equal "$output" "${CID:0:12}"
	assert_equal "$(insp bg .State.Running)" true
	local pid
	pid=$(ctr_pid bg)
	pid_alive "$pid"
	assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 100 "
	# the full id, a prefix and the name all name it
	assert_equal "$(insp "${CID:0:8}" .Id)" "$CID"
	assert_equal "$(insp "$CID" .Name)" bg
}

@test "monitor: run -d of commands that exit at once succeeds every time and records their exit codes" {
	import_image
	local i want=() names=()
	for i in $(seq 20); do
		run strun -d --name "quick$i" "$IMG" sh -c "echo q$i; exit $((i % 4))"
		assert_success || { echo "run -d #$i" >&2; return 1; }
		names+=("quick$i")
		want+=("$((i % 4))")
	done
	run st wait "${names[@]}"
	assert_success
	assert_equal "$output" "$(printf '%s\n' "${want[@]}")"
	for i in 1 20; do
		assert_equal "$(insp "quick$i" .RestartCount)" 0
		run st logs "quick$i"
		assert_equal "$output" "q$i"
	done
}

@test "monitor: logs keeps stdout and stderr apart, in order, byte for byte; --tail; -t" {
	import_image
	rund --name out "$IMG" sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf last'
	local id=$CID
	run st wait out
	assert_success
	assert_equal "$output" 0
	st logs out >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	printf 'out1\nout2\nlast' | cmp - "$TEST_TMP/o" || { echo "stdout: $(od -c "$TEST_TMP/o")" >&2; return 1; }
	printf 'err1\nerr2\n' | cmp - "$TEST_TMP/e" || { echo "stderr: $(od -c "$TEST_TMP/e")" >&2; return 1; }
	# the file: CRI format, one entry per line
	local log=$STORE/containers/$id/ctr.log
	assert_equal "$(insp out .LogPath)" "$log"
	assert_equal "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z (stdout|stderr) [FP] ' "$log")" 0
	assert_equal "$(wc -l <"$log")" 5

	rund "$IMG" sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
	run st wait "$CID"
	assert_equal "$output" 0
	run st logs --tail 2 "$CID"
	assert_success
	assert_equal "$output" $'line4\nline5'
	run st logs -t "$CID"
	assert_success
	assert_equal "${#lines[@]}" 5
	local i
	for i in 1 2 3 4 5; do
		[[ ${lines[i - 1]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ line$i$ ]] ||
			{ echo "logs -t line $i: '${lines[i - 1]}'" >&2; return 1; }
	done
	[[ ${lines[0]:0:4} == "$(date -u +%Y)" ]]

	# a foreground container writes to the terminal, not to a log
	run strun --name fg "$IMG" echo hi
	assert_equal "$output" hi
	run st logs fg
	assert_success
	assert_equal "$output" ""
}

@test "monitor: logs -f prints lines written after it began and returns once the container exited" {
	import_image
	# the rest is written only once the test says so (a slow machine must not race it)
	rund --name slow "$IMG" sh -c \
		'echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo second; echo oops >&2; sleep 0.5; echo third'
	st logs -f slow >"$TEST_TMP/f.out" 2>"$TEST_TMP/f.err" &
	local follower=$!
	retry 100 grep -qx first "$TEST_TMP/f.out" || { echo "logs -f printed no 'first'" >&2; return 1; }
	# still following while the container runs
	pid_alive "$follower"
	run st exec slow touch /tmp/go
	assert_success
	retry 100 pid_gone "$follower" || { echo "logs -f still running 10 s later" >&2; return 1; }
	wait "$follower" || { echo "logs -f failed: $(cat "$TEST_TMP/f.err")" >&2; return 1; }
	assert_equal "$(cat "$TEST_TMP/f.out")" $'first\nsecond\nthird'
	assert_equal "$(cat "$TEST_TMP/f.err")" oops
	assert_equal "$(insp slow .State.Status)" exited
}

@test "monitor: stop sends TERM to a trap (exit 0), SIGKILLs after -t, and stopping a stopped one succeeds" {
	import_image
	rund --name trapper "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	local pid
	pid=$(ctr_pid trapper)
	wait_caught "$pid" 15
	run st stop trapper
	assert_success
	assert_equal "$output" trapper
	# stop returns once the container has exited and its runtime state and cgroup are gone
	pid_gone "$pid"
	assert_equal "$(runtime_state)" ""
	assert_equal "$(engine_cgroups)" ""
	assert_equal "$(insp trapper .State.Status)" exited
	assert_equal "$(insp trapper .State.ExitCode)" 0
	assert_equal "$(insp trapper .State.Pid)" 0
	[[ $(ps_line "$(insp trapper .Id)") == *"Exited (0)"* ]]
	run st stop trapper
	assert_success
	assert_equal "$output" trapper

	rund --name stubborn "$IMG" sh -c "trap '' TERM; while :; do sleep 0.1; done"
	pid=$(ctr_pid stubborn)
	retry 50 sig_ignored "$pid" 15
	local t0=$EPOCHREALTIME took
	run st stop -t 1 stubborn
	took=$(ms_since "$t0")
	assert_success
	assert_equal "$output" stubborn
	((took >= 900 && took < 4000)) || { echo "stop -t 1 took $took ms" >&2; return 1; }
	assert_equal "$(insp stubborn .State.ExitCode)" 137
	[[ $(ps_line "$(insp stubborn .Id)") == *"Exited (137)"* ]]
	assert_equal "$(engine_cgroups)" ""
}

@test "monitor: on-failure:2 restarts twice, no does not restart, bad policies are refused" {
	import_image
	rund --name flaky --restart on-failure:2 "$IMG" sh -c 'echo try; exit 3'
	run st wait flaky
	assert_success
	assert_equal "$output" 3
	assert_equal "$(insp flaky .RestartCount)" 2
	assert_equal "$(insp flaky .State.ExitCode)" 3
	[[ $(ps_line "$CID") == *"Exited (3)"* ]]
	# the log survives restarts: one line per run
	run st logs flaky
	assert_equal "$output" $'try\ntry\ntry'

	rund --name once "$IMG" sh -c 'exit 1'
	run st wait once
	assert_equal "$output" 1
	assert_equal "$(insp once .RestartCount)" 0
	assert_equal "$(insp once .HostConfig.RestartPolicy.Name)" no
	[[ $(ps_line "$CID") == *"Exited (1)"* ]]
	retry 20 no_monitor || { echo "monitors left: $(monitor_pids)" >&2; return 1; }

	st rm flaky once >/dev/null
	local p
	for p in sometimes on-failure:x on-failure:-1 always:3; do
		run strun -d --restart "$p" "$IMG" true
		assert_equal "$status" 125
		assert_output_contains "invalid restart policy"
	done
	run strun --restart always "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "needs -d"
	run strun -d -t "$IMG" true
	assert_equal "$status" 125
	run st ps -aq
	assert_equal "$output" ""
	assert_nothing_left
	no_monitor
}

@test "monitor: always restarts a container that exits 0; stop ends it for good" {
	import_image
	rund --name forever --restart always "$IMG" sh -c 'echo up; sleep 0.3; exit 0'
	retry 60 eval '(($(insp forever .RestartCount) >= 2))' ||
		{ echo "RestartCount $(insp forever .RestartCount) after 6 s" >&2; return 1; }
	assert_equal "$(insp forever .HostConfig.RestartPolicy.Name)" always
	run st stop -t 2 forever
	assert_success
	# the monitor ended with the stop: nothing is left that could restart it
	retry 20 no_monitor || { echo "monitor still there after stop: $(monitor_pids)" >&2; return 1; }
	run st wait forever
	assert_success
	local count
	count=$(insp forever .RestartCount)
	assert_equal "$(insp forever .State.Status)" exited
	[[ $(ps_line "$CID") == *"Exited ("* ]]
	sleep 0.5 # longer than the next restart delay would have been at this count
	assert_equal "$(insp forever .State.Status)" exited
	assert_equal "$(insp forever .RestartCount)" "$count"
	assert_equal "$(engine_cgroups)" ""
}

@test "monitor: start runs an exited container again, with its files and an appended log" {
	import_image
	rund --name again "$IMG" sh -c 'if [ -f /marker ]; then echo second; else echo first; fi; touch /marker'
	run st wait again
	assert_equal "$output" 0
	run st start again
	assert_success
	assert_equal "$output" again
	run st wait again
	assert_success
	assert_equal "$output" 0
	run st logs again
	assert_equal "$output" $'first\nsecond'
	assert_equal "$(insp again .State.Status)" exited

	rund --name live "$IMG" sleep 100
	local pid
	pid=$(ctr_pid live)
	run st start live
	assert_equal "$status" 125
	assert_output_contains "already running"
	assert_equal "$(ctr_pid live)" "$pid"
	# restart: stop (sleep ignores TERM: SIGKILL after 1 s), then start
	run st restart -t 1 live
	assert_success
	assert_equal "$output" live
	pid_gone "$pid"
	assert_equal "$(insp live .State.Status)" running
	[[ $(ctr_pid live) != "$pid" ]]
}

@test "monitor: kill -s USR1 reaches a trap; kill's default is KILL; kill of a stopped one fails" {
	import_image
	local sig
	for sig in USR1 10; do
		rund --name "trap$sig" "$IMG" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
		wait_caught "$(ctr_pid "trap$sig")" 10
		run st kill -s "$sig" "trap$sig"
		assert_success
		run st wait "trap$sig"
		assert_success
		assert_equal "$output" 42
	done
	run st kill trapUSR1
	assert_equal "$status" 125
	assert_output_contains "is not running"

	rund --name victim "$IMG" sleep 100
	run st kill --signal SIGKILL victim
	assert_success
	run st wait victim
	assert_equal "$output" 137
}

@test "monitor: wait prints exit codes; exec passes output, exit code, -e, -w, -u and stdin only with -i" {
	import_image
	rund --name wa "$IMG" sh -c 'exit 3'
	rund --name wb "$IMG" sh -c 'sleep 0.3; exit 5'
	run st wait wa wb
	assert_success
	assert_equal "$output" $'3\n5'

	rund --name ex -e BASE=1 "$IMG" sleep 100
	run st exec ex sh -c 'echo out; exit 7'
	assert_equal "$status" 7
	assert_equal "$output" out
	st exec ex sh -c 'echo out; echo err >&2' >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	assert_equal "$(cat "$TEST_TMP/o")" out
	assert_equal "$(cat "$TEST_TMP/e")" err
	run st exec -e FOO=bar ex sh -c 'echo $FOO $BASE'
	assert_success
	assert_equal "$output" "bar 1"
	run st exec -w /tmp ex pwd
	assert_equal "$output" /tmp
	run st exec -u user ex id -u
	assert_equal "$output" 1000
	run bash -c 'echo hi | timeout 20 "$@"' _ "$STAPLE" --root "$STORE" --runtime-root "$ROOT" exec ex cat
	assert_success
	assert_equal "$output" ""
	run bash -c 'echo hi | timeout 20 "$@"' _ "$STAPLE" --root "$STORE" --runtime-root "$ROOT" exec -i ex cat
	assert_success
	assert_equal "$output" hi
	run st exec -t ex true
	assert_equal "$status" 125
	assert_output_contains "not supported yet"
	# exec'd processes do not stay, and do not end the container
	assert_equal "$(insp ex .State.Status)" running

	run st kill ex
	assert_success
	run st wait ex
	assert_equal "$output" 137
	run st exec ex true
	assert_equal "$status" 125
	assert_output_contains "is not running"
}

@test "monitor: inspect shows state, pid, exit code, restart count and policy" {
	import_image
	rund --name insp --restart on-failure:5 "$IMG" sleep 100
	run st inspect insp
	assert_success
	local j=$output
	assert_equal "$(jq -r type <<<"$j")" object
	assert_equal "$(jq -r .Id <<<"$j")" "$CID"
	assert_equal "$(jq -r .Name <<<"$j")" insp
	assert_equal "$(jq -r .Image <<<"$j")" "$IMG"
	assert_equal "$(jq -r .State.Status <<<"$j")" running
	assert_equal "$(jq -r .State.Running <<<"$j")" true
	assert_equal "$(jq -r .State.ExitCode <<<"$j")" 0
	assert_equal "$(jq -r .RestartCount <<<"$j")" 0
	assert_equal "$(jq -r .HostConfig.RestartPolicy.Name <<<"$j")" on-failure
	assert_equal "$(jq -r .HostConfig.RestartPolicy.MaximumRetryCount <<<"$j")" 5
	assert_equal "$(jq -r .LogPath <<<"$j")" "$STORE/containers/$CID/ctr.log"
	[[ $(jq -r .Created <<<"$j") == 2* && $(jq -r .State.StartedAt <<<"$j") == 2* ]]
	local pid
	pid=$(jq -r .State.Pid <<<"$j")
	((pid > 1))
	assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 100 "

	# sleep (PID 1, no handler) ignores TERM: stop -t 1 ends it with SIGKILL
	run st stop -t 1 insp
	assert_success
	run st inspect insp
	j=$output
	assert_equal "$(jq -r .State.Status <<<"$j")" exited
	assert_equal "$(jq -r .State.Running <<<"$j")" false
	assert_equal "$(jq -r .State.Pid <<<"$j")" 0
	assert_equal "$(jq -r .State.ExitCode <<<"$j")" 137
	assert_equal "$(jq -r .RestartCount <<<"$j")" 0
	[[ $(jq -r .State.FinishedAt <<<"$j") == 2* ]]
	run st inspect nosuchcontainer
	assert_equal "$status" 125
}

@test "monitor: rm refuses a running container; rm -f removes it and its monitor; run -d --rm leaves nothing" {
	import_image
	rund --name busy "$IMG" sleep 100
	local pid
	pid=$(ctr_pid busy)
	[[ -n $(monitor_pids busy) ]] || { echo "no monitor found for busy" >&2; return 1; }
	run st rm busy
	assert_equal "$status" 125
	assert_equal "$(insp busy .State.Status)" running
	pid_alive "$pid"
	run st rm -f busy
	assert_success
	run st ps -aq
	assert_equal "$output" ""
	# gone when rm -f returns: the container's process and its monitor
	pid_gone "$pid"
	no_monitor || { echo "monitor left after rm -f: $(monitor_pids)" >&2; return 1; }
	assert_nothing_left

	rund --rm "$IMG" sh -c 'sleep 0.3'
	retry 50 eval '[[ -z $(st ps -aq) ]]' || { echo "--rm container still listed: $(st ps -a)" >&2; return 1; }
	retry 20 no_monitor || { echo "monitor left after --rm: $(monitor_pids)" >&2; return 1; }
	assert_nothing_left
}

@test "monitor: the monitor outlives its parent shell, in its own session; the container's stdin is /dev/null" {
	import_image
	# run -d from a shell that is a session of its own, then kill that whole session
	setsid bash -c 'echo $$ >"$0.pid"; "$@" >"$0"; sleep 100' "$TEST_TMP/id" \
		"$STAPLE" --root "$STORE" --runtime-root "$ROOT" run -d --cgroup-parent "$CGP" --name orphan \
		"$IMG" sh -c 'cat; echo "stdin closed"; sleep 100' </dev/null >/dev/null 2>&1 &
	retry 100 test -s "$TEST_TMP/id" || { echo "run -d from the shell printed no id" >&2; return 1; }
	local shell
	shell=$(cat "$TEST_TMP/id.pid")
	local mon
	mon=$(monitor_pids orphan)
	[[ $mon =~ ^[0-9]+$ ]] || { echo "monitors of orphan: '$mon'" >&2; return 1; }
	local pid
	pid=$(ctr_pid orphan)
	[[ $pid != "$mon" ]]
	# its own session: not ours, not the shell's
	local sid
	sid=$(ps -o sid= -p "$mon" | tr -d ' ')
	[[ $sid != "$(ps -o sid= -p $$ | tr -d ' ')" && $sid != "$shell" ]] ||
		{ echo "monitor $mon is in session $sid" >&2; return 1; }
	kill -HUP -- "-$shell"
	kill -KILL -- "-$shell" 2>/dev/null || true
	retry 50 pid_gone "$shell"
	wait 2>/dev/null || true
	# nothing changed for the container or its monitor
	pid_alive "$mon"
	pid_alive "$pid"
	assert_equal "$(insp orphan .State.Status)" running
	assert_equal "$(stat -L -c '%F %t:%T' "/proc/$pid/fd/0")" "character special file 1:3"
	retry 50 eval '[[ $(st logs orphan) == "stdin closed" ]]' ||
		{ echo "logs: $(st logs orphan 2>&1)" >&2; return 1; }
	# and the monitor still records how it ends
	run st kill orphan
	assert_success
	run st wait orphan
	assert_equal "$output" 137
	retry 20 pid_gone "$mon"
}

@test "monitor: --label k=v lands in inspect's Config.Labels" {
	import_image
	rund --name lab -l tier=web --label owner=staple-test "$IMG" sleep 1000
	assert_equal "$(st inspect lab | jq -c .Config.Labels)" '{"tier":"web","owner":"staple-test"}'
	run st rm -f lab
	assert_success
}

@test "monitor: pause freezes the container (ps and inspect say paused), unpause thaws it; top lists its processes" {
	import_image
	rund --name pz "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
	run st top pz
	assert_success
	assert_output_contains "while :"
	run st top pz -o pid,comm
	assert_success
	assert_equal "$(head -1 <<<"$output" | tr -s ' ' | sed 's/^ //')" "PID COMMAND"
	run st pause pz
	assert_success
	assert_equal "$(st inspect pz | jq -r .State.Status)" paused
	[[ $(st ps | grep pz) == *paused* ]]
	local a b
	a=$(st inspect pz | jq -r .State.Pid)
	a=$(cat "/proc/$a/root/tmp/count")
	sleep 0.5
	b=$(cat "/proc/$(st inspect pz | jq -r .State.Pid)/root/tmp/count")
	assert_equal "$b" "$a" # frozen: the counter did not move
	run st unpause pz
	assert_success
	assert_equal "$(st inspect pz | jq -r .State.Status)" running
	retry 50 counter_moved pz "$a"
	run st rm -f pz
	assert_success
}

counter_moved() { # CONTAINER OLD
	[[ $(cat "/proc/$(st inspect "$1" | jq -r .State.Pid)/root/tmp/count") != "$2" ]]
}
