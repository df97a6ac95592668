#!/bin/bash
# The lab itself: a service published with avahi-publish on host a is seen
# resolved on host b with a's address and TXT, and removed once the
# publisher stops.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b || { echo "Bail out! lab did not come up"; exit 1; }
plan 5

lab_spawn a publish avahi-publish -s "Lab Test" _labtest._tcp 4242 \
    "k=v" "sp=a b"
pub=$LAB_LAST_PID

# b's view, one resolved line: =;eth0;IPv4;name;type;domain;host;addr;port;txt
resolved() {
	lab_on b avahi-browse -rpt _labtest._tcp 2>/dev/null |
	    grep '^=;eth0;IPv4;Lab\\032Test;_labtest._tcp;local;'
}
seen() {
	resolved >"$LAB_DIR/seen"
}

check_wait 10 "b resolves the service published on a" seen
line=$(head -n 1 "$LAB_DIR/seen")
diag "b sees: $line"
check "with a's host name, address and port" \
    test "$(echo "$line" | cut -d';' -f7-9)" = "lab-a.local;$LAB_SUBNET.1;4242"
check "with a's TXT records" \
    test "$(echo "$line" | cut -d';' -f10)" = '"sp=a b" "k=v"'

# Only what a live check saw counts as gone: b must have listed it first.
check "b lists it while the publisher runs" \
    lab_wait 5 lab_on b sh -c "avahi-browse -pt _labtest._tcp | grep -q 'Lab.032Test'"
lab_stop "$pub"
gone() {
	! lab_on b avahi-browse -pt _labtest._tcp 2>/dev/null | grep -q 'Lab\\032Test'
}
check_wait 10 "b no longer lists it once the publisher stops" gone
