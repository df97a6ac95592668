#!/bin/bash
# What a hostile or broken peer sends, through a real avahi-daemon on b:
# a name of the full 63 bytes of UTF-8, a 255-byte TXT string, TXT
# strings that break RFC 6763 (no key, a key twice, a key that is not
# printable); and 1000 instances on c that appear and vanish twice.
# discod on a stays up, and what it answers stays right: invalid strings
# dropped one by one (the first of a key given twice kept), valid ones
# byte for byte, lists that never hold a duplicate or a ghost.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CHURN=1000

LAB_NO_AVAHI="c"
lab_up a b c || { echo "Bail out! lab did not come up"; exit 1; }
db=$(lab_hostdir b)
dc=$(lab_hostdir c)
# 31 two-byte characters and one more byte: 63 bytes, the most a DNS
# label holds.
long_name=$("$PY" -c 'print("é" * 31 + "x")')
big=$("$PY" -c 'print("big=" + "y" * 251)')
lab_stop "$(lab_avahi_pid b)"
cat >"$db/services/hostile.service" <<X
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>$long_name</name>
  <service>
    <type>_hostile._tcp</type>
    <port>6000</port>
    <txt-record>first=1</txt-record>
    <txt-record>=nokey</txt-record>
    <txt-record>FIRST=2</txt-record>
    <txt-record>tab&#9;key=3</txt-record>
    <txt-record>$big</txt-record>
    <txt-record value-format="binary-hex">bin=00ff0a0d</txt-record>
  </service>
</service-group>
X
lab_avahi_start b || { echo "Bail out! avahi on b did not start"; exit 1; }
lab_service_files c _churn._tcp churn- 1 "$CHURN"
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
sa=$(lab_hostdir a)/discod.sock
plan 9

# avahi-daemon sends a service file's TXT strings in reverse order: on
# the wire FIRST=2 comes before first=1, so it is the one kept.  (And it
# sends "=nokey" as the key "nokey": a string without a key cannot come
# from a service file; tests/unit/check_browse.c and fuzz_txt cover that.)
hostile_ok() {
	lab_ctl a -j list _hostile._tcp | "$PY" -c '
import base64, json, sys
ii = json.load(sys.stdin)["instances"]
want = [{"base64": base64.b64encode(b"bin=\x00\xff\n\r").decode()}, sys.argv[2],
        "FIRST=2", "nokey"]
print(ii[0]["txt"] if ii else ii, file=sys.stderr)
sys.exit(not (len(ii) == 1 and ii[0]["name"] == sys.argv[1] and
              ii[0]["txt"] == want))' "$long_name" "$big"
}
check_wait 20 "a 63-byte name, a 255-byte and a binary string arrive whole; of a key given twice only the first on the wire is kept; a key with a tab is dropped, not the instance" \
    hostile_ok
# resolved ARGS...: resolve on a answers with b's instance: that name,
# type, host, port 6000 and b's IPv4 address.
resolved() {
	lab_ctl a -j resolve "$@" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.readline())
i = r.get("instance") or {}
print(r.get("ok"), i.get("name"), i.get("host"), i.get("port"),
      i.get("addresses"), file=sys.stderr)
sys.exit(not (r.get("ok") is True and i.get("name") == sys.argv[1] and
              i.get("type") == "_hostile._tcp" and i.get("host") == "lab-b.local" and
              i.get("port") == 6000 and
              {"family": "ipv4", "address": sys.argv[2]} in
              [{"family": a.get("family"), "address": a.get("address")}
               for a in i.get("addresses", [])]))' "$long_name" "$LAB_SUBNET.2"
}
check "resolve by that name answers with it: b's host, port 6000 and address" \
    resolved "$long_name" _hostile._tcp
check "and by its full name" \
    resolved "$long_name._hostile._tcp.local"

# Churn: c's 1000 come, go (avahi-daemon stopped: goodbyes) and come back,
# twice, while a watcher counts and a client lists.
"$PY" - "$sa" >"$(lab_hostdir a)/churn.out" <<'PY' &
import json, socket, sys, threading, time
# A list may wait on discod's loop while avahi-client blocks it on D-Bus
# under this churn (doc/reliability.md): slow is allowed, lost is not.
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
f = s.makefile()
w = socket.socket(socket.AF_UNIX); w.settimeout(1); w.connect(sys.argv[1])
w.sendall(b'{"verb":"watch","type":"_churn._tcp"}\n')
live, state = set(), {"closed": False, "stop": False}

def watch():
    buf, first = b"", True
    while not state["stop"]:
        try:
            chunk = w.recv(1 << 20)
        except socket.timeout:
            continue
        if not chunk:
            state["closed"] = True
            return
        *lines, buf = (buf + chunk).split(b"\n")
        for line in lines:
            m = json.loads(line)
            if first:
                live.update(i["name"] for i in m["instances"])
                first = False
            elif m.get("event") == "add":
                live.add(m["instance"]["name"])
            elif m.get("event") == "remove":
                live.discard(m["instance"]["name"])

t = threading.Thread(target=watch, daemon=True)
t.start()
bad, lists, end, draining, error = [], 0, time.time() + 300, False, None
try:
    while time.time() < end:
        s.sendall(b'{"verb":"list","type":"_churn._tcp"}\n')
        names = [i["name"] for i in json.loads(f.readline())["instances"]]
        lists += 1
        if len(names) != len(set(names)) or len(names) > 1000:
            bad.append(len(names))
        try:
            done = open(sys.argv[1] + ".churn").read().strip() == "done"
        except OSError:
            done = False
        if done and not draining:   # a last look, for events on their way
            end, draining = min(end, time.time() + 2), True
        time.sleep(0.2)
except Exception as e:              # reported, never a hang
    error = repr(e)
state["stop"] = True
t.join(5)
print(json.dumps({"lists": lists, "error": error, "bad": bad,
                  "live": len(live), "watch_closed": state["closed"]}),
      flush=True)
PY
cpid=$!
LAB_PIDS+=("$cpid")
# count: how many of c's instances a list on a returns; fails when the
# list does (no reply, or an error reply), which is not 0 instances.
# (discoctl list exits 1 on an empty list too: the reply decides.)
count() {
	lab_ctl a -j list _churn._tcp | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.readline())
if r.get("ok") is not True:
    sys.exit(1)
print(sum(1 for i in r["instances"] if i["name"].startswith("churn-")))'
}
all_in() { local n; n=$(count) && [ "$n" = "$CHURN" ]; }
none_in() { local n; n=$(count) && [ "$n" = 0 ]; }
for round in 1 2; do
	# Not lab_avahi_start: loading 1000 files takes it longer than that
	# waits; the check below has its own bound.
	lab_spawn c avahi avahi-daemon -f "$dc/avahi.conf" --no-rlimits \
	    --no-chroot --no-proc-title --no-drop-root
	eval "LAB_AVAHI_PID_c=$LAB_LAST_PID"
	check_wait 120 "round $round: all $CHURN of c's instances appear in a's cache" all_in
	lab_stop "$(lab_avahi_pid c)"
	check_wait 30 "round $round: and all leave with c's goodbyes" none_in
done
echo "done" >"$sa.churn"
wait "$cpid"
out=$(cat "$(lab_hostdir a)/churn.out")
diag "churn client: $out"
check "lists never held a duplicate or more than $CHURN; the watcher, never dropped, ends at 0" \
    grep -q '"error": null, "bad": \[\], "live": 0, "watch_closed": false' <<<"$out"
check "discod ran through it all" kill -0 "$pid"
