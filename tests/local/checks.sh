#!/bin/bash
# What each [Check] key of a .dnssd file does (issue 25), with the built
# discod (no lab: Avahi need not run for a check to run) and targets on
# loopback: Host= and Port= of a tcp check (each against the service's
# own port, which is wrong on purpose), a tcp check's defaults, Expect= of
# an http check (a 200 whose body lacks it fails), StartPeriod= (failures
# in it do not count, after it they do), Rise= and Fall= (the state turns
# on the Nth pass or failure in a row, not before) and Type=ttl (healthy from the
# start, nothing run).  tests/lab/health.sh covers announcing and
# withdrawing on the LAN; this covers what makes a check pass.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
tmp=$(mktemp -d)
pid=""
spid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	for p in $pid $spid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/services"
sock=$tmp/run/discod.sock
plan 16

# Targets on 127.0.0.1 only: a TCP listener and an HTTP server whose
# /health says "status: ok".  Bounded: they stop after 60 s.  Their
# ports, and one that nobody listens on, go to $tmp/ports.
python3 - "$tmp/ports" <<'PY' &
import http.server, socket, sys, threading, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"status: ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen(64)
def accept():
    while True:
        c, _ = tcp.accept()
        c.close()
threading.Thread(target=accept, daemon=True).start()
web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
web.handle_error = lambda *a: None     # a check that hangs up early
threading.Thread(target=web.serve_forever, daemon=True).start()
free = socket.socket()
free.bind(("127.0.0.1", 0))
closed = free.getsockname()[1]
free.close()
with open(sys.argv[1] + ".new", "w") as f:
    f.write("%d %d %d\n" % (tcp.getsockname()[1], web.server_address[1], closed))
import os
os.rename(sys.argv[1] + ".new", sys.argv[1])
time.sleep(60)
PY
spid=$!
for ((i = 0; i < 50; i++)); do
	[ -s "$tmp/ports" ] && break
	sleep 0.1
done
read -r open web closed <"$tmp/ports" ||
    { echo "Bail out! the targets did not start"; exit 1; }
diag "listening: tcp $open, http $web; nobody on $closed"

# service FILE NAME PORT CHECK-LINES: a .dnssd file.
service() {
	printf '[Service]\nName=%s\nType=_chk._tcp\nPort=%s\n[Check]\n%s\n' \
	    "$2" "$3" "$4" >"$tmp/services/$1.dnssd"
}
fast='Interval=200ms
Timeout=150ms
Rise=1
Fall=1'
service port-open "Port open" "$closed" "Type=tcp
Host=127.0.0.1
Port=$open
$fast"
service port-closed "Port closed" "$open" "Type=tcp
Port=$closed
$fast"
service default "Defaults" "$open" "Type=tcp
$fast"
service host "Other host" "$open" "Type=tcp
Host=127.0.0.2
Port=$open
$fast"
service expect-ok "Expect ok" 1 "Type=http
URL=http://127.0.0.1:$web/health
Expect=status: ok
$fast"
service expect-not "Expect not" 1 "Type=http
URL=http://127.0.0.1:$web/health
Expect=degraded
$fast"
service start-period "Start period" 1 "Type=exec
Command=false
StartPeriod=2500ms
$fast"
service no-start-period "No start period" 1 "Type=exec
Command=false
$fast"
service ttl "Lease" 1 "Type=ttl"
service rise "Rise three" 1 "Type=tcp
Port=$open
Interval=300ms
Timeout=200ms
Rise=3"
: >"$tmp/flag"
service fall "Fall four" 1 "Type=exec
Command=test -e $tmp/flag
Interval=300ms
Timeout=200ms
Rise=1
Fall=4"

printf '[announce]\nservices-dir = %s/services\n' "$tmp" >"$tmp/discod.conf"
"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$sock" \
    >"$tmp/discod.log" 2>&1 &
pid=$!

# health NAME EXPR: EXPR (Python, over h: the service's health object)
health() {
	"$top_builddir/discoctl/discoctl" -s "$sock" -j services 2>/dev/null |
	    python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        h = s["health"]
        print(json.dumps(eval(sys.argv[2])))' "$1" "$2"
}
# is NAME EXPR WANT
is() {
	[ "$(health "$1" "$2")" = "$3" ]
}
t0=$(date +%s%N)
checked() {
	is "No start period" 'h["checks"] >= 3' true
}
# lab_wait SECONDS CMD...: CMD until it succeeds, at most SECONDS (as
# tests/lab/lab.sh's, which check_wait calls).
lab_wait() {
	local n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
lab_wait 10 checked || diag "discod's log: $(tail -n 5 "$tmp/discod.log")"
# Well inside the 2.5 s start period (the first check runs at once).
ms=$((($(date +%s%N) - t0) / 1000000))
diag "three checks run after $ms ms"
check "StartPeriod: 3 failed checks in its first ${ms} ms count as no failure" \
    is "Start period" '[h["checks"] >= 1, h["failures"], h["healthy"]]' \
    '[true, 0, false]'
check "... without it, the same checks count (failures > 0)" \
    is "No start period" 'h["failures"] > 0' true
check "Type=ttl: healthy from the start (the lease decides), output \"lease\"" \
    is Lease '[h["check"], h["healthy"], h["output"]]' '["ttl", true, "lease"]'

check_wait 5 "Host=127.0.0.1 Port=OPEN (the service's port closed): healthy" \
    is "Port open" 'h["healthy"]' true
check "Port=CLOSED (the service's port open): not healthy, failing" \
    is "Port closed" '[h["healthy"], h["failures"] > 0]' '[false, true]'
check "no Host or Port: 127.0.0.1 and the service's port (open): healthy" \
    is Defaults 'h["healthy"]' true
check "Host=127.0.0.2 (nobody listens there): not healthy" \
    is "Other host" '[h["healthy"], h["failures"] > 0]' '[false, true]'
check "Expect= held by the body: healthy" is "Expect ok" 'h["healthy"]' true
check "Expect= not in the body of a 200: not healthy, failing" \
    is "Expect not" '[h["healthy"], h["failures"] > 0]' '[false, true]'
check "... and its output says what was missing ($(health "Expect not" 'h["output"]'))" \
    is "Expect not" 'h["output"].startswith("HTTP 200 without \"degraded\": status: ok")' true

# After the start period, failures count.
check_wait 6 "StartPeriod over: its failures count" \
    is "Start period" 'h["failures"] > 0' true
check "Type=ttl: no check run in all that time" \
    is Lease 'h["checks"]' 0
# Rise= and Fall=: the state turns on the Nth pass or failure in a row,
# not before.  held NAME SECONDS NEVER UNTIL: samples NAME's health (h)
# every 20 ms for up to SECONDS; fails if NEVER is ever true, succeeds
# once UNTIL is.
held() {
	python3 - "$sock" "$@" <<'PY'
import json, socket, sys, time
sock, name, secs, never, until = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sock)
f = s.makefile("rw")
end = time.monotonic() + float(secs)
while time.monotonic() < end:
    f.write('{"verb":"services"}\n'); f.flush()
    h = [x for x in json.loads(f.readline())["services"] if x["name"] == name][0]["health"]
    if eval(never):
        print("seen:", h); sys.exit(1)
    if eval(until):
        sys.exit(0)
    time.sleep(0.02)
print("not within", secs, "s:", h); sys.exit(1)
PY
}
check "Rise=3 (the default is 2): healthy on the third pass in a row, never before" \
    held "Rise three" 5 'h["healthy"] and h["passes"] < 3' 'h["healthy"]'
check_wait 5 "Fall=4 (the default is 3): healthy while its command succeeds" \
    is "Fall four" 'h["healthy"]' true
rm -f "$tmp/flag"
check "Fall=4: its command failing, unhealthy on the fourth failure in a row, never before" \
    held "Fall four" 5 '(not h["healthy"]) and h["failures"] < 4' \
    'not h["healthy"]'

kill -0 "$pid" 2>/dev/null
check "discod still running" test $? = 0
