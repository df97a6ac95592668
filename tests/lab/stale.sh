#!/bin/bash
# Stale peers: when b's avahi-daemon is killed with -9, or b's link is cut
# (no goodbye either way), a stops returning b's instances from resolve
# and pick within 5 s and removes them within 10 s; a live instance on c
# stays in a's answers throughout.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

RUNS=3
SECONDS=0
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
lab_dnssd b "Stale via discod" _stale._tcp 6001
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }
sa=$(lab_hostdir a)/discod.sock
lab_spawn c live avahi-publish -s "Live C" _stale._tcp 6100
plan $((RUNS * 2 + 4 + 2))

# liveness COUNTER: that counter of a's prober, or nothing.
liveness() {
	lab_liveness a "$1" 2>/dev/null
}
sent0=$(liveness queries_sent) answers0=$(liveness answers)
diag "prober before the faults: ${sent0:-?} queries sent, ${answers0:-?} answers"

# The live instance on c, resolved every 200 ms for the whole test.
lab_on a python3 -c '
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
ok = bad = 0
seen = False
while True:
    try:
        f.write(json.dumps({"verb": "resolve", "name": "Live C",
                            "type": "_stale._tcp"}) + "\n"); f.flush()
        r = json.loads(f.readline())
    except (OSError, ValueError):
        break		# the lab is going away
    if r["ok"]: seen = True
    if seen:
        if r["ok"]: ok += 1
        else: bad += 1
    print(ok, bad, flush=True)
    time.sleep(0.2)' "$sa" >"$LAB_DIR/live.out" &
live=$!
LAB_PIDS+=("$live")

measure() {	# NAME COMMAND...: "RESOLVE_MS REMOVE_MS"
	local name=$1
	shift
	lab_stale_measure a "$name" _stale._tcp "$@"
}

back() {
	lab_ctl a resolve "Stale via discod" _stale._tcp >/dev/null 2>&1
}
resolves=() removes=()
for run in $(seq 1 "$RUNS"); do
	lab_wait 20 back || diag "run $run: b's discod service not seen on a"
	lab_spawn b "pub$run" avahi-publish -s "Stale B$run" _stale._tcp 6000
	pub=$LAB_LAST_PID
	# Run 1 times the instance b's discod announced, the others the plain
	# avahi-publish one; each run checks the other is out too.
	if [ "$run" = 1 ]; then
		timed="Stale via discod" other="Stale B$run"
	else
		timed="Stale B$run" other="Stale via discod"
	fi
	other_in=yes
	lab_wait 20 lab_ctl a resolve "$other" _stale._tcp || other_in=no
	t=$(measure "$timed" kill -KILL "$(lab_avahi_pid b)")
	check "run $run: avahi-daemon on b killed -9: \"$timed\" out of resolve in ${t%% *} ms (<= 5000), removed in ${t##* } ms (<= 10000)" lab_stale_within "$t"
	resolves+=("${t%% *}")
	removes+=("${t##* }")
	# It was in before the fault, and now resolve answers "not-found"
	# (not merely fails).
	other_out() {
		[ "$other_in" = yes ] || { echo "\"$other\" never resolved before the fault"; return 1; }
		lab_ctl a -j resolve "$other" _stale._tcp | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
print(r)
sys.exit(r.get("ok") is not False or r["error"]["code"] != "not-found")'
	}
	check "run $run: \"$other\" (resolved before the fault: $other_in) is out too" other_out
	lab_stop "$pub"
	lab_avahi_start b || diag "avahi-daemon on b did not come back"
done

# Cut b's link instead.
lab_spawn b publink avahi-publish -s "Stale Link" _stale._tcp 6002
check_wait 20 "b back: its discod's service is seen again" back
# pick_host: the host of the instance a pick on a returns; fails when
# the pick does (no reply, or an error reply).
pick_host() {
	local out
	out=$(lab_ctl a -j pick _stale._tcp) || return 1
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(1) if r.get("ok") is not True else print(r["instance"]["host"])' "$out"
}
pick_b() {
	[ "$(pick_host)" = lab-b.local ]
}
# Twenty picks: each answers, none with one of b's instances.
pick_not_b() {
	local i h
	for i in $(seq 1 20); do
		h=$(pick_host) || { echo "pick $i failed"; return 1; }
		if [ -z "$h" ] || [ "$h" = lab-b.local ]; then
			echo "pick $i: ${h:-no host}"
			return 1
		fi
	done
}
pick_out() {
	[ "$picked_b" = yes ] && pick_not_b
}
# Before the cut, pick does return b's instances (weighted at random:
# asked until one comes).
picked_b=yes
lab_wait 20 pick_b || picked_b=no
t=$(measure "Stale Link" ip -n "$(lab_ns b)" link set eth0 down)
check "b's link cut: out of resolve in ${t%% *} ms, removed in ${t##* } ms" lab_stale_within "$t"
resolves+=("${t%% *}")
removes+=("${t##* }")
check "pick returned b's instances before the cut ($picked_b), and no longer does (20 picks, all answered)" \
    pick_out
ip -n "$(lab_ns b)" link set eth0 up
check_wait 20 "b's link back: its instances return" back

# STALE_SOAK=SECONDS keeps the live check on c running that long in all.
if [ -n "${STALE_SOAK:-}" ]; then
	left=$((STALE_SOAK - SECONDS))
	[ "$left" -gt 0 ] && sleep "$left"
fi
median() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
diag "out of resolve/pick (ms): ${resolves[*]}, median $(median "${resolves[@]}")"
diag "removed (ms): ${removes[*]}, median $(median "${removes[@]}")"
read -r okc badc <<<"$(tail -n 1 "$LAB_DIR/live.out")"
check "the live instance on c answered every time (${okc:-0} resolves, ${badc:-?} misses)" \
    test "${badc:-1}" = 0 -a "${okc:-0}" -gt 100
status=$(lab_ctl a -j status | python3 -c '
import json, sys; print(json.load(sys.stdin)["liveness"])')
diag "liveness: $status"
sent1=$(liveness queries_sent) answers1=$(liveness answers)
check "the prober ran: queries sent ${sent0:-?} -> ${sent1:-?}, answers ${answers0:-?} -> ${answers1:-?}, both grew" \
    test "${sent1:-none}" -gt "${sent0:-none}" -a "${answers1:-none}" -gt "${answers0:-none}"
