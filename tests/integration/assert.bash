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
