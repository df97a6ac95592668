#!/bin/bash
# An exec check's user signals everything it owns, all the time: until
# its child has reset them, the child holds discod's own signal handlers,
# and a SIGTERM there would stop discod (issue 15, finding 1).  A user
# (uid 4245, used by nothing else) registers an exec check every 5 ms and
# sends SIGTERM to all its processes (kill -1) for 10 s: discod must run
# on, answer, and go on checking.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

ATTACKER=4245

lab_require_users
lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
sock=$(lab_hostdir a)/discod.sock
printf '[control]\nsocket-mode = 0666\n[health]\nclient-interval-min-ms = 1\n' >"$(lab_hostdir a)/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
share=$(lab_share "$top_srcdir/tests/lab/clients/access_client.py")
cd "$share" || exit 1		# the other user cannot enter the build tree
plan 5

as_attacker() {
	lab_as "$ATTACKER" "$@"
}

reg='{"verb":"register","name":"Signals","type":"_sig._tcp","port":9000,"persist":true,"ttl":600,"check":{"type":"exec","command":["true"],"interval":"5ms","timeout":"5ms"}}'
out=$(as_attacker "$PY" "$share/access_client.py" "$sock" "$reg")
diag "register: $out"
check "uid $ATTACKER registers an exec check every 5 ms" \
    grep -q '"ok":true' <<<"$out"

runs() {
	lab_ctl a -j services | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "Signals":
        print(s["health"]["checks"])'
}
before=$(runs)

# kill(-1) reaches every process of the caller's uid but the caller:
# here, the check's children, between their fork and their execve too.
as_attacker "$PY" -c '
import os, signal, time
end = time.time() + 10
while time.time() < end:
    try:
        os.kill(-1, signal.SIGTERM)
    except ProcessLookupError:
        pass'

check "discod is still running after 10 s of SIGTERM to every check child" \
    kill -0 "$pid"
check "and answers" lab_ctl a status
after=$(runs)
check "its checks went on running (${before:-?} -> ${after:-?} runs)" \
    test "${after:-0}" -gt "$((${before:-0} + 100))"
still_there() {
	lab_ctl a -j services | grep -q '"name":"Signals"'
}
check "and the registration is still there" still_there
