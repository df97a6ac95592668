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
plan 3
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
