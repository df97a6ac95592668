#!/bin/bash
# What each discoctl option puts in its request, and what discoctl prints
# (issue 25), against a stand-in agent on this machine (no lab) that
# writes down every line it receives and answers each verb from a fixed
# reply.  An option that discoctl accepts but leaves out of its request
# (pick --policy, list --interface, publish --subtype, ...) fails here;
# what discod does with each field is tested against discod itself
# (tests/unit/check_watch.c, the lab).  run: --ttl's heartbeats, the
# command's status, 128 + the signal that killed it, 127 when it cannot
# be run, and a signal to discoctl passed on to the command.  The plain
# text of services, list and pick is compared with tests/golden/discoctl.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

ctl=$top_builddir/discoctl/discoctl
golden=$top_srcdir/tests/golden/discoctl
tmp=$(mktemp -d)
spid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
plan 54

sock=$tmp/agent.sock
log=$tmp/requests
# The stand-in: each request line goes to $log as it came; bounded (it
# stops after 120 s).  Fixed clocks: the instances' times are 0 so that
# the printed text does not depend on today.
python3 - "$sock" "$log" <<'PY' &
import json, socket, sys, threading, time
path, log = sys.argv[1], sys.argv[2]
lock = threading.Lock()
inst = lambda name, port, txt, addrs: {
    "name": name, "type": "_demo._tcp", "domain": "local",
    "fullname": name.replace(".", "\\.") + "._demo._tcp.local",
    "host": "lab-b.local", "port": port, "priority": 0, "weight": 0,
    "txt": txt, "addresses": addrs, "local": False,
    "first_seen": 0, "last_changed": 0, "last_confirmed": 0, "index": 3}
one = inst("Demo One", 5001, ["role=web", "w=2"],
           [{"address": "198.51.100.2", "family": "ipv4", "interface": "eth0"}])
two = inst("Demo.Two", 5002, [],
           [{"address": "198.51.100.3", "family": "ipv4", "interface": "eth1"},
            {"address": "2001:db8::3", "family": "ipv6", "interface": "eth1"}])
service = {"id": 1, "origin": {"file": "/etc/disco/services/web.dnssd"},
           "name": "Web on %h", "final_name": "Web on build7",
           "renamed": False, "type": "_http._tcp", "subtypes": ["_printer"],
           "port": 8080, "txt": ["path=/"], "state": "established"}
leased = {"id": 7, "origin": {"pid": 4242, "uid": 1000, "connected": True},
          "name": "Build log", "final_name": "Build log (2)",
          "renamed": True, "type": "_http._tcp", "subtypes": [],
          "port": 8000, "txt": [], "state": "probing", "ttl": 30,
          "lease_remaining": 12, "persist": False}
def answer(req):
    verb = req.get("verb")
    if verb == "register":
        reg = dict(leased, name=req["name"], final_name=req["name"],
                   renamed=False, type=req["type"], port=req["port"])
        if req["name"] == "Fails":
            reg.update(state="failed", error="Local name collision")
        elif req.get("persist"):    # publish --persist returns at once
            reg.update(state="established")
        return {"ok": True, "registration": reg}
    if verb == "services":
        return {"ok": True, "services": [service, leased]}
    if verb == "list":
        return {"ok": True, "instances": [one, two]}
    if verb == "pick":
        if "wait_ms" in req:    # the instance comes 1.5 s later
            time.sleep(1.5)
        inst = dict(one, addresses=[]) if "noaddr" in req.get("txt", []) else one
        return {"ok": True, "policy": req.get("policy", "weighted"),
                "candidates": 2, "instance": inst}
    if verb == "watch":
        return {"ok": True, "index": 3, "instances": []}
    if verb == "types":         # not protocol 1: no "ok"
        return {"greeting": "not disco"}
    return {"ok": True}
def serve(c):
    f = c.makefile("rw")
    for line in f:
        with lock, open(log, "a") as l:
            l.write(line)
        req = json.loads(line)
        r = answer(req)
        if "id" in req:
            r["id"] = req["id"]
        f.write(json.dumps(r) + "\n")
        f.flush()
        # Registrations named for what happens to them next.
        name = req.get("name") if req.get("verb") == "register" else None
        if name == "Expires":
            time.sleep(0.3)
            f.write(json.dumps({"event": "expired", "id": 7}) + "\n")
            f.flush()
        elif name == "Vanish":
            time.sleep(0.3)
            c.shutdown(socket.SHUT_RDWR)
            c.close()
            return
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
s.settimeout(1)
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
spid=$!
for ((i = 0; i < 50; i++)); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || { echo "Bail out! the stand-in agent did not start"; exit 1; }

# ask ARGS...: run discoctl against the stand-in (bounded); rc is its
# exit status, r the last request it sent (one JSON object).
ask() {
	: >"$log"
	timeout 10 "$ctl" -s "$sock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	r=$(tail -n 1 "$log")
}
# field JSON EXPR: EXPR (Python, over r) of the request JSON, printed.
field() {
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$1" "$2" 2>/dev/null
}
# is JSON EXPR WANT: EXPR of JSON equals WANT (JSON text).
is() {
	[ "$(field "$1" "$2")" = "$3" ]
}

ask pick _demo._tcp --policy round-robin
check "pick --policy round-robin: policy in the request ($r)" \
    is "$r" 'r["policy"]' '"round-robin"'
ask pick _demo._tcp --policy sticky --key user-42
check "pick --policy sticky --key user-42: policy and key in the request" \
    is "$r" '[r["policy"], r["key"]]' '["sticky", "user-42"]'
ask pick _demo._tcp --subtype _printer --interface eth1 --family ipv6
check "pick --subtype --interface --family: each in the request ($r)" \
    is "$r" '[r["subtype"], r["interface"], r["family"]]' \
    '["_printer", "eth1", "ipv6"]'
ask pick _demo._tcp role=web --txt w --wait 1500 --domain site --prefer local
check "pick role=web --txt w --wait --domain --prefer: txt, wait_ms, domain, prefer ($r)" \
    is "$r" '[sorted(r["txt"]), r["wait_ms"], r["domain"], r["prefer"]]' \
    '[["role=web", "w"], 1500, "site", "local"]'
ask list _demo._tcp --interface eth0
check "list --interface eth0: interface in the request ($r)" \
    is "$r" '[r["verb"], r["type"], r["interface"]]' \
    '["list", "_demo._tcp", "eth0"]'
ask list
check "list with no type: no type in the request ($r)" \
    is "$r" '[r["verb"], "type" in r]' '["list", false]'
ask resolve 'Demo.Two' _demo._tcp --wait 250 --domain site
check "resolve --wait --domain: wait_ms and domain ($r)" \
    is "$r" '[r["name"], r["type"], r["wait_ms"], r["domain"]]' \
    '["Demo.Two", "_demo._tcp", 250, "site"]'

ask publish --persist --ttl 60 --subtype _printer --subtype _scan \
    'Lab printer' _ipp._tcp 631 color=yes --txt duplex
check "publish --subtype twice: subtypes in order ($r)" \
    is "$r" 'r["subtypes"]' '["_printer", "_scan"]'
check "publish --ttl 60 --persist: ttl and persist" \
    is "$r" '[r["ttl"], r["persist"]]' '[60, true]'
# (--txt's strings first, then the KEY=VALUE operands': getopt takes the
# options before the operands.)
check "publish operands and --txt: name, type, port, txt" \
    is "$r" '[r["name"], r["type"], r["port"], r["txt"]]' \
    '["Lab printer", "_ipp._tcp", 631, ["duplex", "color=yes"]]'
ask publish --persist --ttl 60 --check-tcp 127.0.0.1:631 --interval 2s \
    --rise 2 --fall 3 --check-timeout 500ms Checked _ipp._tcp 631
check "publish --check-tcp --interval --rise --fall --check-timeout: the check ($r)" \
    is "$r" '[r["check"].get(k) for k in ("type", "host", "port", "rise", "fall", "interval", "timeout")]' \
    '["tcp", "127.0.0.1", 631, 2, 3, "2s", "500ms"]'

# run: the registration's fields, then the command's status.
ask run --name Job --type _job._tcp --port 7000 --subtype _batch \
    --ttl 3 -- true
reg=$(grep '"register"' "$log")
check "run --subtype --ttl: subtypes and ttl in its register ($reg)" \
    is "$reg" '[r["name"], r["type"], r["port"], r["subtypes"], r["ttl"]]' \
    '["Job", "_job._tcp", 7000, ["_batch"], 3]'
check "run -- true: exit 0 (exit $rc)" test "$rc" = 0
ask run --name Job --type _job._tcp --port 7000 -- sh -c 'exit 5'
check "run -- a command that exits 5: exit 5 (exit $rc)" test "$rc" = 5
ask run --name Job --type _job._tcp --port 7000 -- sh -c 'kill -TERM $$'
check "run -- a command killed by SIGTERM: exit 143 = 128 + 15 (exit $rc)" \
    test "$rc" = 143
ask run --name Job --type _job._tcp --port 7000 -- sh -c 'kill -KILL $$'
check "run -- a command killed by SIGKILL: exit 137 (exit $rc)" test "$rc" = 137
ask run --name Job --type _job._tcp --port 7000 -- "$tmp/no-such-command"
check "run -- a command that cannot be run: exit 127 (exit $rc)" \
    test "$rc" = 127
check "... and discoctl says why on stderr" grep -q 'no-such-command' "$tmp/err"
# --ttl 1: a heartbeat (renew) every 333 ms while the command runs.
ask run --name Job --type _job._tcp --port 7000 --ttl 1 -- sleep 1.2
renews=$(grep -c '"renew"' "$log")
check "run --ttl 1 for 1.2 s: renews at a third of the lease, 2 to 4 ($renews)" \
    test "$renews" -ge 2 -a "$renews" -le 4
# watch ARGS...: a watch's request; the watch stopped once it is sent.
watch() {
	: >"$log"
	timeout 5 "$ctl" -s "$sock" watch "$@" >/dev/null 2>&1 &
	local wpid=$! i
	for ((i = 0; i < 50; i++)); do
		grep -q '"watch"' "$log" && break
		sleep 0.05
	done
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	r=$(tail -n 1 "$log")
}
watch
check "watch with no type: no type in the request ($r)" \
    is "$r" '[r["verb"], "type" in r]' '["watch", false]'
watch _demo._tcp --since 17 --txt role=web
check "watch --since 17 --txt: since and txt ($r)" \
    is "$r" '[r["type"], r["since"], r["txt"]]' '["_demo._tcp", 17, ["role=web"]]'

# The plain text, against the golden files (DISCO_GOLDEN_UPDATE=1 writes
# them anew; review the diff).
gold() { # gold NAME ARGS...: discoctl's stdout equals tests/golden/discoctl/NAME
	local name=$1
	shift
	TZ=UTC timeout 10 "$ctl" -s "$sock" --color=never "$@" >"$tmp/$name" 2>&1
	if [ -n "${DISCO_GOLDEN_UPDATE:-}" ]; then
		cp "$tmp/$name" "$golden/$name"
	fi
	diff -u "$golden/$name" "$tmp/$name" >&2
}
check "services: the plain text as tests/golden/discoctl/services" \
    gold services services
check "list: the plain text as tests/golden/discoctl/list" \
    gold list list _demo._tcp
check "list -l: the plain text as tests/golden/discoctl/list-long" \
    gold list-long list -l _demo._tcp
check "pick: the plain text as tests/golden/discoctl/pick" \
    gold pick pick _demo._tcp
TZ=UTC timeout 10 "$ctl" -s "$sock" --color=never --no-header list _demo._tcp \
    >"$tmp/no-header" 2>&1
check "list --no-header: as list without its first line" \
    diff -u <(tail -n +2 "$golden/list") "$tmp/no-header"

# More of discoctl's options and statuses (issue 25).
: >"$log"
out=$("$ctl" -s "$sock" -V 2>&1)
rc=$?
check "-V: its version and protocol, exit 0, no request ($out)" \
    test "$rc" = 0 -a "$out" = "$("$ctl" --version)" -a ! -s "$log"
check "... as the package's version" grep -q "^discoctl [0-9][0-9.]* (protocol 1)$" <<<"$out"
ask list _demo._tcp --txt role=web
check "list --txt role=web: txt in the request ($r)" \
    is "$r" 'r["txt"]' '["role=web"]'
ask pick _demo._tcp --txt noaddr --addr
check "pick --addr of an instance without an address: exit 1 (exit $rc)" test "$rc" = 1
ask -j pick _demo._tcp --addr
check "-j pick --addr: the agent's JSON, not \"ADDRESS PORT\"" \
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))["instance"]' "$tmp/out"
ask -t 500 pick _demo._tcp --wait 1500
check "-t 500 pick --wait 1500, answered after 1.5 s: the timeout is stretched past the wait (exit $rc)" \
    test "$rc" = 0
ask types
check "a reply without \"ok\" (not protocol 1): exit 3 (exit $rc)" test "$rc" = 3
check "... saying so" grep -Eq "does not follow the protocol|not protocol v1" "$tmp/err"
ask publish --rise 2 Nocheck _x._tcp 80
check "publish --rise without a check: usage error, exit 2 (exit $rc)" test "$rc" = 2
ask publish Big _x._tcp 70000
check "publish with port 70000: exit 2 (exit $rc)" test "$rc" = 2
ask types extra
check "types with an extra operand: exit 2 (exit $rc)" test "$rc" = 2
# On a terminal: --color=never and TERM=dumb keep it plain, the default
# colors (tests/lab/discoctl.sh checks the colors themselves).
on_tty() { # ENV... -- ARGS: discoctl's output on a pseudo-terminal
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env "${envs[@]}" python3 "$top_srcdir/tests/pty_run.py" "$ctl" -s "$sock" "$@"
}
has_esc() { grep -q $'\033\[' <<<"$1"; }
no_esc() { ! has_esc "$1"; }
out=$(on_tty TERM=xterm -- services)
check "on a terminal, by default: colors" has_esc "$out"
out=$(on_tty TERM=xterm -- --color=never services)
check "on a terminal, --color=never: none" no_esc "$out"
out=$(on_tty TERM=dumb -- services)
check "on a terminal, TERM=dumb: none" no_esc "$out"
out=$("$ctl" -s "$sock" --color=always services)
check "--color=always into a pipe: colors" has_esc "$out"

# publish's ends: a signal withdraws and exits 0; a lease that expires
# exits 1 and says so; --persist exits 1 for a registration that failed.
for sig in INT TERM HUP; do
	: >"$log"
	timeout 10 "$ctl" -s "$sock" publish "Sig $sig" _x._tcp 80 >"$tmp/out" 2>&1 &
	ppid=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '"register"' "$log" && break
		sleep 0.1
	done
	sleep 0.2
	kill -"$sig" "$ppid"
	wait "$ppid"
	rc=$?
	check "publish, SIG$sig: withdrawn, exit 0 (exit $rc)" test "$rc" = 0
done
ask publish Expires _x._tcp 80
check "publish: the lease expired: exit 1 (exit $rc)" test "$rc" = 1
check "... and it says so" grep -q "lease ran out without a renew" "$tmp/out"
ask publish --persist --ttl 60 Fails _x._tcp 80
check "publish --persist of a registration that failed: exit 1 (exit $rc)" \
    test "$rc" = 1
# run passes every signal it names on (TERM: above); the agent gone,
# the command runs on.
for sig in INT HUP QUIT USR1 USR2; do
	: >"$log"
	"$ctl" -s "$sock" run --name Job --type _job._tcp --port 7000 -- \
	    sh -c "trap 'exit 42' $sig; sleep 5 & wait" >/dev/null 2>&1 &
	rpid=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '"register"' "$log" && break
		sleep 0.1
	done
	sleep 0.3
	kill -"$sig" "$rpid"
	wait "$rpid"
	rc=$?
	check "run: SIG$sig to discoctl reaches the command (exit $rc)" test "$rc" = 42
done
ask run --name Vanish --type _job._tcp --port 7000 -- sh -c 'sleep 1; exit 7'
check "run: the agent gone, the command runs to its end (its exit 7; exit $rc)" \
    test "$rc" = 7
check "... and discoctl says it is no longer announced" \
    grep -q "no longer announced" "$tmp/err"
