#!/bin/bash
# make bench-agent, and the last step of make bench: the agent's code
# (bench/disco-agent: libdiscod, what discod runs, without Avahi) with
# BENCH_AGENT_K instances (default 10000) loaded into its cache in one go,
# so that every verb is timed at a K that Avahi takes half an hour to
# fill, next to disco-bench's echo server in the same run; and the
# agent's resident memory per instance, filled and once one client has
# asked for every instance.  Only a Unix socket in a directory of its
# own: no network, no root needed.
set -u
: "${top_builddir:?}"

K=${BENCH_AGENT_K:-10000}
BENCH_REQUESTS=${BENCH_REQUESTS:-20000}
BENCH_CLIENTS=${BENCH_CLIENTS:-1,8,32,256}
BENCH=$top_builddir/bench/disco-bench
type=_bka._tcp

dir=$(mktemp -d "${TMPDIR:-/tmp}/disco-agent-bench.XXXXXX") || exit 1
chmod 755 "$dir"
apid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$apid" ]; then
		kill -TERM "$apid" 2>/dev/null
		wait "$apid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# The same placement as make bench: the agent (and the echo server) on
# the last CPU, the clients on the first.
pin=() pin_server=() pin_client=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	server_cpu=$(($(nproc) - 1))
	pin=(-C "0,$server_cpu")
	pin_server=(taskset -c "$server_cpu")
	pin_client=(taskset -c 0)
fi

echo "## K=$K instances loaded into the agent's cache in one go (bench/disco-agent: discod's code without Avahi)"
# A free port on loopback for its /metrics.
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Bounded: the agent stops by itself after 30 minutes.
"${pin_server[@]}" "$top_builddir/bench/disco-agent" -s "$dir/agent.sock" \
    -t "$type" -k "$K" -w 1800 -m "127.0.0.1:$mport" >"$dir/agent.out" 2>&1 &
apid=$!
for ((i = 0; i < 600; i++)); do
	[ -s "$dir/agent.out" ] && break
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.1
done
line=$(head -n 1 "$dir/agent.out")
case $line in
"disco-agent: "*) echo "$line" ;;
*)
	echo "bench: disco-agent did not start: $line" >&2
	exit 1
	;;
esac
rss0=$(sed -n 's/.*RSS \([0-9]*\) -> .*/\1/p' <<<"$line")
rss1=$(rss_kb "$apid")
echo "memory: RSS $rss0 -> $rss1 kB, $(((rss1 - rss0) * 1024 / K)) bytes per instance"
# Every instance asked for by one client (resolve, both rings made, list
# by TXT): what the agent keeps for the instances then, index and reply
# texts included.
"$BENCH" load -s "$dir/agent.sock" -t "$type" -k "$K" -c 1 -n "$K" \
    -V resolve,pick-sticky,pick-rr,list "${pin[@]}" >/dev/null || exit 1
rss2=$(rss_kb "$apid")
echo "memory once one client asked for every instance: RSS $rss0 -> $rss2 kB, $(((rss2 - rss0) * 1024 / K)) bytes per instance"
# -R: after resolve, an echo server answering with as many bytes as
# resolve's replies (the row echo-BYTES): what the answer's size alone costs.
# resolve-whole: resolve with a field verb_resolve_fast does not take, the
# whole request path (what the fast way saves).
# -I: each verb's requests in BENCH_ROUNDS rounds alternating with rounds
# to the echo server, each verb's row after its own echo row: this
# machine's speed moves from one second to the next (the echo's own p50
# by half), and a verb timed seconds after its echo took that for its own.
out=$("$BENCH" load -s "$dir/agent.sock" -t "$type" -k "$K" \
    -c "$BENCH_CLIENTS" -n "$BENCH_REQUESTS" -I "${BENCH_ROUNDS_I:-10}" -R \
    -V resolve,resolve-whole,pick,pick-rr,pick-random,pick-sticky,list \
    "${pin[@]}") || exit 1
echo "$out"
"$BENCH" load -s "$dir/agent.sock" -t "$type" -k "$K" -c 1 \
    -n "${BENCH_LIST_ALL:-20}" -V list-all "${pin[@]}" | grep -v '^verb'
rss3=$(rss_kb "$apid")
echo "memory after the load runs: RSS $rss0 -> $rss3 kB, $(((rss3 - rss0) * 1024 / K)) bytes per instance"
echo

# Issue 21: does a Prometheus scraping /metrics ten times a second cost
# the clients anything?  32 clients' resolves without and with a scraper
# (on the clients' CPU), twice each, alternating.
echo "## resolve, 32 clients, without and with /metrics scraped 10 times a second"
scrape=$dir/scrape.py
cat >"$scrape" <<'PY'
import sys, time, urllib.request
n = 0
end = time.time() + float(sys.argv[2])	# bounded
while time.time() < end:
    urllib.request.urlopen(sys.argv[1], timeout=2).read()
    n += 1
    time.sleep(0.1)
print("scrapes", n)
PY
for round in 1 2; do
	for with in no yes; do
		spid=
		if [ "$with" = yes ]; then
			"${pin_client[@]}" python3 "$scrape" \
			    "http://127.0.0.1:$mport/metrics" 60 >"$dir/scrape.out" 2>&1 &
			spid=$!
			sleep 0.3
		fi
		line=$("$BENCH" load -s "$dir/agent.sock" -t "$type" -k "$K" \
		    -c 32 -n "$BENCH_REQUESTS" -V resolve "${pin[@]}" |
			awk '$1 == "resolve"')
		if [ -n "$spid" ]; then
			kill -TERM "$spid" 2>/dev/null
			wait "$spid" 2>/dev/null
		fi
		printf 'round %s, scraper %-3s: %s\n' "$round" "$with" "$line"
	done
done
# And its memory: a minute of ten scrapes a second.
rss4=$(rss_kb "$apid")
"${pin_client[@]}" python3 "$scrape" "http://127.0.0.1:$mport/metrics" 60 \
    >"$dir/scrape.out" 2>&1
rss5=$(rss_kb "$apid")
echo "a minute of scrapes ($(sed -n 's/^scrapes //p' "$dir/scrape.out") of them): RSS $rss4 -> $rss5 kB"
echo
echo "## Reading a request and writing a reply: discod's code next to json-c's, ns a line (bench/disco-parse)"
"${pin_server[@]}" "$top_builddir/bench/disco-parse" -n 200000 || exit 1
echo
echo "## Summary at K=$K (agent loaded in one go) against issue 20's targets"
printf '%s\n' "$out" | awk -v k="$K" '
    $1 == "resolve" && $2 == 1 {
	printf "K=%s 1 client: resolve p50 %.1f us = %.2fx echo (target <= 1.2x)\n", k, $5, $10 }
    $1 ~ /^echo-/ && $2 == 1 {
	printf "K=%s 1 client: an echo of resolve'"'"'s reply size (%s) p50 %.1f us = %.2fx echo\n", k, substr($1, 6) " bytes", $5, $10 }
    $1 ~ /^(pick|list)/ && $2 == 1 {
	printf "K=%s 1 client: %s p50 %.1f us = %.2fx echo (target <= 2x)\n", k, $1, $5, $10 }
    $2 == 32 && $1 !~ /^echo/ && $1 != "resolve-whole" {
	printf "K=%s 32 clients: %s %d/s = %.2fx echo (target >= 0.5x)\n", k, $1, $9, $11 }'
echo "K=$K memory: $(((rss2 - rss0) * 1024 / K)) bytes per instance with every instance asked for (target <= 1024)"
exit 0
