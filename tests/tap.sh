# shellcheck shell=bash
#
# TAP for shell tests: plan N, then ok/not_ok, each a test point that the
# automake TAP driver counts.

TAP_N=0
TAP_FAILED=0

plan() {
	echo "1..$1"
}

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# skip WHY: a test point that cannot run here.
skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # SKIP $*"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# check DESCRIPTION COMMAND...: one test point from a command's status.
check() {
	local what=$1
	shift
	if "$@" >&2; then
		ok "$what"
	else
		not_ok "$what"
	fi
}

# check_wait SECONDS DESCRIPTION COMMAND...: a test point that passes once
# COMMAND succeeds within SECONDS.
check_wait() {
	local limit=$1 what=$2
	shift 2
	if lab_wait "$limit" "$@"; then
		ok "$what"
	else
		not_ok "$what (not within ${limit}s)"
	fi
}
