#!/bin/bash
# make bench: what clients of discod feel, each figure next to a baseline
# measured in the same run on the same machine.  Needs root (it builds the
# test lab: hosts a, b, c in network namespaces, each with its own D-Bus and
# avahi-daemon; discod runs on a with its default configuration).
#
#  1. discod's memory: RSS at start, per idle connection, per instance.
#  2. Load: disco-bench load against K instances (BENCH_K, default
#     "10 1000 2000": 2000 is the size that fills in about a minute;
#     10000 takes Avahi 17 to 40 minutes) of a type that a peer host
#     announces from avahi service files (real mDNS, resolved into a's
#     cache), next to a bare Unix-socket echo server.  Each K has a peer
#     host of its own (two for 2000).  Up to
#     1000, its avahi-daemon starts with the service files in place
#     (avahi reloads its whole service directory on every change, and a
#     reload of thousands of files stalls it for seconds).  Above that,
#     the peer's own discod registers them for one client over its
#     socket: one avahi-daemon loading 10000 files did not finish in 4
#     minutes here, and ten peers of 1000 each (twelve avahi-daemons on
#     two cores, each processing all the others' traffic) did not either.
#  3. End to end: a service that avahi-publish announces on b, first seen
#     by a watcher on a's discod and by avahi-browse -rp on a; its goodbye,
#     likewise (BENCH_ROUNDS rounds, default 10).
#  4. The K instances of each step: all resolved in a's cache, against a
#     persistent avahi-browse -rp on a, from the peer's avahi-daemon start.
#     Meanwhile disco-bench probe resolves an instance already in the
#     cache (probe-target, which avahi-publish announces on b) every
#     20 ms: what an application feels while the cache fills.
#  5. DNS: disco-bench dns on a, UDP queries for the addresses of each K's
#     type (bkK.service.disco A) to discod's DNS interface (its default
#     127.0.0.1:8653), next to disco-bench udpecho on 127.0.0.1:8654 (a
#     UDP server that returns each datagram as is) with the same queries.
#  6. The agent's code with BENCH_AGENT_K instances (default 10000) loaded
#     into its cache in one go, every verb timed next to the echo server,
#     and its memory per instance (bench/agent.sh; make bench-agent runs
#     it alone, in seconds).
#  7. The wide area (bench/widearea.sh; make bench-widearea runs it
#     alone): a registration on a seen on c, another subnet, through etcd,
#     next to the same LAN's mDNS time on b.  BENCH_WIDEAREA=0 leaves it
#     out; skipped when etcd is not installed.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"

BENCH=$top_builddir/bench/disco-bench
BENCH_K=${BENCH_K:-"10 1000 2000"}
BENCH_ROUNDS=${BENCH_ROUNDS:-10}
BENCH_REQUESTS=${BENCH_REQUESTS:-20000}
BENCH_CLIENTS=${BENCH_CLIENTS:-1,8,32,256}
BENCH_IDLE=${BENCH_IDLE:-1000}
BENCH_DNS_CLIENTS=${BENCH_DNS_CLIENTS:-1,8,32}

# a's avahi-daemon must hold every record of 10000 services from a peer
# (a PTR, SRV and TXT each, and the address records): its default cache
# of 4096 entries would drop most of them.  A peer that registers 10000
# services for one client needs as many Avahi objects for it.
LAB_AVAHI_SERVER="cache-entries-max=65536
objects-per-client-max=30000${BENCH_AVAHI_EXTRA:+
$BENCH_AVAHI_EXTRA}"
# Peer hosts p0, p1, ...: one per K; service files up to FILES_MAX per
# peer.  A K of up to BENCH_FILE_PEERS times that is shared by as many
# peers (p1, p1x1, ...) starting with their files in place: 2000 this way
# fill a's cache in about a minute, where one peer's discod registering
# them takes minutes (Avahi announces each registration on its own).
FILES_MAX=1000
BENCH_FILE_PEERS=${BENCH_FILE_PEERS:-2}
peer_hosts=()
# file_peers K STEP: the peers that announce K from files, none if K
# goes through a discod.
file_peers() {
	local n=$((($1 + FILES_MAX - 1) / FILES_MAX)) j
	[ "$n" -le "$BENCH_FILE_PEERS" ] || return 0
	printf 'p%s\n' "$2"
	for ((j = 1; j < n; j++)); do
		printf 'p%sx%s\n' "$2" "$j"
	done
}
step=0
for k in $BENCH_K; do
	peer_hosts+=("p$step")
	while read -r extra; do
		[ "$extra" = "p$step" ] || peer_hosts+=("$extra")
	done < <(file_peers "$k" "$step")
	step=$((step + 1))
done
LAB_NO_AVAHI="${peer_hosts[*]}"
lab_up a b "${peer_hosts[@]}" >/dev/null || { echo "bench: the lab did not come up" >&2; exit 1; }
sock=$(lab_hostdir a)/discod.sock

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}


# probe_line WHAT LOG: disco-bench probe's summary in LOG, as one line.
probe_line() {
	awk -v what="$1" '/^probe:/ { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1); n++ }
	    END {
		if (n == 0) { print what ": no summary"; exit }
		printf "%s: %d resolves, p50 %s us, max %s us, over 100 ms %d, errors %d, not found %d\n",
		    what, v["resolves"], v["p50_us"], v["max_us"], v["over_100ms"], v["errors"], v["not_found"] }' "$2"
}


echo "# disco bench, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
echo "# avahi: $(avahi-daemon --version 2>/dev/null)"
echo

# The default configuration, but for two settings.  A larger
# client-output-max: the watchers that time events share the two busy
# cores, and a burst of 10000 events would otherwise get them dropped for
# falling 1 MiB behind.  And no liveness probing.  discod's own prober no
# longer stalls (its avahi-client calls run on a thread of their own,
# issue 17), but the peers' responders do: while one peer announces 10000
# services, its avahi-daemon and even b's answered no query for 30 to 60 s
# (a run with probing on and 30 s/60 s thresholds, 2026-12-02), so the
# prober rightly took them for gone and the load runs met an emptied
# cache (19970 of 20000 resolves not found).  tests/lab/stale.sh measures
# the prober.
cat >"$(lab_hostdir a)/discod.conf" <<X
[control]
client-output-max = 64M
[liveness]
probe = 0
X
lab_discod_start a || exit 1
pid=$(lab_discod_pid a)
apid=$(lab_avahi_pid a)
# Servers (discod and the echo server) on the last CPU, the clients on the
# first: the same placement for both, run after run.
pin=() pin_client=() pin_server=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	server_cpu=$(($(nproc) - 1))
	taskset -pc "$server_cpu" "$pid" >/dev/null
	pin=(-C "0,$server_cpu")
	pin_client=(taskset -c 0)
	pin_server=(taskset -c "$server_cpu")
	echo "# discod and the echo server on CPU $server_cpu, clients on CPU 0"
fi
# Persistent avahi-browse -rp on a for the bench types, time-stamped.
lab_spawn a browse sh -c "stdbuf -oL avahi-browse -a -r -p -k | \
    $BENCH stamp"
browse_log=$(lab_hostdir a)/browse.log
sleep 1

echo "## Memory"
echo "discod RSS at start: $(rss_kb "$pid") kB (avahi-daemon on a: $(rss_kb "$apid") kB)"
"$BENCH" idle -s "$sock" -P "$pid" -n "$BENCH_IDLE" || exit 1
echo

echo "## End to end: avahi-publish on b, seen on a (ms after avahi-publish started / was stopped)"
wlog=$(lab_hostdir a)/watch-e2e.log
lab_spawn a watch-e2e "$BENCH" watch -s "$sock" -t _e2e._tcp -w 900
e2e_watcher=$LAB_LAST_PID
sleep 0.5
printf '%-6s %12s %12s %8s   %12s %12s %8s\n' round "avahi-seen" "disco-seen" \
    "diff" "avahi-gone" "disco-gone" "diff"
seen_diffs=()
gone_diffs=()
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	name=e2e-$r
	t0=$(now_us)
	lab_spawn b "pub-$r" avahi-publish -s "$name" _e2e._tcp 9000 "r=$r"
	ppid=$LAB_LAST_PID
	wait_for 20 sh -c "grep -q '\"name\":\"$name\"' '$wlog' &&
	    grep -q ' =;[^;]*;[^;]*;$name;_e2e._tcp;' '$browse_log'" ||
	    echo "# round $r: not seen by both within 20 s" >&2
	ta=$(first_us "$browse_log" " =;" ";$name;_e2e._tcp;")
	td=$(first_us "$wlog" '"event":"add"' "\"name\":\"$name\"")
	sleep 1
	t1=$(now_us)
	lab_stop "$ppid"
	wait_for 20 sh -c "grep '\"event\":\"remove\"' '$wlog' | grep -q '\"name\":\"$name\"' &&
	    grep -q ' -;[^;]*;[^;]*;$name;_e2e._tcp;' '$browse_log'" ||
	    echo "# round $r: goodbye not seen by both within 20 s" >&2
	tag=$(first_us "$browse_log" " -;" ";$name;_e2e._tcp;")
	tdg=$(first_us "$wlog" '"event":"remove"' "\"name\":\"$name\"")
	if [ -z "$ta" ] || [ -z "$td" ] || [ -z "$tag" ] || [ -z "$tdg" ]; then
		echo "$r: incomplete (avahi $ta/$tag disco $td/$tdg)"
		continue
	fi
	sa=$(((ta - t0) / 1000)) sd=$(((td - t0) / 1000))
	ga=$(((tag - t1) / 1000)) gd=$(((tdg - t1) / 1000))
	printf '%-6s %12d %12d %+8d   %12d %12d %+8d\n' "$r" "$sa" "$sd" \
	    $((sd - sa)) "$ga" "$gd" $((gd - ga))
	seen_diffs+=($((sd - sa)))
	gone_diffs+=($((gd - ga)))
	sleep 0.5
done
echo "median difference, disco minus avahi-browse: seen $(printf '%s\n' "${seen_diffs[@]}" | median) ms, gone $(printf '%s\n' "${gone_diffs[@]}" | median) ms"
echo
lab_stop "$e2e_watcher"

# What disco-bench probe resolves during each fill: in a's cache before.
probe_name=probe-target
probe_type=_bprobe._tcp
lab_spawn b probe-target avahi-publish -s "$probe_name" "$probe_type" 7000
wait_for 20 lab_ctl a resolve "$probe_name" "$probe_type" ||
	echo "# $probe_name not resolved on a within 20 s" >&2

declare -A load_out
step=0
for k in $BENCH_K; do
	type=_bk$k._tcp
	peer=p$step
	step=$((step + 1))
	how="avahi service files, from its avahi-daemon's start"
	mapfile -t fpeers < <(file_peers "$k" "$((step - 1))")
	if [ "${#fpeers[@]}" -gt 0 ]; then
		j=0
		for fp in "${fpeers[@]}"; do
			last=$(((j + 1) * FILES_MAX))
			[ "$last" -le "$k" ] || last=$k
			lab_service_files "$fp" "$type" bench- \
			    $((j * FILES_MAX + 1)) "$last"
			j=$((j + 1))
		done
		[ "${#fpeers[@]}" = 1 ] ||
			how="avahi service files on ${#fpeers[@]} peers, from their avahi-daemons' start"
	else
		how="registered by one client through its discod"
		: >"$(lab_hostdir "$peer")/discod.conf"
	fi
	log=$(lab_hostdir a)/watch-$k.log
	lab_spawn a "watch-$k" "$BENCH" watch -s "$sock" -t "$type" -n "$k" \
	    -w 2400
	wpid=$LAB_LAST_PID
	sleep 0.5
	rss0=$(rss_kb "$pid")
	arss0=$(rss_kb "$apid")
	plog=$(lab_hostdir a)/probe-$k.log
	lab_spawn a "probe-$k" "$BENCH" probe -s "$sock" -n "$probe_name" \
	    -t "$probe_type" -i 20 -w 2400 -v
	probe_pid=$LAB_LAST_PID
	elog=$(lab_hostdir a)/probe-echo-$k.log
	lab_spawn a "probe-echo-$k" "$BENCH" probe -E -n "$probe_name" \
	    -t "$probe_type" -i 20 -w 2400
	echo_probe_pid=$LAB_LAST_PID
	if [ "${#fpeers[@]}" -gt 0 ]; then
		t0=$(now_us)
		for fp in "${fpeers[@]}"; do
			lab_spawn "$fp" avahi avahi-daemon \
			    -f "$(lab_hostdir "$fp")/avahi.conf" \
			    --no-rlimits --no-chroot --no-proc-title --no-drop-root
		done
	else
		lab_avahi_start "$peer" && lab_discod_start "$peer" || exit 1
		t0=$(now_us)
		cat >"$(lab_hostdir "$peer")/register.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
f = s.makefile()
for i in range(1, int(sys.argv[3]) + 1):
    s.sendall(json.dumps({"verb": "register", "name": "bench-%d" % i,
                          "type": sys.argv[2], "port": 7000,
                          "txt": ["n=%d" % i]}).encode() + b"\n")
    r = json.loads(f.readline())
    if not r.get("ok"):
        print(r, flush=True)
        sys.exit(1)
time.sleep(3600)	# the registrations live as long as this connection
PY
		lab_spawn "$peer" register python3 \
		    "$(lab_hostdir "$peer")/register.py" \
		    "$(lab_hostdir "$peer")/discod.sock" "$type" "$k"
	fi
	# Bounded: the watcher gives up after 2400 s.
	wait "$wpid" 2>/dev/null
	lab_stop "$probe_pid"	# it prints its summary on SIGTERM
	lab_stop "$echo_probe_pid"
	tdisco=$(awk '/"event":"add"/ { t = $1 } END { print t }' "$log")
	ndisco=$(grep -c '"event":"add"' "$log")
	# avahi-browse: each name's first resolution, over either family.
	wait_for 300 sh -c "[ \$(awk -F';' '\$1 ~ / =\$/ && \$5 == \"$type\" { print \$4 }' '$browse_log' | sort -u | wc -l) -ge $k ]"
	read -r navahi tavahi < <(awk -F';' -v t="$type" \
	    '$1 ~ / =$/ && $5 == t && !seen[$4]++ { split($1, f, " "); last = f[1]; n++ }
	     END { print n + 0, last }' "$browse_log")
	sleep 2		# let both settle before reading memory
	rss1=$(rss_kb "$pid")
	arss1=$(rss_kb "$apid")
	echo "## K=$k instances of $type, announced by peer $peer ($how)"
	printf 'all resolved in a'"'"'s discod cache: %d of %d in %d ms; ' \
	    "$ndisco" "$k" $(((${tdisco:-$t0} - t0) / 1000))
	printf 'avahi-browse -rp on a: %d of %d in %d ms\n' \
	    "$navahi" "$k" $(((${tavahi:-$t0} - t0) / 1000))
	probe_line "resolve every 20 ms while the cache filled" "$plog"
	probe_line "the same to an echo server beside it (the floor)" "$elog"
	echo "memory: discod RSS $rss0 -> $rss1 kB, $(((rss1 - rss0) * 1024 / k)) bytes per instance; avahi-daemon on a $arss0 -> $arss1 kB, $(((arss1 - arss0) * 1024 / k)) bytes per instance"
	# Every instance asked for, by one client (resolve, both rings made,
	# list by TXT): what discod keeps for the instances then, its index
	# and reply texts included, before many clients' buffers come and go.
	"$BENCH" load -s "$sock" -t "$type" -k "$k" -c 1 -n "$k" \
	    -V resolve,pick-sticky,pick-rr,list "${pin[@]}" >/dev/null
	rss2=$(rss_kb "$pid")
	echo "memory once one client asked for every instance: discod RSS $rss0 -> $rss2 kB, $(((rss2 - rss0) * 1024 / k)) bytes per instance"
	load_out[$k]=$("$BENCH" load -s "$sock" -t "$type" -k "$k" \
	    -c "$BENCH_CLIENTS" -n "$BENCH_REQUESTS" "${pin[@]}")
	echo "${load_out[$k]}"
	# A whole type listed (issue 20: the bytes a second out of discod,
	# which should not fall as K grows).
	"$BENCH" load -s "$sock" -t "$type" -k "$k" -c 1 \
	    -n "${BENCH_LIST_ALL:-20}" -V list-all "${pin[@]}" |
		grep -v '^verb'
	rss3=$(rss_kb "$pid")
	echo "memory after the load runs (client buffers freed but kept by malloc): discod RSS $rss0 -> $rss3 kB"
	echo
done

# The UDP echo on a: the floor for DNS, as the Unix-socket echo is for
# the protocol.  Bounded: it stops by itself after an hour.
echo "## DNS: UDP queries to a's discod (127.0.0.1:8653), next to a UDP echo (127.0.0.1:8654)"
lab_spawn a udpecho "${pin_server[@]}" "$BENCH" udpecho -a 127.0.0.1 \
    -p 8654 -w 3600
udpecho_pid=$LAB_LAST_PID
sleep 0.5
declare -A dns_out
step=0
for k in $BENCH_K; do
	name=bk$k.service.disco
	echo "### $name A: the address of peer p$step, from K=$k instances"
	step=$((step + 1))
	dns_out[$k]=$(lab_on a "${pin_client[@]}" "$BENCH" dns -a 127.0.0.1 \
	    -p 8653 -E 8654 -n "$name" -q A -c "$BENCH_DNS_CLIENTS" \
	    -r "$BENCH_REQUESTS")
	echo "${dns_out[$k]}"
done
lab_stop "$udpecho_pid"
echo

echo "## Summary against the targets (doc/performance.md)"
for k in $BENCH_K; do
	printf '%s\n' "${load_out[$k]}" | awk -v k="$k" '
	    $1 == "echo" { ep50 = $5; erate = $9 }
	    $1 == "resolve" && $2 == 1 {
		printf "K=%s 1 client: resolve p50 %.1f us = %.2fx echo (target <= 1.2x)\n", k, $5, $10 }
	    $1 == "resolve" && $2 == 32 {
		printf "K=%s 32 clients: resolve %d/s = %.2fx echo (target >= 0.5x)\n", k, $9, $11 }
	    $1 ~ /^(pick|list)/ && $2 == 1 {
		printf "K=%s 1 client: %s p50 %.1f us = %.2fx echo (target <= 2x)\n", k, $1, $5, $10 }
	    $1 ~ /^(pick|list)/ && $2 == 32 {
		printf "K=%s 32 clients: %s %d/s = %.2fx echo (target >= 0.5x)\n", k, $1, $9, $11 }'
	printf '%s\n' "${dns_out[$k]}" | awk -v k="$k" '
	    $1 == "dns" && $2 == 1 {
		printf "K=%s 1 client: dns A p50 %.1f us = %.2fx UDP echo\n", k, $4, $9 }
	    $1 == "dns" && $2 == 32 {
		printf "K=%s 32 clients: dns A %d/s = %.2fx UDP echo\n", k, $8, $10 }'
done
echo

# 6. The agent's code with BENCH_AGENT_K (default 10000) instances loaded
# in one go (bench/agent.sh), with the lab down so that its idle daemons
# do not share the cores.  BENCH_AGENT_K=0 leaves it out.
lab_down
if [ "${BENCH_AGENT_K:-10000}" != 0 ]; then
	top_builddir=$top_builddir bash "$top_srcdir/bench/agent.sh" || exit 1
fi

# 7. The wide area (bench/widearea.sh, a lab of its own).
if [ "${BENCH_WIDEAREA:-1}" != 0 ]; then
	echo
	if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
		env top_srcdir="$top_srcdir" top_builddir="$top_builddir" \
		    bash "$top_srcdir/bench/widearea.sh" || exit 1
	else
		echo "# etcd not installed: the wide-area step is skipped"
	fi
fi
exit 0
