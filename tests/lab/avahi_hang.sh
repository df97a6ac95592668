#!/bin/bash
# A hung avahi-daemon, then a hung D-Bus, under a's discod (each stopped
# with SIGSTOP for 40 s): the socket's answers do not wait for them.  A
# client that resolves a cached instance every 20 ms is answered within
# 100 ms throughout and never gets an error; three registrations made
# during the hang are answered at once, "waiting" (Avahi has not
# answered); status answers at once and says that Avahi is not responsive
# and for how long; and once the daemon runs again, b sees the three
# names within 5 s, each announced once, while a fourth, registered and
# withdrawn during the hang, never reaches the network (what is queued
# for Avahi is its latest wish, not a log of calls).  Before discod made its avahi-client calls (blocking
# D-Bus round trips with a 25 s timeout) on a thread of their own (issue
# 17), the same hang of avahi-daemon gave: resolve p50 0.34 ms but max
# 25,013 ms, and registers answered after 25.0 s and 14.8 s.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CLIENT=$top_srcdir/tests/lab/clients/hang_client.py
BENCH=$top_builddir/bench/disco-bench
FREEZE=40		# seconds each daemon stays stopped
PEER="Peer B"		# b's instance, in a's cache before the hang
PEER_TYPE=_hang._tcp
REG_TYPE=_hangreg._tcp	# what a's client registers during the hang

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
# A daemon left stopped would hang the lab's teardown: SIGCONT first.
frozen=
thaw() {
	[ -n "$frozen" ] && kill -CONT "$frozen" 2>/dev/null
	frozen=
	return 0
}
trap 'thaw; lab_down' EXIT
[ -x "$BENCH" ] || { echo "Bail out! $BENCH is not built (make)"; exit 1; }
da=$(lab_hostdir a)
sa=$da/discod.sock
lab_spawn b peer avahi-publish -s "$PEER" "$PEER_TYPE" 7001
lab_browse_start b
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
pid=$(lab_discod_pid a)
plan 25

now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# sleep_until MS: sleep until now_ms reaches MS.
sleep_until() {
	local left=$(($1 - $(now_ms)))
	[ "$left" -gt 0 ] || return 0
	sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

# below VALUE LIMIT: VALUE is a number less than LIMIT.
below() {
	awk -v v="$1" -v l="$2" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 < l + 0) }'
}

is_int() {
	[[ $1 =~ ^[0-9]+$ ]]
}

# "MS RESPONSIVE STALLED_MS STALLS QUEUED" from a's status.  It talks to
# discod's socket only, never to a bus: safe while D-Bus is stopped.
status() {
	lab_on a "$PY" "$CLIENT" status "$sa"
}

# responsive_with STALLS: Avahi answers again, after at least STALLS
# stalls, and no command waits for it.
responsive_with() {
	local ms resp stalled stalls queued
	read -r ms resp stalled stalls queued < <(status)
	[ "$resp" = true ] && [ "$stalled" = 0 ] && is_int "$stalls" &&
	    [ "$stalls" -ge "$1" ] && [ "$queued" = 0 ]
}

# stalled_for RESPONSIVE STALLED_MS MS: status said Avahi has not answered
# for at least MS.
stalled_for() {
	[ "$1" = false ] && is_int "$2" && [ "$2" -ge "$3" ]
}

seen_all() {
	local n
	for n in "$@"; do
		lab_seen b "$n" "$REG_TYPE" || return 1
	done
}

gone_all() {
	local n
	for n in "$@"; do
		lab_gone b "$n" "$REG_TYPE" || return 1
	done
}

# probe_field LOG KEY: KEY's value in the probe's summary line.
probe_field() {
	awk -v k="$2" '/^probe:/ { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"
}

probe_clean() {
	local n
	n=$(probe_field "$1" resolves)
	is_int "$n" && [ "$n" -ge 1000 ] &&
	    [ "$(probe_field "$1" errors)" = 0 ] &&
	    [ "$(probe_field "$1" not_found)" = 0 ]
}

registers_fast() {
	awk '$1 == "reply" { n++; if (!($3 < 100)) slow++ }
	    END { exit !(n == 3 && !slow) }' "$1"
}

# dropped_fast LOG: the register-and-unregister was answered at once.
dropped_fast() {
	awk '$1 == "dropped" && $4 == "True" && $3 < 100 { n++ } END { exit n != 1 }' "$1"
}

# never_seen NAME: b's browser never printed a line about NAME.
never_seen() {
	! grep -qF ";$(lab_avahi_escape "$1");$REG_TYPE;" "$(lab_hostdir b)/browse.log"
}

# established_once NAME...: a's discod logged each established once.
established_once() {
	local n
	for n in "$@"; do
		[ "$(grep -cF "established \"$n\" $REG_TYPE" "$da/discod.log")" = 1 ] ||
		    return 1
	done
}

registers_waiting() {
	awk '$1 == "reply" && $4 == "waiting" { n++ } END { exit n != 3 }' "$1"
}

check_wait 20 "a's discod resolves b's instance" \
    lab_ctl a resolve "$PEER" "$PEER_TYPE"

# hang WHAT PID TAG MIN_STALLS: the probe resolves b's instance all along;
# PID (WHAT) is stopped for FREEZE seconds; 2 s in, a client registers
# hang-TAG-1..3 on a; 4 s in, status.  REG_PID: that client, which holds
# the registrations; STALLS: the stall count once Avahi answers again.
hang() {
	local what=$1 target=$2 tag=$3 min_stalls=$4 names=() plog rlog
	local t_stop t_cont ms resp stalled queued
	names=("hang-$tag-1" "hang-$tag-2" "hang-$tag-3")
	plog=$da/probe-$tag.log
	rlog=$da/register-$tag.log
	lab_spawn a "probe-$tag" "$BENCH" probe -s "$sa" -n "$PEER" \
	    -t "$PEER_TYPE" -i 20 -w $((FREEZE + 50)) -v
	local probe=$LAB_LAST_PID
	sleep 1

	t_stop=$(now_ms)
	frozen=$target
	kill -STOP "$target"
	sleep 2
	lab_spawn a "register-$tag" "$PY" "$CLIENT" register "$sa" \
	    "$REG_TYPE" 7100 "${names[@]}" "-hang-$tag-gone"
	REG_PID=$LAB_LAST_PID
	lab_wait 5 grep -q holding "$rlog"
	diag "$what stopped, registers: $(awk '$1 == "reply" { printf "%s%s %s ms %s", s, $2, $3, $4; s = ", " }' "$rlog")"
	check "$what stopped: three registers answered within 100 ms each" \
	    registers_fast "$rlog"
	check "$what stopped: each registration is \"waiting\" for Avahi" \
	    registers_waiting "$rlog"
	check "$what stopped: a fourth, registered and unregistered, answered at once" \
	    dropped_fast "$rlog"

	sleep_until $((t_stop + 4000))
	read -r ms resp stalled STALLS queued < <(status)
	diag "$what stopped for $(($(now_ms) - t_stop)) ms: status answered in $ms ms: avahi.responsive $resp, stalled_ms $stalled, stalls $STALLS, queued $queued"
	check "$what stopped: status answers within 100 ms (${ms:-?} ms)" \
	    below "${ms:-}" 100
	check "$what stopped: status shows avahi.responsive false, stalled_ms >= 1000" \
	    stalled_for "$resp" "$stalled" 1000

	sleep_until $((t_stop + FREEZE * 1000))
	kill -CONT "$target"
	frozen=
	t_cont=$(now_ms)
	if lab_wait 5 seen_all "${names[@]}"; then
		ok "$what continued: b sees all three names, $(($(now_ms) - t_cont)) ms after SIGCONT (within 5 s)"
	else
		not_ok "$what continued: b sees all three names within 5 s of SIGCONT"
	fi

	sleep 3 # for anything done twice, or the dropped one, to show
	check "$what continued: each of the three established once" \
	    established_once "${names[@]}"
	check "$what continued: the one withdrawn during the hang never reached b (its withdrawal was not lost)" \
	    never_seen "hang-$tag-gone"

	lab_stop "$probe"
	diag "probe while $what was stopped: $(grep '^probe:' "$plog")"
	grep -m 5 '^slow:' "$plog" | sed 's/^/# /'
	check "$what: every 20 ms resolve of b's instance was answered, none with an error or not-found" \
	    probe_clean "$plog"
	check "$what: none took 100 ms or more (p50 $(probe_field "$plog" p50_us) us, max $(probe_field "$plog" max_us) us)" \
	    below "$(probe_field "$plog" max_us)" 100000

	check_wait 10 "$what continued: status shows Avahi responsive again, stalls >= $min_stalls" \
	    responsive_with "$min_stalls"
	read -r ms resp stalled STALLS queued < <(status)
	diag "after: responsive $resp, stalled_ms $stalled, stalls $STALLS, queued $queued"
}

REG_PID=
STALLS=
hang avahi-daemon "$(lab_avahi_pid a)" avahi 1
is_int "${STALLS:-}" || STALLS=0

# Their client gone, the first three are withdrawn (goodbyes to b).
lab_stop "$REG_PID"
check_wait 10 "avahi-daemon's three names withdrawn with their client" \
    gone_all hang-avahi-1 hang-avahi-2 hang-avahi-3
lab_wait 10 responsive_with "$STALLS" ||
	diag "Avahi still busy before D-Bus is stopped"

# The same with the bus stopped: nothing may talk to a's bus meanwhile.
hang dbus-daemon "$(lab_dbus_pid a)" dbus $((STALLS + 1))
check "discod ran through both hangs" kill -0 "$pid"
