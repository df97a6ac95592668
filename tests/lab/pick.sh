#!/bin/bash
# pick in the lab: over 1000 picks weighted follows the weights (TXT
# "weight" standing in for SRV weights, which Avahi does not carry),
# round-robin cycles, sticky keeps a key on one instance; and wait_ms
# answers the moment an instance appears.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
sa=$(lab_hostdir a)/discod.sock
plan 8
lab_spawn b p1 avahi-publish -s "W One" _weighted._tcp 5001 weight=1
lab_spawn b p2 avahi-publish -s "W Three" _weighted._tcp 5003 weight=3
lab_spawn b p3 avahi-publish -s "W Six" _weighted._tcp 5006 weight=6
lab_spawn b p4 avahi-publish -s "W Backup" _weighted._tcp 5009 weight=100 priority=1
four() {
	[ "$(lab_ctl a -j list _weighted._tcp | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["instances"]))')" = 4 ]
}
check_wait 15 "four weighted instances in a's cache" four

# 1000 picks per policy on one connection; counts per instance name.
picks() {
	lab_on a python3 - "$sa" "$@" <<'PY'
import collections, json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
policy, key = sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else None)
seq = []
for n in range(1000):
    req = {"verb": "pick", "type": "_weighted._tcp", "policy": policy}
    if key: req["key"] = key + ("" if policy != "sticky-many" else str(n))
    if policy == "sticky-many": req["policy"] = "sticky"
    f.write(json.dumps(req) + "\n"); f.flush()
    seq.append(json.loads(f.readline())["instance"]["name"])
c = collections.Counter(seq)
print(json.dumps({"counts": c, "first": seq[:8]}))
PY
}
out=$(picks weighted)
diag "weighted: $out"
weights_ok() {
	python3 -c '
import json, sys
c = json.loads(sys.argv[1])["counts"]
one, three, six = c.get("W One", 0), c.get("W Three", 0), c.get("W Six", 0)
# expected 100/300/600 of 1000; allow wide statistical margins
ok = 50 <= one <= 160 and 220 <= three <= 380 and 520 <= six <= 680
sys.exit(not (ok and c.get("W Backup", 0) == 0))' "$out"
}
check "weighted: 1:3:6 by weight, the priority-1 backup never" weights_ok
out=$(picks round-robin)
diag "round-robin: $out"
rr_ok() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
first = r["first"]
ok = len(set(first[:4])) == 4 and first[:4] == first[4:8] and \
     sorted(r["counts"].values()) == [250, 250, 250, 250]
sys.exit(not ok)' "$out"
}
check "round-robin cycles through all four evenly" rr_ok
out=$(picks sticky user-42)
check "sticky: one key always gets one instance" \
    python3 -c 'import json,sys; sys.exit(len(json.loads(sys.argv[1])["counts"]) != 1)' "$out"
out=$(picks sticky-many user-)
diag "sticky, 1000 keys: $out"
check "sticky: many keys spread over the instances" \
    python3 -c 'import json,sys; sys.exit(len(json.loads(sys.argv[1])["counts"]) < 3)' "$out"

# wait_ms: asked before the instance exists, answered when it appears.
lab_on a "$top_builddir/discoctl/discoctl" -s "$sa" pick --wait 10000 _late._tcp \
    >"$LAB_DIR/late.out" 2>&1 &
waiter=$!
sleep 1
published=$(date +%s%N)
lab_spawn b late avahi-publish -s "Late One" _late._tcp 5100
wait "$waiter"
rc=$?
# The moment it appears, not at the end of the wait: Avahi takes about a
# second to probe and announce it, the wait is 10 s.
took_ms=$((($(date +%s%N) - published) / 1000000))
diag "pick --wait answered ${took_ms} ms after the publish"
check "pick --wait answers once the instance appears (exit $rc)" \
    grep -q '^Late One' "$LAB_DIR/late.out"
check "... within 5 s of its publication, not at the wait's end" \
    test "$took_ms" -lt 5000
lab_on a "$top_builddir/discoctl/discoctl" -s "$sa" pick --wait 500 _never._tcp \
    >/dev/null 2>&1
check "pick --wait on what never comes: not found after the wait" test $? = 1
