#!/bin/bash
# make fuzz-smoke: run each libFuzzer target for SECONDS from its seed
# corpus (in the tree, never written to), in TAP.  A crash, leak,
# sanitizer report or timeout is a failure; the input that did it is kept
# and named.
#	fuzz/smoke.sh TOP_SRCDIR SECONDS TARGET...
set -u
top=$1 seconds=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/disco-fuzz-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A target's seed directories.
seeds() {
	case $1 in
	fuzz_proto|fuzz_dispatch) echo "$top/fuzz/corpus/protocol" ;;
	fuzz_json) echo "$top/fuzz/corpus/protocol $top/fuzz/corpus/json" ;;
	fuzz_conf) echo "$top/fuzz/corpus/conf $top/tests/golden/config" ;;
	fuzz_dnssd) echo "$top/tests/golden/dnssd" ;;
	fuzz_txt) echo "$top/fuzz/corpus/txt" ;;
	fuzz_liveness) echo "$top/fuzz/corpus/liveness" ;;
	fuzz_print) echo "$top/fuzz/corpus/print" ;;
	fuzz_reply) echo "$top/fuzz/corpus/reply" ;;
	fuzz_dns) echo "$top/fuzz/corpus/dns" ;;
	fuzz_metrics_http) echo "$top/fuzz/corpus/http" ;;
	fuzz_widearea) echo "$top/fuzz/corpus/widearea" ;;
	esac
}

echo "1..$#"
n=0 failed=0
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	mkdir -p "$work/$name/new"
	dict=()
	case $name in
	fuzz_proto|fuzz_dispatch|fuzz_json) dict=(-dict="$top/fuzz/proto.dict") ;;
	fuzz_reply) dict=(-dict="$top/fuzz/reply.dict") ;;
	fuzz_dns) dict=(-dict="$top/fuzz/dns.dict") ;;
	esac
	# shellcheck disable=SC2046 # seed directories, one word each
	"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=70000 -print_final_stats=1 "${dict[@]}" \
	    -artifact_prefix="$work/$name/" "$work/$name/new" \
	    $(seeds "$name") >"$work/$name/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name: $seconds s, ${runs:-?} inputs"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name: exit $rc"
		grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' \
		    "$work/$name/log" | head -n 20 | sed 's/^/# /'
		for a in "$work/$name"/crash-* "$work/$name"/leak-* \
		    "$work/$name"/timeout-* "$work/$name"/oom-*; do
			[ -e "$a" ] || continue
			mkdir -p fuzz-artifacts
			cp "$a" "fuzz-artifacts/$name-$(basename "$a")"
			echo "# input kept: fuzz-artifacts/$name-$(basename "$a")"
		done
	fi
done
[ "$failed" = 0 ]
