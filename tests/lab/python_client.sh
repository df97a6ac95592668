#!/bin/bash
# The Python client (bindings/python/disco.py) against a live discod when
# discod dies: a Python service on a registers "Py Service" with a lease
# that it renews, and watches _pydep._tcp, which b publishes.  discod on
# a is killed with -9 and started again: b must see "Py Service" go and
# come back without the service doing anything but its usual renew, the
# lease must hold on the new discod, and the service's watch must report
# the resync and b's dependency again (tests/lab/clients/python_service.py
# writes what it sees to a file read here).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

TTL=6
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
py=${DISCO_PYTHON:-}
case $py in
"" | :) py=python3 ;;
esac
[ -f "$top_builddir/bindings/python/disco.py" ] ||
	{ echo "Bail out! bindings/python/disco.py is not built"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
sa=$(lab_hostdir a)/discod.sock
ev=$LAB_DIR/py-events
: >"$ev"
lab_browse_start b
lab_spawn b dep avahi-publish -s "Py Dep" _pydep._tcp 5311
lab_spawn a pysvc env PYTHONPATH="$top_builddir/bindings/python" \
    PYTHONDONTWRITEBYTECODE=1 "$py" -u \
    "$top_srcdir/tests/lab/clients/python_service.py" "$sa" "$ev" "$TTL"
svc=$LAB_LAST_PID

# after_last PATTERN LINE: a line matching LINE comes after the last line
# of $ev matching PATTERN.
after_last() {
	awk -v p="$1" -v l="$2" '$0 ~ p { seen = 1; hit = 0; next }
	    seen && $0 ~ l { hit = 1 } END { exit !hit }' "$ev"
}
services_has() {
	lab_ctl a -j services | grep -q '"final_name":"Py Service"'
}

check_wait 20 "b sees Py Service, registered by the Python client" \
    lab_seen b "Py Service" _pytest._tcp
check_wait 20 "the Python service's watch has Py Dep from b" \
    grep -qx "add Py Dep" "$ev"
diag "before the restart:" "$(cat "$ev")"

kill -KILL "$(lab_discod_pid a)"
wait "$(lab_discod_pid a)" 2>/dev/null
check_wait 10 "discod killed with -9: b sees Py Service go" \
    lab_gone b "Py Service" _pytest._tcp
check_wait 10 "the watch reports the lost connection" \
    grep -qx disconnected "$ev"
mark=$(wc -l <"$ev")
sleep 1
lab_discod_start a || { echo "Bail out! discod did not start again"; exit 1; }
start=${EPOCHREALTIME/./}

# Back-off is at most 5 s; Avahi's probing takes about 1 s.
check_wait 15 "b sees Py Service again once discod is back" \
    lab_seen b "Py Service" _pytest._tcp
took=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
diag "Py Service back on b $took ms after discod answered"
check "the new discod holds the registration" services_has
check_wait 15 "the watch reports reconnected, then resync" \
    after_last '^reconnected$' '^resync$'
check_wait 20 "after the resync, the watch has Py Dep from b again" \
    after_last '^resync$' '^add Py Dep$'
check "the client reported its own reconnection" \
    grep -qx "client reconnected" <(tail -n +"$((mark + 1))" "$ev")

# The lease holds on the new discod: renewed there, not expired.
sleep $((TTL * 2))
check "after twice the lease, the new discod still announces Py Service" \
    services_has
check "b still sees Py Service" lab_seen b "Py Service" _pytest._tcp
check "renew works on the new discod" \
    grep -q '^renewed ' <(tail -n +"$((mark + 1))" "$ev")
check "no lease expired, no registration lost" \
    test -z "$(grep -E '^client (expired|lost)' "$ev")"
# (A renew while discod is down may fail: not once it is back.)
check "no renew failed since the client reconnected" \
    test -z "$(sed -n '/^client reconnected$/,$p' "$ev" | grep '^renew-failed')"
check "the watch heard of the outage once (not once per try to connect)" \
    test "$(grep -cx disconnected "$ev")" = 1
check "the Python service is still running" kill -0 "$svc"
diag "the Python service's events:" "$(cat "$ev")"
diag "its output:" "$(cat "$(lab_hostdir a)/pysvc.log")"
plan "$TAP_N"
