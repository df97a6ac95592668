#!/bin/bash
# A hostile peer cannot aim the liveness prober off the link, over either
# family (a dual-stack LAN, LAB_NET=46): b advertises "Evil" on a host
# evil.local whose A record is 203.0.113.7 (TEST-NET-3, off-link for a's
# 198.51.100.0/24), "Evil6" on evil6.local whose AAAA record is
# 2001:db8:ff::7 (off-link for a's 2001:db8:9::/64) and "Mapped" on
# mapped.local whose AAAA record is the IPv4-mapped ::ffff:203.0.113.8;
# a has routes to both prefixes through b, so a query to them would leave
# a and reach b's link.  b's eth0 sees a's queries for lab-b.local
# ("Good", on-link) over both families and none to the three hostile
# addresses; a's prober counts one peer per family; and the hostile
# instances, never probed, are left to Avahi: still resolved after
# remove-ms, not marked unreachable.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

EVIL=203.0.113.7
EVIL6=2001:db8:ff::7
MAPPED=::ffff:203.0.113.8
LAB_NET=46
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
b_addr=$LAB_SUBNET.2
b_addr6=${LAB_SUBNET6}:2
{ ip -n "$(lab_ns a)" route add 203.0.113.0/24 via "$b_addr" &&
    ip -n "$(lab_ns a)" -6 route add 2001:db8:ff::/64 via "$b_addr6"; } ||
	{ echo "Bail out! no route to $EVIL or $EVIL6 on a"; exit 1; }
lab_spawn b evil-a avahi-publish -a -R evil.local "$EVIL"
lab_spawn b evil avahi-publish -s -H evil.local Evil _evil._tcp 7000
lab_spawn b evil6-a avahi-publish -a -R evil6.local "$EVIL6"
lab_spawn b evil6 avahi-publish -s -H evil6.local Evil6 _evil._tcp 7002
lab_spawn b mapped-a avahi-publish -a -R mapped.local "$MAPPED"
lab_spawn b mapped avahi-publish -s -H mapped.local Mapped _evil._tcp 7003
lab_spawn b good avahi-publish -s Good _evil._tcp 7001
plan 15

resolves_to() {	# NAME ADDRESS
	lab_ctl a -j resolve "$1" _evil._tcp | grep -qF "\"$2\""
}
check_wait 20 "a resolves Evil to $EVIL" resolves_to Evil "$EVIL"
check_wait 20 "a resolves Evil6 to $EVIL6" resolves_to Evil6 "$EVIL6"
check_wait 20 "a resolves Mapped to $MAPPED" resolves_to Mapped "$MAPPED"
check_wait 20 "a resolves Good to $b_addr" resolves_to Good "$b_addr"
check_wait 20 "and to $b_addr6" resolves_to Good "$b_addr6"

# Count, on b's eth0, the UDP datagrams to port 5353 that a sends to the
# hostile addresses and, from a port other than 5353 (legacy unicast
# queries, RFC 6762 6.7), to b itself, over IPv4 and over IPv6.
out=$(lab_on b python3 -c '
import ipaddress, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
s.settimeout(0.2)
end = time.time() + float(sys.argv[1])
evil = {ipaddress.ip_address(a) for a in sys.argv[2].split()}
good4, good6 = (ipaddress.ip_address(a) for a in sys.argv[3:5])
off = on4 = on6 = sport4 = sport6 = 0
while time.time() < end:
    try:
        f, where = s.recvfrom(4096)
    except socket.timeout:
        continue
    if where[2] == socket.PACKET_OUTGOING:
        continue
    kind, ip = struct.unpack(">H", f[12:14])[0], f[14:]
    if kind == 0x0800 and len(ip) >= 28 and ip[9] == 17:
        udp, dst = ip[(ip[0] & 15) * 4:], ipaddress.ip_address(ip[16:20])
    elif kind == 0x86dd and len(ip) >= 48 and ip[6] == 17:
        udp, dst = ip[40:], ipaddress.ip_address(ip[24:40])
    else:
        continue
    sport, dport = struct.unpack(">HH", udp[:4])
    if dport != 5353:
        continue
    if dst in evil:
        off += 1
    elif dst == good4 and sport != 5353:
        on4, sport4 = on4 + 1, sport
    elif dst == good6 and sport != 5353:
        on6, sport6 = on6 + 1, sport
print(off, on4, on6, sport4, sport6)' 6 "$EVIL $EVIL6 $MAPPED" "$b_addr" "$b_addr6")
read -r off on4 on6 port4 port6 <<<"$out"
diag "in 6 s on b's eth0: $off datagram(s) to $EVIL, $EVIL6 or $MAPPED port 5353; $on4 query(ies) to $b_addr:5353, $on6 to [$b_addr6]:5353"
check "a's prober queried b (on-link) over IPv4 meanwhile" test "${on4:-0}" -gt 0
check "and over IPv6" test "${on6:-0}" -gt 0
check "and sent nothing to the off-link or mapped addresses" test "${off:-1}" = 0

check "a's prober counts two peers, b's two addresses, not five" \
    test "$(lab_liveness a peers) $(lab_liveness a peers_ipv6)" = "2 1"

# Unprobed, Evil is never found silent: past remove-ms (7.5 s by default,
# and 6 s have gone already) it is still resolved.
sleep 3
check "Evil, left to Avahi, is still resolved after remove-ms" \
    resolves_to Evil "$EVIL"
check "and Evil6 too" resolves_to Evil6 "$EVIL6"

# A flood on the prober's two sockets, from b's port 5353 (as answers
# come): 20000 answers each, for a name a never asked about, with random
# ids.  discod keeps serving, counts none of them, and b stays alive.
q0=$(lab_liveness a queries_sent)
a0=$(lab_liveness a answers)
lab_spawn b flood python3 -c '
import random, socket, struct, sys
def answer(qtype, rdata):
    name = b"\x06nobody\x05local\x00"
    return (struct.pack(">HHHHHH", random.getrandbits(16), 0x8400, 1, 1, 0, 0)
            + name + struct.pack(">HH", qtype, 1) + b"\xc0\x0c"
            + struct.pack(">HHIH", qtype, 1, 10, len(rdata)) + rdata)
socks = []
for fam, dst, port, qtype, rdata in (
        (socket.AF_INET, sys.argv[1], sys.argv[3], 1, bytes(4)),
        (socket.AF_INET6, sys.argv[2], sys.argv[4], 28, bytes(16))):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 5353))
    socks.append((s, (dst, int(port)), qtype, rdata))
for _ in range(20000):
    for s, to, qtype, rdata in socks:
        s.sendto(answer(qtype, rdata), to)
print("sent")' "$LAB_SUBNET.1" "${LAB_SUBNET6}:1" "${port4:-0}" "${port6:-0}"
flood=$LAB_LAST_PID
slow=0
for _ in 1 2 3 4 5; do
	t0=${EPOCHREALTIME/./}
	lab_ctl a status >/dev/null 2>&1 || slow=$((slow + 1))
	[ $(((${EPOCHREALTIME/./} - t0) / 1000)) -lt 1000 ] || slow=$((slow + 1))
	sleep 0.2
done
lab_wait 30 grep -q sent "$(lab_hostdir b)/flood.log"
check "under the flood (to ports $port4 and $port6), status answers in under 1 s every time" \
    test "$slow" = 0
check "and the flood was sent" grep -q sent "$(lab_hostdir b)/flood.log"
lab_stop "$flood"
q1=$(lab_liveness a queries_sent)
a1=$(lab_liveness a answers)
diag "during the flood: $((q1 - q0)) queries sent, $((a1 - a0)) answers counted"
# Each query gets one answer; two may have been on their way at the start.
check "no forged answer counted (answers $((a1 - a0)) <= queries $((q1 - q0)) + 2)" \
    test "$((a1 - a0))" -le "$((q1 - q0 + 2))"
check_wait 10 "b answers again, if it was found silent: Good resolves" \
    resolves_to Good "$b_addr"
