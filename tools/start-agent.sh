#!/bin/bash
# Install the dependencies, build and install disco, and start discod on
# its default configuration.  Run as root on Debian 12.
#
# Under systemd: makes the disco user, enables and starts avahi-daemon and
# discod.service (which runs discod as disco).
# Without systemd: starts D-Bus and avahi-daemon if they are not running,
# then runs discod in the foreground (stop it with Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local}
tools/deps.sh build
./autogen.sh
./configure --prefix="$prefix" --sysconfdir=/etc --localstatedir=/var \
    --runstatedir=/run --with-systemdsystemunitdir=/etc/systemd/system \
    --with-sysusersdir=/etc/sysusers.d
make -j"$(nproc)"
make install
ldconfig

# The disco user discod.service runs as, and group disco, whose members
# may use the control socket (sysusers.d/disco.conf).
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers /etc/sysusers.d/disco.conf
else
	getent group disco >/dev/null || groupadd --system disco
fi
echo "start-agent: users in group disco may use discoctl (usermod -aG disco USER)"

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now avahi-daemon.service
	systemctl enable --now discod.service
	systemctl --no-pager status discod.service
	exit 0
fi

bus_up() {
	dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
	    org.freedesktop.DBus.GetId >/dev/null 2>&1
}
wait_for() {
	local _
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	echo "start-agent: gave up waiting for: $*" >&2
	return 1
}
if ! bus_up; then
	mkdir -p /run/dbus
	rm -f /run/dbus/pid
	dbus-daemon --system --fork
	wait_for bus_up
fi
if ! avahi-daemon --check 2>/dev/null; then
	avahi-daemon --daemonize
	wait_for avahi-daemon --check
fi
echo "start-agent: discod in the foreground; try: $prefix/bin/discoctl status"
exec "$prefix/sbin/discod" -d
