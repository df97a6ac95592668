#!/bin/bash
# discod.conf's [liveness] keys, by their effect (issue 25).  The other
# liveness tests (stale.sh, dualstack.sh, twolinks.sh ...) run with the
# defaults; here a's discod has interval-ms = 250, unreachable-ms = 1000
# and remove-ms = 2000, and c's has probe = 0.  a must query b's host
# about 4 times a second, drop b's instance from resolve about a second
# after b's host goes silent (not at the default 3.5 s, and not before a
# second), and send its watcher "remove" about 2 s after (not at the
# default 7.5 s).  c, which resolves b's service too, sends no query at all.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
plan 8
lab_dnssd b "Live on b" _live._tcp 7072
printf '[liveness]\ninterval-ms = 250\nunreachable-ms = 1000\nremove-ms = 2000\n' \
    >"$(lab_hostdir a)/discod.conf"
printf '[liveness]\nprobe = 0\n' >"$(lab_hostdir c)/discod.conf"
for h in a b c; do
	lab_discod_start "$h" || { echo "Bail out! discod did not start on $h"; exit 1; }
done

resolves() {	# HOST
	lab_ctl "$1" resolve "Live on b" _live._tcp >/dev/null 2>&1
}
check_wait 30 "a resolves b's service" resolves a
check_wait 30 "c resolves b's service" resolves c
probing() {	# a probes b's addresses (IPv4, IPv6 link-local), b answers
	[ "$(lab_liveness a peers)" -ge 1 ] && [ "$(lab_liveness a answers)" -gt 0 ]
}
check_wait 10 "a's prober probes b's host and gets answers" probing
check "a's status: liveness.interval_ms 250" \
    test "$(lab_liveness a interval_ms)" = 250
peers=$(lab_liveness a peers)
q0=$(lab_liveness a queries_sent)
sleep 2
q1=$(lab_liveness a queries_sent)
n=$(((q1 - q0) / peers))
check "interval-ms = 250: 6 to 12 queries to each of b's $peers addresses in 2 s ($n; 2 at the default)" \
    test "$n" -ge 6 -a "$n" -le 12
c_sent=$(lab_liveness c queries_sent)
c_peers=$(lab_liveness c peers)
check "probe = 0: c sent no query and has no peer (queries_sent $c_sent, peers $c_peers)" \
    test "$c_sent" = 0 -a "$c_peers" = 0

# b's host silent (avahi-daemon killed -9: no goodbye): out of resolve
# after unreachable-ms (plus up to an interval and the prober's check),
# removed after remove-ms.
t=$(lab_stale_measure a "Live on b" _live._tcp kill -KILL "$(lab_avahi_pid b)")
r=${t%% *} m=${t##* }
diag "b's host silent: out of resolve after $r ms, removed after $m ms"
check "unreachable-ms = 1000: out of resolve after 700 to 2500 ms ($r; 3500 at the default)" \
    test "$r" -ge 700 -a "$r" -le 2500 2>/dev/null
check "remove-ms = 2000: its watcher's remove after 1700 to 3500 ms ($m; 7500 at the default)" \
    test "$m" -ge 1700 -a "$m" -le 3500 2>/dev/null
