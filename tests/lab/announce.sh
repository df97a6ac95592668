#!/bin/bash
# Announcements seen from another host: .dnssd files (systemd-resolved
# style, %H, binary TXT), socket registrations with leases, collisions,
# discoctl run, reloads, an avahi-daemon restart and discod's stop.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
lab_browse_start b
da=$(lab_hostdir a)
mkdir -p "$da/services"
# Written for systemd-resolved, unchanged.
cat >"$da/services/web.dnssd" <<'X'
# A web site, as systemd.dnssd(5) describes it.
[Service]
Name=Web on %H
Type=_http._tcp
SubType=_printer
Port=8080
TxtText=path=/index.html "note=hello world" flag
TxtData=bin=AAEC
X
cat >"$da/services/ssh.dnssd" <<'X'
[Service]
Name=%H 100%%
Type=_ssh._tcp
Port=22
X
cat >"$da/services/broken.dnssd" <<'X'
[Service]
Name=Broken
Type=_http._tcp
Port=99999
TxtText==novalue
X
printf '[announce]\nservices-dir = %s/services\n[control]\nsocket-mode = 0666\n' \
    "$da" >"$da/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start c || { echo "Bail out! discod did not start on c"; exit 1; }
plan 43
sa=$da/discod.sock
sc=$(lab_hostdir c)/discod.sock

check_wait 10 "a .dnssd file on a is seen on b, %H expanded" \
    lab_seen b "Web on lab-a" _http._tcp
# The lab's own helpers hold: were lab_gone or lab_seen to answer yes
# without looking, every "gone" and "seen" point here would pass for
# nothing.
helpers_hold() {
	! lab_gone b "Web on lab-a" _http._tcp &&
	    ! lab_gone b "Never Announced" _http._tcp &&
	    ! lab_seen b "Never Announced" _http._tcp
}
check "lab_gone: no for a name still there or never seen; lab_seen: no for one never seen" \
    helpers_hold
check "with the exact TXT, binary TxtData included" \
    test "$(lab_txt b "Web on lab-a" _http._tcp)" = \
    '"path=/index.html" "note=hello world" "flag" "bin=\000\001\002"'
check_wait 5 "%% is a percent sign" lab_seen b "lab-a 100%" _ssh._tcp
subtype() {
	lab_on b avahi-browse -pt _printer._sub._http._tcp | grep -q 'Web\\032on'
}
check_wait 5 "the subtype is announced" subtype
check "a broken file is reported with file and line" \
    grep -q 'broken.dnssd:4: \[Service\] Port=: "99999" is not a number from 1 to 65535' \
    "$da/discod.log"
check "every error of it" \
    grep -q 'broken.dnssd:5: \[Service\] TxtText=: "=novalue": TXT key is empty' \
    "$da/discod.log"
check "and it is not announced" lab_unseen b Broken _http._tcp

# Socket registrations.
lab_spawn a pub "$top_builddir/discoctl/discoctl" -s "$sa" publish "Pub Killed" \
    _demo._tcp 4000 k=v
pub=$LAB_LAST_PID
check_wait 10 "a socket registration is seen on b" \
    lab_seen b "Pub Killed" _demo._tcp
kill -KILL "$pub"
check_wait 5 "its client killed with SIGKILL: gone on b" \
    lab_gone b "Pub Killed" _demo._tcp

# TXT as an object and subtypes, over the socket: b sees the subtype
# and the TXT strings.
lab_spawn a objtxt python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "register", "name": "Obj Txt",
    "type": "_demo._tcp", "port": 4003, "subtypes": ["_edge", "_blue"],
    "txt": {"role": "web", "tls": True}}) + "\n"); f.flush()
print(f.readline(), flush=True)
time.sleep(60)' "$sa"
objtxt=$LAB_LAST_PID
sub_seen() { # LABEL
	lab_on b avahi-browse -pt "$1._sub._demo._tcp" | grep -q '^+;eth0;IPv4;Obj\\032Txt;'
}
check_wait 10 "register with subtypes [_edge, _blue]: b finds it under each subtype" \
    eval 'sub_seen _edge && sub_seen _blue'
txt_on_b() {
	lab_on b avahi-browse -prt _demo._tcp |
	    grep '^=;eth0;IPv4;Obj\\032Txt;' | grep '"role=web"' | grep -q '"tls"'
}
check_wait 5 "register with txt {role: web, tls: true}: b resolves TXT role=web and tls" \
    txt_on_b
lab_stop "$objtxt"

# A lease nobody renews, and one that is renewed.
lab_on a python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
f.write(json.dumps({"verb": "register", "name": "Lease Lapses",
    "type": "_demo._tcp", "port": 4001, "ttl": 2}) + "\n"); f.flush()
print(f.readline(), flush=True)
time.sleep(30)' "$sa" >"$da/lapse.out" 2>&1 &
lapse=$!
LAB_PIDS+=("$lapse")
lab_spawn a renewed "$top_builddir/discoctl/discoctl" -s "$sa" publish --ttl 2 \
    "Lease Renewed" _demo._tcp 4002
check_wait 10 "a registration with ttl 2 is seen on b" \
    lab_seen b "Lease Lapses" _demo._tcp
check_wait 10 "not renewed: gone from b after its ttl (connection open)" \
    lab_gone b "Lease Lapses" _demo._tcp
check "the lapse is logged" grep -q 'lease of "Lease Lapses" .* ran out' \
    "$da/discod.log"
sleep 3
check "renewed every ttl/3: still on b after twice its ttl" \
    lab_seen b "Lease Renewed" _demo._tcp

# The same name on a and c.
lab_spawn a same-a "$top_builddir/discoctl/discoctl" -s "$sa" publish Same _demo._tcp 4100
sleep 2
lab_spawn c same-c "$top_builddir/discoctl/discoctl" -s "$sc" publish Same _demo._tcp 4100
both_same() {
	lab_seen b Same _demo._tcp && lab_seen b "Same #2" _demo._tcp
}
check_wait 10 "the same name on a and c: both visible on b" both_same
# Which one loses is up to mDNS (RFC 6762 8.2, 9): either may be renamed.
told() {
	grep -q 'renamed: "Same" was taken, now "Same #2"' \
	    "$(lab_hostdir a)/same-a.log" "$(lab_hostdir c)/same-c.log"
}
check_wait 5 "the one renamed tells its owner" told
loser=c
grep -q 'renamed:' "$(lab_hostdir a)/same-a.log" && loser=a
diag "renamed on $loser"
same_on_a=Same
[ "$loser" = a ] && same_on_a="Same #2"
renamed() {
	lab_ctl "$loser" -j services |
	    grep -q '"name":"Same","final_name":"Same #2","renamed":true'
}
check "services shows the old and the new name" renamed

# discoctl run.
lab_on a "$top_builddir/discoctl/discoctl" -s "$sa" run --name Runner \
    --type _demo._tcp --port 4200 --txt role=worker -- sleep 3 &
run=$!
check_wait 5 "discoctl run: visible while the command runs" \
    lab_seen b Runner _demo._tcp
wait "$run"
check "exit status 0 passed through" test $? = 0
check_wait 5 "gone once the command has exited" lab_gone b Runner _demo._tcp
lab_on a "$top_builddir/discoctl/discoctl" -s "$sa" run --name Failer \
    --type _demo._tcp --port 4201 -- sh -c 'exit 7'
check "a non-zero exit status passed through" test $? = 7

lab_spawn a trapper "$top_builddir/discoctl/discoctl" -s "$sa" run --name Trapper \
    --type _demo._tcp --port 4202 -- sh -c 'trap "exit 42" TERM; sleep 20 & wait'
run=$LAB_LAST_PID
check_wait 5 "discoctl run: a second command is announced" \
    lab_seen b Trapper _demo._tcp
kill -TERM "$run"
wait "$run"
check "SIGTERM is passed on to the command (it exits 42)" test $? = 42

# Bad requests name the field; nothing else is lost.
bad=$(lab_on a python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
for req in ({"name": "x" * 64, "type": "_demo._tcp", "port": 1},
            {"name": "ok", "type": "demo._tcp", "port": 1},
            {"name": "ok", "type": "_demo._tcp", "port": 0},
            {"name": "ok", "type": "_demo._tcp", "port": 1, "txt": ["=v"]},
            {"name": "ok", "type": "_demo._tcp", "port": 1, "ttl": 5, "persist": 1},
            {"name": "ok", "type": "_demo._tcp", "port": 1, "txt": [{"base64": "!!"}]},
            {"name": "ok", "type": "_demo._tcp", "port": 1, "txt": [{"base64": "az0=", "x": 1}]},
            {"name": "ok", "type": "_demo._tcp", "port": 1, "txt": [{"base64": "QQ" * 200}]},
            {"name": "Bin", "type": "_demo._tcp", "port": 1, "ttl": 60, "persist": True,
             "txt": [{"base64": "az0AAQ=="}]}):
    req["verb"] = "register"
    f.write(json.dumps(req) + "\n"); f.flush()
    r = json.loads(f.readline())
    print(r["error"]["field"] if not r["ok"] else "accepted")' "$sa" | tr '\n' ' ')
check "bad register requests name the field ($bad)" \
    test "$bad" = "name type port txt[0] persist txt[0] txt[0] txt[0] accepted "
# TXT as bytes, the way replies carry them: "k=" NUL 0x01 on the wire.
check_wait 10 "a register with base64 TXT is announced with those bytes" \
    eval 'lab_ctl a -j list _demo._tcp | grep -q "\"name\":\"Bin\".*\"base64\":\"az0AAQ==\""'
check "and the file service is still announced" \
    lab_seen b "Web on lab-a" _http._tcp

# Another user: may register, may not touch root's registrations or
# reload; root may withdraw theirs.
rootreg=$(lab_ctl a -j services | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "Lease Renewed": print(s["id"])')
other=$(lab_on a setpriv --reuid=nobody --regid=nogroup --clear-groups \
    /usr/bin/env PATH=/usr/bin:/bin \
    python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
def call(req):
    f.write(json.dumps(req) + "\n"); f.flush(); return json.loads(f.readline())
r = call({"verb": "register", "name": "Nobody Svc", "type": "_demo._tcp",
          "port": 4300, "ttl": 60, "persist": True})
print(r["registration"]["id"] if r["ok"] else "refused")
r = call({"verb": "unregister", "registration": int(sys.argv[2])})
print(r["error"]["code"] if not r["ok"] else "allowed")
r = call({"verb": "reload"})
print(r["error"]["code"] if not r["ok"] else "allowed")' "$sa" "$rootreg")
read -r -d "" -a res <<<"$other" || true
set -- "${res[@]}"
check "another user may register (${1:-none})" test "${1:-refused}" != refused
check "but not unregister root's registration (${2:-})" \
    test "${2:-}" = permission-denied
check "nor reload (${3:-})" test "${3:-}" = permission-denied
check_wait 10 "its persistent registration outlives its connection" \
    lab_seen b "Nobody Svc" _demo._tcp
check "root may withdraw it" lab_ctl a unpublish "${1:-0}"
check_wait 5 "and it leaves b" lab_gone b "Nobody Svc" _demo._tcp

# Reload: a TXT change in place, a removed file withdrawn.
sed -i 's|^TxtText=path=/index.html|TxtText=path=/v2.html|' \
    "$da/services/web.dnssd"
rm "$da/services/ssh.dnssd"
lab_ctl a reload >/dev/null
# avahi-browse resolves once: ask afresh for the TXT b holds now.
txt_v2() {
	lab_on b avahi-browse -rpt -k _http._tcp |
	    grep '^=;eth0;IPv4;Web\\032on\\032lab-a;' | grep -q 'path=/v2.html'
}
check_wait 10 "reload: the new TXT reaches b" txt_v2
check "updated in place: b never saw it go" \
    test "$(grep -c -F -- '-;eth0;IPv4;Web\032on\032lab-a' "$(lab_hostdir b)/browse.log")" = 0
check_wait 5 "reload: the removed file's service is gone from b" \
    lab_gone b "lab-a 100%" _ssh._tcp

# reload's answer (issue 25): a broken file is counted in errors and makes
# discoctl reload exit 1; without it, 0 errors, exit 0, and services is
# the agent's own count of what it announces.
printf '[Service]\nName=Broken\nType=_http._tcp\nPort=notaport\n' \
    >"$da/services/broken.dnssd"
out=$(lab_ctl a -j reload)
rc=$?
field() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2" 2>/dev/null
}
check "reload with a broken file: errors 1, discoctl exit 1 (exit $rc)" \
    test "$rc" = 1 -a "$(field "$out" errors)" = 1
rm "$da/services/broken.dnssd"
out=$(lab_ctl a reload)
rc=$?
count=$(lab_ctl a -j services | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["services"]))')
diag "reload: $out; services lists $count"
check "reload without it: exit 0, its services the count services lists" \
    test "$rc" = 0 -a "$out" = "reloaded: $count service(s), 0 file(s) with errors (see the agent's log)"

# avahi-daemon on a restarts (its goodbyes empty b's view first): every
# announcement comes back with no client action.
lab_stop "$(lab_avahi_pid a)"
check_wait 5 "avahi-daemon on a stopped: b sees a's services go" \
    lab_gone b "Lease Renewed" _demo._tcp
lab_avahi_start a || diag "avahi-daemon on a did not come back"
all_back() {
	lab_seen b "Web on lab-a" _http._tcp &&
	    lab_seen b "Lease Renewed" _demo._tcp &&
	    lab_seen b "$same_on_a" _demo._tcp
}
check_wait 15 "avahi-daemon on a back: all of a's services return to b" \
    all_back
check "discod on a never restarted" kill -0 "$(lab_discod_pid a)"

# discod stops: every one of a's announcements leaves b.
kill -TERM "$(lab_discod_pid a)"
all_gone() {
	lab_gone b "Web on lab-a" _http._tcp &&
	    lab_gone b "Lease Renewed" _demo._tcp &&
	    lab_gone b "$same_on_a" _demo._tcp
}
check_wait 5 "discod SIGTERM on a: b sees every removal" all_gone
