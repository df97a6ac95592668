#!/bin/bash
# avahi-daemon (and then D-Bus too) killed under discod and brought back:
# discod answers throughout, reports the outage, and reconnects by itself
# without ever restarting.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
# [avahi] retry-max = 1: with D-Bus gone, discod tries again every second
# (by default the waits double up to 30 s).
printf '[avahi]\nretry-max = 1\n' >"$(lab_hostdir a)/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
plan 14

# "STATE OUTAGES" from discod's status.
state() {
	lab_ctl a --json status | python3 -c \
	    'import json,sys; r=json.load(sys.stdin); print(r["avahi"]["state"], r["avahi"]["outages"])'
}
state_is() {
	[ "$(state)" = "$*" ]
}
state_down() {
	local s
	s=$(state) || return 1
	case $s in
	running*|"") return 1 ;;
	esac
}

# avahi_fields T ERROR: avahi.since (seconds in this state) is at most
# the seconds since T (epoch), and avahi.error is there (yes) or not (no).
avahi_fields() {
	lab_ctl a --json status | python3 -c '
import json, sys, time
a = json.load(sys.stdin)["avahi"]
print("avahi:", json.dumps(a), file=sys.stderr)
sys.exit(not (0 <= a["since"] <= time.time() - int(sys.argv[1]) + 1 and
              bool(a.get("error")) == (sys.argv[2] == "yes")))' "$1" "$2"
}
check "avahi running at the start" state_is running 0
check "... no avahi.error" avahi_fields 0 no
sleep 3	# time in the running state, which the outage must not count
t_kill=$(date +%s)
kill -KILL "$(lab_avahi_pid a)"
check_wait 10 "avahi-daemon killed: status answers and shows the outage" \
    state_down
diag "state while avahi is down: $(state)"
check "... avahi.since counts from the outage, avahi.error says why" \
    avahi_fields "$t_kill" yes
t_back=$(date +%s)
lab_avahi_start a || diag "avahi-daemon did not come back"
check_wait 40 "avahi-daemon back: running again, one outage counted" \
    state_is running 1
check "... avahi.since counts from its return, no avahi.error" \
    avahi_fields "$t_back" no
check "discod is the same process" kill -0 "$pid"

# D-Bus and avahi-daemon both gone.
kill -KILL "$(lab_avahi_pid a)" "$(lab_dbus_pid a)"
check_wait 10 "D-Bus killed too: status still answers, avahi down" state_down
# 8 s away: by default discod would try at 1, 3, 7 and 15 s, so 6 s
# after both are back; with retry-max = 1, within a second or two.
sleep 8
check "status keeps answering during the outage" state_down
if ! lab_dbus_start a || ! lab_avahi_start a; then
	diag "D-Bus or avahi did not come back"
fi
t_back=$(date +%s%N)
check_wait 40 "both back: running again, two outages counted" \
    state_is running 2
back_ms=$((($(date +%s%N) - t_back) / 1000000))
check "retry-max = 1: reconnected within 3 s of their return ($back_ms ms; 6 s at the default)" \
    test "$back_ms" -le 3000
check "discod is still the same process" kill -0 "$pid"
check "discod logged the outage" \
    grep -q 'avahi: running -> ' "$(lab_hostdir a)/discod.log"
check "discod logged the reconnect" \
    grep -Eq 'avahi: (connecting|disconnected|registering) -> running' \
    "$(lab_hostdir a)/discod.log"
