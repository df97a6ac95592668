#!/bin/bash
# Avahi refusing for a while, with every avahi-daemon in the lab allowing
# each D-Bus client only a handful of objects (browsers, resolvers, entry
# groups): announcements Avahi refused are announced once room is made,
# and instances whose resolvers Avahi refused are resolved later.  Before
# discod tried again, both stayed missing for good.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

BULK=20		# static services on b, resolved on a
FILES=8		# .dnssd files announced by b's discod
export LAB_AVAHI_SERVER="objects-per-client-max=6"
lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
db=$(lab_hostdir b)

# b: BULK avahi service files (not client objects: no limit), written
# while its avahi-daemon is stopped.
lab_stop "$(lab_avahi_pid b)"
lab_service_files b _rt._tcp "Rt " 1 "$BULK" 7100
lab_avahi_start b || { echo "Bail out! avahi-daemon on b"; exit 1; }

# b's discod: one browser (a type nobody announces) and FILES entry
# groups, more than the 6 objects avahi-daemon allows it.
mkdir -p "$db/dnssd"
for n in $(seq 1 "$FILES"); do
	printf '[Service]\nName=Ann %s\nType=_ann._tcp\nPort=%s\n' \
	    "$n" $((7200 + n)) >"$db/dnssd/ann$n.dnssd"
done
printf '[announce]\nservices-dir = %s/dnssd\n[browse]\ntypes = _none._tcp\n' \
    "$db" >"$db/discod.conf"
# a's discod: two browsers, resolvers freed after each answer, and up to
# 16 at once, more than the 4 objects left.
printf '[browse]\ntypes = _rt._tcp _ann._tcp\nresolvers-max = 0\nresolve-concurrency = 16\n' \
    >"$da/discod.conf"
lab_discod_start b || { echo "Bail out! discod did not start on b"; exit 1; }
lab_discod_start a || { echo "Bail out! discod did not start on a"; exit 1; }
plan 10

# b's services, once none is still on its way: how many established,
# how many refused, the first refused name, the established file numbers.
services() {
	lab_ctl b -j services | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"]
if any(x["state"] in ("waiting", "probing") for x in s):
    sys.exit(1)
est = [x["name"].split()[1] for x in s if x["state"] == "established"]
bad = [x["name"] for x in s if x["state"] == "failed" and
       x.get("error") == "Too many objects"]
print(len(est), len(bad), (bad + ["-"])[0].replace(" ", "_"), *est)
'
}
settled() { services >/dev/null; }
check_wait 20 "b's announcements settle" settled
read -r nest nbad failed established < <(services)
failed=${failed//_/ }
diag "established $nest, refused $nbad (first: $failed)"
check "Avahi refused some for its object limit (${nbad:-0} of $FILES)" \
    test "${nbad:-0}" -ge 1
check "and b's discod says it will try again" \
    grep -q 'Too many objects; trying again in' "$db/discod.log"
# Make room: withdraw three established ones.
read -r -a est <<<"$established"
removed=0
for n in "${est[@]:0:3}"; do
	rm -f "$db/dnssd/ann$n.dnssd"
	removed=$((removed + 1))
done
lab_ctl b reload >/dev/null
# The refused one comes back at its next try: at most 16 s (+50%) away.
established_now() {
	lab_ctl b -j services | grep -q "\"name\":\"$failed\",[^}]*\"state\":\"established\""
}
check_wait 40 "the refused \"$failed\" is announced once there is room" \
    established_now
all_there() {
	[ "$(services | cut -d' ' -f1)" = $((FILES - removed)) ]
}
check_wait 60 "all $((FILES - removed)) remaining files end up announced" \
    all_there

# a: every one of b's BULK instances resolved in the end.
count() {
	lab_ctl a -j list "$1" | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["instances"]))'
}
all_resolved() { [ "$(count _rt._tcp)" = "$BULK" ]; }
check_wait 60 "a resolves all $BULK of b's instances" all_resolved
status_field() {
	lab_ctl a -j status | python3 -c '
import json, sys
print(json.load(sys.stdin)["browse"]["'"$1"'"])'
}
fails=$(status_field failures)
check "though Avahi refused it resolvers ($fails failures)" \
    test "${fails:-0}" -ge 1
no_retry() { [ "$(status_field retrying)" = 0 ]; }
check_wait 30 "nothing is left waiting to be tried again" no_retry
# resolvers-max = 0 (a's discod.conf): each resolver is closed after its
# first answer (the default keeps up to 512 open to follow changes).
check "resolvers-max = 0: no resolver kept open ($(status_field resolvers_open) open, $(status_field resolutions) resolutions)" \
    test "$(status_field resolvers_open)" = 0 -a "$(status_field resolutions)" -ge "$BULK"
ann_seen() { [ "$(count _ann._tcp)" = $((FILES - removed)) ]; }
check_wait 60 "a sees b's $((FILES - removed)) announcements" ann_seen
