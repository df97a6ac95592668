#!/bin/bash
# A dual-stack LAN (LAB_NET=46): b's service has an IPv4 and an IPv6
# address on a, and a's liveness prober probes both.  With a's route to
# b's IPv4 address blackholed, b's host still answers over IPv6: its
# instance stays in resolve, pick and list past the remove threshold (a
# family's outage is not the host's death: clients connect over the other
# one).  With both blackholed, it goes out of resolve and pick within
# stale.sh's bound (5 s, removed within 10 s); with the routes back, it
# comes back.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

LAB_NET=46
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
plan 18
nsa=$(lab_ns a)
b4=$LAB_SUBNET.2
b6=${LAB_SUBNET6}:2
lab_dnssd b "Dual on b" _dual._tcp 7071
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }

addrs() {	# VERB-ARGS...: "FAMILY ADDRESS" of each address, sorted
	lab_addrs a "$@" | awk '{ print $1, $3 }'
}
both() {
	[ "$(addrs resolve "Dual on b" _dual._tcp)" = "ipv4 $b4
ipv6 $b6" ]
}
check_wait 30 "a resolves b's service to $b4 and $b6" both
# The agent's reply carries every address of an instance that passes
# (doc/protocol.md); discoctl shows those of the family asked.
only() {	# FAMILY ADDRESS OTHER
	local out
	out=$(lab_ctl a list _dual._tcp --family "$1" --no-header)
	grep -qF "$2" <<<"$out" && ! grep -qF "$3" <<<"$out"
}
check "discoctl list --family ipv4 shows $b4, not $b6" only ipv4 "$b4" "$b6"
check "discoctl list --family ipv6 shows $b6, not $b4" only ipv6 "$b6" "$b4"
liveness() {	# FIELD
	lab_liveness a "$1"
}
two_peers() {
	[ "$(liveness peers)" = 2 ] && [ "$(liveness peers_ipv6)" = 1 ] &&
	    [ "$(liveness answers)" -gt 1 ]
}
check_wait 10 "a's prober probes both of b's addresses, and gets answers" \
    two_peers

# b's IPv4 address silent: the host still answers over IPv6.
ip -n "$nsa" route add blackhole "$b4/32"
unreachable_is() {
	[ "$(liveness unreachable)" = "$1" ]
}
check_wait 10 "a's route to $b4 blackholed: the prober finds it unreachable" \
    unreachable_is 1
# Past remove-ms (8 s) from the first unanswered query.
sleep 6
reachable() {
	lab_ctl a -j resolve "Dual on b" _dual._tcp | python3 -c '
import json, sys; sys.exit(json.load(sys.stdin)["instance"]["reachable"] is not True)'
}
picked() {
	lab_ctl a -j pick _dual._tcp | grep -q '"name":"Dual on b"'
}
check "b's instance still resolves, reachable" reachable
check "with its IPv6 address only: the silent $b4 is left out" \
    test "$(addrs resolve "Dual on b" _dual._tcp)" = "ipv6 $b6"
check "and pick still gives it" picked
check "and list still lists it" lab_ctl a list _dual._tcp

# Both silent: out, in stale.sh's bound.
t=$(lab_stale_measure a "Dual on b" _dual._tcp \
    ip -n "$nsa" -6 route add blackhole "$b6/128")
check "and $b6 blackholed too: out of resolve in ${t%% *} ms (<= 5000), removed in ${t##* } ms (<= 10000)" \
    lab_stale_within "$t"
not_picked() {
	! picked
}
check "out of pick" not_picked
check "the prober counts both addresses unreachable" unreachable_is 2

# One family back is enough.
ip -n "$nsa" -6 route del blackhole "$b6/128"
check_wait 10 "$b6 answers again: b's instance is back" \
    lab_ctl a resolve "Dual on b" _dual._tcp
ip -n "$nsa" route del blackhole "$b4/32"
check_wait 10 "$b4 too: no address unreachable" unreachable_is 0
check_wait 10 "and resolve gives both addresses again" both
# b renamed (as Avahi does after a name conflict): the prober asks for
# the new name at both addresses, and b stays reachable past
# unreachable-ms.
lab_on b avahi-set-host-name lab-b-renamed >/dev/null 2>&1 ||
	diag "avahi-set-host-name failed"
renamed() {
	lab_ctl a -j resolve "Dual on b" _dual._tcp |
	    grep -q '"host":"lab-b-renamed.local"'
}
check_wait 20 "b renamed: a resolves its instance on lab-b-renamed.local" \
    renamed
sleep 5
check "and 5 s later (past unreachable-ms) no address of b is unreachable" \
    unreachable_is 0
check "and it still resolves, reachable" reachable
diag "dual stack, both families cut: out of resolve in ${t%% *} ms, removed in ${t##* } ms"
