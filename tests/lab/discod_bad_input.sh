#!/bin/bash
# Protocol v1 against a live discod in the lab: errors for every kind of
# bad input, limits enforced, other clients served throughout.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)

# The client's points: its ok() calls, one each whatever happens before
# it (the one in a try has its except).  Declared here, not counted
# from what it printed, so that a client that stops half-way fails.
PY_POINTS=23
plan $((PY_POINTS + 4))
out=$LAB_DIR/protocol.tap
bound=16384
# AddressSanitizer's quarantine holds freed memory: a looser bound there.
if ldd "$top_builddir/discod" | grep -q libasan ||
    grep -qa __asan_init "$top_builddir/discod"; then
	bound=131072
fi
lab_on a env DISCO_RSS_BOUND_KIB=$bound python3 "$top_srcdir/tests/lab/clients/discod_protocol.py" \
    "$(lab_hostdir a)/discod.sock" >"$out" 2>&1
py_rc=$?
grep -E '^(not )?ok |^#' "$out"
TAP_N=$(grep -c -E '^(not )?ok ' "$out")
py_whole() {
	[ "$py_rc" = 0 ] && [ "$TAP_N" = "$PY_POINTS" ]
}
py_whole || diag "discod_protocol.py: exit $py_rc, $TAP_N of $PY_POINTS points; its end:" \
    "$(tail -n 5 "$out")"
check "the protocol client ran its $PY_POINTS points and exited 0" py_whole
log=$(lab_hostdir a)/discod.log
check "the oversized line is logged with its reason" \
    grep -q 'request line over 65535 bytes: closing' "$log"
check "the client that never reads is logged" \
    grep -q 'dropped: not reading its replies' "$log"
check "discod is still running" kill -0 "$pid"
