#!/bin/bash
# make bench-widearea, and step 7 of make bench: how fast a registration
# crosses subnets through the wide area (issue 23), next to how fast it
# reaches the same LAN over mDNS, both measured in the same run.  Needs
# root and etcd (Debian's etcd-server); top_srcdir and top_builddir in
# the environment.
#
# The lab of tests/lab/widearea.sh: hosts a and b on one LAN, c and d on
# another, joined by a router that forwards unicast and not multicast, and
# a 3-member etcd cluster behind it.  discod runs on a, b and c with a
# [wide-area] section (d has only its avahi-daemon: c's LAN has a
# responder besides c).  Watching _wbench._tcp, time-stamped:
#   - avahi-browse -rp on b: Avahi's own tool on a's LAN (the baseline);
#   - a disco-bench watch on b's discod, which has the service twice: from
#     the LAN (domain "local") and from etcd (domain "site");
#   - a disco-bench watch on c's discod, which only has it from etcd.
# BENCH_ROUNDS rounds (default 10): discoctl publish on a registers a
# service through a's discod (t0); once all three have it, a second later
# (t1) the publisher gets SIGTERM, which withdraws it, and all three must
# see it go.  Printed: ms after t0 (seen) and after t1 (gone) for each, and
# c minus b's avahi-browse (the wide area minus the LAN).
#
# Then, unless BENCH_WASIM=0, wasim_step (below) runs bench/disco-wasim on
# c against the same etcd cluster, when that program is built.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"

BENCH=$top_builddir/bench/disco-bench
CTL=$top_builddir/discoctl/discoctl
BENCH_ROUNDS=${BENCH_ROUNDS:-10}
TYPE=_wbench._tcp
PORT=9100

lab_require
for cmd in etcd etcdctl; do
	command -v "$cmd" >/dev/null || lab_unavailable "$cmd not installed"
done



# ms_since T0 T: T - T0 in ms, "-" when T is empty.
ms_since() {
	if [ -n "$2" ]; then
		echo $((($2 - $1) / 1000))
	else
		echo -
	fi
}

# Issue 23's 100-agent simulation: bench/disco-wasim on c, against the
# lab's etcd, while the three discods keep their sessions (their three
# watches are among the watchers it counts).  Bounded by
# BENCH_WASIM_TIMEOUT (600 s); BENCH_WASIM_AGENTS agents (100).
wasim_step() {
	echo "## ${BENCH_WASIM_AGENTS:-100} agents through etcd (disco-wasim)"
	lab_on c timeout "${BENCH_WASIM_TIMEOUT:-600}" \
	    "$top_builddir/bench/disco-wasim" -e "$(lab_etcd_endpoints)" \
	    -n "${BENCH_WASIM_AGENTS:-100}"
	echo
}

echo "# disco wide-area bench, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
echo "# avahi: $(avahi-daemon --version 2>/dev/null), etcd: $(etcd --version 2>/dev/null | awk 'NR == 1 { print $NF }')"

lab_up_routed a b -- c d >/dev/null ||
	{ echo "bench: the lab did not come up" >&2; exit 1; }
lab_etcd_start || { echo "bench: etcd did not come up" >&2; exit 1; }
for h in a b c; do
	cat >>"$(lab_hostdir "$h")/discod.conf" <<EOF
[wide-area]
endpoints = $(lab_etcd_endpoints)
host = $h
lease-ttl = 5
timeout-ms = 1000
EOF
	lab_discod_start "$h" || exit 1
done
# shellcheck disable=SC2317 # called through wait_for
wa_up() {
	[ "$(lab_wa_status "$1" state)" = up ]
}
for h in a b c; do
	wait_for 20 wa_up "$h" || {
		echo "bench: $h's wide-area session is not up within 20 s" >&2
		exit 1
	}
done

# The watchers, time-stamped (the discod ones end by themselves after
# 900 s; avahi-browse is stopped by its PID below).
# avahi-browse runs inside b; its lines go to disco-bench stamp (no
# network: it only reads them) through a pipe of this shell, so that
# each has a PID of its own to be stopped by (a "sh -c 'x | y'" would
# leave both behind when sh is stopped).
blog=$(lab_hostdir b)/browse.log
exec {bfd}> >(exec "$BENCH" stamp >"$blog")
stamp_pid=$!
LAB_PIDS+=("$stamp_pid")
lab_cmd b stdbuf -oL avahi-browse -r -p -k "$TYPE"
"${LAB_CMD[@]}" 1>&"$bfd" 2>"$(lab_hostdir b)/browse.err" &
browse_pid=$!
LAB_PIDS+=("$browse_pid")
exec {bfd}>&-
# etcd's own tool on c, the floor of the etcd path: etcdctl watch on the
# keys a's discod writes, its lines stamped the same way ("PUT" or
# "DELETE", then the key, then the value).
elog=$(lab_hostdir c)/etcdctl-watch.log
exec {efd}> >(exec "$BENCH" stamp >"$elog")
estamp_pid=$!
LAB_PIDS+=("$estamp_pid")
lab_etcdctl_argv "$(lab_etcd_endpoints)"
lab_cmd c "${LAB_ETCDCTL[@]}" watch --prefix "/disco/a/$TYPE/"
"${LAB_CMD[@]}" 1>&"$efd" 2>"$(lab_hostdir c)/etcdctl-watch.err" &
ewatch_pid=$!
LAB_PIDS+=("$ewatch_pid")
exec {efd}>&-
# etcd_us EVENT NAME: when etcdctl watch on c printed NAME's key after
# EVENT (PUT or DELETE).
etcd_us() {
	awk -v ev="$1" -v key="/disco/a/$TYPE/$2" \
	    'prev == ev && $2 == key { print $1; exit } { prev = $2 }' "$elog"
}
lab_spawn b watch "$BENCH" watch -s "$(lab_hostdir b)/discod.sock" -t "$TYPE" -w 900
bwatch=$LAB_LAST_PID
bwlog=$(lab_hostdir b)/watch.log
lab_spawn c watch "$BENCH" watch -s "$(lab_hostdir c)/discod.sock" -t "$TYPE" -w 900
cwatch=$LAB_LAST_PID
cwlog=$(lab_hostdir c)/watch.log
if ! wait_for 10 grep -q snapshot "$bwlog" ||
    ! wait_for 10 grep -q snapshot "$cwlog"; then
	echo "bench: the watchers did not start" >&2
	exit 1
fi
sleep 1		# avahi-browse's querier in place

# Where the time goes.  discoctl publish sends a register to a's discod,
# which hands the wish to its Avahi thread and, in the same call, to the
# wide area: announce_wish() in src/announce.c calls widearea_announce()
# (src/widearea.c), which queues the etcd put (wa_sync) at once, before
# Avahi has probed the name (RFC 6762: three probes 250 ms apart, then
# the announcement), so c may well have it before b's avahi-browse does.
# On withdrawal, announce_free() deletes the key at once too, while the
# LAN's goodbye is followed by the peers' one-second expiry of records
# with TTL 0.  The flip side: the name goes to etcd before Avahi knows it
# is free on the LAN; after a rename, the old key is deleted and the new
# one put.
echo
echo "## Wide area: discoctl publish on a, seen on b (a's LAN) and on c (the other subnet, only through etcd)"
echo "# avahi-b: avahi-browse -rp on b (mDNS); disco-b: b's discod, domain local (mDNS);"
echo "# etcdctl-c: etcdctl watch on c (etcd's own tool: the floor of the etcd path);"
echo "# etcd-c: c's discod, domain site (etcd); c-avahi: etcd-c minus avahi-b"
printf '%-6s | %-49s | %s\n' "" "seen, ms after publish started" \
    "gone, ms after publish was stopped"
printf '%-6s | %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n' round avahi-b \
    disco-b etcdctl-c etcd-c c-avahi avahi-b disco-b etcdctl-c etcd-c c-avahi
# Each column's figures, space-separated, for the medians.
cols=(sa sd se sc sx ga gd ge gc gx)
declare -A all
bsite=
# all_three MARK EVENT: avahi-browse on b printed MARK (= or -) for
# $name, and b's and c's discod watchers the EVENT (add or remove).
# shellcheck disable=SC2317 # called through wait_for
all_three() {
	grep -q " $1;[^;]*;[^;]*;$name;$TYPE;" "$blog" &&
	    grep "\"event\":\"$2\"" "$bwlog" | grep -qF "$local_re" &&
	    grep "\"event\":\"$2\"" "$cwlog" | grep -qF "$site_re"
}
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	name=wb-$r
	local_re="\"name\":\"$name\",\"type\":\"$TYPE\",\"domain\":\"local\""
	site_re="\"name\":\"$name\",\"type\":\"$TYPE\",\"domain\":\"site\""
	t0=$(now_us)
	lab_spawn a "pub-$r" "$CTL" -s "$(lab_hostdir a)/discod.sock" \
	    publish "$name" "$TYPE" "$PORT" "r=$r"
	ppid=$LAB_LAST_PID
	wait_for 20 all_three = add ||
		echo "# round $r: not seen by all three within 20 s" >&2
	ta=$(first_us "$blog" " =;" ";$name;$TYPE;")
	td=$(first_us "$bwlog" '"event":"add"' "$local_re")
	tc=$(first_us "$cwlog" '"event":"add"' "$site_re")
	tbs=$(first_us "$bwlog" '"event":"add"' "$site_re")
	te=$(etcd_us PUT "$name")
	sleep 1
	t1=$(now_us)
	lab_stop "$ppid"
	wait_for 20 all_three - remove ||
		echo "# round $r: removal not seen by all three within 20 s" >&2
	tag=$(first_us "$blog" " -;" ";$name;$TYPE;")
	tdg=$(first_us "$bwlog" '"event":"remove"' "$local_re")
	tcg=$(first_us "$cwlog" '"event":"remove"' "$site_re")
	teg=$(etcd_us DELETE "$name")
	sa=$(ms_since "$t0" "$ta") sd=$(ms_since "$t0" "$td")
	sc=$(ms_since "$t0" "$tc") se=$(ms_since "$t0" "$te")
	ga=$(ms_since "$t1" "$tag") gd=$(ms_since "$t1" "$tdg")
	gc=$(ms_since "$t1" "$tcg") ge=$(ms_since "$t1" "$teg")
	sx=- gx=-
	[ -z "$ta" ] || [ -z "$tc" ] || sx=$(((tc - ta) / 1000))
	[ -z "$tag" ] || [ -z "$tcg" ] || gx=$(((tcg - tag) / 1000))
	[ -z "$tbs" ] || bsite+=" $(((tbs - t0) / 1000))"
	printf '%-6s | %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n' "$r" \
	    "$sa" "$sd" "$se" "$sc" "$sx" "$ga" "$gd" "$ge" "$gc" "$gx"
	for c in "${cols[@]}"; do
		[ "${!c}" = - ] || all[$c]+=" ${!c}"
	done
	sleep 0.5
done
meds=()
for c in "${cols[@]}"; do
	m=$(tr ' ' '\n' <<<"${all[$c]:-}" | grep . | median)
	meds+=("${m:--}")
done
printf '%-6s | %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n' median \
    "${meds[@]}"
echo "median, wide area minus LAN (c's discod minus b's avahi-browse): seen ${meds[4]} ms, gone ${meds[9]} ms"
m=$(tr ' ' '\n' <<<"$bsite" | grep . | median)
echo "(b's discod also had it through etcd, domain site: median ${m:--} ms after publish started)"
echo
lab_stop "$bwatch"
lab_stop "$cwatch"
lab_stop "$browse_pid"
lab_stop "$stamp_pid"	# it ends by itself at avahi-browse's end
lab_stop "$ewatch_pid"
lab_stop "$estamp_pid"

if [ "${BENCH_WASIM:-1}" != 0 ]; then
	if [ -x "$top_builddir/bench/disco-wasim" ]; then
		wasim_step
	else
		echo "# disco-wasim not built: the 100-agent step is skipped"
	fi
fi
lab_down
trap - EXIT	# done: lab_down has nothing left to undo
exit 0
