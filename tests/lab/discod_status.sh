#!/bin/bash
# discod on host a: discoctl status shows Avahi running and a's host name,
# in human and JSON form, with documented exit codes.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 9

out=$(lab_ctl a status)
diag "$out"
check "status shows avahi running" \
    grep -Eq '^avahi +running' <<<"$out"
check "status shows a's host name" \
    grep -Eq '^host +lab-a\.local$' <<<"$out"
json=$(lab_ctl a --json status)
check "--json prints the raw reply" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r["ok"] and r["avahi"]["state"]=="running" and r["host"]=="lab-a.local" and r["counts"]["clients"]==1))' "$json"
check "status reports the agent's pid" \
    python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1])["pid"] != int(sys.argv[2]))' "$json" "$(lab_discod_pid a)"

lab_ctl a frobnicate >/dev/null 2>&1
check "an unknown command exits 2" test $? = 2
lab_on a "$top_builddir/discoctl/discoctl" -s "$LAB_DIR/nothing.sock" status \
    >/dev/null 2>"$LAB_DIR/err"
check "no agent on the socket exits 3" test $? = 3
check "and says the agent is not running" \
    grep -q 'not running' "$LAB_DIR/err"
lab_ctl a -t 0 status >/dev/null 2>&1
check "a bad timeout exits 2" test $? = 2
# Without -s: the discod that answers through DISCO_SOCKET must be the
# one this test started (not any agent on the default socket), and
# DISCO_SOCKET naming a socket nobody listens on must fail.
env_status() {	# SOCKET: discoctl --json status with DISCO_SOCKET=SOCKET
	lab_on a env DISCO_SOCKET="$1" "$top_builddir/discoctl/discoctl" \
	    --json status
}
env_socket() {
	local pid
	pid=$(env_status "$(lab_hostdir a)/discod.sock" | python3 -c '
import json, sys; print(json.load(sys.stdin)["pid"])') || return 1
	echo "pid $pid through DISCO_SOCKET, started $(lab_discod_pid a)"
	[ "$pid" = "$(lab_discod_pid a)" ] || return 1
	env_status "$LAB_DIR/nothing.sock" >/dev/null 2>&1
	[ $? = 3 ]
}
check "DISCO_SOCKET picks the socket: the test's discod answers through it, nobody through a dead one" \
    env_socket
