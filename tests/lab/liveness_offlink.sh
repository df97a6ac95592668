#!/bin/bash
# A hostile peer cannot aim the liveness prober off the link: b advertises
# "Evil" on a host evil.local whose A record is 203.0.113.7 (TEST-NET-3,
# off-link for a's 198.51.100.0/24), and a has a route there through b, so
# a query to it would leave a and reach b's link.  b's eth0 sees a's
# queries for lab-b.local ("Good", on-link) and none for 203.0.113.7;
# a's prober counts one IPv4 peer; and "Evil", never probed, is left to Avahi:
# still resolved after remove-ms, not marked unreachable.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

EVIL=203.0.113.7
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
b_addr=$LAB_SUBNET.2
ip -n "$(lab_ns a)" route add 203.0.113.0/24 via "$b_addr" ||
	{ echo "Bail out! no route to $EVIL on a"; exit 1; }
lab_spawn b evil-a avahi-publish -a -R evil.local "$EVIL"
lab_spawn b evil avahi-publish -s -H evil.local Evil _evil._tcp 7000
lab_spawn b good avahi-publish -s Good _evil._tcp 7001
plan 6

resolves_to() {	# NAME ADDRESS
	lab_ctl a -j resolve "$1" _evil._tcp | grep -qF "\"$2\""
}
check_wait 20 "a resolves Evil to $EVIL" resolves_to Evil "$EVIL"
check_wait 20 "a resolves Good to $b_addr" resolves_to Good "$b_addr"

# Count, on b's eth0, the UDP datagrams to port 5353 that a sends to
# 203.0.113.7 and, from a port other than 5353 (legacy unicast queries,
# RFC 6762 6.7), to b itself.
out=$(lab_on b python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
s.settimeout(0.2)
end, off, on = time.time() + float(sys.argv[1]), 0, 0
while time.time() < end:
    try:
        f = s.recv(4096)
    except socket.timeout:
        continue
    ip = f[14:]
    if len(ip) < 28 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
    dst = socket.inet_ntoa(ip[16:20])
    if dport != 5353:
        continue
    if dst == sys.argv[2]:
        off += 1
    elif dst == sys.argv[3] and sport != 5353:
        on += 1
print(off, on)' 6 "$EVIL" "$b_addr")
read -r off on <<<"$out"
diag "in 6 s on b's eth0: $off datagram(s) to $EVIL:5353, $on query(ies) to $b_addr:5353"
check "a's prober queried b (on-link) meanwhile" test "${on:-0}" -gt 0
check "and sent nothing to the off-link $EVIL" test "${off:-1}" = 0

# Good's host has a link-local IPv6 address too, a peer of its own.
peers4() {
	lab_ctl a -j status | python3 -c '
import json, sys; l = json.load(sys.stdin)["liveness"]
print(l["peers"] - l["peers_ipv6"])'
}
check "a's prober counts one IPv4 peer, not two" test "$(peers4)" = 1

# Unprobed, Evil is never found silent: past remove-ms (7.5 s by default,
# and 6 s have gone already) it is still resolved.
sleep 3
check "Evil, left to Avahi, is still resolved after remove-ms" \
    resolves_to Evil "$EVIL"
