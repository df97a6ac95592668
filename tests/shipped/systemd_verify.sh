#!/bin/bash
# systemd-analyze verify on the units, pointed at the built discod.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "Bail out! systemd-analyze not installed"; exit 1; }
	echo "1..0 # SKIP systemd-analyze not installed"
	exit 0
fi
plan 7
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=.*|ExecStart=$top_builddir/discod|" \
    "$top_builddir/systemd/discod.service" >"$dir/discod.service"
cp "$top_builddir/systemd/discod.socket" "$dir/discod.socket"
for unit in discod.service discod.socket; do
	# It exits 0 on unknown keys and bad values: any output is a failure.
	if out=$(cd "$dir" && systemd-analyze verify --man=no "./$unit" 2>&1) &&
	    [ -z "$out" ]; then
		ok "systemd-analyze verify $unit"
	else
		not_ok "systemd-analyze verify $unit"
		diag "$out"
	fi
done
notify_with_watchdog() {
	grep -q '^Type=notify$' "$dir/discod.service" &&
	    grep -q '^WatchdogSec=' "$dir/discod.service"
}
check "the service is Type=notify with a watchdog" notify_with_watchdog

# Least privilege (issue 15, finding 15): an unprivileged user with three
# capabilities, limits, a runtime directory that outlives a stop (it holds
# discod.socket's socket), and an exposure below the 2.7 of the unit that
# ran as root.
least_privilege() {
	grep -qx 'User=disco' "$dir/discod.service" &&
	    grep -qx 'CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL' "$dir/discod.service" &&
	    grep -qx 'LimitNOFILE=65536' "$dir/discod.service" &&
	    grep -q '^TasksMax=' "$dir/discod.service" &&
	    grep -q '^MemoryMax=' "$dir/discod.service" &&
	    grep -qx 'RuntimeDirectoryPreserve=yes' "$dir/discod.service"
}
check "discod.service runs as disco with three capabilities and limits" \
    least_privilege
exposure=$(cd "$dir" && systemd-analyze security --offline=true --no-pager \
    ./discod.service 2>&1 | sed -n 's/.*Overall exposure level for discod.service: \([0-9.]*\).*/\1/p')
diag "systemd-analyze security: exposure ${exposure:-?}"
low_exposure() {
	(cd "$dir" && systemd-analyze security --offline=true --threshold=19 \
	    --no-pager ./discod.service >/dev/null)
}
check "systemd-analyze security: exposure at most 1.9" low_exposure
sysroot=$dir/root
mkdir -p "$sysroot/etc"
check "systemd-sysusers makes the disco user from disco.conf" \
    systemd-sysusers --root="$sysroot" "$(cd "$top_srcdir" && pwd)/systemd/disco.conf"
check "(it is there)" grep -q '^disco:x:[0-9]*:[0-9]*:' "$sysroot/etc/passwd"
