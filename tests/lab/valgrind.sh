#!/bin/bash
# discod under valgrind through a full scenario: announce from a file and
# from clients, browse a peer, list, resolve, pick, watch, a health
# check, a reload, an avahi-daemon restart, clients that vanish, then
# SIGTERM.  No memory error and no definitely lost byte.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

command -v valgrind >/dev/null || { echo "1..0 # SKIP no valgrind"; exit 77; }
if grep -qa __asan_init "$top_builddir/discod"; then
	echo "1..0 # SKIP discod is built with AddressSanitizer, which valgrind cannot run"
	exit 77
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
mkdir -p "$da/services.d"
cat >"$da/services.d/web.dnssd" <<'X'
[Service]
Name=Valgrind Web
Type=_vg._tcp
Port=8080
TxtText=path=/ role=web
X
printf '[announce]\nservices-dir = %s/services.d\n[avahi]\nretry-max = 2\n' \
    "$da" >"$da/discod.conf"
LAB_DISCOD_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite \
--errors-for-leak-kinds=definite --track-fds=no --log-file=$da/valgrind.log" \
    lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
plan 6

lab_spawn b peer avahi-publish -s "Peer VG" _vg._tcp 7001 k=v
check_wait 60 "under valgrind, a resolves b's instance" \
    lab_ctl a resolve "Peer VG" _vg._tcp

"$PY" - "$da/discod.sock" >"$da/client.out" <<'PY'
import json, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(path)
    return s, s.makefile()
s, f = conn()
w, wf = conn()
w.sendall(b'{"verb":"watch","type":"_vg._tcp"}\n'); wf.readline()
# Each request with the reply it must get: "ok", or the error's code.
reqs = [
    ({"verb": "register", "name": "Client VG", "type": "_vg._tcp",
      "port": 9000, "txt": ["a=1"], "subtypes": ["_x"],
      "check": {"type": "tcp", "host": "127.0.0.1", "port": 1,
                "interval": "500ms", "timeout": "200ms"}}, "ok"),
    ({"verb": "register", "name": "Lease VG", "type": "_vg._tcp",
      "port": 9001, "ttl": 60, "persist": True}, "ok"),
    ({"verb": "list", "type": "_vg._tcp", "txt": ["k=v"]}, "ok"),
    ({"verb": "resolve", "fullname": "Peer VG._vg._tcp.local"}, "ok"),
    ({"verb": "pick", "type": "_vg._tcp", "policy": "sticky", "key": "u"}, "ok"),
    ({"verb": "types"}, "ok"), ({"verb": "services"}, "ok"),
    ({"verb": "status"}, "ok"),
    ({"verb": "resolve", "name": "Nobody", "type": "_vg._tcp",
      "wait_ms": 300}, "not-found"),
    ({"verb": "renew"}, "ok"),
    ({"verb": "nonsense"}, "unknown-verb"),
    ({"verb": "unregister"}, "ok"),
]
lease = None    # the id the register of "Lease VG" answered with
def call(r):
    s.sendall(json.dumps(r).encode() + b"\n")
    while True:
        m = json.loads(f.readline())
        if "ok" in m:
            return m
for r, want in reqs:
    if r["verb"] in ("renew", "unregister"):
        r["registration"] = lease
    m = call(r)
    got = "ok" if m["ok"] is True else m.get("error", {}).get("code")
    if r.get("name") == "Lease VG" and m["ok"]:
        lease = m["registration"]["id"]
    print(r["verb"], got, "as expected" if got == want else "(%s expected)" % want)
# Vanishing clients: half a line; a waiting request.
v = socket.socket(socket.AF_UNIX); v.connect(path); v.sendall(b'{"verb":"li'); v.close()
v = socket.socket(socket.AF_UNIX); v.connect(path)
v.sendall(b'{"verb":"pick","type":"_none._tcp","wait_ms":5000}\n'); v.close()
time.sleep(1)
s.close(); w.close()
PY
diag "$(cat "$da/client.out")"
# 12 replies, each as it must be: ok, or the error expected.
check "every request was answered, as it must be (valgrind slows, never breaks)" \
    test "$(grep -c ' as expected$' "$da/client.out")" = 12 -a "$(wc -l <"$da/client.out")" = 12
kill -HUP "$pid"
sleep 2
lab_stop "$(lab_avahi_pid a)" KILL
sleep 1
lab_avahi_start a
check_wait 60 "after an avahi-daemon restart the cache is rebuilt" \
    lab_ctl a resolve "Peer VG" _vg._tcp
kill -TERM "$pid"
lab_wait 60 sh -c "! kill -0 $pid" || kill -KILL "$pid"
wait "$pid" 2>/dev/null
sed -n '/HEAP SUMMARY/,$p' "$da/valgrind.log" | sed 's/^/# /'
check "valgrind reports no memory error" \
    grep -q 'ERROR SUMMARY: 0 errors' "$da/valgrind.log"
check "and no definitely lost byte" \
    grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$da/valgrind.log"
check "discod stopped cleanly on SIGTERM" grep -q '^stopped$' "$da/discod.log"
