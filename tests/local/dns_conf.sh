#!/bin/bash
# discod.conf's [dns] keys by their effect (issue 25), with the built
# discod on loopback (no lab: no instance is needed to see the domain
# and the TTL, which a negative answer's SOA carries): listen on a port
# of our choosing, domain = corp.example (compared without regard to
# case; the default domain is then refused), ttl = 9 and then 11 after
# a reload, and listen = none (no socket).  Real queries with dig.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
tmp=$(mktemp -d)
pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/services"
sock=$tmp/run/discod.sock
plan 7

port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf() { # conf TTL LISTEN
	printf '[announce]\nservices-dir = %s/services\n[dns]\nlisten = %s\ndomain = corp.example\nttl = %s\n' \
	    "$tmp" "$2" "$1" >"$tmp/discod.conf"
}
conf 9 "127.0.0.1:$port"
"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$sock" >"$tmp/discod.log" 2>&1 &
pid=$!
for ((i = 0; i < 50; i++)); do
	[ -S "$sock" ] && break
	sleep 0.1
done
q() { # q NAME TYPE: dig's answer, bounded
	dig @127.0.0.1 -p "$port" +tries=1 +time=2 "$1" "$2" 2>&1
}
# soa_ttl OUT DOMAIN: the TTL of DOMAIN's SOA in dig's output
soa_ttl() {
	awk -v d="$2." 'tolower($1) == d && $4 == "SOA" { print $2 }' <<<"$1"
}
out=$(q nosuch.service.corp.example A)
diag "$(grep -E 'status:|SOA' <<<"$out")"
check "domain = corp.example: a service nobody offers there is NXDOMAIN" \
    grep -q "status: NXDOMAIN" <<<"$out"
check "ttl = 9: its SOA's TTL is 9 ($(soa_ttl "$out" corp.example); 5 by default)" \
    test "$(soa_ttl "$out" corp.example)" = 9
out=$(q nosuch.service.CORP.Example A)
check "the domain compared without regard to case: NXDOMAIN, not REFUSED" \
    grep -q "status: NXDOMAIN" <<<"$out"
out=$(q nosuch.service.disco A)
check "the default domain (disco) is no longer ours: REFUSED" \
    grep -q "status: REFUSED" <<<"$out"

# ttl takes effect at a reload.
conf 11 "127.0.0.1:$port"
kill -HUP "$pid"
reloaded() {
	[ "$(soa_ttl "$(q nosuch.service.corp.example A)" corp.example)" = 11 ]
}
for ((i = 0; i < 30; i++)); do
	reloaded && break
	sleep 0.1
done
check "ttl = 11 and a reload: the SOA's TTL is 11" reloaded
kill "$pid"
wait "$pid"
pid=""

# listen = none: no socket, no answer.
conf 9 none
"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$sock" >"$tmp/none.log" 2>&1 &
pid=$!
for ((i = 0; i < 50; i++)); do
	[ -S "$sock" ] && "$top_builddir/discoctl/discoctl" -s "$sock" status >/dev/null 2>&1 && break
	sleep 0.1
done
sockets=$("$top_builddir/discoctl/discoctl" -s "$sock" -j status |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["dns"]["sockets"])')
check "listen = none: status dns.sockets 0 ($sockets)" test "$sockets" = 0
out=$(q nosuch.service.corp.example A)
unanswered() { ! grep -q "status:" <<<"$out"; }
check "... and nothing answers on the port" unanswered
