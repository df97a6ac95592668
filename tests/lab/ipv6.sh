#!/bin/bash
# An IPv6-only LAN (LAB_NET=6: no IPv4 on the link; link-local addresses
# and 2001:db8:9::N/64).  b's discod announces a service that b serves
# on TCP; on a, resolve, pick, list's family filter, discoctl, libdisco's
# disco_getaddrinfo (examples/demo-connect) and the DNS interface give
# b's IPv6 address, and a TCP connect to it gets b's echo.  Then b loses
# its global address: Avahi on b announces its link-local one, and the
# same clients get fe80::...%eth0, usable through its scope.  The
# liveness prober gets answers over IPv6 in both cases, and a fault in
# each (b's avahi-daemon killed -9; b's link cut) takes b's instance out
# of resolve and pick within the IPv4 bound of stale.sh (5 s; removed
# within 10 s).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_nss_require
LAB_NET=6
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
plan 26
da=$(lab_hostdir a)
sa=$da/discod.sock
b_global=${LAB_SUBNET6}:2
lab_dnssd b "Six on b" _six._tcp 7070
printf '[dns]\nlisten = [::1]:8653\n' >"$da/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }
lab_nss_setup a
# b's service: a TCP echo on every IPv6 address of b.
lab_spawn b echo python3 -c '
import socket, socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"echo: " + self.rfile.readline())
class S(socketserver.TCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
S(("::", 7070), H).serve_forever()'

no_ipv4() {
	[ -z "$(ip -n "$(lab_ns a)" -4 addr show dev eth0)" ] &&
	    [ -z "$(ip -n "$(lab_ns b)" -4 addr show dev eth0)" ] &&
	    ip -n "$(lab_ns b)" -6 addr show dev eth0 | grep -q "$b_global/64"
}
check "neither a nor b has an IPv4 address on the link; b has $b_global" \
    no_ipv4

addrs() {	# VERB-ARGS...: "FAMILY INTERFACE ADDRESS" of each address
	lab_addrs a "$@"
}
resolved_at() {	# ADDRESS: resolve gives exactly that one address
	[ "$(addrs resolve "Six on b" _six._tcp)" = "ipv6 eth0 $1" ]
}
check_wait 30 "a resolves b's service to $b_global only, on eth0" \
    resolved_at "$b_global"
check "pick gives the same address" \
    test "$(addrs pick _six._tcp)" = "ipv6 eth0 $b_global"
check "list --family ipv6 lists it" \
    lab_ctl a list _six._tcp --family ipv6
no_v4() {
	local rc=0
	lab_ctl a list _six._tcp --family ipv4 >/dev/null 2>&1 || rc=$?
	[ "$rc" = 1 ]
}
check "list --family ipv4 lists nothing (exit 1)" no_v4

# tcp ADDRESS: connect to ADDRESS port 7070 from a and say hello.
tcp() {
	lab_on a python3 -c '
import socket, sys
with socket.create_connection((sys.argv[1], 7070), timeout=3) as s:
    s.sendall(b"from a\n")
    sys.exit(s.makefile().readline() != "echo: from a\n")' "$1"
}
check "a TCP connect to the picked $b_global gets b's echo" tcp "$b_global"
demo() {
	lab_on a env DISCO_SOCKET="$sa" "$top_builddir/examples/demo-connect" \
	    _six._tcp "from a" 2>&1
}
out=$(demo)
diag "$out"
check "disco_getaddrinfo (demo-connect) connects to $b_global and talks" \
    test "$out" = "connected to $b_global port 7070
reply: echo: from a"
dig6() {
	lab_on a dig @::1 -p 8653 +time=2 +tries=1 +short "$@"
}
check "the DNS interface: AAAA of six.service.disco is $b_global" \
    test "$(dig6 six.service.disco AAAA)" = "$b_global"
check "and it has no A record" test -z "$(dig6 six.service.disco A)"
out=$(lab_nss a files-first getent ahostsv6 six.service.disco)
diag "$out"
check "the NSS module: getent ahostsv6 six.service.disco gives $b_global" \
    test "$(awk '{ print $1 }' <<<"$out" | sort -u)" = "$b_global"

# The prober: b's address, asked over IPv6, answers.
liveness() {	# FIELD
	lab_liveness a "$1"
}
answers_grow() {
	local n
	n=$(liveness answers)
	[ "$(liveness peers_ipv6)" -ge 1 ] && [ "$n" -gt 0 ] &&
	    sleep 2.5 && [ "$(liveness answers)" -gt "$n" ]
}
check_wait 10 "a's prober probes b over IPv6 and gets answers" answers_grow

measure() {	# COMMAND...: "RESOLVE_MS REMOVE_MS"
	lab_stale_measure a "Six on b" _six._tcp "$@"
}
not_picked() {
	! lab_ctl a -j pick _six._tcp | grep -q '"name":"Six on b"'
}
t1=$(measure kill -KILL "$(lab_avahi_pid b)")
check "b's avahi-daemon killed -9 ($b_global): out of resolve in ${t1%% *} ms (<= 5000), removed in ${t1##* } ms (<= 10000)" \
    lab_stale_within "$t1"
check "and out of pick" not_picked
lab_avahi_start b || diag "avahi-daemon on b did not come back"
check_wait 30 "b's avahi-daemon back: a resolves b's service again" \
    resolved_at "$b_global"

# b loses its global address: Avahi announces its link-local one.
ip -n "$(lab_ns b)" addr del "$b_global/64" dev eth0
b_ll=$(ip -n "$(lab_ns b)" -6 addr show dev eth0 scope link |
    awk '$1 == "inet6" { sub("/.*", "", $2); print $2; exit }')
diag "b's link-local address: $b_ll"
check_wait 30 "a now resolves b's service to $b_ll%eth0" resolved_at "$b_ll%eth0"
out=$(lab_ctl a resolve "Six on b" _six._tcp)
diag "$out"
check "discoctl's text shows the address with its scope" \
    grep -qF "$b_ll%eth0" <<<"$out"
check "pick gives $b_ll%eth0" \
    test "$(addrs pick _six._tcp)" = "ipv6 eth0 $b_ll%eth0"
check "a TCP connect to $b_ll%eth0 gets b's echo" tcp "$b_ll%eth0"
out=$(demo)
diag "$out"
check "disco_getaddrinfo gives the scope: demo-connect connects and talks" \
    test "$out" = "connected to $b_ll%eth0 port 7070
reply: echo: from a"
check "the DNS interface leaves the link-local address out (no AAAA)" \
    test -z "$(dig6 six.service.disco AAAA)"
# Through the NSS module, as any program resolves (AF_UNSPEC, glibc's
# gethostbyname4_r): the scope comes along.  Asked for AF_INET6 alone,
# glibc takes a hostent, which has no room for it (nss-disco(8)).
out=$(lab_nss a files-first python3 -c '
import socket
ai = [a for a in socket.getaddrinfo("six.service.disco", 7070, 0,
                                    socket.SOCK_STREAM)
      if a[0] == socket.AF_INET6][0]
with socket.socket(ai[0], ai[1]) as s:
    s.settimeout(3)
    s.connect(ai[4])
    s.sendall(b"from a\n")
    print(ai[4][0].split("%")[0], ai[4][3] == socket.if_nametoindex("eth0"),
          s.makefile().readline().strip())' 2>&1)
diag "$out"
check "the NSS module gives $b_ll with eth0 as its scope; connecting to it gets b's echo" \
    test "$out" = "$b_ll True echo: from a"
check_wait 10 "the prober gets answers at the link-local address" answers_grow

t2=$(measure ip -n "$(lab_ns b)" link set eth0 down)
check "b's link cut ($b_ll%eth0): out of resolve in ${t2%% *} ms (<= 5000), removed in ${t2##* } ms (<= 10000)" \
    lab_stale_within "$t2"
check "and out of pick" not_picked
ip -n "$(lab_ns b)" link set eth0 up
check_wait 30 "b's link back: a resolves b's service again" \
    resolved_at "$b_ll%eth0"
check "and a's prober has no address left unreachable" \
    test "$(liveness unreachable)" = 0
diag "IPv6 out of resolve/pick (ms): ${t1%% *} (avahi-daemon killed), ${t2%% *} (link cut); removed: ${t1##* }, ${t2##* }"
