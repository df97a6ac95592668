#!/bin/bash
# discod.conf's [browse] keys, by their effect (issue 25).  b publishes
# _web._tcp and _db._tcp (the latter with subtype _gold); each other host
# runs discod with one setting, e with none (what the others would see
# without theirs):
#   a: types = _db._tcp, protocols = ipv4, subtypes = _gold._sub._db._tcp
#   c: interfaces = nosuch0      d: domain = elsewhere.example
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a b c d e || { echo "Bail out! lab did not come up"; exit 1; }
plan 10
printf '[browse]\ntypes = _db._tcp\nprotocols = ipv4\nsubtypes = _gold._sub._db._tcp\n' \
    >"$(lab_hostdir a)/discod.conf"
printf '[browse]\ninterfaces = nosuch0\n' >"$(lab_hostdir c)/discod.conf"
printf '[browse]\ndomain = elsewhere.example\n' >"$(lab_hostdir d)/discod.conf"
lab_spawn b web avahi-publish -s "Web on b" _web._tcp 80
lab_spawn b db avahi-publish -s "Db on b" _db._tcp 5432 --subtype _gold._sub._db._tcp
for h in a c d e; do
	lab_discod_start "$h" || { echo "Bail out! discod did not start on $h"; exit 1; }
done

# rows HOST ARGS...: "NAME FAMILIES" of each instance listed, sorted;
# FAMILIES the address families it carries.
rows() {
	local h=$1
	shift
	lab_ctl "$h" -j list "$@" 2>/dev/null | python3 -c '
import json, sys
for i in json.load(sys.stdin)["instances"]:
    print(i["name"], ",".join(sorted({a["family"] for a in i["addresses"]})))' |
	    sort | tr '\n' ';'
}
# The control, e: both of b's instances, each over IPv4 and IPv6.
e_all() {
	[ "$(rows e)" = "Db on b ipv4,ipv6;Web on b ipv4,ipv6;" ]
}
check_wait 30 "e (no [browse] key): b's two instances, each with IPv4 and IPv6" e_all
a_db() {
	[ "$(rows a)" = "Db on b ipv4;" ]
}
check_wait 10 "a (types = _db._tcp, protocols = ipv4): Db alone, IPv4 alone ($(rows a))" a_db
browse_field() { # HOST FIELD
	lab_ctl "$1" -j status | python3 -c '
import json, sys; print(json.load(sys.stdin)["browse"][sys.argv[1]])' "$2"
}
check "a browses one type, e two at least (a $(browse_field a types_browsed), e $(browse_field e types_browsed))" \
    test "$(browse_field a types_browsed)" = 1 -a "$(browse_field e types_browsed)" -ge 2

# subtypes: a browses _gold from the start, so asking for it starts no
# browser on demand; e starts one.
check "a (subtypes = _gold._sub._db._tcp): list --subtype _gold finds Db" \
    test "$(rows a --subtype _gold _db._tcp)" = "Db on b ipv4;"
check "... and starts no browser on demand (subtypes_on_demand $(browse_field a subtypes_on_demand))" \
    test "$(browse_field a subtypes_on_demand)" = 0
check "e: the same list finds Db ($(rows e --subtype _gold _db._tcp))" \
    test "$(rows e --subtype _gold _db._tcp)" = "Db on b ipv4,ipv6;"
check "... through a browser started on demand (subtypes_on_demand $(browse_field e subtypes_on_demand))" \
    test "$(browse_field e subtypes_on_demand)" = 1

# By now e has seen b's instances for a while: c and d have had as long.
check "c (interfaces = nosuch0): nothing kept ($(rows c))" test "$(rows c)" = ""
check "d (domain = elsewhere.example): nothing of the link's domain ($(rows d))" \
    test "$(rows d)" = ""
check "c and d answer (status): empty by their settings, not broken" \
    eval 'lab_ctl c status >/dev/null && lab_ctl d status >/dev/null'
