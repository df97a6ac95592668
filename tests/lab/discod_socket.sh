#!/bin/bash
# The control socket: mode and group, one discod per socket, stale sockets
# replaced, max-clients enforced, reloads, and a clean stop.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
sock=$dir/discod.sock
group=daemon
getent group daemon >/dev/null || group=$(id -gn)
cat >"$dir/discod.conf" <<CONF
[control]
socket-group = $group
max-clients = 3
CONF
# Started under umask 0: the socket must still be 0660.
old_umask=$(umask)
umask 0
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
umask "$old_umask"
pid=$(lab_discod_pid a)
plan 15

check "socket mode is 0660 even under umask 0" \
    test "$(stat -c %a "$sock")" = 660
check "socket group is the configured one ($group)" \
    test "$(stat -c %G "$sock")" = "$group"

# Bounded: one that wrongly starts would run until stopped (timeout
# exits 124, or 137 after its KILL), and that fails the point.
lab_on a timeout -k 2 10 "$top_builddir/discod" -d -f "$dir/discod.conf" \
    -s "$sock" >"$dir/second.log" 2>&1
rc=$?
check "a second discod on the same socket refuses to start (exit $rc)" \
    test "$rc" != 0 -a "$rc" != 124 -a "$rc" != 137
check "and says another discod answers" \
    grep -q 'another discod is answering' "$dir/second.log"
check "the first one still answers" lab_ctl a -j status

# max-clients = 3: hold three connections, the fourth is refused.  As a
# user of the socket's group, not root: root has a reserve past the limit.
gid=$(getent group "$group" | cut -d: -f3)
(cd / && setpriv --reuid=65534 --regid="$gid" --clear-groups \
    /usr/bin/python3 - "$sock") >"$dir/clients.out" <<'PY' &
import socket, sys, time, json
held = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
    held.append(s)
    s.sendall(b'{"verb":"hello"}\n'); s.recv(4096)
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
r = json.loads(s.recv(4096).split(b"\n")[0])
print(r["error"]["code"], r["error"]["message"])
for h in held: h.close()
PY
cpid=$!
wait "$cpid"
check "the client over max-clients is told why" \
    grep -q '^unavailable too many clients' "$dir/clients.out"
check_wait 5 "a slot frees once clients leave" lab_ctl a -j status

# A reload with a broken file keeps the running configuration.
echo "[control]" >"$dir/discod.conf"
echo "max-clients = many" >>"$dir/discod.conf"
kill -HUP "$pid"
check_wait 5 "a broken file on SIGHUP is reported with file:line" \
    grep -q "discod.conf:2: \[control\] max-clients: \"many\" is not a number" \
    "$dir/discod.log"
check "discod keeps running after a bad reload" lab_ctl a -j status

# The dead discod's socket is stale: a new one replaces it.
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "a killed discod leaves its socket behind" test -S "$sock"
: >"$dir/discod.conf"
lab_discod_start a
pid=$(lab_discod_pid a)
check "a new discod replaces the stale socket" lab_ctl a -j status
check "and logs it" grep -q 'removing stale socket' "$dir/discod.log"

kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
lab_wait 10 gone || {
	diag "discod did not stop within 10 s of SIGTERM: killed"
	kill -KILL "$pid"
}
wait "$pid"
check "SIGTERM: discod exits 0" test $? = 0
check "SIGTERM: the socket is removed" test ! -e "$sock"
lab_on a "$top_builddir/discod" -n -f "$dir/discod.conf" >/dev/null
check "-n on a good file exits 0" test $? = 0
