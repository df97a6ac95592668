#!/bin/bash
# Access control, as other users: the socket's mode and group decide who
# may connect; [access] rules on peer credentials decide who may register
# and which types; a registration is its uid's (and root's) to renew or
# withdraw; a client's exec check runs with the client's uid, not root's.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"


lab_require_users
lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
dir=$(lab_hostdir a)
sock=$dir/discod.sock
# The other users cannot reach the checkout (it may sit under a 0700
# home): they run the client from a copy in a directory they can read.
share=$(lab_share "$top_srcdir/tests/lab/clients/access_client.py")
client=$share/access_client.py
cd "$share" || exit 1		# nor is the build directory theirs to enter
group=$(getent group 65534 | cut -d: -f1)
[ -n "$group" ] || { echo "Bail out! no group 65534"; exit 1; }
# Users by number: 65534 (in [access] register), 4243 (not), and 4244,
# allowed through its supplementary group 4242.
cat >"$dir/discod.conf" <<CONF
[control]
socket-group = $group
[access]
register = 65534 @4242
restrict-type = _ssh._tcp root
CONF
lab_discod_start a || { echo "Bail out! discod did not start"; exit 1; }
pid=$(lab_discod_pid a)
plan 14

# as UID [SUPPLEMENTARY-GROUPS] REQUEST...: replies, one per line.
as() {
	local uid=$1 groups=$2
	shift 2
	setpriv --reuid="$uid" --regid="$uid" --groups="$groups" \
	    "$PY" "$client" "$sock" "$@"
}

reg() {		# reg NAME TYPE [EXTRA-JSON]
	printf '{"verb":"register","name":"%s","type":"%s","port":9000,"persist":true,"ttl":600%s}' \
	    "$1" "$2" "${3:-}"
}

out=$(lab_as 4243 "$PY" \
    "$client" "$sock" '{"verb":"hello"}')
check "a user outside the socket's group cannot connect ($out)" \
    test "$out" = "connect: Permission denied"

out=$(as 65534 65534 "$(reg Mine _http._tcp)")
check "uid 65534, named in [access] register, registers _http._tcp" \
    grep -q '"ok":true' <<<"$out"
id65534=$(sed -n 's/.*"registration":{"id":\([0-9]*\).*/\1/p' <<<"$out")
[ -n "$id65534" ] || id65534=$(grep -o '"id":[0-9]*' <<<"$out" | head -n 1 | cut -d: -f2)

out=$(as 4243 65534 "$(reg Theirs _http._tcp)")
check "uid 4243, not named, is refused with the rule that refused it" \
    grep -q '"code":"permission-denied".*\[access\] register' <<<"$out"

out=$(as 4244 65534,4242 "$(reg Grouped _http._tcp)")
check "uid 4244 is allowed through its supplementary group @4242" \
    grep -q '"ok":true' <<<"$out"

out=$(as 65534 65534 "$(reg Shell _ssh._tcp)")
check "only root may register _ssh._tcp (restrict-type)" \
    grep -q '"code":"permission-denied".*restrict-type' <<<"$out"
out=$("$PY" "$client" "$sock" "$(reg RootShell _ssh._tcp)")
check "and root may" grep -q '"ok":true' <<<"$out"

out=$(as 4243 65534 "{\"verb\":\"renew\",\"registration\":$id65534}" \
    "{\"verb\":\"unregister\",\"registration\":$id65534}")
check "another uid may neither renew nor withdraw it" \
    test "$(grep -c '"code":"permission-denied"' <<<"$out")" = 2
lab_ctl a -j services >"$dir/services.json"
check "it is still registered" grep -q '"name":"Mine"' "$dir/services.json"
check "(listed with its uid)" grep -q '"uid":65534' "$dir/services.json"

out=$(as 65534 65534 "{\"verb\":\"unregister\",\"registration\":$id65534}")
check "its own uid may withdraw it from another connection" \
    grep -q '"ok":true' <<<"$out"

# The exec check's output is the command's: id -u, run by discod.
out=$(as 65534 65534 "$(reg Checked _http._tcp \
    ',"check":{"type":"exec","command":["id","-u"],"interval":"1s","timeout":"500ms"}')")
check "a client registers with an exec check" grep -q '"ok":true' <<<"$out"
exec_uid() {
	lab_ctl a -j services | grep -q '"output":"65534'
}
check_wait 10 "the check ran as the client's uid (65534), not root" exec_uid

# Rules change on SIGHUP, for registrations from then on.
printf '[control]\nsocket-group = %s\n' "$group" >"$dir/discod.conf"
kill -HUP "$pid"
rereg() {
	as 4243 65534 "$(reg Later _http._tcp)" | grep -q '"ok":true'
}
check_wait 5 "with the rules gone after a reload, uid 4243 may register" rereg
check "discod ran through it all" kill -0 "$pid"
