#!/bin/bash
# The Python client, bindings/python/disco.py as built, against a
# stand-in agent (tests/local/python_client.py: a mock of discod that
# needs no Avahi, killed with -9 and started again to play a restart):
# requests as doc/protocol.md says, errors, base64 TXT, events kept while
# a reply is awaited, and the reconnection: registrations made again with
# the same fields, the watch sent again (resync and the new snapshot), a
# renew after a restart, a request in flight sent again, reconnect=False,
# a line past the limit, and an agent gone for good.  The program prints
# its points; this script numbers them and adds its own.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

# configure's Python (make check passes it), else python3.
py=${DISCO_PYTHON:-}
case $py in
"" | :) py=python3 ;;
esac
if ! command -v "$py" >/dev/null; then
	echo "1..0 # SKIP no Python interpreter ($py)"
	exit 77
fi
module=$top_builddir/bindings/python/disco.py
if [ ! -f "$module" ]; then
	echo "Bail out! $module is not built (make)"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/pids"

check "the built module has no placeholder left" \
    test "$(grep -c '@[A-Za-z_]*@' "$module")" = 0

# The whole program, bounded: every wait inside is bounded too.
timeout -k 5 180 env PYTHONPATH="$top_builddir/bindings/python" \
    PYTHONDONTWRITEBYTECODE=1 "$py" "$top_srcdir/tests/local/python_client.py" \
    test "$tmp" >"$tmp/out" 2>"$tmp/err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$tmp/out"
[ -s "$tmp/err" ] && diag "stderr:" "$(cat "$tmp/err")"
check "the program ran to its end (exit $rc)" \
    grep -qx '# done' "$tmp/out"
fails=$(grep -c '^not ok - ' "$tmp/out")
check "its exit status says whether a point failed" \
    test "$rc" = $((fails > 0))

# Each stand-in agent it started has stopped.
left=
while read -r pid; do
	kill -0 "$pid" 2>/dev/null && left="$left $pid"
done <"$tmp/pids"
check "every stand-in agent has stopped ($(wc -l <"$tmp/pids") started)" \
    test -z "$left"
for pid in $left; do
	kill -KILL "$pid"
done
plan "$TAP_N"
