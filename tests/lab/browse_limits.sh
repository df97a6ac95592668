#!/bin/bash
# Browsers are avahi-daemon objects, and avahi-daemon gives each client
# 1024: a user naming a new subtype in every request, or a peer
# advertising thousands of types, could use them all up and stop this
# host's announcements (issue 15, finding 4).  And watches: one
# connection may not hold any number of them, each keeping its whole
# request (finding 5).  uid 4248 (used by nothing else) asks for 2000
# subtypes and 100 watches of 60 KB; c advertises 2000 types.  A's own
# announcements, resolution and answers must carry on.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

ATTACKER=4248
FAKE=2000

LAB_NO_AVAHI="c"
lab_require_users
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
sock=$da/discod.sock
mkdir -p "$da/services"
# types-max 64, not the default 256: the cap is what is tested, and fewer
# browsers and resolvers keep the run short.
printf '[control]\nsocket-mode = 0666\n[announce]\nservices-dir = %s/services\n[browse]\ntypes-max = 64\n' \
    "$da" >"$da/discod.conf"
# c's 2000 types, one service each, in one static file.
{
	echo "<?xml version=\"1.0\" standalone='no'?>"
	echo '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">'
	echo '<service-group><name>Fake</name>'
	for ((i = 0; i < FAKE; i++)); do
		echo "<service><type>_f$i._tcp</type><port>1</port></service>"
	done
	echo '</service-group>'
} >"$(lab_hostdir c)/services/fake.service"
share=$(lab_share "$top_srcdir/tests/lab/clients/flood_client.py")
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
lab_spawn b real1 avahi-publish -s Real1 _real._tcp 7001
cd "$share" || exit 1		# the other user cannot enter the build tree
plan 14

flood() {
	local uid=$1
	shift
	lab_as "$uid" "$PY" "$share/flood_client.py" "$sock" "$@"
}
status() {
	lab_ctl a -j status | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["browse"][sys.argv[1]])' "$1"
}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
# announced NAME: a's service file NAME, added now, is established.
announced() {
	lab_ctl a -j services | "$PY" -c '
import json, sys
sys.exit(not any(s["name"] == sys.argv[1] and s["state"] == "established"
                 for s in json.load(sys.stdin)["services"]))' "$1"
}
add_service() {
	printf '[Service]\nName=%s\nType=_mine._tcp\nPort=%s\n' "$1" "$2" \
	    >"$da/services/$1.dnssd"
	kill -HUP "$pid"
}
real_listed() {
	lab_ctl a -j list _real._tcp | grep -q "\"name\":\"$1\""
}
check_wait 20 "a resolves b's Real1 (before any flood)" real_listed Real1

# Finding 5: watches on one connection, each request 60 KB, first (while
# discod's heap has no room freed by the floods below to hide them in).
# The baseline: the same 100 requests of 60 KB as hellos, in this run (a
# sanitizer build holds freed memory, and discod's growth counts that).
rss0=$(rss)
flood $ATTACKER 100 '{"verb":"hello","pad":"{pad}"}' 60000 >/dev/null
rss1=$(rss)
flood $ATTACKER 100 '{"verb":"watch","type":"_w{i}._tcp","pad":"{pad}"}' 60000 30 \
    >"$da/watches.out" &
wpid=$!
LAB_PIDS+=("$wpid")
lab_wait 20 grep -q . "$da/watches.out"
rss2=$(rss)			# while the watches are held
out=$(cat "$da/watches.out")
kill "$wpid" 2>/dev/null
diag "100 watches of 60 KB on one connection: $out"
diag "RSS: ${rss0:-?} kB, after 100 hellos ${rss1:-?}, with the watches held ${rss2:-?}"
check "one connection holds 16 watches, no more" \
    grep -q '"ok": 16, "permission-denied": 84' <<<"$out"
check "and they do not keep their requests (watches grew RSS < 4 MB more than hellos)" \
    test "$((${rss2:-99999999} - ${rss1:-0}))" -lt "$((${rss1:-0} - ${rss0:-0} + 4096))"

# Finding 4, from a local user: 2000 subtypes, each a new browser.
out=$(flood $ATTACKER $FAKE '{"verb":"pick","type":"_real._tcp","subtype":"_s{i}"}')
diag "uid $ATTACKER, $FAKE picks with new subtypes: $out"
check "a user gets subtypes-per-uid (8) subtypes browsed, no more" \
    grep -q '"not-found": 8, "permission-denied": 1992' <<<"$out"
out=$(flood 0 200 '{"verb":"pick","type":"_real._tcp","subtype":"_r{i}"}')
diag "root, 200 picks with new subtypes: $out"
check "root's are not refused: the longest idle make room" \
    grep -q '^{"not-found": 200}$' <<<"$out"
n=$(status subtypes_on_demand)
check "at most subtypes-max (64) are browsed on demand (${n:-?})" \
    test "${n:-999}" -le 64
add_service After-Subtypes 7101
check_wait 15 "a service file added after them is announced" \
    announced After-Subtypes

# Finding 4, from the LAN: c advertises 2000 types.
# Not lab_avahi_start: 2000 services take it longer than that waits; the
# check below has its own bound.
lab_spawn c avahi avahi-daemon -f "$(lab_hostdir c)/avahi.conf" --no-rlimits \
    --no-chroot --no-proc-title --no-drop-root
left_out() { test "$(status types_left_out)" -gt 0; }
check_wait 120 "a peer's 2000 types: a browses types-max, leaves the rest out" \
    left_out
n=$(status types_browsed)
diag "types browsed: ${n:-?}, left out: $(status types_left_out)"
check "types browsed stay at types-max (64)" test "${n:-999}" -le 64
check "b's Real1 is still resolved" real_listed Real1
check "and answers a resolve for it at once" \
    lab_ctl a -j resolve Real1 _real._tcp
add_service After-Types 7102
check_wait 15 "a service file added after the flood is announced" \
    announced After-Types
check "discod still answers at once" lab_ctl a status
check "and is the same process" kill -0 "$pid"
