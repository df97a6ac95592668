#!/bin/bash
# haproxy (Debian's package) as a user would run it: a resolvers section
# pointing at discod's DNS interface and a server-template on the SRV name
# _http._tcp.disco.  It fills its servers with the addresses and ports of
# the instances b and c announce, drops c's when c withdraws it, and takes
# a new one in; read back through haproxy's stats socket.  A request
# through haproxy reaches the web server b announces.
# shellcheck disable=SC2016 # the inner scripts expand their own arguments
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
command -v haproxy >/dev/null 2>&1 || lab_unavailable "haproxy not installed"
command -v socat >/dev/null 2>&1 || lab_unavailable "socat not installed"
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 5

# A web server on b (Python's, answering "hello from b") that b announces;
# c announces one too.
lab_spawn b web python3 -c '
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello from b\n")
    def log_message(self, *a): pass
http.server.HTTPServer(("0.0.0.0", 8080), H).serve_forever()'
lab_spawn b pb avahi-publish -s "Web B" _http._tcp 8080
lab_spawn c pc avahi-publish -s "Web C" _http._tcp 8081
pc=$LAB_LAST_PID

cat >"$dir/haproxy.cfg" <<EOF
global
    stats socket $dir/haproxy.sock mode 600 level admin

resolvers disco
    nameserver discod 127.0.0.1:8653
    accepted_payload_size 1232
    resolve_retries 3
    timeout resolve 500ms
    timeout retry 500ms
    hold valid 1s
    hold obsolete 1s
    hold nx 1s

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend in
    bind 127.0.0.1:8000
    default_backend web

backend web
    server-template web 4 _http._tcp.disco resolvers disco init-addr none
EOF
lab_spawn a haproxy haproxy -db -f "$dir/haproxy.cfg"

# The servers with an address, as "addr:port" words, sorted.
servers() {
	lab_on a sh -c 'echo "show servers state web" | socat - "UNIX-CONNECT:$1"' \
	    sh "$dir/haproxy.sock" 2>/dev/null | awk '
		NF > 20 && $1 ~ /^[0-9]+$/ && $5 != "0.0.0.0" && $5 != "-" { print $5 ":" $19 }' |
	    sort | tr '\n' ' '
}
has() { [ "$(servers)" = "$1" ]; }
want="$LAB_SUBNET.2:8080 $LAB_SUBNET.3:8081 "
check_wait 30 "haproxy fills two servers from SRV: b:8080 and c:8081" has "$want"
diag "servers: $(servers)"
lab_on a sh -c 'echo "show servers state web" | socat - "UNIX-CONNECT:$1"' \
    sh "$dir/haproxy.sock" 2>/dev/null | sed 's/^/# /' | head -8
out=$(lab_on a python3 -c '
import urllib.request
seen = set()
for _ in range(10):
    try:
        seen.add(urllib.request.urlopen("http://127.0.0.1:8000/", timeout=3).read().decode().strip())
    except Exception as e:
        seen.add(str(e))
print(sorted(seen))')
diag "responses through haproxy: $out"
check "requests through haproxy reach b's web server" \
    sh -c 'case "$1" in *"hello from b"*) ;; *) exit 1 ;; esac' sh "$out"

lab_stop "$pc"
check_wait 20 "c withdraws its instance: haproxy keeps only b's server" \
    has "$LAB_SUBNET.2:8080 "
lab_spawn c pc2 avahi-publish -s "Web C2" _http._tcp 9090
check_wait 20 "a new instance on c: haproxy takes it in (c:9090)" \
    has "$LAB_SUBNET.2:8080 $LAB_SUBNET.3:9090 "
status=$(lab_ctl a -j status)
check "discod answered haproxy's SRV and A questions (status dns counters)" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])["dns"]
sys.exit(not (d["queries_udp"] + d["queries_tcp"] > 10 and d["rcodes"]["noerror"] > 10))' "$status"
