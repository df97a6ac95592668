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

out=$LAB_DIR/protocol.tap
bound=16384
# AddressSanitizer's quarantine holds freed memory: a looser bound there.
if ldd "$top_builddir/discod" | grep -q libasan ||
    grep -qa __asan_init "$top_builddir/discod"; then
	bound=131072
fi
lab_on a env DISCO_RSS_BOUND_KIB=$bound python3 "$top_srcdir/tests/lab/clients/discod_protocol.py" \
    "$(lab_hostdir a)/discod.sock" | tee "$out"
TAP_N=$(grep -c -E '^(not )?ok ' "$out")
log=$(lab_hostdir a)/discod.log
check "the oversized line is logged with its reason" \
    grep -q 'request line over 65535 bytes: closing' "$log"
check "the client that never reads is logged" \
    grep -q 'dropped: not reading its replies' "$log"
check "discod is still running" kill -0 "$pid"
plan "$TAP_N"
