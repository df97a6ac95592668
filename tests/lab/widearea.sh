#!/bin/bash
# Beyond one link ([wide-area], doc/wide-area.md): hosts a and b on one
# LAN, c and d on another, joined by a router that forwards unicast and
# not multicast, and a 3-member etcd cluster (Debian's etcd-server) on a
# third subnet behind it.  Each host's discod shares its announcements
# through etcd:
# - a's service is not seen by c through mDNS (avahi-browse on c) but is
#   listed, resolved and picked on c through discod, in the domain "site";
# - on b, which sees it on the LAN too, it is in both domains, --domain
#   selects, and pick --prefer local takes the LAN's;
# - a registration on a reaches c, its TXT change too, its withdrawal
#   goes at once; a's own records are not imported on a;
# - a's discod killed -9: its records gone on c within the lease TTL + 1 s;
#   restarted: back, one key each, nothing left over;
# - the member c's session uses stopped: nothing changes for c's clients;
#   two members stopped (no quorum): c's wide-area instances kept and
#   marked stale, its LAN answers unaffected; members back: current again,
#   with what a registered meanwhile;
# - etcd compacted past c's watch while c was stopped: c reads the prefix
#   again (status resyncs) and has what it missed;
# - values no disco host writes (bad JSON, a name not the key's, a huge
#   value, a bad address) are refused, counted, and nothing else lost;
# - two hosts publishing one name: the older record is the one shown;
# - per type: a publishes two of its three types, d imports one.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_require
for cmd in etcd etcdctl; do
	command -v "$cmd" >/dev/null || lab_unavailable "$cmd not installed"
done
lab_up_routed a b -- c d || { echo "Bail out! lab did not come up"; exit 1; }
lab_etcd_start || { echo "Bail out! etcd did not come up"; exit 1; }
plan 35

TTL=3
for h in a b c d; do
	dir=$(lab_hostdir "$h")
	cat >>"$dir/discod.conf" <<EOF
[wide-area]
endpoints = $(lab_etcd_endpoints)
host = $h
lease-ttl = $TTL
timeout-ms = 1000
EOF
done
# Per type: a publishes _wa._tcp and _wai._tcp, not _wax._tcp; d
# imports _wai._tcp only.
echo "publish = _wa._tcp _wai._tcp" >>"$(lab_hostdir a)/discod.conf"
echo "import = _wai._tcp" >>"$(lab_hostdir d)/discod.conf"
# c reads the prefix two keys a page: every read of it there is paged.
echo "read-page = 2" >>"$(lab_hostdir c)/discod.conf"
lab_dnssd a "Web on a" _wa._tcp 8080
lab_dnssd a "Imp on a" _wai._tcp 8082
lab_dnssd a "Lan on a" _wax._tcp 8083
lab_dnssd d "Web on d" _wa._tcp 8081
for h in a b c d; do
	lab_discod_start "$h" || { echo "Bail out! discod did not start on $h"; exit 1; }
done

a4=$(lab_ip4 a)
d4=$(lab_ip4 d)

check_wait 20 "c lists a's service through etcd, in the domain site, at a's address" \
    lab_wa_has c "Web on a site $a4" _wa._tcp
lab_wa_has c "Web on a site $a4" _wa._tcp ||
	diag "etcd holds: $(lab_etcdctl get --prefix /disco/ --keys-only | tr '\n' ' ');" \
	    "a: $(lab_ctl a -j status | grep -o '"wide_area":{[^}]*}');" \
	    "rows: $(lab_wa_rows c _wa._tcp | tr "\n" "|"); c: $(lab_ctl c -j status | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["wide_area"])')"
browse_c=$(lab_on c timeout 5 avahi-browse -pt _wa._tcp 2>&1)
diag "avahi-browse -pt _wa._tcp on c: $(tr '\n' ' ' <<<"$browse_c")"
sees_d_not_a() {
	grep -qF 'Web\032on\032d' <<<"$browse_c" &&
	    ! grep -qF 'Web\032on\032a' <<<"$browse_c"
}
check "mDNS does not cross the router: avahi-browse on c sees d's service, not a's" \
    sees_d_not_a

resolved_on_c() {
	[ "$(lab_ctl c resolve "Web on a" _wa._tcp --domain site --addr)" = "$a4 8080" ]
}
check "c resolves a's service (--domain site) to a's address and port" resolved_on_c
picked_on_c() {	# the site has a's and d's (c imports d's too)
	local k out seen_a=0
	for ((k = 0; k < 20; k++)); do
		out=$(lab_ctl c pick _wa._tcp --domain site --addr) || return 1
		case $out in
		"$a4 8080") seen_a=1 ;;
		"$d4 8081") ;;
		*) return 1 ;;
		esac
	done
	[ "$seen_a" = 1 ]
}
check "c picks among the site's instances (a's, d's), a's among 20 picks" picked_on_c
# Programs that only resolve names: DNS on c answers with a's address.
dns_on_c() {
	lab_on c dig @127.0.0.1 -p 8653 +time=2 +tries=1 +short A \
	    wa.service.disco | grep -qxF "$a4"
}
check "c's DNS interface: wa.service.disco has a's address (from etcd)" dns_on_c
check "c has d's service (its LAN) in the domain local" \
    lab_wa_has c "Web on d local $d4" _wa._tcp
check_wait 10 "b has a's service twice: from the LAN (local) and from etcd (site)" \
    lab_wa_has b "Web on a site $a4" _wa._tcp --domain site
only_local() {
	[ "$(lab_wa_rows b _wa._tcp --domain local | grep -c .)" = 1 ] &&
	    lab_wa_has b "Web on a local $a4" _wa._tcp --domain local
}
check "b's list --domain local has a's LAN instance only" only_local
prefer_local() {
	local k out
	for ((k = 0; k < 20; k++)); do
		out=$(lab_ctl b -j pick _wa._tcp --prefer local) || return 1
		grep -q '"domain":"local"' <<<"$out" || return 1
	done
}
check "b: pick --prefer local takes the LAN's instance (20 of 20)" prefer_local
not_own() {
	[ "$(lab_wa_rows a _wa._tcp --domain site)" = "Web on d site $d4" ]
}
check "a does not import its own record (only d's is in site on a)" not_own
check_wait 5 "per type: d (import = _wai._tcp) imports a's _wai._tcp service" \
    lab_wa_has d "Imp on a site $a4" _wai._tcp --domain site
imports_only() {
	[ -z "$(lab_wa_rows d _wa._tcp --domain site)" ] &&
	    lab_wa_has c "Imp on a site $a4" _wai._tcp --domain site
}
check "per type: d imports no _wa._tcp instance (c, importing all, has both types)" imports_only
publishes_only() {
	[ -z "$(lab_etcdctl get --prefix /disco/a/_wax._tcp/ --keys-only)" ] &&
	    lab_wa_none c "Lan on a" _wax._tcp &&
	    lab_wa_has b "Lan on a local $a4" _wax._tcp
}
check_wait 5 "per type: a (publish = _wa._tcp _wai._tcp) keeps _wax._tcp off etcd; it is on a's LAN only" \
    publishes_only

# A registration on a: reaches c; its TXT changes; it goes at once.
lab_spawn a publish "$top_builddir/discoctl/discoctl" \
    -s "$(lab_hostdir a)/discod.sock" publish "Reg on a" _wa._tcp 9090 v=1
pub=$LAB_LAST_PID
t0=$(date +%s%N)
check_wait 10 "a registration on a reaches c" lab_wa_has c "Reg on a site $a4" _wa._tcp
diag "registration a -> c seen after $((($(date +%s%N) - t0) / 1000000)) ms (polled)"
txt_on_c() {
	lab_ctl c -j resolve "Reg on a" _wa._tcp --domain site | grep -q "\"$1\""
}
check "c has its TXT" txt_on_c v=1
lab_stop "$pub"
check_wait 3 "withdrawn on a: gone on c within 3 s" lab_wa_none c "Reg on a" _wa._tcp

# Hostile values under the prefix: refused, counted, nothing else lost.
rej0=$(lab_wa_status c rejected)
lab_etcdctl put /disco/x/_wa._tcp/Bad1 'not json' >/dev/null
lab_etcdctl put /disco/x/_wa._tcp/Bad2 \
    '{"v":1,"name":"Other","type":"_wa._tcp","host":"x.site","port":1,"addresses":["192.0.2.9"]}' >/dev/null
lab_etcdctl put /disco/x/_wa._tcp/Bad3 \
    '{"v":1,"name":"Bad3","type":"_wa._tcp","host":"x.site","port":1,"addresses":["127.0.0.1"]}' >/dev/null
lab_etcdctl put /disco/x/_wa._tcp/Bad4 \
    "{\"v\":1,\"name\":\"Bad4\",\"type\":\"_wa._tcp\",\"host\":\"x.site\",\"port\":1,\"addresses\":[\"192.0.2.9\"],\"pad\":\"$(head -c 20000 /dev/zero | tr '\0' x)\"}" >/dev/null
lab_etcdctl put /disco/x/_wa._tcp/Good \
    '{"v":1,"name":"Good","type":"_wa._tcp","host":"x.site","port":7,"addresses":["192.0.2.9"]}' >/dev/null
refused() {
	[ "$(lab_wa_status c rejected)" -ge $((rej0 + 4)) ]
}
check_wait 10 "c refuses four bad values (bad JSON, a name not the key's, loopback, 20 kB)" refused
check_wait 5 "c imports the valid one written with them" lab_wa_has c "Good site 192.0.2.9" _wa._tcp
intact() {
	lab_wa_has c "Web on a site $a4" _wa._tcp && lab_wa_none c Bad1 _wa._tcp &&
	    lab_wa_none c Other _wa._tcp && lab_wa_none c Bad3 _wa._tcp &&
	    lab_wa_none c Bad4 _wa._tcp
}
check "c still has a's service, and none of the bad ones" intact
lab_etcdctl del --prefix /disco/x/ >/dev/null

# Two hosts, one name: the older record is shown, the other waits.
lab_etcdctl put /disco/y/_wa._tcp/Twin \
    '{"v":1,"name":"Twin","type":"_wa._tcp","host":"y.site","port":1,"addresses":["192.0.2.1"]}' >/dev/null
lab_etcdctl put /disco/z/_wa._tcp/Twin \
    '{"v":1,"name":"Twin","type":"_wa._tcp","host":"z.site","port":2,"addresses":["192.0.2.2"]}' >/dev/null
check_wait 5 "one name from two hosts: c shows the older (y's) once" \
    lab_wa_has c "Twin site 192.0.2.1" _wa._tcp
lab_etcdctl del /disco/y/_wa._tcp/Twin >/dev/null
check_wait 5 "the older deleted: the other (z's) is shown" \
    lab_wa_has c "Twin site 192.0.2.2" _wa._tcp
lab_etcdctl del --prefix /disco/z/ >/dev/null

# a's discod killed -9: its lease ends its records.
kill -KILL "$(lab_discod_pid a)"
t0=$(date +%s%N)
lab_wait $((TTL + 3)) lab_wa_none c "Web on a" _wa._tcp
gone_ms=$((($(date +%s%N) - t0) / 1000000))
diag "a killed -9: its record gone on c after $gone_ms ms (lease TTL ${TTL}s)"
within() {
	[ "$gone_ms" -le $(((TTL + 1) * 1000)) ]
}
check "a killed -9: its record gone on c within TTL + 1 s ($gone_ms ms)" within
lab_discod_start a || { echo "Bail out! discod did not restart on a"; exit 1; }
check_wait 10 "a restarted: its service back on c" lab_wa_has c "Web on a site $a4" _wa._tcp
one_key() {
	[ "$(lab_etcdctl get --prefix /disco/a/_wa._tcp/ --keys-only | grep -c .)" = 1 ]
}
check_wait 5 "a restarted: one key under a's prefix in etcd, no leftover" one_key

# The member c's session uses stops: nothing changes for c's clients.
ep=$(lab_wa_status c endpoint)
for k in 1 2 3; do
	[ "$(lab_etcd_endpoint "$k")" = "$ep" ] && m=$k
done
lab_etcd_member_stop "$m"
diag "stopped member e$m, c's endpoint ($ep)"
steady() {
	local k
	for ((k = 0; k < 30; k++)); do
		lab_wa_has c "Web on a site $a4" _wa._tcp || return 1
		sleep 0.1
	done
}
check "c's member stopped: a's service on c throughout the next 3 s" steady
moved() {
	[ "$(lab_wa_status c endpoint)" != "$ep" ] && [ "$(lab_wa_status c stale)" = False ]
}
check_wait 5 "c's session on another member, not stale" moved

# A second member stops: no quorum.  Wide-area answers kept, stale; the
# LAN's answered as before.
n=$((m % 3 + 1))
lab_etcd_member_stop "$n"
check_wait 15 "no quorum: c keeps a's service, marked stale" \
    lab_wa_has c "Web on a site $a4 stale" _wa._tcp
lan_fresh() {
	lab_wa_has c "Web on d local $d4" _wa._tcp --domain local &&
	    [ "$(lab_ctl c resolve "Web on d" _wa._tcp --addr)" = "$d4 8081" ]
}
check "no quorum: c's LAN instance unaffected (listed, resolved, not stale)" lan_fresh
stale_status() {
	[ "$(lab_wa_status c stale)" = True ]
}
check "no quorum: status wide_area.stale on c" stale_status
pages0=$(lab_wa_status c pages)
# Meanwhile a registers a service that etcd cannot take yet.
lab_spawn a publish2 "$top_builddir/discoctl/discoctl" \
    -s "$(lab_hostdir a)/discod.sock" publish "Late on a" _wa._tcp 9191
lab_etcd_member_start "$m"
lab_etcd_member_start "$n"
current() {
	lab_wa_has c "Web on a site $a4" _wa._tcp &&
	    lab_wa_has c "Late on a site $a4" _wa._tcp &&
	    [ "$(lab_wa_status c stale)" = False ]
}
check_wait 20 "quorum back: c current again, with what a registered meanwhile" current
paged() {	# a's three records, then d's: two pages at least
	[ "$(lab_wa_status c pages)" -ge $((pages0 + 2)) ] &&
	    lab_wa_has c "Imp on a site $a4" _wai._tcp &&
	    lab_wa_has c "Web on d site $d4" _wa._tcp --domain site
}
check "c (read-page = 2) read the prefix again in pages, the last page's records kept ($pages0 -> $(lab_wa_status c pages))" paged
exactly() {
	[ "$(lab_wa_rows c _wa._tcp --domain site | cut -d' ' -f1-3 | sort | uniq -d)" = "" ] &&
	    [ "$(lab_etcdctl get --prefix /disco/a/_wa._tcp/ --keys-only | grep -c .)" = 2 ]
}
check "nothing duplicated: one row per instance on c, two keys for a" exactly

# etcd compacted past c's watch while c was away: c cannot resume where it
# stopped, reads the prefix again (resyncs), and has what it missed.  c's
# discod is stopped (SIGSTOP), then the member its watch is on (so that
# no event of what follows reaches c's socket), then a registers and etcd
# is compacted to the latest revision; c, going on, finds its watch ended
# and resumes it on another member from its last revision.
res0=$(lab_wa_status c resyncs)
ep=$(lab_wa_status c endpoint)
for k in 1 2 3; do
	[ "$(lab_etcd_endpoint "$k")" = "$ep" ] && m=$k
done
cpid=$(lab_discod_pid c)
kill -STOP "$cpid"
lab_etcd_member_stop "$m"
lab_spawn a publish3 "$top_builddir/discoctl/discoctl" \
    -s "$(lab_hostdir a)/discod.sock" publish "Missed by c" _wa._tcp 9292
pub3=$LAB_LAST_PID
in_etcd() {
	lab_etcdctl get "/disco/a/_wa._tcp/Missed by c" --keys-only | grep -q .
}
lab_wait 10 in_etcd || diag "a's registration did not reach etcd"
# One more write after a's, outside disco's prefix: compacting to the
# revision of a's put alone would keep that revision, and c could resume
# its watch there without reading the prefix again.
lab_etcdctl put /lab/after-missed 1 >/dev/null || diag "etcdctl put failed"
rev=$(lab_etcdctl get /lab/after-missed --keys-only -w json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])')
lab_etcdctl compact "$rev" >/dev/null || diag "etcdctl compact $rev failed"
kill -CONT "$cpid"
check_wait 15 "etcd compacted past c's watch: c reads the prefix again and has what it missed" \
    lab_wa_has c "Missed by c site $a4" _wa._tcp
resynced() {
	[ "$(lab_wa_status c resyncs)" -gt "$res0" ]
}
check "c's status counts the resync after the compaction (resyncs $res0 -> $(lab_wa_status c resyncs))" resynced
resynced || diag "c's log: $(grep 'wide-area' "$(lab_hostdir c)/discod.log" | tail -n 8 | tr '\n' '|')"
lab_stop "$pub3"
lab_etcd_member_start "$m"

# d's discod stopped cleanly: its lease revoked, its record gone at once,
# not a TTL later.
lab_stop "$(lab_discod_pid d)"
t0=$(date +%s%N)
lab_wait 5 lab_wa_none c "Web on d" _wa._tcp --domain site
stop_ms=$((($(date +%s%N) - t0) / 1000000))
diag "d stopped (SIGTERM): its record gone on c after $stop_ms ms"
revoked() {
	[ "$stop_ms" -lt 1500 ]
}
check "d stopped: its record gone on c within 1.5 s, under the ${TTL}s lease ($stop_ms ms)" revoked
