#!/bin/bash
# What one local user may take or see of others' services (issue 15,
# findings 10 and 12): the name of a service file is reserved while the
# service is withdrawn (a user registering it first would make root's
# come back as "Name #2"), and `services` shows a user its own
# registrations only, unless [access] services-visible = all.  Users
# 4249 and 4250 are used by nothing else.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

U1=4249
U2=4250

lab_require_users
lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
da=$(lab_hostdir a)
sock=$da/discod.sock
mkdir -p "$da/services"
cat >"$da/services/web.dnssd" <<X
[Service]
Name=Root Web
Type=_http._tcp
Port=80
[Check]
Type=exec
Command=test -e $da/up
Interval=300ms
Timeout=200ms
Rise=1
Fall=1
X
conf() {
	printf '[control]\nsocket-mode = 0666\n[announce]\nservices-dir = %s/services\n%s' \
	    "$da" "${1:-}" >"$da/discod.conf"
}
conf
share=$(lab_share "$top_srcdir/tests/lab/clients/access_client.py")
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
cd "$share" || exit 1		# the other users cannot enter the build tree
plan 9

as() {
	local uid=$1
	shift
	lab_as "$uid" "$PY" "$share/access_client.py" "$sock" "$@"
}
reg() {
	printf '{"verb":"register","name":"%s","type":"%s","port":%s,"persist":true,"ttl":600}' "$@"
}
# names UID: the names `services` shows that user (root: 0), sorted.
names() {
	as "$1" '{"verb":"services"}' | "$PY" -c '
import json, sys
print(" ".join(sorted(s["name"] for s in json.load(sys.stdin)["services"])))'
}

# Finding 10: root's service is withdrawn (its check fails).
out=$(as $U1 "$(reg "Root Web" _http._tcp 8080)")
diag "$out"
check "a user cannot take the name of a withdrawn service file" \
    grep -q '"code":"permission-denied".*"field":"name"' <<<"$out"
out=$(as $U1 "$(reg "ROOT WEB" _HTTP._tcp 8080)")
check "nor in other letter cases" grep -q '"code":"permission-denied"' <<<"$out"
out=$(as $U1 "$(reg "Root Web" _ipp._tcp 631)")
check "the same name with another type is free" grep -q '"ok":true' <<<"$out"
touch "$da/up"
established() {
	as 0 '{"verb":"services"}' | "$PY" -c '
import json, sys
sys.exit(not any("file" in s["origin"] and
                 s["name"] == "Root Web" and s["type"] == "_http._tcp" and
                 s["state"] == "established" and s["final_name"] == "Root Web"
                 and not s["renamed"]
                 for s in json.load(sys.stdin)["services"]))'
}
check_wait 15 "root's service comes back under its own name" established

# Finding 12: who sees what.
as $U1 "$(reg Mine _x._tcp 1)" >/dev/null
as $U2 "$(reg Other _x._tcp 2)" >/dev/null
as 0 "$(reg Roots _x._tcp 3)" >/dev/null
got=$(names $U1)
diag "uid $U1 sees: $got"
check "a user sees its own registrations only" test "$got" = "Mine Root Web"
got=$(names $U2)
check "and so does another" test "$got" = "Other"
got=$(names 0)
diag "root sees: $got"
check "root sees every service" test "$got" = "Mine Other Root Web Root Web Roots"
conf '[access]
services-visible = all
'
kill -HUP "$pid"
all_visible() { test "$(names $U1)" = "Mine Other Root Web Root Web Roots"; }
check_wait 10 "with services-visible = all, a user sees every service" all_visible
check "discod runs on" kill -0 "$pid"
