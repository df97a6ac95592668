#!/bin/bash
# Faults and load on a's discod, while a client queries it all along:
# avahi-daemon, dbus-daemon and both killed -9 and brought back (every
# registration returns, the cache rebuilds); a SIGHUP storm; running out
# of file descriptors; clients that vanish mid-request and mid-reply and a
# watcher that never reads, during a burst of events; 10000 idle watchers
# that all get the next event.  discod never exits.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CLIENT=$top_srcdir/tests/lab/clients/faults_client.py
WATCHERS=${FAULTS_WATCHERS:-10000}
# discod and the watchers' client each need a descriptor per watcher.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((WATCHERS + 200)) ]; then
	WATCHERS=$((hard - 200))
	echo "# descriptor limit $hard: $WATCHERS watchers"
fi

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
db=$(lab_hostdir b)
sock=$da/discod.sock
mkdir -p "$da/services.d"
cat >"$da/services.d/file.dnssd" <<'X'
[Service]
Name=From File
Type=_flt._tcp
Port=7000
X
cat >"$da/discod.conf" <<X
[control]
max-clients = $((WATCHERS + 200))
client-output-max = 64K
[avahi]
retry-max = 2
[announce]
services-dir = $da/services.d
X
lab_discod_start a || { echo "Bail out! discod on a did not start"; exit 1; }
pid=$(lab_discod_pid a)
lab_discod_start b || { echo "Bail out! discod on b did not start"; exit 1; }
plan 25

# Processes of this test outside lab_spawn: stopped by PID at exit too.
spawn() {
	"$@" &
	LAB_PIDS+=("$!")
	BG_PID=$!
}

lab_spawn b peer avahi-publish -s "Peer B" _flt._tcp 7001
check_wait 20 "a resolves b's instance" lab_ctl a resolve "Peer B" _flt._tcp

# Three registrations on a: a file, a client that holds its connection,
# and a persistent one (with a lease) whose client left.
spawn "$PY" "$CLIENT" hold "$sock" "Held" _flt._tcp 7002 \
    >"$da/hold.out"
"$PY" - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"verb":"register","name":"Kept","type":"_flt._tcp",'
          b'"port":7003,"persist":true,"ttl":3600}\n')
assert json.loads(s.makefile().readline())["ok"]
PY
# The querying client, for the whole test.
spawn "$PY" "$CLIENT" query "$sock" 900 "Peer B" _flt._tcp >"$da/query.out"
qpid=$BG_PID

# a's own avahi-daemon has all three (it knows them only if discod
# registered them with it).
a_publishes_all() {
	local out
	out=$(lab_on a timeout 10 avahi-browse -pt _flt._tcp 2>/dev/null)
	grep -q ';From\\032File;' <<<"$out" && grep -q ';Held;' <<<"$out" &&
	    grep -q ';Kept;' <<<"$out"
}
check_wait 20 "a's avahi-daemon publishes the file's, the held and the kept registration" \
    a_publishes_all

kill_and_restore() {
	case $1 in
	avahi) kill -KILL "$(lab_avahi_pid a)" ;;
	dbus) kill -KILL "$(lab_dbus_pid a)" ;;
	both) kill -KILL "$(lab_avahi_pid a)" "$(lab_dbus_pid a)" ;;
	esac
	sleep 2
	# avahi-daemon leaves when its bus goes: both come back.
	if [ "$1" != avahi ]; then
		kill -KILL "$(lab_avahi_pid a)" 2>/dev/null
		lab_dbus_start a
	fi
	lab_avahi_start a
}
for fault in avahi dbus both; do
	kill_and_restore "$fault"
	check_wait 30 "$fault killed -9 and back: every registration is published again" \
	    a_publishes_all
	check_wait 20 "$fault: the cache is rebuilt (b's instance resolves)" \
	    lab_ctl a resolve "Peer B" _flt._tcp
	check "$fault: discod is still running" kill -0 "$pid"
done

# 300 reloads, 100 a second.
fds_before=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
for ((i = 0; i < 300; i++)); do
	kill -HUP "$pid"
	sleep 0.01
done
check_wait 10 "after a SIGHUP storm discod answers" lab_ctl a status
check "and keeps every registration" a_publishes_all
fds_after=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
check "and holds no more descriptors than before ($fds_before, $fds_after)" \
    test "$fds_after" -le "$fds_before"

# Out of descriptors: 64 at most, 100 clients.  (The soft limit only, so
# that it can be raised again.)
prlimit --pid "$pid" --nofile=64:
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
spawn "$PY" "$CLIENT" many "$sock" 100 3 >"$da/many.out"
mpid=$BG_PID
lab_wait 10 grep -q answered "$da/many.out"
t0=$(cpu)
sleep 2
spent=$(($(cpu) - t0))
diag "with descriptors exhausted: $(cat "$da/many.out"); discod used $spent ticks in 2 s"
check "some of 100 clients are served with 64 descriptors" \
    grep -q 'answered [1-9][0-9]* of 100' "$da/many.out"
check "accept backs off instead of spinning (<= 50 ticks in 2 s)" test "$spent" -le 50
kill "$mpid"
wait "$mpid" 2>/dev/null
check_wait 5 "once clients leave, new ones are served" lab_ctl a status
prlimit --pid "$pid" --nofile="$(ulimit -Hn):"

# Vanishing clients and a watcher that never reads, during a burst of
# 300 new instances from b's discod.
spawn "$PY" "$CLIENT" abrupt "$sock" 300 >"$da/abrupt.out"
lab_wait 20 grep -q connected "$da/abrupt.out"
cat >"$db/burst.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
f = s.makefile()
for i in range(300):
    s.sendall(json.dumps({"verb": "register", "name": "Burst %d" % i,
                          "type": "_burst._tcp", "port": 8000}).encode() + b"\n")
    assert json.loads(f.readline())["ok"]
import time; time.sleep(600)  # until stopped by PID
PY
spawn "$PY" "$db/burst.py" "$db/discod.sock"
burst_in() {
	[ "$(lab_ctl a -j list _burst._tcp | grep -o '"name":"Burst' | wc -l)" -ge 300 ]
}
check_wait 60 "a's cache gets all 300 instances of the burst" burst_in
check "the watcher that never read was dropped, and said why" \
    grep -q 'dropped: not reading its replies\|not reading its replies' "$da/discod.log"
check "discod survived vanishing clients and the dropped watcher" kill -0 "$pid"

# Idle watchers, and the next event reaches each.
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
spawn "$PY" "$CLIENT" watchers "$sock" "$WATCHERS" _flt._tcp "Late" 60 >"$da/watchers.out"
wpid=$BG_PID
if lab_wait 120 grep -q ready "$da/watchers.out"; then
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	diag "$WATCHERS idle watchers: discod RSS $rss0 -> $rss1 kB, $(((rss1 - rss0) * 1024 / WATCHERS)) bytes per watcher"
	ok "$WATCHERS watchers connected, each with its snapshot"
	check "the querying client is answered meanwhile" \
	    lab_ctl a -j resolve "Peer B" _flt._tcp
	lab_spawn b late avahi-publish -s "Late" _flt._tcp 7009
	lab_wait 90 grep -q seen "$da/watchers.out"
	check "all $WATCHERS watchers got the next add event ($(tail -n 1 "$da/watchers.out"))" \
	    grep -q "seen $WATCHERS of $WATCHERS" "$da/watchers.out"
else
	not_ok "$WATCHERS watchers connected ($(cat "$da/watchers.out"))"
	not_ok "the querying client is answered meanwhile"
	not_ok "all $WATCHERS watchers got the next add event"
fi
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null

# The querying client, from start to end.
kill -TERM "$qpid"
lab_wait 10 grep -q sent "$da/query.out"
diag "query client: $(cat "$da/query.out")"
check "the querying client was never dropped and never got an error other than not-found" \
    grep -q '"other": 0, "dropped": false' "$da/query.out"
check "discod ran through it all" kill -0 "$pid"
