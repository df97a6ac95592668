#!/bin/bash
# The wide area's security model (doc/wide-area.md, "Security model")
# against a real etcd that serves TLS, wants client certificates and
# authenticates: host a on one LAN, c and d on another, joined by a
# router, and a one-member etcd (LAB_ETCD_TLS=1: https://,
# --client-cert-auth) on a third subnet, with the users root, disco-a,
# disco-c and disco-d, each host's role readwrite on /disco/HOST/ and
# read on /disco/, and auth enabled.  Every discod has an https://
# endpoint, ca, a client certificate of its own (without a CN: once auth
# is on, etcd 3.4's JSON gateway refuses any request whose client
# certificate has one), user and password-file (mode 0600).
# - a's service is listed on c through etcd, and c's on a: TLS, the client
#   certificates, the tokens and the roles work end to end;
# - as disco-a, etcdctl may write under /disco/a/, and may neither write
#   nor delete under /disco/c/;
# - d's discod with a wrong password: its status error names authenticate,
#   nothing of d's reaches etcd or a, nothing is imported on d, and d's
#   LAN works as before;
# - trusting another CA, d's discod refuses etcd's certificate (and so
#   never sends its password there); with a client certificate from
#   another CA, etcd refuses d; nothing imported either way;
# - d's discod claiming c's host id with d's user: etcd refuses its put,
#   and c's record, which d's discod takes for a leftover of its own and
#   deletes, stays as it was;
# - with the right settings, d joins the site;
# - a's token expired (etcd --auth-token-ttl 2): a logs in again, and a
#   registration made then reaches c;
# - no password is in any discod's log (-v) or status.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

bail() {
	echo "Bail out! $*"
	exit 1
}

lab_require
for cmd in etcd etcdctl openssl; do
	command -v "$cmd" >/dev/null || lab_unavailable "$cmd not installed"
done
lab_up_routed a -- c d || bail "lab did not come up"
# The security model, not failover (tests/lab/widearea.sh has that): one
# member is enough, and starts quicker.
LAB_ETCD_TLS=1
LAB_ETCD_N=1
# Tokens that expire after 2 s unused (300 s by default), so that a
# token refused (HTTP 401) and discod logging in again is seen here.
LAB_ETCD_ARGS="--auth-token-ttl 2"
lab_etcd_start || bail "etcd did not come up"
plan 18

PKI=$LAB_ETCD_PKI
OTHER=$LAB_DIR/other-ca
if ! lab_pki_ca "$OTHER" ||
    ! lab_pki_cert "$OTHER" rogue "/O=disco lab/OU=rogue"; then
	bail "no second CA"
fi
declare -A pw
for h in root a c d; do
	pw[$h]=$(openssl rand -hex 16)
done
BAD=$(openssl rand -hex 16)

# Users and roles as doc/wide-area.md shows them, and a client
# certificate for each host; once auth is on, etcdctl is root by its
# certificate's CN.
etcd_auth() {
	local h
	lab_etcdctl role add root &&
	    lab_etcdctl user add "root:${pw[root]}" &&
	    lab_etcdctl user grant-role root root || return 1
	for h in a c d; do
		lab_pki_cert "$PKI" "disco-$h" "/O=disco lab/OU=$h" &&
		    lab_etcdctl role add "disco-$h" &&
		    lab_etcdctl role grant-permission "disco-$h" --prefix=true \
			readwrite "/disco/$h/" &&
		    lab_etcdctl role grant-permission "disco-$h" --prefix=true \
			read /disco/ &&
		    lab_etcdctl user add "disco-$h:${pw[$h]}" &&
		    lab_etcdctl user grant-role "disco-$h" "disco-$h" || return 1
	done
	lab_etcdctl auth enable
}
etcd_auth >"$LAB_DIR/etcd-auth.log" 2>&1 || {
	sed 's/^/# /' "$LAB_DIR/etcd-auth.log"
	bail "etcd's users and roles"
}

# wa_conf HOST PASSWORD CA CERT [ID]: HOST's discod.conf, its services
# and the wide area as the user disco-HOST with PASSWORD (in a file of
# mode 0600), trusting CA, with the client certificate CERT.pem and its
# key CERT-key.pem, as host ID (HOST).
wa_conf() {
	local h=$1 dir
	dir=$(lab_hostdir "$h")
	(umask 077 && printf '%s\n' "$2" >"$dir/etcd-password")
	cat >"$dir/discod.conf" <<EOF
[announce]
services-dir = $dir/services

[wide-area]
endpoints = $(lab_etcd_endpoints)
ca = $3
cert = $4.pem
key = $4-key.pem
user = disco-$h
password-file = $dir/etcd-password
host = ${5:-$h}
lease-ttl = 3
timeout-ms = 1000
EOF
}
lab_dnssd a "Web on a" _wa._tcp 8080
lab_dnssd c "Web on c" _wa._tcp 8081
lab_dnssd d "Web on d" _wa._tcp 8082
wa_conf a "${pw[a]}" "$PKI/ca.pem" "$PKI/disco-a"
wa_conf c "${pw[c]}" "$PKI/ca.pem" "$PKI/disco-c"
wa_conf d "$BAD" "$PKI/ca.pem" "$PKI/disco-d"
mode_ok() {
	[ "$(stat -c %a "$(lab_hostdir d)/etcd-password")" = 600 ]
}
mode_ok || bail "the password file's mode"
for h in a c d; do
	lab_discod_start "$h" || bail "discod did not start on $h"
done
# d's discod again with other settings; every run's log kept in
# discod-runs.log (lab_spawn starts a new discod.log).
restart_d() {
	local dir
	dir=$(lab_hostdir d)
	lab_stop "$(lab_discod_pid d)"
	cat "$dir/discod.log" >>"$dir/discod-runs.log"
	wa_conf d "$@"
	lab_discod_start d || bail "discod did not restart on d"
}

a4=$(lab_ip4 a)
c4=$(lab_ip4 c)
d4=$(lab_ip4 d)

check_wait 20 "c lists a's service through etcd (TLS, client certificate, disco-a's token), in site" \
    lab_wa_has c "Web on a site $a4" _wa._tcp
lab_wa_has c "Web on a site $a4" _wa._tcp ||
	diag "etcd holds: $(lab_etcdctl get --prefix /disco/ --keys-only | tr '\n' ' ')" \
	    "a: $(lab_ctl a -j status | grep -o '"wide_area":{[^}]*}')" \
	    "c: $(lab_ctl c -j status | grep -o '"wide_area":{[^}]*}')"
check_wait 10 "a lists c's service through etcd (as disco-c), in site" \
    lab_wa_has a "Web on c site $c4" _wa._tcp --domain site
keys() {
	lab_etcdctl get --prefix /disco/ --keys-only | grep . | sort
}
two_keys() {
	[ "$(keys)" = "/disco/a/_wa._tcp/Web on a
/disco/c/_wa._tcp/Web on c" ]
}
check "etcd holds a's key and c's, nothing of d's (wrong password)" two_keys

# The roles: etcdctl as disco-a, from a, with a's client certificate.
as_a() {
	lab_etcdctl_on a --user "disco-a:${pw[a]}" --cert="$PKI/disco-a.pem" \
	    --key="$PKI/disco-a-key.pem" "$@"
}
FORGED='{"v":1,"name":"Forged","type":"_wa._tcp","host":"c.site","port":1,"addresses":["192.0.2.9"]}'
put_refused() {
	as_a put "/disco/c/_wa._tcp/Forged" "$FORGED" >"$LAB_DIR/forged.out" 2>&1 &&
	    return 1
	grep -q 'permission denied' "$LAB_DIR/forged.out" &&
	    [ -z "$(lab_etcdctl get /disco/c/_wa._tcp/Forged)" ]
}
check "disco-a may not put under /disco/c/: permission denied, nothing written" \
    put_refused
diag "etcdctl: $(tail -n 1 "$LAB_DIR/forged.out")"
del_refused() {
	local out
	out=$(as_a del --prefix /disco/c/ 2>&1) && return 1
	grep -q 'permission denied' <<<"$out" && two_keys
}
check "disco-a may not delete c's record: permission denied, c's key still there" \
    del_refused
own_ok() {
	as_a put /disco/a/probe x >/dev/null &&
	    [ "$(lab_etcdctl get /disco/a/probe --print-value-only)" = x ] &&
	    as_a del /disco/a/probe >/dev/null &&
	    [ -z "$(lab_etcdctl get /disco/a/probe)" ]
}
check "disco-a may put and delete under /disco/a/" own_ok

# failing HOST PATTERN: HOST's wide area failed twice at least and is not
# up; its error matches PATTERN (grep -Ei).
failing() {
	[ "$(lab_wa_status "$1" failovers)" -ge 2 ] &&
	    [ "$(lab_wa_status "$1" state)" != up ] &&
	    lab_wa_status "$1" error | grep -Eqi -- "$2"
}
nothing_of_d() {
	[ -z "$(lab_etcdctl get --prefix /disco/d/ --keys-only)" ] &&
	    two_keys && lab_wa_none a "Web on d" _wa._tcp --domain site &&
	    [ -z "$(lab_wa_rows d _wa._tcp --domain site)" ]
}

# d with a wrong password.
check_wait 10 "d, wrong password: fails again and again, its status error names authenticate" \
    failing d authenticat
diag "d's error: $(lab_wa_status d error)"
check "d, wrong password: nothing of d's in etcd nor on a, nothing imported on d" \
    nothing_of_d
lan_d() {
	lab_wa_has d "Web on c local $c4" _wa._tcp &&
	    lab_wa_has c "Web on d local $d4" _wa._tcp --domain local
}
check_wait 10 "d, wrong password: its LAN works (d lists c's service, c lists d's)" \
    lan_d

# d trusting another CA: etcd's certificate refused.
restart_d "${pw[d]}" "$OTHER/ca.pem" "$PKI/disco-d"
check_wait 10 "d, another CA: refuses etcd's certificate (its error names it), again and again" \
    failing d certificate
diag "d's error: $(lab_wa_status d error)"
check "d, another CA: nothing of d's in etcd nor on a, nothing imported on d" \
    nothing_of_d

# d with a client certificate from another CA: etcd refuses d.
restart_d "${pw[d]}" "$PKI/ca.pem" "$OTHER/rogue"
refused_rogue() {
	failing d . && nothing_of_d
}
check_wait 10 "d, a client certificate from another CA: refused, again and again, nothing imported" \
    refused_rogue
diag "d's error: $(lab_wa_status d error)"

# d claiming c's host id, as disco-d: its put under /disco/c/ refused.
c_record() {
	lab_etcdctl get --prefix /disco/c/ -w json | python3 -c '
import json, sys
print([(k["key"], k["value"], k["mod_revision"]) for k in json.load(sys.stdin).get("kvs", [])])'
}
c_before=$(c_record)
restart_d "${pw[d]}" "$PKI/ca.pem" "$PKI/disco-d" c
forbidden() {
	[ "$(lab_wa_status d failovers)" -ge 2 ] &&
	    lab_wa_status d error | grep -q 'put: HTTP status 403'
}
check_wait 10 "d as host c: etcd refuses its put (status error: put, HTTP status 403)" \
    forbidden
intact() {
	[ "$(c_record)" = "$c_before" ] && two_keys &&
	    [ "$(lab_wa_rows a _wa._tcp --domain site)" = "Web on c site $c4" ]
}
check "d as host c: c's record unchanged in etcd, a lists c's service only" intact

# The right settings: d joins.
restart_d "${pw[d]}" "$PKI/ca.pem" "$PKI/disco-d"
check_wait 10 "d, the right settings: a lists d's service through etcd" \
    lab_wa_has a "Web on d site $d4" _wa._tcp --domain site
check_wait 5 "d, the right settings: d imports a's service" \
    lab_wa_has d "Web on a site $a4" _wa._tcp --domain site

# a's token expired: a's discod is idle for 4 s (keepalives take no
# token and do not keep it), then registers a service.  etcd refuses the
# put (401); discod logs in again on the same member and the put goes.
refused_on_a() {
	grep -c 'token refused' "$(lab_hostdir a)/discod.log"
}
logins0=$(lab_wa_status a logins)
refused0=$(refused_on_a)
sleep 4
lab_spawn a publish "$top_builddir/discoctl/discoctl" \
    -s "$(lab_hostdir a)/discod.sock" publish "Late on a" _wa._tcp 9090
pub=$LAB_LAST_PID
relogin() {
	lab_wa_has c "Late on a site $a4" _wa._tcp &&
	    [ "$(lab_wa_status a logins)" -gt "$logins0" ] &&
	    [ "$(refused_on_a)" -gt "$refused0" ]
}
check_wait 10 "a's token expired (unused for 4 s): a logs in again and its new registration reaches c" \
    relogin
diag "a's logins: $logins0 -> $(lab_wa_status a logins); 'token refused' in its log: $refused0 -> $(refused_on_a)"
lab_stop "$pub"

# No password in the logs (every run of d's included) nor in status.
cat "$(lab_hostdir d)/discod.log" >>"$(lab_hostdir d)/discod-runs.log"
no_secret() {
	local p h logs=("$(lab_hostdir a)/discod.log" "$(lab_hostdir c)/discod.log"
	    "$(lab_hostdir d)/discod-runs.log")
	# the logs hold the wide area's work, failed logins included
	grep -q 'authenticate: HTTP status' "${logs[2]}" || return 1
	for p in "${pw[@]}" "$BAD"; do
		! grep -qF -- "$p" "${logs[@]}" || return 1
		for h in a c d; do
			! lab_ctl "$h" -j status | grep -qF -- "$p" || return 1
		done
	done
}
check "no password (right or wrong) in discod's logs (-v) or status on a, c, d" \
    no_secret
