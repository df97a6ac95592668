#!/bin/bash
# discod as the shipped unit runs it (issue 15, finding 15): not root but
# its own system user (made here with useradd, as systemd-sysusers makes
# disco: D-Bus refuses a uid without a name) with CAP_SETUID,
# CAP_SETGID and CAP_KILL as ambient capabilities.  It announces and
# answers; an exec check from a service file runs as discod's user, a
# client's (uid 4252) as the client, and neither holds any capability:
# between two non-zero uids setuid() keeps them, so the child must drop
# them itself before execve().
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

DNAME=dlab$$
CLIENT=4252

lab_require_users
command -v useradd >/dev/null || lab_unavailable "useradd not installed"
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group \
    "$DNAME" || { echo "Bail out! useradd $DNAME failed"; exit 1; }
trap 'lab_down; userdel "$DNAME" 2>/dev/null; groupdel "$DNAME" 2>/dev/null' EXIT
DUSER=$(id -u "$DNAME")
lab_browse_start b
da=$(lab_hostdir a)
share=$(lab_share "$top_builddir/discod" \
    "$top_srcdir/tests/lab/clients/access_client.py")
chmod 755 "$share/discod"
run=$da/run-disco		# discod's own, as /run/disco under the unit
install -d -m 755 -o "$DUSER" -g "$DUSER" "$run" "$da/svc"
sock=$run/discod.sock
# One line: the uid, then the capability sets, of whoever runs it.
# shellcheck disable=SC2016 # expanded by the check's shell
probe='["sh","-c","echo $(id -u) $(grep ^Cap /proc/self/status)"]'
cat >"$da/svc/mine.dnssd" <<X
[Service]
Name=Unprivileged
Type=_unpriv._tcp
Port=7300
[Check]
Type=exec
Command=sh -c "echo \$(id -u) \$(grep ^Cap /proc/self/status)"
Interval=1s
Timeout=500ms
Rise=1
X
printf '[control]\nsocket-mode = 0666\n[announce]\nservices-dir = %s/svc\n' \
    "$da" >"$da/discod.conf"
lab_spawn a discod setpriv --reuid="$DUSER" --regid="$DUSER" --clear-groups \
    --inh-caps=+setuid,+setgid,+kill --ambient-caps=+setuid,+setgid,+kill \
    "$share/discod" -d -v -f "$da/discod.conf" -s "$sock"
pid=$LAB_LAST_PID
ctl() { lab_on a "$top_builddir/discoctl/discoctl" -s "$sock" "$@"; }
lab_wait 30 ctl status || { echo "Bail out! discod did not answer"; exit 1; }
cd "$share" || exit 1		# the other user cannot enter the build tree
plan 6

caps() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
diag "discod: uid $(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status"), CapEff $(caps "$pid" CapEff), CapAmb $(caps "$pid" CapAmb)"
check "discod runs as uid $DUSER with CAP_SETUID, CAP_SETGID, CAP_KILL only" \
    test "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status"):$(caps "$pid" CapEff)" = "$DUSER:00000000000000e0"
check_wait 20 "it announces its service file's service (b sees it)" \
    lab_seen b Unprivileged _unpriv._tcp
lab_seen b Unprivileged _unpriv._tcp || { ctl -j services | sed 's/^/# /'; tail -20 "$da/discod.log" | sed 's/^/# log: /'; }

out=$(lab_as "$CLIENT" "$PY" \
    "$share/access_client.py" "$sock" \
    "{\"verb\":\"register\",\"name\":\"Client\",\"type\":\"_unpriv._tcp\",\"port\":7301,\"check\":{\"type\":\"exec\",\"command\":$probe,\"interval\":\"1s\",\"timeout\":\"500ms\",\"rise\":1}}" \
    '{"verb":"services"}')
diag "$out"
output_of() {
	ctl -j services | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(s["health"]["output"])' "$1"
}
ran() { output_of "$1" | grep -q "CapEff"; }
lab_wait 10 ran Unprivileged
got=$(output_of Unprivileged)
diag "service file's check: $got"
nocaps() {
	grep -q "^$2 " <<<"$1" &&
	    grep -q "CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 " <<<"$1" &&
	    grep -q "CapAmb: 0000000000000000" <<<"$1"
}
check "a service file's exec check runs as discod's user, without capabilities" \
    nocaps "$got" "$DUSER"
# The client's registration lives as long as its connection: register
# again, from a connection that stays while we look.
lab_as "$CLIENT" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); s.recv(65536); time.sleep(8)' "$sock" \
    "{\"verb\":\"register\",\"name\":\"Client\",\"type\":\"_unpriv._tcp\",\"port\":7301,\"check\":{\"type\":\"exec\",\"command\":$probe,\"interval\":\"1s\",\"timeout\":\"500ms\",\"rise\":1}}" &
holder=$!
LAB_PIDS+=("$holder")
lab_wait 10 ran Client
got=$(output_of Client)
diag "client's check: $got"
check "a client's exec check runs as the client, without capabilities" \
    nocaps "$got" $CLIENT
check "discod answers" ctl status
check "and is the same process" kill -0 "$pid"
