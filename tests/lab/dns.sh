#!/bin/bash
# The DNS interface with a real client (dig): discod on a answers, from
# its cache, the names of what b publishes: PTR, SRV (with the target's
# address), TXT, A of a host and of a service name, the type list, a
# subtype; over UDP and TCP; truncation, NXDOMAIN vs NODATA, REFUSED
# outside the domain, ANY, EDNS; no amplification to other hosts;
# malformed, oversized and idle input; and an instance whose host dies
# without a goodbye leaves the answers as fast as it leaves pick.
# shellcheck disable=SC2016 # the checks' sh -c scripts expand their own $1
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
command -v dig >/dev/null 2>&1 || lab_unavailable "dig not installed (bind9-dnsutils)"
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
# Also on a's lab address, to be asked from b (another host).
cat >"$dir/discod.conf" <<EOF
[dns]
listen = 127.0.0.1:8653 [::1]:8653 $LAB_SUBNET.1:8653
tcp-clients-max = 8
EOF
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 39

# b publishes two web servers (one with a subtype) and 60 of a type whose
# PTR set cannot fit a UDP reply.
lab_spawn b w1 avahi-publish -s --subtype=_printer._sub._http._tcp \
    "Web One" _http._tcp 8080 path=/one
pad=$(printf 'x%.0s' {1..250})
lab_spawn b w2 avahi-publish -s "Web Two" _http._tcp 8081 path=/two "pad=$pad"
lab_service_files b _many._tcp "Many " 1 60
lab_on b avahi-daemon --reload >/dev/null 2>&1 ||
	kill -HUP "$(lab_avahi_pid b)"
count() {
	lab_ctl a -j list "$1" | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["instances"]))'
}
ready() { [ "$(count _http._tcp)" = 2 ] && [ "$(count _many._tcp)" = 60 ]; }
check_wait 30 "a's cache has b's two web servers and 60 _many._tcp" ready

# dig on a against discod's DNS interface.
q() {
	lab_on a dig @127.0.0.1 -p 8653 +time=2 +tries=1 "$@"
}
short() {
	q +short "$@"
}
b_addr=$LAB_SUBNET.2
b_host=lab-b.disco # lab.sh names b's avahi-daemon lab-b

out=$(q _http._tcp.disco PTR)
diag "$out"
check "PTR of the type: both instances, authoritative" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
	echo "$1" | grep -q "flags: qr aa" && [ "$2" = "$3" ]' \
    sh "$out" "$(short _http._tcp.disco PTR | sort | tr '\n' ' ')" \
    'Web\032One._http._tcp.disco. Web\032Two._http._tcp.disco. '
out=$(q 'Web\032One._http._tcp.disco' SRV)
diag "$out"
check "SRV: port 8080 on lab-b.disco, b's address in the additional section" \
    sh -c 'echo "$1" | grep -Eq "SRV[[:space:]]+0 1 8080 lab-b\.disco\.$" &&
	echo "$1" | grep -Eq "^lab-b\.disco\..*A[[:space:]]+$2$"' sh "$out" "$b_addr"
out=$(short 'Web\032Two._http._tcp.disco' TXT)
diag "TXT: $out"
check "TXT: the instance's two strings, one of 254 bytes" \
    sh -c 'case " $1 " in *" \"path=/two\" "*) ;; *) exit 1 ;; esac &&
	case " $1 " in *" \"pad=$2\" "*) ;; *) exit 1 ;; esac' sh "$out" "$pad"
out=$(q _services._dns-sd._udp.disco PTR)
diag "$out"
check "the types (RFC 6763 section 9): _http._tcp and _many._tcp" \
    sh -c 'echo "$1" | grep -q "PTR[[:space:]]*_http._tcp.disco.$" &&
	echo "$1" | grep -q "PTR[[:space:]]*_many._tcp.disco.$"' sh "$out"
check "A of a peer's host name (lab-b.local as lab-b.disco)" \
    test "$(short $b_host A)" = "$b_addr"
check "A of the service name http.service.disco" \
    test "$(short http.service.disco A)" = "$b_addr"
out=$(q http.service.disco SRV)
diag "$out"
check "SRV of the service name: both ports" \
    sh -c 'echo "$1" | grep -q " 8080 lab-b.disco.$" && echo "$1" | grep -q " 8081 lab-b.disco.$"' sh "$out"
out=$(q $b_host AAAA)
diag "$out"
check "AAAA of a host with no usable IPv6 address: NODATA (NOERROR, no answer, SOA)" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
	echo "$1" | grep -q "ANSWER: 0," &&
	echo "$1" | grep -q "SOA"' sh "$out"
out=$(q nosuch.service.disco A)
diag "$out"
check "a service nobody offers: NXDOMAIN with the SOA (negative TTL 5)" \
    sh -c 'echo "$1" | grep -q "status: NXDOMAIN" &&
	echo "$1" | grep -Eq "^disco\.[[:space:]]+5[[:space:]]+IN[[:space:]]+SOA"' sh "$out"
out=$(q example.com A)
check "a name outside the domain: REFUSED, nothing forwarded" \
    sh -c 'echo "$1" | grep -q "status: REFUSED"' sh "$out"
out=$(q 'Web\032One._http._tcp.disco' ANY)
diag "$out"
check "ANY: one minimal HINFO record (RFC 8482)" \
    sh -c 'echo "$1" | grep -q "ANSWER: 1," && echo "$1" | grep -q "HINFO.*RFC8482"' sh "$out"
check "names have no case (RFC 4343): _HTTP._TCP.DISCO, HTTP.TCP.SERVICE.DISCO" \
    sh -c '[ "$(echo "$1" | wc -l)" = 2 ] && [ "$2" = "$3" ]' sh \
    "$(short _HTTP._TCP.DISCO PTR)" "$(short HTTP.TCP.SERVICE.DISCO A)" "$b_addr"
out=$(short _http._tcp.disco SRV | sort)
diag "SRV of the type name:" "$out"
check "SRV of _http._tcp.disco (RFC 2782's name): one per instance, weight 1" \
    sh -c 'echo "$1" | grep -qx "0 1 8080 lab-b.disco." &&
	echo "$1" | grep -qx "0 1 8081 lab-b.disco." && [ "$(echo "$1" | wc -l)" = 2 ]' sh "$out"
check "over TCP: the same PTR set" \
    test "$(short +tcp _http._tcp.disco PTR | sort | tr '\n' ' ')" = \
	'Web\032One._http._tcp.disco. Web\032Two._http._tcp.disco. '
out=$(q +ignore +bufsize=1232 _many._tcp.disco PTR)
diag "$(echo "$out" | grep -E 'flags|MSG SIZE')"
check "60 PTRs over UDP: truncated (TC, within 1232 bytes)" \
    sh -c 'echo "$1" | grep -Eq "flags: qr( [a-z]+)* tc" &&
	[ "$(echo "$1" | sed -n "s/.*MSG SIZE  rcvd: //p")" -le 1232 ]' sh "$out"
check "dig retries over TCP and gets all 60" \
    test "$(short _many._tcp.disco PTR | wc -l)" = 60
out=$(q +noedns +ignore _many._tcp.disco PTR)
check "without EDNS the UDP reply stays within 512 bytes" \
    sh -c 'echo "$1" | grep -Eq "flags: qr( [a-z]+)* tc" &&
	[ "$(echo "$1" | sed -n "s/.*MSG SIZE  rcvd: //p")" -le 512 ]' sh "$out"
out=$(q +edns=1 +noednsnegotiation _http._tcp.disco PTR)
check "EDNS version 1: BADVERS" \
    sh -c 'echo "$1" | grep -q "status: BADVERS"' sh "$out"
out=$(q _http._tcp.disco PTR @::1)
check "on [::1] as well" sh -c 'echo "$1" | grep -q "ANSWER: 2,"' sh "$out"

# A subtype: browsed from the first question on, answered soon after.
sub() { [ "$(short _printer._sub._http._tcp.disco PTR)" = 'Web\032One._http._tcp.disco.' ]; }
check_wait 10 "a subtype's PTR: only Web One" sub

# From another host (b): the reply is never much larger than the query.
out=$(lab_on b dig @"$LAB_SUBNET.1" -p 8653 +time=2 +tries=1 +ignore +qr +bufsize=1232 _many._tcp.disco PTR)
diag "$(echo "$out" | grep -E 'flags|MSG SIZE|QUERY SIZE')"
qsize=$(echo "$out" | sed -n 's/.*QUERY SIZE: //p')
rsize=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: //p')
check "to another host over UDP: TC, reply ($rsize bytes) <= 3 x query ($qsize)" \
    sh -c 'echo "$1" | grep -Eq "flags: qr( [a-z]+)* tc" && [ "$2" -le $(($3 * 3)) ]' \
    sh "$out" "${rsize:-99999}" "${qsize:-0}"
size() { echo "$1" | sed -n "s/.*$2: //p"; }
out=$(q +qr +ignore 'Web\032Two._http._tcp.disco' TXT)
lq=$(size "$out" "QUERY SIZE") lr=$(size "$out" "MSG SIZE  rcvd")
out=$(lab_on b dig @"$LAB_SUBNET.1" -p 8653 +time=2 +tries=1 +ignore +qr 'Web\032Two._http._tcp.disco' TXT)
diag "TXT of 300 bytes: to loopback $lq -> $lr bytes; to b $(size "$out" "QUERY SIZE") -> $(size "$out" "MSG SIZE  rcvd")"
check "a 300-byte TXT: whole to loopback, TC to another host (> 3 x query)" \
    sh -c '[ "$1" -gt $(($2 * 3)) ] && echo "$3" | grep -Eq "flags: qr( [a-z]+)* tc" &&
	[ "$4" -le $(($5 * 3)) ]' sh "${lr:-0}" "${lq:-0}" "$out" \
    "$(size "$out" "MSG SIZE  rcvd")" "$(size "$out" "QUERY SIZE")"
check "another host gets the whole set over TCP" \
    test "$(lab_on b dig @"$LAB_SUBNET.1" -p 8653 +time=2 +tries=1 +short _many._tcp.disco PTR | wc -l)" = 60

# Attacks: raw packets from Python.
lab_on a python3 - >"$dir/raw.out" 2>&1 <<'PY'
import socket, struct, time
def udp(pkt, wait=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(pkt, ("127.0.0.1", 8653))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()
def name(n):
    return b"".join(bytes([len(l)]) + l for l in n.encode().split(b".")) + b"\0"
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + name("lab-b.disco") + struct.pack(">HH", 1, 1)
r = udp(q)
print("plain", r is not None and r[:2] == b"\x12\x34" and r[3] & 15 == 0)
# a response (QR set) is never answered: no loops between servers
r = udp(struct.pack(">HHHHHH", 7, 0x8100, 1, 0, 0, 0) + name("lab-b.disco") + struct.pack(">HH", 1, 1))
print("response-ignored", r is None)
# garbage after a valid header: FORMERR, id kept
r = udp(struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\xff\xff\xff")
print("garbage-formerr", r is not None and r[:2] == b"\x00\x09" and r[3] & 15 == 1)
# a compression pointer loop in the question
r = udp(struct.pack(">HHHHHH", 10, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1))
print("pointer-loop-formerr", r is not None and r[3] & 15 == 1)
# two questions: FORMERR
r = udp(struct.pack(">HHHHHH", 11, 0x0100, 2, 0, 0, 0) + (name("lab-b.disco") + struct.pack(">HH", 1, 1)) * 2)
print("two-questions-formerr", r is not None and r[3] & 15 == 1)
# an opcode we do not do (UPDATE): NOTIMP
r = udp(struct.pack(">HHHHHH", 12, 0x2800, 1, 0, 0, 0) + name("disco") + struct.pack(">HH", 6, 1))
print("update-notimp", r is not None and r[3] & 15 == 4)
# a 5000-byte datagram: FORMERR, not parsed
r = udp(struct.pack(">HHHHHH", 13, 0x0100, 1, 0, 0, 0) + b"\0" * 4988)
print("oversized-formerr", r is not None and r[3] & 15 == 1)
# 1000 random datagrams, then a plain query still answered.  The flood
# may fill the socket's receive buffer, and the kernel then drops what
# comes, the query too (UDP): asked again, up to 5 times a second apart.
import os
for k in range(1000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(os.urandom(k % 200 + 1), ("127.0.0.1", 8653)); s.close()
for tries in range(1, 6):
    r = udp(q)
    if r is not None:
        break
print("after-random tries", tries)
print("after-random", r is not None and r[3] & 15 == 0)
# TCP: a frame longer than a query may be: the connection is closed
t = socket.create_connection(("127.0.0.1", 8653), timeout=3)
t.sendall(struct.pack(">H", 5000) + b"\0" * 5000)
try:
    closed = t.recv(10) == b""
except (ConnectionResetError, socket.timeout):
    closed = True
print("tcp-oversized-closed", closed)
t.close()
# TCP: two pipelined queries, two answers in order
t = socket.create_connection(("127.0.0.1", 8653), timeout=3)
q2 = q[:1] + b"\x35" + q[2:]
t.sendall(struct.pack(">H", len(q)) + q + struct.pack(">H", len(q2)) + q2)
buf = b""
while len(buf) < 4 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0] + 2:
    d = t.recv(4096)
    if not d: break
    buf += d
l1 = struct.unpack(">H", buf[:2])[0]
print("tcp-pipelined", buf[2:4] == b"\x12\x34" and buf[2 + l1 + 2:2 + l1 + 4] == b"\x12\x35")
t.close()
# tcp-clients-max (8): idle connections take every slot, the 9th is
# closed at once, UDP is still answered, and the idle ones are closed
# after 10 s
idle = [socket.create_connection(("127.0.0.1", 8653), timeout=3) for _ in range(8)]
time.sleep(0.3)
x = socket.create_connection(("127.0.0.1", 8653), timeout=3)
try:
    refused = x.recv(10) == b""
except (ConnectionResetError, socket.timeout):
    refused = True
print("tcp-over-limit-closed", refused)
r = udp(q)
print("udp-during-tcp-flood", r is not None and r[3] & 15 == 0)
t0 = time.time()
idle[0].settimeout(15)
try:
    gone = idle[0].recv(10) == b""
except ConnectionResetError:
    gone = True
print("tcp-idle-closed", gone and 8 <= time.time() - t0 <= 13)
PY
diag "$(cat "$dir/raw.out")"
for point in plain response-ignored garbage-formerr pointer-loop-formerr \
    two-questions-formerr update-notimp oversized-formerr after-random \
    tcp-oversized-closed tcp-pipelined tcp-over-limit-closed \
    udp-during-tcp-flood tcp-idle-closed; do
	check "raw: $point" grep -qx "$point True" "$dir/raw.out"
done
status=$(lab_ctl a -j status)
diag "dns status: $(echo "$status" | python3 -c 'import json, sys; print(json.load(sys.stdin)["dns"])')"
check "status counts the queries: by rcode, truncated, TCP refused" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])["dns"]
print(d, file=sys.stderr)
r = d["rcodes"]
# (of the 1000 random datagrams a slow discod may lose some to its
# socket buffer: that the count counts is checked, not every packet)
sys.exit(not (d["queries_udp"] >= 100 and r["formerr"] >= 4 and
    r["refused"] >= 1 and r["nxdomain"] >= 1 and r["notimp"] >= 1 and
    d["truncated"] >= 3 and d["tcp_refused"] >= 1 and d["nodata"] >= 1 and
    d["badvers"] == 1))' "$status"

# A host that dies without a goodbye: out of the DNS answers as fast as
# out of pick (both read the same cache; liveness takes it out).
kill -KILL "$(lab_avahi_pid b)"
start=${EPOCHREALTIME/./}
dns_gone="" pick_gone=""
for ((i = 0; i < 200; i++)); do
	now=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	if [ -z "$dns_gone" ] && [ -z "$(short http.service.disco A)" ]; then
		dns_gone=$now
	fi
	if [ -z "$pick_gone" ] && ! lab_ctl a pick _http._tcp >/dev/null 2>&1; then
		pick_gone=$now
	fi
	[ -n "$dns_gone" ] && [ -n "$pick_gone" ] && break
	sleep 0.05
done
diag "b's avahi-daemon killed: gone from DNS after ${dns_gone:-never} ms, from pick after ${pick_gone:-never} ms"
check "a dead peer leaves DNS answers within 1 s of leaving pick (and within 10 s)" \
    sh -c '[ -n "$1" ] && [ -n "$2" ] && [ "$1" -le $(($2 + 1000)) ] && [ "$1" -le 10000 ]' \
    sh "$dns_gone" "$pick_gone"
