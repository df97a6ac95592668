#!/bin/bash
# Build disco and run every test (unit, lab, lint), as root on Debian 12.
# Ends with one line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh
./autogen.sh
./configure --enable-werror --sysconfdir=/etc --localstatedir=/var \
    --runstatedir=/run
make -j"$(nproc)"

status=0
make -j1 check || status=$?
make lint || { echo "make lint failed"; status=1; }
# The tarball must build and pass the unit and lab tests on its own.
distcheck=PASS
make distcheck >distcheck.log 2>&1 || {
	distcheck=FAIL
	tail -n 40 distcheck.log
}
echo "distcheck: $distcheck (log in distcheck.log)"

# Totals from the automake test logs.
pass=0 fail=0 skip=0
while IFS= read -r -d '' trs; do
	pass=$((pass + $(grep -c '^:test-result: \(PASS\|XFAIL\)' "$trs" || true)))
	fail=$((fail + $(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$trs" || true)))
	skip=$((skip + $(grep -c '^:test-result: SKIP' "$trs" || true)))
done < <(find . -name '*.trs' -not -path './disco-*' -print0)
if [ "$distcheck" = PASS ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
fi
if [ "$status" != 0 ] && [ "$fail" = 0 ]; then
	fail=1		# make or lint failed outside any test
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
