#!/bin/bash
# Hosts on two links (LAB_LINKS=2): a and b each have eth0 on one LAN
# (198.51.100.0/24) and eth1 on another (203.0.113.0/24), each with its
# IPv6 link-local address too.  b's instance on a keeps every address
# with the interface it belongs to.  A link that goes down takes only its
# addresses away: a's own eth1 (Avahi on a drops what it saw there), and
# b's eth1 (a's liveness prober gets no answer there while eth0 answers:
# those addresses leave answers, the instance stays); both of b's links
# cut take the instance out of pick in stale.sh's bound.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

LAB_LINKS=2
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
plan 13
nsa=$(lab_ns a)
nsb=$(lab_ns b)
lab_dnssd b "Two on b" _two._tcp 7072
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }

# links VERB-ARGS...: "FAMILY INTERFACE" of each address, sorted; IPv4
# ones with the address too (the IPv6 ones are link-local, made up).
links() {
	lab_addrs a "$@" | awk '{ print $1, $2, ($1 == "ipv4" ? $3 : "") }'
}
all4="ipv4 eth0 $LAB_SUBNET.2
ipv4 eth1 $LAB_SUBNET1.2
ipv6 eth0 
ipv6 eth1 "
only_eth0="ipv4 eth0 $LAB_SUBNET.2
ipv6 eth0 "
resolves_to() {
	[ "$(links resolve "Two on b" _two._tcp)" = "$1" ]
}
check_wait 30 "a resolves b's service on both links, each address with its interface" \
    resolves_to "$all4"
out=$(lab_ctl a list _two._tcp --interface eth1 --no-header)
shows_only() {	# WANTED UNWANTED
	grep -qF "$1" <<<"$out" && ! grep -qF "$2" <<<"$out"
}
check "discoctl list --interface eth1 shows $LAB_SUBNET1.2, not $LAB_SUBNET.2" \
    shows_only "$LAB_SUBNET1.2" "$LAB_SUBNET.2"
four() {
	[ "$(lab_liveness a peers)" = 4 ] && [ "$(lab_liveness a peers_ipv6)" = 2 ]
}
check_wait 10 "a's prober probes b's four addresses" four

# a's own eth1 goes down: only eth1's addresses go.
ip -n "$nsa" link set eth1 down
check_wait 15 "a's eth1 down: b's instance keeps its eth0 addresses only" \
    resolves_to "$only_eth0"
ip -n "$nsa" link set eth1 up
check_wait 30 "a's eth1 up: both links again" resolves_to "$all4"

# b's eth1 goes down (no goodbye reaches a): the prober gets no answer
# there; b answers on eth0, so eth1's addresses leave the answers.
start=${EPOCHREALTIME/./}
ip -n "$nsb" link set eth1 down
lab_wait 15 resolves_to "$only_eth0"
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
# The prober's own worst case is unreachable-ms + interval + 250 ms
# (4.75 s by default); each poll here costs a discoctl and a python3.
check "b's eth1 down: its eth1 addresses leave a's answers in $ms ms (<= 6000)" \
    test "$ms" -le 6000
picked() {
	lab_ctl a -j pick _two._tcp | grep -q '"name":"Two on b"'
}
check "b's instance is still picked" picked
# Past remove-ms (8 s): still listed, with its eth0 addresses.
sleep 5
check "past remove-ms still resolved at eth0 only" resolves_to "$only_eth0"
check "and listed" lab_ctl a list _two._tcp
ip -n "$nsb" link set eth1 up
check_wait 15 "b's eth1 up: its eth1 addresses come back" resolves_to "$all4"

# Both of b's links cut: the host is gone.
t=$(lab_stale_measure a "Two on b" _two._tcp sh -c \
    "ip -n $nsb link set eth0 down && ip -n $nsb link set eth1 down")
check "both of b's links cut: out of resolve in ${t%% *} ms (<= 5000), removed in ${t##* } ms (<= 10000)" \
    lab_stale_within "$t"
not_picked() {
	! picked
}
check "and out of pick" not_picked
ip -n "$nsb" link set eth0 up
ip -n "$nsb" link set eth1 up
check_wait 30 "b's links back: both links again" resolves_to "$all4"
diag "one of b's two links down: its addresses out in $ms ms; both: out of resolve in ${t%% *} ms, removed in ${t##* } ms"
