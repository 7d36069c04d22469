# assert.bash: the assertions every bats file uses (bats 1.8 has no bats-assert).

assert_success() {
	if [[ $status -ne 0 ]]; then
		echo "expected success, got status $status; output: $output" >&2
		return 1
	fi
}

assert_failure() {
	if [[ $status -eq 0 ]]; then
		echo "expected failure, got status 0; output: $output" >&2
		return 1
	fi
}

# assert_output_contains WORD: case-insensitive substring of $output.
assert_output_contains() {
	if ! grep -qiF -- "$1" <<<"$output"; then
		echo "expected output to contain '$1'; output: $output" >&2
		return 1
	fi
}

assert_equal() { # GOT WANT
	if [[ $1 != "$2" ]]; then
		echo "expected '$2', got '$1'" >&2
		return 1
	fi
}

# wait_caught PID SIGNUM: wait (up to 10 s) until process PID has a handler for
# SIGNUM.  A container's PID 1 ignores signals it does not handle, so a test that
# signals a shell's `trap` must not signal before the trap is set.
wait_caught() {
	local pid=$1 bit=$((1 << ($2 - 1))) mask n=100
	while ((n-- > 0)); do
		mask=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[[ -n $mask ]] && (((16#$mask & bit) != 0)) && return 0
		sleep 0.1
	done
	echo "process $pid: no handler for signal $2 after 10 s" >&2
	return 1
}
