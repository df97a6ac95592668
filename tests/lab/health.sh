#!/bin/bash
# Health checks gate announcements, seen from b: tcp and http checks turn
# a service on and off, an exec check that hangs is killed at its timeout
# with no zombie left, a registration's owner hears of its health, and
# discod answers promptly while 100 checks run every second.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_browse_start b
da=$(lab_hostdir a)
mkdir -p "$da/services"
cat >"$da/services/tcp.dnssd" <<'X'
[Service]
Name=Tcp Checked
Type=_hc._tcp
Port=7777
[Check]
Type=tcp
Interval=1s
Timeout=500ms
Rise=2
Fall=2
X
cat >"$da/services/http.dnssd" <<'X'
[Service]
Name=Http Checked
Type=_hc._tcp
Port=8088
[Check]
Type=http
URL=http://localhost:8088/health
Expect=ok
Interval=1
Timeout=500ms
Rise=2
Fall=2
X
cat >"$da/services/exec.dnssd" <<'X'
[Service]
Name=Exec Hangs
Type=_hc._tcp
Port=9999
[Check]
Type=exec
Command=sleep 30
Interval=2s
Timeout=1s
X
printf '[announce]\nservices-dir = %s/services\n' "$da" >"$da/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
plan 15

sleep 3
check "tcp check, nobody listening: not announced (b sees nothing)" \
    lab_unseen b "Tcp Checked" _hc._tcp
lab_spawn a listener python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7777)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()'
listener=$LAB_LAST_PID
check_wait 10 "a listener started: b sees it (Interval x Rise = 2 s, + bounded wait)" \
    lab_seen b "Tcp Checked" _hc._tcp
lab_stop "$listener"
check_wait 10 "the listener stopped: gone from b (Interval x Fall = 2 s, + bounded wait)" \
    lab_gone b "Tcp Checked" _hc._tcp

# http: 200 "ok", then 500, then 200 again.
echo 200 >"$da/http.code"
lab_spawn a web python3 -c '
import http.server, sys
code_file = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(open(code_file).read())
        self.send_response(code); self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"down")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", 8088), H).serve_forever()' "$da/http.code"
check_wait 10 "http check answering 200 ok: b sees it" \
    lab_seen b "Http Checked" _hc._tcp
echo 500 >"$da/http.code"
check_wait 10 "the server answers 500: gone from b" \
    lab_gone b "Http Checked" _hc._tcp
echo 200 >"$da/http.code"
check_wait 10 "200 again: back on b under the same name" \
    lab_seen b "Http Checked" _hc._tcp

# exec: a command that hangs past Timeout.
exec_state() {
	lab_ctl a -j services | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "Exec Hangs":
        h = s["health"]
        print(s["state"], h["failures"] >= 1, "timed out" in h["output"])'
}
hung() {
	[ "$(exec_state)" = "unhealthy True True" ]
}
check_wait 10 "exec check sleeping past Timeout: failed, output says timed out" hung
# A new check starts every 2 s, so a sleep may be running at any time:
# each one seen must be gone once its 1 s Timeout (and a margin) is over.
sleeps() {
	local p
	for p in $(ip netns pids "$(lab_ns a)"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && echo "$p"
	done
}
killed() {
	local p
	for p in $1; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && return 1
	done
	return 0
}
seen=""
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do
	seen=$(sleeps)
	[ -n "$seen" ] && break
	sleep 0.1
done
seen_killed() {
	[ -n "$seen" ] && killed "$seen"
}
sleep 1.6
check "the hung command was killed after its Timeout (sleep ${seen:-none} gone)" \
    seen_killed
zombies() {
	pgrep -c -r Z -P "$pid" || true
}
check "and reaped: discod has no zombie children" test "$(zombies)" = 0

# A registration with a check: its owner hears the transition.
events=$(lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "register", "name": "Reg Checked",
    "type": "_hc._tcp", "port": 8088, "check": {"type": "http",
    "url": "http://127.0.0.1:8088/health", "interval": 1, "timeout": "500ms",
    "rise": 1}}) + "\n"); f.flush()
print(json.loads(f.readline())["ok"])
print(json.loads(f.readline()))' "$da/discod.sock" 2>&1 | tr '\n' ' ')
diag "$events"
check "a registration's owner gets a health event when it turns healthy" \
    grep -q "True {'healthy': True, 'output': 'HTTP 200: ok', 'event': 'health'" <<<"$events"
bad=$(lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "register", "name": "x", "type": "_hc._tcp",
    "port": 1, "check": {"type": "http"}}) + "\n"); f.flush()
print(json.loads(f.readline())["error"]["field"])' "$da/discod.sock")
check "a check without what it needs is refused, naming the field ($bad)" \
    test "$bad" = check

# 100 services checked every second; status answers meanwhile.
lab_spawn a listener2 python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7777)); s.listen(512)
while True:
    c, _ = s.accept(); c.close()'
for n in $(seq -w 1 100); do
	cat >"$da/services/many$n.dnssd" <<X
[Service]
Name=Many $n
Type=_many._tcp
Port=7777
[Check]
Type=tcp
Interval=1s
Timeout=500ms
Rise=1
X
done
lab_ctl a reload >/dev/null
all_healthy() {
	[ "$(lab_ctl a -j services | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["services"]
          if s["type"] == "_many._tcp" and s["health"]["healthy"]))')" = 100 ]
}
check_wait 20 "100 services with checks every second: all healthy" all_healthy
lat=$(lab_on a python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
t = []
for i in range(200):
    t0 = time.monotonic()
    f.write("{\"verb\":\"status\"}\n"); f.flush(); f.readline()
    t.append((time.monotonic() - t0) * 1e6)
    time.sleep(0.01)
t.sort()
print("%d %d %d" % (t[len(t) // 2], t[int(len(t) * 0.99)], t[-1]))' "$da/discod.sock")
read -r p50 p99 max <<<"$lat"
diag "status round trip while 100 checks run each second: p50 ${p50} us, p99 ${p99} us, max ${max} us (200 calls)"
check "status answers throughout (max ${max} us, bound 500000 us)" \
    test "${max:-999999999}" -lt 500000
# The loop is not waiting on the checks: a status costs tens of
# microseconds alone and about 0.6 ms p50 beside 100 forks a second (4.5
# ms p99, 2026-12-03); a loop that blocked on each check's fork or wait
# would put most calls behind one.  The bounds leave room for ASan.
check "status is not held up by the checks (p50 ${p50} us < 20000, p99 ${p99} us < 200000)" \
    test "${p50:-999999999}" -lt 20000 -a "${p99:-999999999}" -lt 200000
check "discod never exited" kill -0 "$pid"
