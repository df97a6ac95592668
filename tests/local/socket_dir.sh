#!/bin/bash
# The control socket's directory: discod refuses one that another user
# owns or that its group or others may write to (they could replace the
# socket with their own), and makes a missing one 0755 whatever the umask.
# The built discod in the foreground, no lab: Avahi need not run, and
# DBUS_SYSTEM_BUS_ADDRESS keeps it off this machine's bus.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/services"
printf '[announce]\nservices-dir = %s\n' "$tmp/services" >"$tmp/discod.conf"
plan 17

# refused DIR MODE: discod must exit 1 within 10 s and have made no socket.
refused() {
	local dir=$1
	timeout 10 "$top_builddir/discod" -d -f "$tmp/discod.conf" \
	    -s "$dir/discod.sock" >"$tmp/out" 2>&1
	[ $? = 1 ] && [ ! -e "$dir/discod.sock" ]
}

mkdir "$tmp/open"
chmod 0777 "$tmp/open"
check "a 0777 socket directory: discod refuses to start" refused "$tmp/open"
check "and says which directory, and why" grep -q \
    "control_dir_check: $tmp/open is writable by group or others (mode 0777)" \
    "$tmp/out"
diag "$(cat "$tmp/out")"

mkdir "$tmp/group"
chmod 0775 "$tmp/group"
check "a group-writable (0775) directory is refused" refused "$tmp/group"

mkdir "$tmp/sticky"
chmod 1777 "$tmp/sticky"
check "a sticky 1777 directory (as /tmp) is refused" refused "$tmp/sticky"

if [ "$(id -u)" = 0 ]; then
	mkdir -m 0755 "$tmp/theirs"
	chown 65534 "$tmp/theirs"
	check "a directory another user owns is refused" refused "$tmp/theirs"
	check "and says who owns it" grep -q \
	    "$tmp/theirs is owned by uid 65534, not by discod's uid 0" "$tmp/out"
else
	skip "a directory another user owns: making one needs root"
	skip "and says who owns it"
fi

# A missing directory, made under umask 077: 0755, and discod listens.
(
	umask 077
	exec "$top_builddir/discod" -d -f "$tmp/discod.conf" \
	    -s "$tmp/made/discod.sock" >"$tmp/made.log" 2>&1
) &
pid=$!
i=0
while [ ! -S "$tmp/made/discod.sock" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a missing directory is made and discod listens in it" \
    test -S "$tmp/made/discod.sock"
check "mode 0755 under umask 077" test "$(stat -c %a "$tmp/made")" = 755
kill -TERM "$pid"
wait "$pid"
check "discod stops cleanly (exit 0)" test $? = 0

# The directory discod made is now an existing one of its own: accepted.
"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$tmp/made/discod.sock" \
    >"$tmp/again.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$tmp/made/discod.sock" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "an existing 0755 directory of discod's user is accepted" \
    test -S "$tmp/made/discod.sock"
kill -TERM "$pid"
wait "$pid"

# [control] keys (issue 25): socket is where discod listens without -s,
# and -s overrides it; socket-mode and socket-group are the socket's; a
# socket-group that does not exist is an error and no socket is made.
# started CONF SOCK [ARGS...]: discod with CONF until SOCK appears (5 s
# at most); its PID in pid.
started() {
	local conf=$1 sock=$2 i
	shift 2
	"$top_builddir/discod" -d -f "$conf" "$@" >"$tmp/ctl.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$sock" ] && return 0
		sleep 0.1
	done
	return 1
}
stopped() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
group=$(id -gn)
printf '[announce]\nservices-dir = %s\n[control]\nsocket = %s\nsocket-mode = 0640\nsocket-group = %s\n' \
    "$tmp/services" "$tmp/conf/discod.sock" "$group" >"$tmp/control.conf"
check "[control] socket, without -s: discod listens there" \
    started "$tmp/control.conf" "$tmp/conf/discod.sock"
check "socket-mode = 0640: the socket's mode ($(stat -c %a "$tmp/conf/discod.sock" 2>&1))" \
    test "$(stat -c %a "$tmp/conf/discod.sock" 2>&1)" = 640
check "socket-group = $group: the socket's group" \
    test "$(stat -c %G "$tmp/conf/discod.sock" 2>&1)" = "$group"
check "discoctl answers on it" \
    "$top_builddir/discoctl/discoctl" -s "$tmp/conf/discod.sock" status
stopped
started "$tmp/control.conf" "$tmp/flag/discod.sock" -s "$tmp/flag/discod.sock"
flag_only() { test -S "$tmp/flag/discod.sock" && test ! -e "$tmp/conf/discod.sock"; }
check "-s overrides [control] socket: the socket is at -s's path only" flag_only
stopped
printf '[announce]\nservices-dir = %s\n[control]\nsocket = %s\nsocket-group = no-such-group-disco\n' \
    "$tmp/services" "$tmp/nogroup/discod.sock" >"$tmp/nogroup.conf"
timeout 10 "$top_builddir/discod" -d -f "$tmp/nogroup.conf" >"$tmp/nogroup.log" 2>&1
rc=$?
refused_group() { test "$rc" = 1 && test ! -e "$tmp/nogroup/discod.sock"; }
check "socket-group naming no group: discod stops with exit 1 (exit $rc), no socket" \
    refused_group
check "... and says which group" grep -q 'no-such-group-disco' "$tmp/nogroup.log"
