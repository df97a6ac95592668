#!/bin/bash
# Every skipped test point of a run, by name, and which of them nobody
# expected.  Run by tools/test.sh in the build tree after make check (and
# the sanitizer and thread-sanitizer builds' runs in sanitizers/tree and
# tsan/tree); prints one line per skip, then "skips: N points, U
# unexpected".  Exits 1 when a skip is not in tests/expected-skips (the
# one list of the skips a run may have, with why) and strict is asked for
# (CI=true, as .ci/run sets it): under CI a skip is a test that did not
# run, and one nobody expected is a failure.
#
# A script skipped whole ("1..0 # SKIP why") counts as all its points: the
# N of its first literal "plan N", or one when its plan is computed.
set -u
cd "${1:-.}" || exit 1
list=${SKIPS_EXPECTED:-tests/expected-skips}
strict=0
[ "${CI:-}" = true ] && strict=1

# expected BUILD TEST WHY: tests/expected-skips has a line "BUILD TEST
# TEXT" whose TEXT is in WHY.
expected() {
	local b t text
	while read -r b t text; do
		case $b in '' | '#'*) continue ;; esac
		[ "$b" = "$1" ] && [ "$t" = "$2" ] && [[ $3 == *"$text"* ]] &&
		    return 0
	done <"$list"
	return 1
}

points=0 unexpected=0
while IFS= read -r -d '' trs; do
	grep -q '^:test-result: SKIP' "$trs" || continue
	name=${trs#./}
	name=${name%.trs}
	case $name in
	sanitizers/tree/*) build=sanitizers name=${name#sanitizers/tree/} ;;
	tsan/tree/*) build=tsan name=${name#tsan/tree/} ;;
	*) build=main ;;
	esac
	script=$name
	[ -e "$script" ] || [ ! -e "$script.sh" ] || script=$name.sh
	while IFS= read -r line; do
		why=${line#*# SKIP }
		if [[ $line == 1..0* ]]; then
			n=$(grep -m 1 -oE '^plan [0-9]+$' "$script" 2>/dev/null |
			    cut -d' ' -f2)
			n=${n:-1}
			what="the whole script, ${n} point(s)"
		else
			n=1
			what=${line%% #*}
			what="point ${what#ok }"
		fi
		points=$((points + n))
		if expected "$build" "$script" "$why"; then
			echo "skipped ($build build): $script: $what: $why"
		else
			unexpected=$((unexpected + n))
			echo "skipped ($build build): $script: $what: $why [UNEXPECTED: not in $list]"
		fi
	done < <(grep -E '^(1\.\.0|ok [0-9]+) # SKIP' "${trs%.trs}.log")
done < <(find . -name '*.trs' -not -path './disco-*' -print0 | sort -z)
echo "skips: $points points, $unexpected unexpected"
[ "$strict" = 0 ] || [ "$unexpected" = 0 ]
