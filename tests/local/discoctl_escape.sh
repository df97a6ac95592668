#!/bin/bash
# A check command's output is anybody's bytes: discoctl services must
# show its escape sequences, controls and invalid UTF-8 as visible escapes
# and never pass them to the terminal; discoctl -j must get valid UTF-8
# JSON from discod.  The built discod (no lab: Avahi need not run for a
# check to run) with a service whose exec check prints clear-screen,
# carriage return, BEL, C1 CSI, DEL and a byte that is not UTF-8.  Names,
# host names and TXT from the LAN go through the same printer: see
# tests/unit/check_print.c.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/services"
sock=$tmp/run/discod.sock
cat >"$tmp/discod.conf" <<CONF
[announce]
services-dir = $tmp/services
CONF
# ESC [2J, CR, BEL, C1 CSI (U+009B), DEL, 0xff; then "Café ☕".
printf '%s\n' "printf 'x\\377\\033[2J\\r\\007\\302\\233\\177 Caf\\303\\251 \\342\\230\\225'" \
    'exit 1' >"$tmp/check.sh"
cat >"$tmp/services/hostile.dnssd" <<DNSSD
[Service]
Name=Hostile
Type=_hostile._tcp
Port=7
[Check]
Type=exec
Command=/bin/sh $tmp/check.sh
Interval=60s
Timeout=5s
DNSSD
plan 8

ctl() {
	"$top_builddir/discoctl/discoctl" -s "$sock" "$@"
}

# terminal_safe FILE: no C0 control but newline, no DEL, no C1 control,
# and strict UTF-8.
terminal_safe() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
s = b.decode("utf-8")
bad = [c for c in s if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
sys.exit(1 if bad or not s else 0)' "$1"
}

# The first check runs at once, the next in a minute: till then the
# output holds still (a running check's is cleared as it starts).
checked() {
	ctl -j services | grep -q '"checks":[1-9]'
}

"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$sock" \
    >"$tmp/discod.log" 2>&1 &
pid=$!
i=0
until checked || [ "$i" -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "discod runs the service's exec check" checked

LC_ALL=C.UTF-8 ctl services >"$tmp/utf8.out" 2>&1
check "services: nothing from the check's output drives the terminal" \
    terminal_safe "$tmp/utf8.out"
diag "$(LC_ALL=C.UTF-8 cat -v "$tmp/utf8.out")"
check "services: it is shown as escapes" grep -qF \
    '\x1b[2J\r\x07\u009b\x7f' "$tmp/utf8.out"
check "services: printable UTF-8 stays readable in a UTF-8 locale" \
    grep -qF 'Café ☕' "$tmp/utf8.out"

LC_ALL=C ctl services >"$tmp/c.out" 2>&1
check "services in the C locale: nothing drives the terminal" \
    terminal_safe "$tmp/c.out"
check "services in the C locale: non-ASCII as code points" \
    grep -qF 'Caf\u00e9 \u2615' "$tmp/c.out"

ctl -j services >"$tmp/json.out" 2>&1
json_ok() {
	python3 -c '
import json, sys
line = open(sys.argv[1], "rb").read()
out = json.loads(line)["services"][0]["health"]["output"]
sys.exit(0 if out.startswith("exit 1: x?\x1b[2J\r\x07\x9b\x7f") else 1)' "$1"
}
check "-j: the reply is valid UTF-8 JSON, the byte that was not UTF-8 a '?'" \
    json_ok "$tmp/json.out"
diag "$(cat -v "$tmp/json.out")"

kill -TERM "$pid"
wait "$pid"
check "discod stops cleanly (exit 0)" test $? = 0
pid=
