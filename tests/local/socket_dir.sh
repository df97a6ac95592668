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
plan 10

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
