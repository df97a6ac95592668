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

# How long each stage took, printed at the end (CI's time is a budget).
stages=""
stage() {
	stages="$stages$1: $((SECONDS - stage_start)) s; "
	stage_start=$SECONDS
}
stage_start=0
stage "install and build"

status=0
make -j1 check || status=$?
stage "make check"
make lint || { echo "make lint failed"; status=1; }
# The tarball must build, install and pass the unit tests on its own (the
# lab tests ran above, and run again in the sanitizer build below).
distcheck=PASS
DISCO_NO_LAB=1 make distcheck >distcheck.log 2>&1 || {
	distcheck=FAIL
	tail -n 40 distcheck.log
}
echo "distcheck: $distcheck (log in distcheck.log)"
stage "lint and distcheck"

# A second build, in a copy of the tree: clang with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer coverage.  The whole suite
# (unit and lab) runs again under it, then make fuzz-smoke.  Sanitizer
# reports go to files; each one is a failure.
san=$PWD/sanitizers
# What failed in a second build's make check, and the end of each failing
# test's own log: its check.log is not printed, and a failure seen only as
# "FAIL" cannot be fixed from the CI's output.
show_failures() {
	local log
	grep -E '^(FAIL|ERROR|XPASS):' "$1/check.log" || true
	grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\)' -r "$1/tree" \
	    --include='*.trs' 2>/dev/null | while IFS= read -r log; do
		echo "--- ${log%.trs}.log (its end):"
		tail -n 30 "${log%.trs}.log"
	done
}
rm -rf "$san"
mkdir -p "$san/reports"
# The tree's own file list (what make dist ships), not git's: a release
# tarball has no .git, and a fresh machine need not have git.
make distdir distdir="$san/tree" >/dev/null
san_status=0
# (set -e does not hold inside a list with ||: each step is chained.)
(
	cd "$san/tree" && ./autogen.sh &&
	CC=clang ./configure --enable-sanitizers --enable-fuzzing \
	    --sysconfdir=/etc --localstatedir=/var --runstatedir=/run &&
	make -j"$(nproc)"
) >"$san/build.log" 2>&1 || { san_status=1; tail -n 40 "$san/build.log"; }
if [ "$san_status" = 0 ]; then
	export ASAN_OPTIONS="log_path=$san/reports/asan:detect_leaks=1"
	export UBSAN_OPTIONS="log_path=$san/reports/ubsan:print_stacktrace=1"
	# Every test but Makefile.am's SAN_SKIP_TESTS (why: there).
	san_tests=$(make -s -C "$san/tree" print-san-tests | tr '\n' ' ')
	make -C "$san/tree" -j1 check TESTS="$san_tests" >"$san/check.log" 2>&1 ||
	    { san_status=1; show_failures "$san"; }
	# 12 s a target: a smoke run, CI's time being a budget (make
	# fuzz-smoke alone gives each 20 s; longer runs: doc/reliability.md).
	make -C "$san/tree" fuzz-smoke FUZZ_SECONDS=12 >"$san/fuzz.log" 2>&1 ||
	    san_status=1
	unset ASAN_OPTIONS UBSAN_OPTIONS
	cat "$san/fuzz.log"
fi
san_reports=0
for r in "$san"/reports/*; do
	[ -e "$r" ] || continue
	san_reports=$((san_reports + 1))
	echo "sanitizer report $r:"
	head -n 30 "$r"
done
echo "sanitizer build: $([ "$san_status" = 0 ] && echo PASS || echo FAIL), $san_reports report(s)"
stage "sanitizer build and check"

# A third build: clang with ThreadSanitizer (it excludes ASan), for the
# Avahi thread and the main loop it talks to (doc/avahi.md).  The lab
# tests that work both threads hardest run under it: Avahi and D-Bus
# stopped and killed under discod, and Avahi refusing objects.  Each
# report is a failure.
tsan=$PWD/tsan
rm -rf "$tsan"
mkdir -p "$tsan/reports"
make distdir distdir="$tsan/tree" >/dev/null
tsan_status=0
(
	cd "$tsan/tree" && ./autogen.sh &&
	CC=clang ./configure --enable-thread-sanitizer \
	    --sysconfdir=/etc --localstatedir=/var --runstatedir=/run &&
	make -j"$(nproc)"
) >"$tsan/build.log" 2>&1 || { tsan_status=1; tail -n 40 "$tsan/build.log"; }
if [ "$tsan_status" = 0 ]; then
	TSAN_OPTIONS="log_path=$tsan/reports/tsan suppressions=$PWD/tests/tsan.supp" \
	    make -C "$tsan/tree" -j1 check_PROGRAMS= \
	    check TESTS="tests/lab/avahi_hang.sh \
	    tests/lab/discod_avahi_restart.sh tests/lab/retry.sh" \
	    >"$tsan/check.log" 2>&1 || { tsan_status=1; show_failures "$tsan"; }
fi
for r in "$tsan"/reports/*; do
	[ -e "$r" ] || continue
	san_reports=$((san_reports + 1))
	echo "thread sanitizer report $r:"
	head -n 40 "$r"
done
echo "thread sanitizer build: $([ "$tsan_status" = 0 ] && echo PASS || echo FAIL)"
stage "thread sanitizer"
echo "time: $stages"
# Where make check's time went: the slowest shell tests of each build.
slowest() { # slowest DIR LABEL
	local top
	top=$(grep -r --include='*.log' -H '^# took [0-9]* s$' "$1" 2>/dev/null |
	    sed 's|^\(.*\)\.log:# took \([0-9]*\) s$|\2 \1|; s| '"$1"'/| |' |
	    sort -rn | head -n 8 | awk '{ printf "%s%s %s s", (NR > 1 ? "; " : ""), $2, $1 }')
	[ -z "$top" ] || echo "slowest ($2): $top"
}
slowest tests main
slowest "$san/tree/tests" sanitizers
[ "$tsan_status" = 0 ] || san_status=1

# Totals from the automake test logs.
pass=0 fail=0
while IFS= read -r -d '' trs; do
	pass=$((pass + $(grep -c '^:test-result: \(PASS\|XFAIL\)' "$trs" || true)))
	fail=$((fail + $(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$trs" || true)))
done < <(find . -name '*.trs' -not -path './disco-*' -print0)
# Skips by point and by name (a script skipped whole counts all its
# points); under CI=true each one not in tests/expected-skips fails.
skips_out=$(tools/skips.sh .) || skips_failed=1
printf '%s\n' "$skips_out"
skip=$(sed -n 's/^skips: \([0-9]*\) points, .*/\1/p' <<<"$skips_out")
unexpected=$(sed -n 's/^skips: .*, \([0-9]*\) unexpected$/\1/p' <<<"$skips_out")
if [ "${skips_failed:-0}" = 1 ]; then
	fail=$((fail + ${unexpected:-1}))
	skip=$((skip - ${unexpected:-0}))
fi
# The fuzz targets' lines, and one failure per sanitizer report.
pass=$((pass + $(grep -c '^ok ' "$san/fuzz.log" 2>/dev/null || true)))
fail=$((fail + $(grep -c '^not ok ' "$san/fuzz.log" 2>/dev/null || true)))
fail=$((fail + san_reports))
if [ "$distcheck" = PASS ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
fi
if { [ "$status" != 0 ] || [ "$san_status" != 0 ]; } && [ "$fail" = 0 ]; then
	fail=1		# make, lint or the sanitizer build failed outside any test
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
