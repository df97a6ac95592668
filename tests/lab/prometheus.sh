#!/bin/bash
# Prometheus (Debian's package) discovers its targets through discod: on
# host a, whose resolver (/etc/resolv.conf) points at discod listening on
# port 53 ([dns] listen = 127.0.0.1:53), dns_sd_configs asks SRV for
# _metrics._tcp.disco; /api/v1/targets lists the instances b and c
# announce, scrapes b's, and drops c's when c withdraws it.
# shellcheck disable=SC2016 # the inner scripts expand their own arguments
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
command -v prometheus >/dev/null 2>&1 || lab_unavailable "prometheus not installed"
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
cat >"$dir/discod.conf" <<EOF
[dns]
listen = 127.0.0.1:53
EOF
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
plan 4

# b serves metrics (a Python exporter of one gauge) and announces them;
# c announces an endpoint with nothing behind it.
lab_spawn b exporter python3 -c '
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(b"lab_up 1\n")
    def log_message(self, *a): pass
http.server.HTTPServer(("0.0.0.0", 9100), H).serve_forever()'
lab_spawn b pb avahi-publish -s "Metrics B" _metrics._tcp 9100
lab_spawn c pc avahi-publish -s "Metrics C" _metrics._tcp 9101
pc=$LAB_LAST_PID

printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: disco
    dns_sd_configs:
      - names: [_metrics._tcp.disco]
        type: SRV
        refresh_interval: 1s
EOF
mkdir -p "$dir/prometheus"
lab_spawn a prometheus sh -c '
	mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 125
	exec prometheus --config.file="$1/prometheus.yml" \
	    --storage.tsdb.path="$1/prometheus" \
	    --web.listen-address=127.0.0.1:9090 --log.level=warn' sh "$dir"

# The active targets, as "instance=health" words, sorted.
targets() {
	lab_on a python3 -c '
import json, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/targets", timeout=2))
print(" ".join(sorted("%s=%s" % (t["labels"]["instance"], t["health"])
                      for t in d["data"]["activeTargets"])))' 2>/dev/null
}
listed() {
	case " $(targets) " in
	*" lab-b.disco:9100="*" lab-c.disco:9101="*) return 0 ;;
	esac
	return 1
}
check_wait 60 "/api/v1/targets lists b's and c's instances (SRV through discod)" listed
diag "targets: $(targets)"
up() {
	case " $(targets) " in *" lab-b.disco:9100=up "*) return 0 ;; esac
	return 1
}
check_wait 30 "Prometheus scrapes b's exporter (its host name resolved through discod)" up
lab_stop "$pc"
gone() { [ "$(targets)" = "lab-b.disco:9100=up" ]; }
check_wait 30 "c withdraws its instance: Prometheus drops the target" gone
diag "targets: $(targets)"
status=$(lab_ctl a -j status)
check "discod answered on port 53 (status dns counters)" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])["dns"]
sys.exit(not (d["queries_udp"] + d["queries_tcp"] > 5))' "$status"
