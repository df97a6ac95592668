#!/bin/bash
# Golden tests for .dnssd files: discod -n on a directory holding just
# NAME.dnssd must print exactly NAME.ok (the directory shown as DIR), then
# its exit status.  REGEN=1 rewrites the .ok files.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$top_srcdir/tests/golden/dnssd" || exit 1
set -- *.dnssd
plan $#
for file in "$@"; do
	name=${file%.dnssd}
	rm -rf "$work/services"
	mkdir "$work/services"
	cp "$file" "$work/services/"
	printf '[announce]\nservices-dir = %s/services\n' "$work" >"$work/discod.conf"
	out=$("$top_builddir/discod" -n -f "$work/discod.conf" 2>&1; echo "exit $?")
	out=${out//$work/DIR}
	if [ -n "${REGEN:-}" ]; then
		printf '%s\n' "$out" >"$name.ok"
	fi
	if [ "$out" = "$(cat "$name.ok" 2>/dev/null)" ]; then
		ok "$file"
	else
		not_ok "$file"
		diff -u "$name.ok" <(printf '%s\n' "$out") | sed 's/^/# /'
	fi
done
