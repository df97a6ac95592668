#!/bin/bash
# Golden tests for discod.conf: `discod -n -f NAME.conf` must print exactly
# NAME.ok (its output, then its exit status on the last line).
# Set REGEN=1 to rewrite the .ok files from the current output.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

cd "$top_srcdir/tests/golden/config" || exit 1
set -- *.conf
plan $#
for conf in "$@"; do
	name=${conf%.conf}
	out=$("$top_builddir/discod" -n -f "$conf" 2>&1; echo "exit $?")
	if [ -n "${REGEN:-}" ]; then
		printf '%s\n' "$out" >"$name.ok"
	fi
	if [ "$out" = "$(cat "$name.ok" 2>/dev/null)" ]; then
		ok "$conf"
	else
		not_ok "$conf"
		diff -u "$name.ok" <(printf '%s\n' "$out") | sed 's/^/# /'
	fi
done
