#!/bin/bash
# The NSS module in real lookups: on host a, with "hosts: files disco" in
# a private nsswitch.conf, getent and Python's getaddrinfo resolve a
# service name and a peer's host name through discod's lookup socket, the
# same addresses the DNS interface gives; IPv6 link-local addresses come
# with their scope; a local user (not root) may ask but not register over
# that socket; and with discod stopped or killed, "hosts: disco files"
# falls through to /etc/hosts in under 100 ms.
# shellcheck disable=SC2016 # the inner scripts expand their own arguments
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require_users
lab_nss_require
command -v dig >/dev/null 2>&1 || lab_unavailable "dig not installed (bind9-dnsutils)"
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
# A low per-user cap, to show the lookup socket's clients count.
printf '[control]\nmax-clients-per-uid = 4\n' >"$dir/discod.conf"
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 15

# "hosts: files disco" (lab_nss's files-first), and "hosts: disco files"
# with an /etc/hosts that also names http.service.disco.
lab_nss_setup a
mkdir -p "$dir/etc.disco-first"
printf 'hosts: disco files\n' >"$dir/etc.disco-first/nsswitch.conf"
printf '127.0.0.1 localhost\n%s.99 http.service.disco\n' "$LAB_SUBNET" \
    >"$dir/etc.disco-first/hosts"
chmod -R a+rX "$dir/etc.disco-first"
nss() {
	lab_nss a "$@"
}

lab_spawn b w1 avahi-publish -s "Web B" _http._tcp 8080
lab_spawn c w2 avahi-publish -s "Web C" _http._tcp 8080
ready() {
	[ "$(lab_ctl a -j list _http._tcp | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["instances"]))')" = 2 ]
}
check_wait 20 "a's cache has the web servers of b and c" ready

out=$(nss files-first getent ahostsv4 http.service.disco)
diag "getent ahostsv4 http.service.disco:" "$out"
got=$(echo "$out" | awk '{print $1}' | sort -u | tr '\n' ' ')
dns=$(lab_on a dig @127.0.0.1 -p 8653 +short http.service.disco A | sort -u | tr '\n' ' ')
check "getent ahostsv4: b's and c's addresses, as the DNS interface gives them" \
    sh -c '[ "$1" = "$2" ] && [ "$1" = "$3" ]' sh "$got" "$dns" \
    "$LAB_SUBNET.2 $LAB_SUBNET.3 "
out=$(nss files-first getent ahostsv4 lab-b.disco)
check "getent ahostsv4 of a peer's host name (lab-b.local as lab-b.disco)" \
    sh -c 'echo "$1" | grep -q "^$2 "' sh "$out" "$LAB_SUBNET.2"
out=$(nss files-first python3 -c '
import socket
print(sorted({a[4][0] for a in socket.getaddrinfo("http.service.disco", 80,
      socket.AF_INET, socket.SOCK_STREAM)}))')
check "Python getaddrinfo through the module" \
    test "$out" = "['$LAB_SUBNET.2', '$LAB_SUBNET.3']"
out=$(nss files-first python3 -c '
import socket
print(" ".join("%s/%d" % (a[4][0], a[4][3]) for a in socket.getaddrinfo(
      "lab-b.disco", 80, 0, socket.SOCK_STREAM) if a[0] == socket.AF_INET6))
print(socket.if_nametoindex("eth0"))
try:
    socket.getaddrinfo("lab-b.disco", 80, socket.AF_INET6)
    print("AF_INET6: an address")
except socket.gaierror as e:
    print("AF_INET6: none")')
diag "lab-b.disco's IPv6 addresses with scope ids, a's eth0 index, AF_INET6 alone:" "$out"
check "getaddrinfo: link-local IPv6 with the interface's scope; none where no scope fits (AF_INET6 goes through a hostent)" \
    sh -c 'set -- $1; [ $# = 4 ] && [ "$4" = none ] &&
	case $1 in fe80:*/"$2") ;; *) exit 1 ;; esac' sh "$(echo "$out" | tr '\n' ' ')"
nss files-first getent hosts nosuch.service.disco >/dev/null 2>&1
check "a service nobody offers: not found (getent exit 2)" test $? = 2
out=$(nss files-first getent hosts localhost)
check "names outside the domain are left to the other sources" \
    sh -c 'echo "$1" | grep -q "^127.0.0.1 "' sh "$out"

# A local user: may look up; the lookup socket serves nothing else.
uid=4261
out=$(nss files-first setpriv --reuid=$uid --regid=$uid --clear-groups \
    getent ahostsv4 http.service.disco)
check "uid $uid (not root, not in discod's group) resolves through the module" \
    sh -c 'echo "$1" | grep -q "^$2 "' sh "$out" "$LAB_SUBNET.2"
out=$(lab_on a setpriv --reuid=$uid --regid=$uid --clear-groups /usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
for req in ({"verb": "register", "name": "X", "type": "_x._tcp", "port": 1},
            {"verb": "list", "type": "_http._tcp"},
            {"verb": "lookup", "name": "x" * 300 + ".disco"},
            {"verb": "lookup", "name": "example.com"},
            {"verb": "lookup", "name": "http.service.disco", "family": "ipx"},
            {"verb": "lookup", "name": "http.service.disco", "family": "ipv4"}):
    f.write(json.dumps(req) + "\n"); f.flush()
    r = json.loads(f.readline())
    print(r["error"]["code"] if not r["ok"] else len(r["addresses"]))
' "$dir/lookup.sock")
out=$(echo "$out" | tr '\n' ' ')
diag "register, list, long name, outside, bad family, good: $out"
check "the lookup socket: register and list refused, bad names and families rejected, lookup answered" \
    test "$out" = "permission-denied permission-denied bad-field bad-field bad-field 2 "

# The lookup socket's clients count against max-clients-per-uid (4): a
# user holding four gets "unavailable" on a fifth, and its own lookups
# through the module fail over at once; root still resolves.
out=$(nss files-first setpriv --reuid=$uid --regid=$uid --clear-groups \
    /usr/bin/python3 -c '
import json, socket, subprocess, sys, time
held = []
for _ in range(4):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)
time.sleep(0.2)
x = socket.socket(socket.AF_UNIX); x.connect(sys.argv[1]); x.settimeout(2)
line = x.makefile().readline()
print(json.loads(line)["error"]["code"] if line else "closed-silently")
t = time.monotonic()
try:
    socket.getaddrinfo("http.service.disco", 80, socket.AF_INET)
    print("resolved")
except socket.gaierror:
    print("failed-over")
print(int((time.monotonic() - t) * 1000))
' "$dir/lookup.sock")
diag "uid $uid holding 4 lookup connections: $(echo "$out" | tr '\n' ' ')"
root_out=$(nss files-first getent ahostsv4 http.service.disco)
check "lookup socket: a user's fifth connection is refused (unavailable), its lookups fail over in < 1 s, root resolves" \
    sh -c 'echo "$2" | grep -q "^$3 " && set -- $1 &&
	[ "$1" = unavailable ] && [ "$2" = failed-over ] && [ "$3" -lt 1000 ]' \
    sh "$(echo "$out" | tr '\n' ' ')" "$root_out" "$LAB_SUBNET.2"

# discod gone: the next source answers at once.
# The lookup alone, timed inside the process: "ms address".
timed() {
	nss disco-first python3 -c '
import socket, time
t = time.monotonic()
a = socket.getaddrinfo("http.service.disco", 80, socket.AF_INET)[0][4][0]
print(int((time.monotonic() - t) * 1000), a)'
}
out=$(nss disco-first getent ahostsv4 http.service.disco)
check "hosts: disco files, discod up: disco answers" \
    sh -c 'echo "$1" | grep -q "^$2 " && ! echo "$1" | grep -q "\.99 "' sh "$out" "$LAB_SUBNET.2"
pid=$(lab_discod_pid a)
lab_stop "$pid" KILL
check "discod killed: its socket is left behind, refusing" test -S "$dir/lookup.sock"
read -r took addr <<<"$(timed)"
set -- "$took" "$addr"
diag "killed: ${1:-?} ms, ${2:-nothing}"
check "killed: /etc/hosts answers in under 100 ms (took ${1:-?} ms)" \
    sh -c '[ "$1" -lt 100 ] && [ "$2" = "$3" ]' sh "${1:-9999}" "${2:-}" "$LAB_SUBNET.99"
lab_discod_start a || { echo "Bail out! discod did not restart"; exit 1; }
lab_stop "$(lab_discod_pid a)" TERM
check "discod stopped: the lookup socket and the domain link are removed" \
    sh -c '[ ! -e "$1/lookup.sock" ] && [ ! -L "$1/domain" ]' sh "$dir"
read -r took addr <<<"$(timed)"
set -- "$took" "$addr"
diag "stopped: ${1:-?} ms, ${2:-nothing}"
check "stopped: /etc/hosts answers in under 100 ms (took ${1:-?} ms)" \
    sh -c '[ "$1" -lt 100 ] && [ "$2" = "$3" ]' sh "${1:-9999}" "${2:-}" "$LAB_SUBNET.99"
