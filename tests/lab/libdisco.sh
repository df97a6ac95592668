#!/bin/bash
# libdisco in the lab: the Check suite against a's live discod, the
# example program connecting to a service on b, and discoctl (a libdisco
# client) when the agent dies in the middle of a call.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
sa=$(lab_hostdir a)/discod.sock
lab_spawn b p1 avahi-publish -s "Lib One" _libtest._tcp 5201 weight=1 \
    "$(printf 'b=\001')"
lab_spawn b p2 avahi-publish -s "Lib Two" _libtest._tcp 5202 weight=3
# A real service on b: answers each line with "echo: LINE".
lab_spawn b echo python3 -c '
import socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"echo: " + self.rfile.readline())
socketserver.TCPServer.allow_reuse_address = True
socketserver.TCPServer(("0.0.0.0", 5050), H).serve_forever()'
lab_spawn b p3 avahi-publish -s "Echo" _demo._tcp 5050
two() {
	lab_ctl a -j list _libtest._tcp | grep -q '"name":"Lib Two"' &&
	    lab_ctl a -j list _libtest._tcp | grep -q '"name":"Lib One"' &&
	    lab_ctl a -j list _demo._tcp | grep -q '"name":"Echo"'
}
lab_wait 15 two || echo "# the published instances did not reach a"

# The suite prints its own TAP (its plan at the end); its points become
# ours, and our plan is its plan plus ours, so that a point it never ran
# is missing here too.  Its exit status is a point of its own: without
# it (Check absent, the program not built) nothing else would fail.
full=$LAB_DIR/check.full
lab_on a env DISCO_SOCKET="$sa" CK_DEFAULT_TIMEOUT=30 \
    "$top_builddir/tests/unit/check_libdisco" >"$full" 2>&1
ck_rc=$?
grep -E '^(not )?ok ' "$full"
TAP_N=$(grep -c -E '^(not )?ok ' "$full")
ck_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$full" | head -n 1)
ck_whole() {
	[ "$ck_rc" = 0 ] && [ -n "$ck_plan" ] && [ "$ck_plan" -gt 0 ] &&
	    [ "$ck_plan" = "$TAP_N" ]
}
ck_whole || diag "check_libdisco: exit $ck_rc, plan ${ck_plan:-none}, $TAP_N points; its end:" \
    "$(tail -n 5 "$full")"
check "check_libdisco against a's discod: its whole plan (${ck_plan:-none}) ran, exit 0" ck_whole

reply=$(lab_on a env DISCO_SOCKET="$sa" "$top_builddir/examples/demo-connect" \
    _demo._tcp "from a" 2>&1)
diag "$reply"
check "the example finds _demo._tcp on b and talks to it" \
    grep -q '^reply: echo: from a$' <<<"$reply"

# doc/clients.md's examples, run as written (socket path from the env).
python3 - "$top_srcdir/doc/clients.md" >"$LAB_DIR/doc.py" <<'PY'
import sys
text = open(sys.argv[1]).read()
print(text.split("```python\n")[1].split("```")[0])
PY
doc_py=$(lab_on a env DISCO_SOCKET="$sa" python3 "$LAB_DIR/doc.py" 2>&1)
check "doc/clients.md's Python example talks to the service on b" \
    test "$doc_py" = "echo: hello"
doc_socat=$(printf '%s\n' '{"verb":"pick","type":"_demo._tcp"}' |
    lab_on a socat - UNIX-CONNECT:"$sa")
check "doc/clients.md's socat exchange picks the instance" \
    grep -q '"name":"Echo"' <<<"$doc_socat"

# discod killed during a pick that waits: an error at once, no hang.
lab_on a "$top_builddir/discoctl/discoctl" -s "$sa" -t 20000 pick --wait 15000 \
    _never._tcp >/dev/null 2>&1 &
picker=$!
sleep 1
start=${EPOCHREALTIME/./}
kill -KILL "$(lab_discod_pid a)"
wait "$picker"
rc=$?
took=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "agent killed mid-call: discoctl exits 3 (after ${took} ms)" \
    test "$rc" = 3 -a "$took" -lt 2000
# Check's plan plus our five points (the count of ours is fixed here, not
# taken from what ran).
plan $((${ck_plan:-0} + 5))
