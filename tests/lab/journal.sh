#!/bin/bash
# Structured journal fields (issue 21): discod on a runs as under systemd
# (its stderr named by JOURNAL_STREAM), with the journal's socket
# (/run/systemd/journal/socket) bound, in discod's own mount namespace,
# to a receiver of the journal's native protocol that this test runs.
# The key events arrive there with MESSAGE_ID, PRIORITY and their
# DISCO_SERVICE, DISCO_TYPE, DISCO_PEER and DISCO_CLIENT_PID: a service
# announced, its check turning, a client's registration withdrawn, a peer
# gone silent and back, a client dropped for not reading; none of them is
# written to stderr as well.
# shellcheck disable=SC2016,SC2317 # inner scripts expand their own arguments; check runs the functions
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)

# The mount point, made (and later removed) only if this host lacks it.
made_dirs=()
for d in /run/systemd /run/systemd/journal; do
	if [ ! -d "$d" ]; then
		mkdir "$d" || { echo "Bail out! cannot make $d"; exit 1; }
		made_dirs=("$d" "${made_dirs[@]}")
	fi
done
cleanup() {
	lab_down
	for d in "${made_dirs[@]}"; do
		rmdir "$d" 2>/dev/null
	done
}
trap cleanup EXIT

# The receiver: each datagram in the journal's native format (KEY=VALUE
# lines, or KEY, a 64-bit length and binary data), one JSON object a line.
mkdir -p "$da/journal"
lab_spawn a journal python3 -c '
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1] + "/socket")
s.settimeout(600)	# bounded: the test stops it long before
out = open(sys.argv[1] + "/entries.ndjson", "a")
while True:
    d = s.recv(1 << 20)
    e, i = {}, 0
    while i < len(d):
        nl = d.index(b"\n", i)
        line = d[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            n = struct.unpack("<Q", d[nl + 1:nl + 9])[0]
            v = d[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        e[k.decode()] = v.decode("utf-8", "replace")
    out.write(json.dumps(e) + "\n")
    out.flush()' "$da/journal"
for _ in $(seq 50); do [ -S "$da/journal/socket" ] && break; sleep 0.1; done

# discod's stderr, named as systemd names it in JOURNAL_STREAM.
: >"$da/discod.log"
stream=$(stat -c '%d:%i' "$da/discod.log")
cat >"$da/jwrap.sh" <<EOF
#!/bin/sh
mount --bind "$da/journal" /run/systemd/journal || exit 125
JOURNAL_STREAM=$stream exec "\$@"
EOF
chmod +x "$da/jwrap.sh"
mkdir -p "$da/disco-services"
cat >"$da/discod.conf" <<EOF
[announce]
services-dir = $da/disco-services
[control]
client-output-max = 64K
EOF
# Web is healthy while something listens on 127.0.0.1:7070 in a.
lab_spawn a listener python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7070))
s.listen(16)
s.settimeout(600)
while True:
    c, _ = s.accept()
    c.close()'
listener=$LAB_LAST_PID
cat >"$da/disco-services/web.dnssd" <<'X'
[Service]
Name=Web
Type=_web._tcp
Port=7070
[Check]
Type=tcp
Host=127.0.0.1
Port=7070
Interval=1s
Timeout=500ms
Rise=1
Fall=1
X
LAB_DISCOD_WRAPPER="$da/jwrap.sh" lab_discod_start a ||
    { echo "Bail out! discod did not start"; exit 1; }
plan 8

# entry KEY=VALUE...: an entry has every one of these fields.
entry() {
	python3 -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if all(e.get(k) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)' "$da/journal/entries.ndjson" "$@"
}

check_wait 30 "announced: MESSAGE_ID, DISCO_SERVICE=Web, DISCO_TYPE=_web._tcp, PRIORITY=6" \
    entry MESSAGE_ID=e9ed288fb9e04d69ad50beb6d8629de1 DISCO_SERVICE=Web \
    DISCO_TYPE=_web._tcp PRIORITY=6

lab_stop "$listener"
check_wait 30 "its check turns: a warning (PRIORITY=4) for DISCO_SERVICE=Web" \
    entry MESSAGE_ID=5e521f845f7540a88f6c63b23a5aed9f DISCO_SERVICE=Web \
    PRIORITY=4

# A client's registration, withdrawn when the client goes.
lab_spawn a publisher "$top_builddir/discoctl/discoctl" -s "$da/discod.sock" \
    publish Ephemeral _eph._tcp 7100
publisher=$LAB_LAST_PID
check_wait 30 "a client's registration announced, with DISCO_CLIENT_PID" \
    entry MESSAGE_ID=e9ed288fb9e04d69ad50beb6d8629de1 \
    DISCO_SERVICE=Ephemeral DISCO_CLIENT_PID="$publisher"
lab_stop "$publisher"
check_wait 30 "withdrawn when it goes, with its DISCO_CLIENT_PID" \
    entry MESSAGE_ID=984a2012b79c484ea79a4e526165f497 \
    DISCO_SERVICE=Ephemeral DISCO_CLIENT_PID="$publisher"

# A peer that goes silent, then answers again.
lab_spawn b pub avahi-publish -s "On B" _onb._tcp 7200
lab_wait 30 sh -c "'$top_builddir/discoctl/discoctl' -s '$da/discod.sock' \
    resolve 'On B' _onb._tcp" >/dev/null 2>&1 ||
    diag "a did not resolve b's service"
bpid=$(lab_avahi_pid b)
kill -STOP "$bpid"
check_wait 30 "b's responder silent: DISCO_PEER=lab-b.local, a warning" \
    entry MESSAGE_ID=74c6cfce84214de7b3eab9f88bae2c33 DISCO_PEER=lab-b.local \
    PRIORITY=4
kill -CONT "$bpid"
check_wait 30 "b answers again: DISCO_PEER=lab-b.local" \
    entry MESSAGE_ID=9b253044d9dd4e279a59e1df05565a89 DISCO_PEER=lab-b.local

# A client that asks and never reads: dropped past client-output-max.
lab_spawn a reader python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
try:
    for _ in range(5000):
        s.sendall(b"{\"verb\":\"status\"}\n")
except OSError:
    pass
time.sleep(30)' "$da/discod.sock"
reader=$LAB_LAST_PID
check_wait 30 "a client that does not read is dropped: DISCO_CLIENT_PID" \
    entry MESSAGE_ID=0c7d6a4e1f2b4d9c8e3a5b6f7d8c9e01 \
    DISCO_CLIENT_PID="$reader" PRIORITY=4
lab_stop "$reader"

check "none of these events went to stderr as well" \
    test "$(grep -c -e 'announce: established' -e 'health: "Web"' \
	-e 'silent for' -e 'over client-output-max' "$da/discod.log")" = 0
exit 0
