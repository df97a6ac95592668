# shellcheck shell=bash
#
# What bench/run.sh and bench/widearea.sh share: time stamps in
# microseconds (those of disco-bench watch and disco-bench stamp), bounded
# waits and medians.  Sourced after tests/lab/lab.sh.

now_us() {
	echo "${EPOCHREALTIME/./}"
}

# first_us FILE TEXT1 TEXT2: the time stamp of FILE's first line holding
# both texts, empty when there is none.
first_us() {
	awk -v a="$2" -v b="$3" \
	    'index($0, a) && index($0, b) { print $1; exit }' "$1"
}

# wait_for SECONDS COMMAND...: bounded, as every wait of the benches.
wait_for() {
	lab_wait "$@"
}

# The median of the numbers on stdin, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
