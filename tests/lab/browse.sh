#!/bin/bash
# Browsing into the cache, seen through a's discod: instances published on
# b (avahi-publish and b's own discod) and 1000 on c (avahi service
# files); list, resolve by name and by full name, TXT filters, watch
# events for add, update and remove, exact round trips of odd names and
# hostile TXT, and a rebuild after avahi-daemon restarts.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

BULK=1000
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }

# c: BULK static services, written while its avahi-daemon is stopped.
lab_stop "$(lab_avahi_pid c)"
lab_service_files c _bulk._tcp "Bulk " 1 "$BULK"

# b: a discod with odd names and hostile TXT, and avahi-publish peers.
db=$(lab_hostdir b)
mkdir -p "$db/services"
cat >"$db/services/odd.dnssd" <<'X'
[Service]
Name=Dotted.Name With Spaces ☕ é
Type=_odd._tcp
Port=6000
TxtData=bin=AAECAwD/ nul=AA==
TxtText=ver=1 "sp=a b" empty=
X
python3 -c "print('TxtText=big=' + 'x' * 251)" >>"$db/services/odd.dnssd"
printf '[announce]\nservices-dir = %s/services\n' "$db" >"$db/discod.conf"
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }
# a resolves at most 16 instances at once (the default is 32): a sampler
# of its status, below, sees it while c's thousand are resolved.
printf '[browse]\nresolve-concurrency = 16\n' >"$(lab_hostdir a)/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
sa=$(lab_hostdir a)/discod.sock
lab_spawn a watch "$top_builddir/discoctl/discoctl" -j -s "$sa" watch _demo._tcp
watchlog=$(lab_hostdir a)/watch.log
plan 28

lab_spawn b p1 avahi-publish -s "Demo One" _demo._tcp 5001 role=web w=1
lab_spawn b p2 avahi-publish -s "Demo Two" _demo._tcp 5002 role=web w=2
lab_spawn b p3 avahi-publish -s "Demo Three" _demo._tcp 5003 role=db w=3 \
    --subtype _db._sub._demo._tcp
p3=$LAB_LAST_PID

# Instances of TYPE in a's cache, optionally filtered: one name a line.
names() {
	lab_ctl a -j list "$@" | python3 -c '
import json, sys
for i in json.load(sys.stdin)["instances"]: print(i["name"])' | sort | tr '\n' ','
}
three() {
	[ "$(names _demo._tcp)" = "Demo One,Demo Three,Demo Two," ]
}
check_wait 15 "list shows the three instances published on b" three
with_addr() {
	lab_ctl a -j list _demo._tcp | python3 -c '
import json, sys
ii = json.load(sys.stdin)["instances"]
ok = all(i["host"] == "lab-b.local" and i["port"] in (5001, 5002, 5003) and
         any(a["address"] == sys.argv[1] and a["interface"] == "eth0"
             for a in i["addresses"]) and
         any(a["family"] == "ipv6" and a["address"].endswith("%eth0")
             for a in i["addresses"]) and len(i["txt"]) == 2 for i in ii)
sys.exit(not (ok and len(ii) == 3))' "$LAB_SUBNET.2"
}
check_wait 10 "each with b's host, port, IPv4, scoped IPv6 and TXT" with_addr
check "a TXT filter key=value" test "$(names _demo._tcp role=web)" = "Demo One,Demo Two,"
check "a TXT filter on a key's presence" test "$(names _demo._tcp w)" = "Demo One,Demo Three,Demo Two,"
check "an IPv4-only list" test "$(names --family ipv4 _demo._tcp role=db)" = "Demo Three,"
check "a subtype, asked for the first time, lists just its instance" \
    test "$(names --subtype _db _demo._tcp)" = "Demo Three,"
pick_sub() {	# every pick by subtype: its one instance, 1 candidate
	local k
	for k in 1 2 3 4 5; do
		lab_ctl a -j pick --subtype _db _demo._tcp | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit(not (r["instance"]["name"] == "Demo Three" and r["candidates"] == 1))' ||
		    return 1
	done
}
check "pick --subtype _db: Demo Three each time, 1 candidate" pick_sub
lab_spawn a subwatch "$top_builddir/discoctl/discoctl" -j -s "$sa" watch \
    --subtype _db _demo._tcp
subwatchlog=$(lab_hostdir a)/subwatch.log
sub_snapshot() {
	head -n 1 "$subwatchlog" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
sys.exit([i["name"] for i in r["instances"]] != ["Demo Three"])'
}
check_wait 5 "watch --subtype _db: its snapshot holds Demo Three alone" sub_snapshot
check "resolve by name and type" \
    sh -c "'$top_builddir/discoctl/discoctl' -s '$sa' resolve 'Demo Two' _demo._tcp | grep -q '^port *5002$'"
check "resolve by full name" \
    sh -c "'$top_builddir/discoctl/discoctl' -s '$sa' resolve 'Demo Two._demo._tcp.local' | grep -q '^port *5002$'"
lab_ctl a resolve Nobody _demo._tcp >/dev/null 2>&1
check "resolve of an unknown instance exits 1" test $? = 1
check "types lists _demo._tcp with 3 instances" \
    sh -c "'$top_builddir/discoctl/discoctl' -s '$sa' types | grep -Eq '^_demo._tcp +3$'"

event_seen() {	# KIND NAME [TXT-SUBSTRING]
	python3 - "$watchlog" "$@" <<'PY'
import json, sys
log, kind, name = sys.argv[1:4]
want = sys.argv[4] if len(sys.argv) > 4 else None
for line in open(log):
    e = json.loads(line)
    i = e.get("instance") or {}
    if e.get("event") == kind and i.get("name") == name and \
       (want is None or want in json.dumps(i["txt"])):
        sys.exit(0)
sys.exit(1)
PY
}
check "the watcher got add events" event_seen add "Demo Three"
lab_stop "$p3"
check_wait 10 "publisher killed: the watcher gets remove" event_seen remove "Demo Three"
sub_removed() {
	grep -q '"event":"remove".*"name":"Demo Three"' "$subwatchlog"
}
check_wait 5 "and the subtype's watcher too" sub_removed
check "and list no longer shows it" test "$(names _demo._tcp)" = "Demo One,Demo Two,"

# Odd names and hostile TXT round-trip exactly.
odd="Dotted.Name With Spaces ☕ é"
same_txt() {
	local theirs mine
	theirs=$(lab_ctl b -j services | python3 -c '
import json, sys
print(json.dumps([s["txt"] for s in json.load(sys.stdin)["services"]]))')
	mine=$(lab_ctl a -j resolve "$odd" _odd._tcp | python3 -c '
import json, sys
print(json.dumps([json.load(sys.stdin)["instance"]["txt"]]))')
	[ -n "$theirs" ] && [ "$theirs" = "$mine" ]
}
check_wait 10 "a name with dots, spaces and UTF-8, and binary, NUL and 255-byte TXT, round-trip exactly" same_txt
check "its full name escapes the dots" \
    sh -c "'$top_builddir/discoctl/discoctl' -j -s '$sa' resolve 'Dotted\\.Name With Spaces ☕ é._odd._tcp.local' | grep -q '\"port\":6000'"

local_on_b() {
	lab_ctl b -j resolve "$odd" _odd._tcp | grep -q '"local":true'
}
check_wait 10 "b's own announcement is in b's cache, marked local" local_on_b

# A watcher that comes back with its last index gets what it missed.
idx=$(lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.write(json.dumps({"verb": "watch", "type": "_demo._tcp"}) + "\n"); f.flush()
print(json.loads(f.readline())["index"])' "$sa")
lab_spawn b p4 avahi-publish -s "Demo Four" _demo._tcp 5004
four=$LAB_LAST_PID
check_wait 10 "(a fourth instance appears while nobody watches)" \
    sh -c "'$top_builddir/discoctl/discoctl' -s '$sa' resolve 'Demo Four' _demo._tcp"
missed() {
	lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "watch", "type": "_demo._tcp",
                    "since": int(sys.argv[2])}) + "\n"); f.flush()
r = json.loads(f.readline())
assert r["ok"] and "instances" not in r, r
while True:
    e = json.loads(f.readline())
    if e.get("event") == "add" and e["instance"]["name"] == "Demo Four":
        break' "$sa" "$idx"
}
check "coming back with since=$idx replays the add it missed" missed
lab_stop "$four"
too_old() {
	lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "watch", "since": 0}) + "\n"); f.flush()
r = json.loads(f.readline())
sys.exit(not (r.get("resync") is True and len(r["instances"]) > 0))' "$sa"
}

# A TXT change on b reaches a's watcher as an update.
lab_spawn a watch-odd "$top_builddir/discoctl/discoctl" -j -s "$sa" watch _odd._tcp
sleep 1
sed -i 's/^TxtText=ver=1/TxtText=ver=2/' "$db/services/odd.dnssd"
lab_ctl b reload >/dev/null
watchlog=$(lab_hostdir a)/watch-odd.log
check_wait 10 "a TXT change on b: a's watcher gets update with the new TXT" \
    event_seen update "$odd" "ver=2"

# c's thousand.  The sampler writes the most resolutions in flight it has
# seen in a's status, every 20 ms for 90 s at most.
lab_spawn a sampler python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
most, end = 0, time.monotonic() + 90
while time.monotonic() < end:
    f.write("{\"verb\":\"status\"}\n"); f.flush()
    most = max(most, json.loads(f.readline())["browse"]["resolving"])
    print(most, flush=True)
    time.sleep(0.02)' "$sa"
sampler=$LAB_LAST_PID
lab_avahi_start c || diag "avahi-daemon on c did not start"
bulk() {
	[ "$(lab_ctl a -j list _bulk._tcp | python3 -c '
import json, sys
print(len([i for i in json.load(sys.stdin)["instances"] if i["addresses"]]))')" = "$BULK" ]
}
start=$(date +%s)
check_wait 90 "$BULK instances on c: all resolved in a's cache, default avahi limits" bulk
diag "took $(( $(date +%s) - start )) s; $(lab_ctl a -j status | python3 -c '
import json, sys; print(json.load(sys.stdin)["browse"])')"
lab_stop "$sampler"
most=$(tail -n 1 "$(lab_hostdir a)/sampler.log")
check "resolve-concurrency = 16: at most 16 resolutions in flight, and 16 reached ($most)" \
    test "${most:-0}" -eq 16
check "since too far back (after $BULK adds) gets resync and a snapshot" too_old
no_failures() {
	lab_ctl a -j status | python3 -c '
import json, sys; sys.exit(json.load(sys.stdin)["browse"]["failures"] != 0)'
}
check "without a resolver failure" no_failures

# avahi-daemon on a restarts: the cache is rebuilt, watchers resync.
lab_stop "$(lab_avahi_pid a)"
lab_avahi_start a || diag "avahi-daemon on a did not come back"
resync() {
	grep -q '"event":"resync"' "$(lab_hostdir a)/watch.log"
}
check_wait 10 "avahi-daemon on a restarted: the watcher gets resync" resync
two_again() {
	[ "$(names _demo._tcp)" = "Demo One,Demo Two," ]
}
check_wait 30 "and the cache is rebuilt" two_again
