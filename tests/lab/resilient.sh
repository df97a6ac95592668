#!/bin/bash
# Registrations and watches survive an agent restart: a libdisco service
# on a (examples/sturdy-service) registers with a health check and a
# lease and watches a type that b publishes; discod on a is killed with
# SIGKILL and started again, and the service, doing nothing itself, is
# announced again (b's avahi-browse sees it come back) and its watch
# resumes (a resync, the snapshot, then a new instance b publishes).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 13
sa=$(lab_hostdir a)/discod.sock
lab_browse_start b
lab_spawn b dep1 avahi-publish -s "Dep One" _dep._tcp 7101
dep_one() { lab_ctl a -j list _dep._tcp | grep -q '"Dep One"'; }
lab_wait 15 dep_one ||
	echo "# Dep One did not reach a"

lab_spawn a sturdy env DISCO_SOCKET="$sa" stdbuf -oL \
    "$top_builddir/examples/sturdy-service" Sturdy _sturdy._tcp 6100 _dep._tcp
svc=$LAB_LAST_PID
# lab_spawn keeps the service's output (its events) in its log.
out=$(lab_hostdir a)/sturdy.log
check_wait 20 "b sees the service, announced once its check passes" \
    lab_seen b Sturdy _sturdy._tcp
check "its watch starts with the dependency" \
    grep -q '^add "Dep One" ' "$out"

old=$(lab_discod_pid a)
kill -KILL "$old"
check_wait 15 "discod killed: b sees the service withdrawn" \
    lab_gone b Sturdy _sturdy._tcp
check_wait 5 "the service hears that the agent went away" \
    grep -q '^disconnected$' "$out"
start=${EPOCHREALTIME/./}
lab_discod_start a || echo "# discod did not start again"
check "discod started again (a new process)" \
    test "$(lab_discod_pid a)" != "$old"
check_wait 20 "b sees the service announced again, the program did nothing" \
    lab_seen b Sturdy _sturdy._tcp
took=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
diag "announced again ${took} ms after discod was started"
check_wait 10 "the service hears it is back with its registration" \
    grep -q '^reconnected restored=1 lost=0$' "$out"
check "its watch resumed: a resync, then the snapshot again" \
    awk '/^disconnected$/ { d = 1 } d && /^resync$/ { r = 1 }
	r && /^add "Dep One" / { ok = 1 } END { exit !ok }' "$out"
lab_spawn b dep2 avahi-publish -s "Dep Two" _dep._tcp 7102
check_wait 20 "and changes come after it: b publishes Dep Two" \
    grep -q '^add "Dep Two" ' "$out"
held() { lab_ctl a -j services | grep -q '"name":"Sturdy"'; }
check "the agent holds the registration again" held
check "and a renew with the number it first got works (no error printed)" \
    test "$(grep -c 'renew:' "$out")" = 0
check "it heard of the outage once (not once per try to connect)" \
    test "$(grep -c '^disconnected$' "$out")" = 1
check "the service is still running" kill -0 "$svc"
diag "$(sed 's/^/sturdy: /' "$out")"
