#!/bin/bash
# Every man page lints clean with mandoc -Tlint (warnings count).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

pages=(man/discod.8 man/discoctl.1 man/discod.conf.5 man/disco.dnssd.5
    man/libdisco.3 man/nss-disco.8)
if ! command -v mandoc >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "Bail out! mandoc not installed"; exit 1; }
	echo "1..0 # SKIP mandoc not installed"
	exit 0
fi
plan ${#pages[@]}
for page in "${pages[@]}"; do
	if out=$(mandoc -Tlint -W warning "$top_builddir/$page" 2>&1); then
		ok "$page"
	else
		not_ok "$page"
		diag "$out"
	fi
done
