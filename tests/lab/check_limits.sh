#!/bin/bash
# What a local user can make discod do through a registration's health
# check, and through connections (issue 15, findings 2, 3, 6, 7, 8, 9):
# no name lookups in the loop, no unbounded HTTP response, no checks every
# millisecond, no probes of other hosts, an exec check that inherits none
# of discod's descriptors or environment and leaves nothing running, a cap
# on each user's connections with a reserve for root, and a check that
# cannot run for want of descriptors is not a failure of root's service.
# The attacker is uid 4246 (a second one 4247), used by nothing else.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

ATTACKER=4246
OTHER=4247

lab_require_users
command -v prlimit >/dev/null || lab_unavailable "prlimit not installed"
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
sock=$da/discod.sock
mkdir -p "$da/services"
cat >"$da/services/root.dnssd" <<'X'
[Service]
Name=Root Checked
Type=_root._tcp
Port=7100
[Check]
Type=exec
Command=true
Interval=300ms
Timeout=200ms
Rise=1
Fall=1
X
cat >"$da/discod.conf" <<X
[control]
socket-mode = 0666
max-clients = 60
max-clients-per-uid = 50
[announce]
services-dir = $da/services
X
share=$(lab_share "$top_srcdir/tests/lab/clients/access_client.py" \
    "$top_srcdir/tests/lab/clients/hold_clients.py" \
    "$top_srcdir/tests/lab/clients/exec_probe.py")
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
cd "$share" || exit 1		# the other users cannot enter the build tree
plan 22

as() {
	local uid=$1
	shift
	lab_as "$uid" "$@"
}
# register UID CHECK-JSON [NAME]: one registration with that check.
register() {
	as "$1" "$PY" "$share/access_client.py" "$sock" \
	    "{\"verb\":\"register\",\"name\":\"${3:-Checked}\",\"type\":\"_lim._tcp\",\"port\":9100,\"persist\":true,\"ttl\":600,\"check\":$2}"
}
# health NAME FIELD: a field of the health of the registration NAME.
health() {
	lab_ctl a -j services | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1] and s.get("health"):
        print(s["health"][sys.argv[2]])' "$1" "$2"
}

# Finding 2: a name in a URL would be looked up with a blocking
# getaddrinfo() inside discod's loop.
out=$(register $ATTACKER '{"type":"http","url":"http://example.invalid/"}')
diag "$out"
check "an http check whose URL names a host is refused (check.url)" \
    grep -q '"field":"check.url"' <<<"$out"

# Finding 9: discod is no port scanner: users' checks stay on loopback.
out=$(register $ATTACKER '{"type":"tcp","host":"198.51.100.2","port":22}')
diag "$out"
denied() {
	grep -q '"code":"permission-denied"' <<<"$1" &&
		grep -q "\"field\":\"$2\"" <<<"$1"
}
check "a user's tcp check of another host is refused (check.host)" \
    denied "$out" check.host
out=$(register $ATTACKER '{"type":"http","url":"http://198.51.100.2:80/"}')
check "and so is an http check of another host (check.url)" \
    denied "$out" check.url
out=$(register 0 '{"type":"tcp","host":"198.51.100.2","port":22}' RootRemote)
check "root's check of another host is allowed" grep -q '"ok":true' <<<"$out"

# Finding 6: a check every millisecond, 256 times, would be discod's
# whole CPU; the timeout is bounded too.
out=$(register $ATTACKER '{"type":"tcp","port":1,"interval":"1ms","timeout":"1ms"}')
check "a user's check every 1 ms is refused (check.interval)" \
    grep -q '"field":"check.interval"' <<<"$out"
out=$(register $ATTACKER '{"type":"tcp","port":1,"interval":"86400s","timeout":"86400s"}')
check "a user's check with a one-day timeout is refused (check.timeout)" \
    grep -q '"field":"check.timeout"' <<<"$out"

# Finding 3: an HTTP server that never stops sending.
lab_spawn a endless "$PY" -c '
import socket, threading
chunk = b"x" * 65536
def serve(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        while True:
            c.sendall(chunk)
    except OSError:
        pass
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8090))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()'
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
lab_wait 10 lab_on a "$PY" -c 'import socket; socket.create_connection(("127.0.0.1", 8090), 1)'
rss0=$(rss)
out=$(register $ATTACKER '{"type":"http","url":"http://127.0.0.1:8090/","interval":"30s","timeout":"20s"}' Endless)
diag "$out"
check "a user registers an http check of an endless server" \
    grep -q '"ok":true' <<<"$out"
sleep 8
rss1=$(rss)
diag "discod's RSS: ${rss0:-?} kB before, ${rss1:-?} kB after 8 s of an endless body"
check "an endless HTTP body does not grow discod (< 16 MB more)" \
    test "${rss1:-999999999}" -lt "$((${rss0:-0} + 16384))"
endless_failed() {
	health Endless output | grep -q "larger than"
}
check "and the check fails, saying why" endless_failed

# Findings 7 and 8: what an exec check inherits.
out=$(register $ATTACKER "{\"type\":\"exec\",\"command\":[\"$PY\",\"$share/exec_probe.py\"],\"interval\":\"1s\",\"timeout\":\"900ms\"}" Probe)
diag "$out"
check "a user registers an exec check" grep -q '"ok":true' <<<"$out"
probed() { health Probe output | grep -q "^fds="; }
lab_wait 10 probed
got=$(health Probe output)
diag "exec check: $got"
check "an exec check holds no descriptor of discod's" grep -q "^fds=\[\] " <<<"$got"
check "its stdin is /dev/null" grep -q " stdin=/dev/null " <<<"$got"
check "its environment is PATH and LC_ALL only" \
    grep -q " env=LC_ALL,PATH " <<<"$got"
check "it leads a session of its own" grep -q " session=own$" <<<"$got"

# A running check's output is not shown half made: the last result's
# stays until the next ends (the check runs 800 of every 1000 ms).
out=$(register $ATTACKER '{"type":"exec","command":["sh","-c","echo done; sleep 0.8"],"interval":"1s","timeout":"900ms"}' Slow)
slow_ran() { test "$(health Slow checks)" -ge 1; }
lab_wait 10 slow_ran
always_done() {
	local i got
	for i in $(seq 10); do
		got=$(health Slow output)
		[ "$got" = "done" ] || { echo "# sample $i: \"$got\""; return 1; }
		sleep 0.13
	done
}
check "a running exec check shows its last output, not a partial one" \
    always_done

out=$(register $ATTACKER '{"type":"exec","command":["sh","-c","sleep 3001 & exit 0"],"interval":"1s","timeout":"500ms"}' Leaves)
check "and one that leaves a process behind" grep -q '"ok":true' <<<"$out"
ran_twice() { test "$(health Leaves checks)" -ge 2; }
lab_wait 10 ran_twice
leftovers() {
	local i
	for i in 1 2 3 4 5; do
		[ "$(pgrep -u $ATTACKER -fc 'sleep 3001')" = 0 ] && return 0
		sleep 0.2
	done
	pgrep -u $ATTACKER -fa 'sleep 3001' | sed 's/^/# left: /'
	return 1
}
check "what an exec check leaves running is killed when it exits" leftovers

# Finding 6: connections.  uid 4246 takes 70 (50 allowed per uid), uid
# 4247 20 more (max-clients is 60): root still gets in, on its reserve.
as $ATTACKER "$PY" "$share/hold_clients.py" "$sock" 70 15 >"$da/hold1.out" &
hold1=$!
LAB_PIDS+=("$hold1")
lab_wait 20 grep -q . "$da/hold1.out"
as $OTHER "$PY" "$share/hold_clients.py" "$sock" 20 10 >"$da/hold2.out" &
hold2=$!
LAB_PIDS+=("$hold2")
lab_wait 20 grep -q . "$da/hold2.out"
diag "uid $ATTACKER: $(cat "$da/hold1.out"); uid $OTHER: $(cat "$da/hold2.out")"
check "one uid gets max-clients-per-uid (50) connections, no more" \
    grep -q '"ok": 50, "too many connections from this user": 20' "$da/hold1.out"
check "past max-clients (60) other users are refused" \
    grep -q '"ok": [0-9]*, "too many clients: try again later"' "$da/hold2.out"
check "root still connects (its reserve)" lab_ctl a status
kill "$hold1" "$hold2" 2>/dev/null
wait "$hold1" "$hold2" 2>/dev/null

# Finding 6: a check that cannot get a descriptor has not failed.  With
# discod at its descriptor limit, root's exec check cannot make its pipe:
# its service must stay healthy (Fall=1: one counted failure withdraws it).
root_healthy() { test "$(health 'Root Checked' healthy)" = True; }
lab_wait 10 root_healthy
sleep 1
nfd=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
soft=$(prlimit --pid "$pid" --nofile --output SOFT --noheadings)
prlimit --pid "$pid" --nofile="$nfd:"
sleep 3
prlimit --pid "$pid" --nofile="$soft:"
check "discod said its check could not run (no descriptors)" \
    grep -q 'Root Checked.*check not run: pipe: Too many open files' "$da/discod.log"
never_withdrawn() {
	root_healthy && ! grep -q '"Root Checked" _root._tcp is unhealthy' "$da/discod.log"
}
check "root's service stayed healthy throughout" never_withdrawn
