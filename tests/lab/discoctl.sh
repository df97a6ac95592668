#!/bin/bash
# discoctl as people and scripts use it, against a real agent on a real
# LAN: options after operands for every command, registration events in
# words (publish says "established" only when it is), --persist and
# renew, resolve --wait, watch --since and its filters, pick --addr that a
# script connects to, the socket's group for users other than root and a
# message that says what to do for the rest, and every example of
# discoctl(1) run as written.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require_users
command -v groupadd >/dev/null || lab_unavailable "groupadd not installed"
# The socket's default group (configure --with-disco-group), as
# systemd-sysusers would make it; removed after if this test made it.
group=$(sed -n 's/^#define DISCO_SOCKET_GROUP "\(.*\)"$/\1/p' \
    "$top_builddir/config.h")
[ -n "$group" ] || { echo "1..0 # SKIP built --without-disco-group"; exit 77; }
made_group=
if ! getent group "$group" >/dev/null; then
	groupadd --system "$group" || { echo "Bail out! groupadd failed"; exit 1; }
	made_group=1
fi
gid=$(getent group "$group" | cut -d: -f3)
lab_cleanup_group() {
	[ -n "$made_group" ] && groupdel "$group"
}
trap 'lab_cleanup_group' EXIT

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
# lab.sh's EXIT trap tears the lab down: keep it, and remove the group.
trap 'lab_down; lab_cleanup_group' EXIT
dir=$(lab_hostdir a)
sock=$dir/discod.sock
: >"$dir/discod.conf" # no socket-group: the built-in default
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }

# The examples of discoctl(1), one per .Dl line, roff escapes undone.
examples=()
while IFS= read -r line; do
	examples+=("$line")
done < <(sed -n 's/^\.Dl //p' "$top_srcdir/man/discoctl.1.in" |
    sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' -e 's/^\$ //')
plan $((36 + ${#examples[@]}))

ctl() {
	lab_ctl a "$@"
}

# b offers _demo._tcp: two instances, one of them listening for real.
b_addr=$(lab_on b ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
lab_spawn b one avahi-publish -s "Demo One" _demo._tcp 5001 role=web path=/
lab_spawn b two avahi-publish -s "Demo Two" _demo._tcp 5002 role=db
lab_spawn b listen python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"hello from b\n"); c.close()'
two() {
	[ "$(ctl list _demo._tcp -j | grep -o '"name":"Demo ' | wc -l)" = 2 ]
}
check_wait 20 "a's cache holds b's two _demo._tcp instances" two

# --- Options after operands, command by command -----------------------
out=$(ctl list _demo._tcp --json)
check "list TYPE --json: the agent's JSON, not a TXT filter \"--json\"" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r["ok"] and len(r["instances"]) == 2))' "$out"
out=$(ctl list _demo._tcp role=web -j)
check "list TYPE KEY=VALUE -j: the filter holds (one instance)" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not [i["name"] for i in r["instances"]] == ["Demo One"])' "$out"
out=$(ctl list _demo._tcp --family ipv4 -l)
diag "$out"
check "list -l: FAMILY and INTERFACE columns, a row per address, ipv4 only" \
    python3 -c '
import sys
lines = sys.argv[1].splitlines()
head = lines[0].split()
ok = head == ["NAME", "HOST", "PORT", "ADDRESS", "FAMILY", "INTERFACE", "TXT"]
rows = lines[1:]
ok = ok and len(rows) == 2 and all(" ipv4 " in r and " eth0 " in r for r in rows)
# Aligned: each header word starts where its column starts in every row.
col = lines[0].index("PORT") + 4
ok = ok and all(r[col - 1] != " " for r in rows)
sys.exit(not ok)' "$out"
out=$(ctl list)
check "list without a type: every type, with a TYPE column" \
    python3 -c '
import sys
lines = sys.argv[1].splitlines()
sys.exit(not (lines[0].split()[:2] == ["NAME", "TYPE"] and
    sum("_demo._tcp" in l for l in lines[1:]) == 2))' "$out"
out=$(ctl types --no-header)
check "types --no-header: rows only" \
    python3 -c 'import sys; l=sys.argv[1].splitlines(); sys.exit(not (l and l[0].split()[0].startswith("_") and all(not x.startswith("TYPE") for x in l)))' "$out"
k1=$(ctl pick _demo._tcp --policy sticky --key user-42 -j | grep -o '"name":"[^"]*"' | head -n 1)
k2=$(ctl pick -j --key user-42 _demo._tcp --policy=sticky | grep -o '"name":"[^"]*"' | head -n 1)
check "pick: options before and after TYPE mean the same ($k1, $k2)" \
    test -n "$k1" -a "$k1" = "$k2"
out=$(ctl pick _demo._tcp role=db --addr)
check "pick --addr: \"ADDRESS PORT\" of the one that matches ($out)" \
    test "$out" = "$b_addr 5002"
# shellcheck disable=SC2016 # expanded by the inner bash
hello=$(lab_on a bash -c '
read -r host port < <("$1" -s "$2" pick --addr _demo._tcp role=web --family ipv4) || exit 1
exec 3<>"/dev/tcp/$host/$port" && head -n 1 <&3' sh \
    "$top_builddir/discoctl/discoctl" "$sock")
check "a script connects to what pick --addr says ($hello)" \
    test "$hello" = "hello from b"
out=$(ctl resolve "Demo Two" _demo._tcp --addr)
check "resolve NAME TYPE --addr ($out)" test "$out" = "$b_addr 5002"
out=$(ctl resolve 'Demo\ One._demo._tcp.local' 2>&1)
check "resolve FULLNAME: a bad escape is the agent's clear error" \
    grep -q 'discoctl: .*(bad-field)' <<<"$out"

# resolve --wait: answered the moment the instance appears.
( sleep 1; lab_on b avahi-publish -s "Later" _demo._tcp 5003 ) &
later=$!
LAB_PIDS+=("$later")
t0=${EPOCHREALTIME/./}
out=$(ctl resolve Later _demo._tcp --wait 8000 -j)
t1=${EPOCHREALTIME/./}
ms=$(((t1 - t0) / 1000))
check "resolve --wait: the instance that appears after a second (${ms} ms)" \
    test "$ms" -lt 8000 -a -n "$(grep -o '"name":"Later"' <<<"$out")"

# watch --since: the events after an index, without the snapshot.
index=$(lab_on a timeout 2 "$top_builddir/discoctl/discoctl" -s "$sock" \
    -j watch _demo._tcp role=web | head -n 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["index"])')
lab_spawn b three avahi-publish -s "Demo Three" _demo._tcp 5004 role=web
three_in() {
	ctl resolve "Demo Three" _demo._tcp >/dev/null
}
lab_wait 20 three_in
out=$(lab_on a timeout 2 "$top_builddir/discoctl/discoctl" -s "$sock" \
    watch _demo._tcp --since "$index" -j)
diag "watch --since $index:" "$out"
check "watch --since INDEX: no snapshot, then the add that came after" \
    python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
ok = lines[0]["ok"] and "instances" not in lines[0]
adds = [l["instance"]["name"] for l in lines[1:] if l.get("event") == "add"]
sys.exit(not (ok and "Demo Three" in adds))' "$out"
out=$(lab_on a timeout 2 "$top_builddir/discoctl/discoctl" -s "$sock" \
    watch _demo._tcp role=web)
check "watch TYPE KEY=VALUE: the snapshot in words, filtered" \
    python3 -c '
import sys
l = sys.argv[1].splitlines()
sys.exit(not (any(x.startswith("present  Demo One") for x in l) and
    not any("Demo Two" in x for x in l)))' "$out"

# --- Registrations ----------------------------------------------------
lab_spawn a pub "$top_builddir/discoctl/discoctl" -s "$sock" \
    publish 'Build log' _http._tcp 8000 path=/ --ttl 30
pub=$dir/pub.log
established() {
	grep -q '^registration [0-9]*: established as "Build log"$' "$pub"
}
check_wait 15 "publish prints \"established\" once the name is won" established
check "publish first said it was probing, not established" \
    grep -q '^registration [0-9]*: "Build log" _http._tcp port 8000: probing' "$pub"
lab_spawn a pubj "$top_builddir/discoctl/discoctl" -s "$sock" \
    publish 'Build log' _http._tcp 8001 -j
renamed_json() {
	grep -q '"event":"established"' "$dir/pubj.log" &&
	    grep -q '"event":"renamed"\|"final_name":"Build log #2"' "$dir/pubj.log"
}
check_wait 15 "publish -j: the same name again is renamed, events as JSON lines" renamed_json
out=$(ctl publish Kept _kept._tcp 9 --persist --ttl 60 -t 10000)
rc=$?
diag "$out"
check "publish --persist: exits 0 once established" \
    test $rc = 0 -a -n "$(grep 'established as "Kept"' <<<"$out")"
id=$(sed -n 's/^registration \([0-9]*\): .*/\1/p' <<<"$out" | head -n 1)
# The agent hears of the client's exit when it reads the end of that
# connection, which may come after the next client's request: wait for it.
kept_gone() {
	ctl services | grep -q \
	    "^ *$id  established  Kept .* in [0-9]*s  pid [0-9]* uid 0 (gone)"
}
check_wait 5 "services: the persistent one, its lease \"in Ns\", its client gone" \
    kept_gone
check "renew ID" ctl renew "$id"
check "unpublish ID" ctl unpublish "$id"
out=$(ctl renew "$id" 2>&1)
check "renew of a withdrawn ID: exit 1, the agent's not-found" \
    test $? = 1 -a -n "$(grep 'not-found' <<<"$out")"
out=$(ctl publish Checked _chk._tcp 9 --persist --ttl 60 \
    --check-tcp 127.0.0.1:9 --interval 1 --check-timeout 1 --rise 1)
check "publish --check-tcp to a closed port: not announced until it passes" \
    grep -q 'not announced until its check passes' <<<"$out"
out=$(ctl services)
check "services: the check below the table, failing" \
    grep -q "^check of [0-9]* (tcp): unhealthy" <<<"$out"
out=$(ctl publish Bad _bad._tcp 9 --check-exec 'sh -c "exit 0' 2>&1)
check "--check-exec with an open quote: a usage error (exit 2)" \
    test $? = 2 -a -n "$(grep 'quote is not closed' <<<"$out")"
out=$(lab_on a "$top_builddir/discoctl/discoctl" -s "$sock" \
    run --name Runner --type _run._tcp --port 7 -j -- sh -c 'echo child' \
    2>"$dir/run.err")
check "run -j: the command's stdout is its own, discoctl's JSON on stderr" \
    test "$out" = child -a -n "$(grep '"registration"' "$dir/run.err")"

# --- Usage ------------------------------------------------------------
out=$(ctl list _demo._tcp --ttl 3 2>&1)
check "an option the command does not take: exit 2, and which" \
    test $? = 2 -a -n "$(grep 'list takes no option --ttl' <<<"$out")"
out=$(ctl -h)
check "-h: help on stdout, exit 0" \
    test $? = 0 -a -n "$(grep '^usage: discoctl' <<<"$out")"
out=$(ctl help pick)
check "help pick: pick's options" grep -q -- '--policy' <<<"$out"

# Colors: on a terminal only, and never with NO_COLOR set.
on_tty() { # on_tty [VAR=VALUE ...]: discoctl status on a pseudo-terminal
	lab_on a env "$@" python3 "$top_srcdir/tests/pty_run.py" \
	    "$top_builddir/discoctl/.libs/discoctl" -s "$sock" status
}
out=$(on_tty LD_LIBRARY_PATH="$top_builddir/.libs" TERM=xterm)
check "on a terminal: avahi's state in color" grep -q $'\033\\[32mrunning' <<<"$out"
out=$(on_tty LD_LIBRARY_PATH="$top_builddir/.libs" TERM=xterm NO_COLOR=1)
check "NO_COLOR: no color on the terminal either" \
    test -n "$out" -a -z "$(grep $'\033' <<<"$out")"

# --- Users other than root --------------------------------------------
share=$LAB_DIR/share
install -d -m 755 "$share"
install -m 755 "$top_builddir/discoctl/.libs/discoctl" "$share/"
cp -a "$top_builddir"/.libs/libdisco.so* "$share/"
chmod 755 "$share"/libdisco.so*
as_user() { # as_user UID GROUPS ARGS...
	local uid=$1 groups=$2
	shift 2
	(cd "$share" && lab_on a setpriv --reuid="$uid" --regid="$uid" \
	    --groups="$groups" env LD_LIBRARY_PATH="$share" \
	    ${TO:+timeout "$TO"} "$share/discoctl" -s "$sock" "$@")
}
check "the socket belongs to group $group, mode 0660" \
    test "$(stat -c '%G %a' "$sock")" = "$group 660"
fails=
for verb in status types "list _demo._tcp" "resolve Demo\ Two _demo._tcp" \
    "pick _demo._tcp" services "help"; do
	# shellcheck disable=SC2086 # the verb's words
	eval "set -- $verb"
	as_user 4245 "$gid" "$@" >/dev/null 2>&1 || fails+=" $verb"
done
check "a user in group $group: every query command works (failed:${fails:- none})" \
    test -z "$fails"
TO=2 as_user 4245 "$gid" watch _demo._tcp >"$dir/user-watch.out" 2>&1
check "a user in group $group: watch streams (stopped after 2 s)" \
    grep -q '^present  Demo One' "$dir/user-watch.out"
out=$(as_user 4243 4243 status 2>&1)
rc=$?
diag "$out"
check "a user outside it: exit 3, permission denied and which group to join" \
    test $rc = 3 -a -n "$(grep 'permission denied' <<<"$out")" \
    -a -n "$(grep "usermod -aG $group" <<<"$out")"
out=$(ctl -s "$dir/nosuch.sock" status 2>&1)
rc=$?
check "no agent: exit 3, the path tried and how to start it" \
    test $rc = 3 -a -n "$(grep "$dir/nosuch.sock: no such socket" <<<"$out")" \
    -a -n "$(grep 'systemctl start discod' <<<"$out")"

# --- discoctl(1)'s examples, as written -------------------------------
# Commands that run until interrupted are stopped after 3 s (124).
for ex in "${examples[@]}"; do
	out=$(lab_on a env DISCO_SOCKET="$sock" \
	    PATH="$top_builddir/discoctl:$PATH" \
	    timeout 3 bash -c "$ex" 2>&1 </dev/null)
	rc=$?
	case $ex in
	*publish*|*watch*|*"run "*) [ $rc = 124 ] && rc=0 ;;
	esac
	[ $rc = 0 ] || diag "$ex: exit $rc" "$out"
	check "discoctl(1) example: $ex" test $rc = 0
done
