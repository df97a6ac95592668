#!/bin/bash
# Metrics (issue 21): a real Prometheus (Debian's package) on host a
# scrapes discod on a and on b through [metrics] listen, and its API shows
# the counters move by what the script did: five types requests on a,
# an instance c publishes (then withdraws, then c dies: a's prober says
# unreachable), a health check that fails on a.  promtool checks the text
# of both agents.  The HTTP port refuses garbage, a huge head and too many
# connections, within bounds, while the socket keeps answering; scraping
# ten times a second for 30 s leaves discod's memory flat.
# shellcheck disable=SC2016,SC2317 # inner scripts expand their own arguments; check runs the functions
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
# In a build with AddressSanitizer, freed memory waits in its quarantine
# (up to 256 MB) and the resident set grows with every allocation: the
# point that wants it flat would measure ASan.  This test's agents free
# at once instead; every other test keeps the quarantine.
if grep -qa __asan_init "$top_builddir/discod"; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
fi
command -v prometheus >/dev/null 2>&1 || lab_unavailable "prometheus not installed"
command -v promtool >/dev/null 2>&1 || lab_unavailable "promtool not installed"
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
db=$(lab_hostdir b)
baddr=$(ip -n "$(lab_ns b)" -4 -o addr show eth0 | awk '{ sub("/.*", "", $4); print $4 }')
cat >"$da/discod.conf" <<EOF
[announce]
services-dir = $da/disco-services
[metrics]
listen = 127.0.0.1:9677
EOF
cat >"$db/discod.conf" <<EOF
[metrics]
listen = $baddr:9677
EOF
# A registration whose tcp check never passes: nobody listens on port 1.
mkdir -p "$da/disco-services"
cat >"$da/disco-services/failing.dnssd" <<'X'
[Service]
Name=Failing
Type=_failing._tcp
Port=7777
[Check]
Type=tcp
Host=127.0.0.1
Port=1
Interval=1s
Timeout=500ms
X
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }
plan 18

cat >"$da/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: discod
    static_configs:
      - targets: ['127.0.0.1:9677']
        labels: {host: a}
      - targets: ['$baddr:9677']
        labels: {host: b}
EOF
mkdir -p "$da/prometheus"
lab_spawn a prometheus prometheus --config.file="$da/prometheus.yml" \
    --storage.tsdb.path="$da/prometheus" \
    --web.listen-address=127.0.0.1:9090 --log.level=warn

# promq EXPR: the value of a PromQL expression now (its first series),
# "none" when there is no series.
promq() {
	lab_on a python3 -c '
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(sys.argv[1])
r = json.load(urllib.request.urlopen(u, timeout=2))["data"]["result"]
print(r[0]["value"][1] if r else "none")' "$1" 2>/dev/null
}
# promq_is EXPR VALUE: Prometheus says exactly VALUE.
promq_is() {
	[ "$(promq "$1")" = "$2" ]
}
# num EXPR: the value, 0 when there is no series yet.
num() {
	local v
	v=$(promq "$1")
	case $v in none | "") echo 0 ;; *) printf '%.0f\n' "$v" ;; esac
}

check_wait 60 "Prometheus scrapes both agents (up == 1 for a and b)" \
    promq_is 'sum(up{job="discod"})' 2
check_wait 10 "both report disco_build_info with the version" \
    promq_is 'count(disco_build_info{version!=""})' 2

# promtool's own checks of the text format, on each agent's output.
lab_ctl a metrics >"$da/metrics.txt"
check "promtool check metrics passes on discoctl metrics (a)" \
    promtool check metrics <"$da/metrics.txt"
lab_on a python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://%s:9677/metrics" % sys.argv[1], timeout=2).read().decode())' \
    "$baddr" >"$db/metrics.txt"
check "promtool check metrics passes on GET /metrics (b)" \
    promtool check metrics <"$db/metrics.txt"

# Five requests: the counter moves by five, no more.
sel='disco_requests_total{host="a",verb="types",result="ok"}'
before=$(num "$sel")
for _ in 1 2 3 4 5; do
	lab_ctl a types >/dev/null
done
check_wait 15 "five types requests on a: $sel moves by exactly 5" \
    promq_is "$sel" "$((before + 5))"
check "a's resolve latency histogram counts its requests" \
    test "$(num 'sum(disco_request_duration_seconds_count{host="a",verb="types"})')" -ge 5

# An instance c publishes: one more answered instance on a and on b.
ans_a='disco_cache_instances{host="a",state="answered"}'
ans_b='disco_cache_instances{host="b",state="answered"}'
na=$(num "$ans_a")
nb=$(num "$ans_b")
lab_spawn c pub avahi-publish -s "Scenario C" _scenario._tcp 7100
pub=$LAB_LAST_PID
check_wait 30 "c publishes: a's answered instances go up by 1" \
    promq_is "$ans_a" "$((na + 1))"
check_wait 30 "and b's too" promq_is "$ans_b" "$((nb + 1))"
lab_stop "$pub"
check_wait 30 "c withdraws it: a's answered instances back to $na" \
    promq_is "$ans_a" "$na"

# c publishes again and dies without a goodbye: a's prober finds it
# unreachable (3.5 s by default) and says so.
lab_spawn c pub2 avahi-publish -s "Scenario C" _scenario._tcp 7100
check_wait 30 "c publishes again" promq_is "$ans_a" "$((na + 1))"
cpid=$(lab_avahi_pid c)
kill -9 "$cpid"
# A peer is an address: c's IPv4 one and its IPv6 link-local one.
check_wait 30 "c's avahi-daemon killed: a counts c's two addresses unreachable" \
    promq_is 'disco_peers{host="a",state="unreachable"}' 2
check_wait 10 "and the instance as unreachable, not answered" \
    promq_is 'disco_cache_instances{host="a",state="unreachable"}' 1

# The failing check: failures counted, no pass, one registration.
f1=$(num 'disco_checks_total{host="a",kind="tcp",result="failed"}')
sleep 3
f2=$(num 'disco_checks_total{host="a",kind="tcp",result="failed"}')
check "a's failing tcp check counts failures ($f1, then $f2), never a pass" \
    test "$f1" -gt 0 -a "$f2" -gt "$f1" -a \
    "$(num 'disco_checks_total{host="a",kind="tcp",result="passed"}')" = 0
check_wait 10 "a has one registration, from a file, unhealthy" \
    promq_is 'disco_registrations{host="a",origin="file",state="unhealthy"}' 1

# Bad input on the HTTP port: bounded, and the agent carries on.
out=$(lab_on a python3 -c '
import socket, time
def ask(data):
    s = socket.create_connection(("127.0.0.1", 9677), timeout=3)
    s.sendall(data)
    r = s.recv(200)
    s.close()
    return r.split(b"\r\n")[0].decode()
print(ask(b"\x00\x01 garbage\r\n\r\n"))
print(ask(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n"))
print(ask(b"GET /nothing HTTP/1.1\r\n\r\n"))
# 24 connections that send nothing: 16 held, the others closed at once
held = [socket.create_connection(("127.0.0.1", 9677), timeout=3) for _ in range(24)]
t = time.time()
time.sleep(0.5)
closed = 0
for s in held:
    s.settimeout(0.2)
    try:
        if s.recv(10) == b"":
            closed += 1
    except socket.timeout:
        pass
print("closed", closed)
for s in held[:16]:
    s.settimeout(8)
    s.recv(10)
print("deadline %.0f" % (time.time() - t))
for s in held:
    s.close()
' 2>&1)
diag "$out"
check "garbage: 400, an endless head: 431, another path: 404" \
    test "$(printf '%s\n' "$out" | head -n 3 | cut -d' ' -f2 | tr '\n' ' ')" = "400 431 404 "
deadline=$(sed -n 's/^deadline //p' <<<"$out")
check "24 idle connections: 8 closed at once, 16 held until the 5 s deadline (${deadline:-?} s)" \
    test "$(grep -cx -e 'closed 8' <<<"$out")" = 1 -a "${deadline:-0}" -ge 4 \
    -a "${deadline:-99}" -le 7
after_all() {
	lab_ctl a status >/dev/null &&
	    lab_on a python3 -c '
import urllib.request
assert urllib.request.urlopen("http://127.0.0.1:9677/metrics", timeout=2).status == 200'
}
check "the control socket answers, and a scrape works after it all" after_all

# Ten scrapes a second for 30 s: discod's memory stays flat.
pid=$(lab_discod_pid a)
lab_on a python3 -c '
import time, urllib.request
for _ in range(50):
    urllib.request.urlopen("http://127.0.0.1:9677/metrics", timeout=2).read()
    time.sleep(0.1)'
r1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
lab_on a python3 -c '
import time, urllib.request
for _ in range(300):
    urllib.request.urlopen("http://127.0.0.1:9677/metrics", timeout=2).read()
    time.sleep(0.1)'
r2=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
check "300 scrapes at 10/s: RSS $r1 -> $r2 kB (at most 128 kB more)" \
    test "$r2" -le "$((r1 + 128))"
exit 0
