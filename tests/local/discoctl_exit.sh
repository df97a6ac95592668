#!/bin/bash
# discoctl's exit statuses and its long options in their NAME=VALUE form
# (issue 25), against stand-in agents on this machine (no lab): one that
# accepts and never answers (--timeout=MS: exit 3, and not before the
# timeout), one that answers list with no instance and resolve with
# not-found (exit 1), and no agent at all (exit 3).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

ctl=$top_builddir/discoctl/discoctl
tmp=$(mktemp -d)
spid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
plan 6

# A stand-in agent: silent (reads, never answers) or empty (every list
# empty, every resolve not found).  Bounded: it stops after 60 s.
agent() { # agent MODE SOCKET
	python3 - "$1" "$2" <<'PY' &
import json, socket, sys, threading, time
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
s.settimeout(60)
def serve(c):
    f = c.makefile("rw")
    for line in f:
        if mode == "silent":
            continue
        req = json.loads(line)
        r = {"ok": True}
        if "id" in req:
            r["id"] = req["id"]
        if req.get("verb") == "list":
            r["instances"] = []
        elif req.get("verb") == "resolve":
            r = {"id": req.get("id"), "ok": False,
                 "error": {"code": "not-found", "message": "no instance"}}
        f.write(json.dumps(r) + "\n")
        f.flush()
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	spid=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ -S "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

agent silent "$tmp/silent.sock"
t0=$(date +%s%N)
timeout 20 "$ctl" --socket="$tmp/silent.sock" --timeout=700 status \
    >/dev/null 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
diag "silent agent: exit $rc after $ms ms: $(cat "$tmp/err")"
check "a silent agent: exit 3" test "$rc" = 3
check "... after --timeout=700, not before (${ms} ms)" \
    test "$ms" -ge 650 -a "$ms" -lt 10000
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=

agent empty "$tmp/empty.sock"
"$ctl" --socket="$tmp/empty.sock" list _none._tcp >/dev/null 2>&1
check "list that finds nothing: exit 1 (exit $?)" test $? = 1
"$ctl" --socket="$tmp/empty.sock" resolve Nobody _none._tcp >/dev/null 2>&1
check "resolve not found: exit 1 (exit $?)" test $? = 1
"$ctl" -s "$tmp/empty.sock" -t 2000 status >/dev/null 2>&1
check "-s and -t as separate words: exit 0 (exit $?)" test $? = 0

"$ctl" --socket="$tmp/nobody.sock" status >/dev/null 2>&1
check "no agent on the socket: exit 3 (exit $?)" test $? = 3
