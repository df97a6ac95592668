# shellcheck shell=bash
#
# The disco test lab: N hosts on one machine, each a network namespace with
# its own system D-Bus and avahi-daemon, joined by veth pairs to a bridge
# that lives in a namespace of its own.  The root namespace's interfaces are
# never touched and no mDNS packet leaves the lab.
#
# Sourced by the integration tests:
#	. "$top_srcdir/tests/lab/lab.sh"
#	lab_up a b			# hosts a and b, avahi running on both
#	lab_spawn a pub avahi-publish -s X _x._tcp 1	# background, PID kept
#	lab_on b avahi-browse -rpt _x._tcp		# foreground
#	(lab_down runs from an EXIT trap, also when the test fails)
#
# The caller sets top_builddir (make check does) for lab_discod_start and
# lab_ctl.
#
# Knobs: LAB_NO_AVAHI="b" starts no avahi-daemon on host b (to show that
# a test fails when the lab is broken).  LAB_AVAHI_SERVER holds extra
# lines for the [server] section of every host's avahi-daemon.conf.
# LAB_NET says which addresses each link gets besides its IPv6 link-local
# one: "4" (the default) an IPv4 address, "6" an IPv6 one in the
# documentation prefix and no IPv4 at all (an IPv6-only LAN), "46" both
# (dual stack).  LAB_LINKS=2 gives every host a second interface, eth1,
# on a second bridge (a second LAN).  Under CI=true a lab that cannot be
# built is a failure, never a skip.

LAB_SUBNET=198.51.100		# TEST-NET-2: never a real network
LAB_SUBNET1=203.0.113		# TEST-NET-3, eth1's (LAB_LINKS=2)
LAB_SUBNET6=2001:db8:9:		# documentation prefixes (RFC 3849), /64
LAB_SUBNET6_1=2001:db8:a:
LAB_ID=
LAB_DIR=
LAB_HOSTS=()
LAB_PIDS=()
LAB_MADE_NETNS_DIR=0
LAB_MADE_AVAHI_RUN=0
LAB_LAST_PID=

# Fail (under CI) or skip (elsewhere) when the lab cannot be built here.
lab_unavailable() {
	if [ "${CI:-}" = true ]; then
		echo "Bail out! lab unavailable: $*"
		exit 1
	fi
	echo "1..0 # SKIP lab unavailable: $*"
	exit 77
}

lab_require() {
	local cmd
	if [ -n "${DISCO_NO_LAB:-}" ]; then
		echo "1..0 # SKIP lab tests not wanted here (DISCO_NO_LAB)"
		exit 77
	fi
	[ "$(id -u)" = 0 ] || lab_unavailable "needs root"
	for cmd in ip dbus-daemon dbus-send avahi-daemon avahi-browse \
	    avahi-publish; do
		command -v "$cmd" >/dev/null 2>&1 ||
			lab_unavailable "$cmd not installed"
	done
	if ! ip netns list >/dev/null 2>&1; then
		lab_unavailable "no network namespaces"
	fi
}

# For tests that run clients as other users: setpriv, and a python3 any
# user may run (not a per-user shim), in PY.
lab_require_users() {
	lab_require
	command -v setpriv >/dev/null 2>&1 || lab_unavailable "setpriv not installed"
	PY=/usr/bin/python3
	[ -x "$PY" ] || lab_unavailable "$PY not installed"
}

# lab_as UID COMMAND...: COMMAND with uid and gid UID and no other group.
lab_as() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"
}

# lab_wait SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds;
# fail after SECONDS.
lab_wait() {
	local limit=$1 start now
	shift
	start=${EPOCHREALTIME/./}
	while ! "$@" >/dev/null 2>&1; do
		now=${EPOCHREALTIME/./}
		[ $((now - start)) -lt $((limit * 1000000)) ] || return 1
		sleep 0.1
	done
}

lab_ns() {
	echo "$LAB_ID-$1"
}

lab_hostdir() {
	echo "$LAB_DIR/$1"
}

# lab_cmd HOST COMMAND...: set LAB_CMD to the command line that runs
# COMMAND inside HOST, with the host's private /run/avahi-daemon and
# /etc/avahi/services and its own system bus.  Every exec keeps the PID, so
# the PID of LAB_CMD is the PID of COMMAND.
lab_cmd() {
	local h=$1 dir
	shift
	dir=$(lab_hostdir "$h")
	# shellcheck disable=SC2016 # expanded by the inner shell
	LAB_CMD=(ip netns exec "$(lab_ns "$h")" sh -c '
		mount --bind "$1/run/avahi-daemon" /run/avahi-daemon &&
		mount --bind "$1/services" /etc/avahi/services || exit 125
		shift
		exec "$@"' sh "$dir"
	    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/run/dbus/system_bus_socket"
	    "$@")
}

# lab_on HOST COMMAND...: run COMMAND inside HOST, in the foreground.
lab_on() {
	local LAB_CMD
	lab_cmd "$@"
	"${LAB_CMD[@]}"
}

# lab_spawn HOST NAME COMMAND...: start COMMAND in the background inside
# HOST, output to $LAB_DIR/HOST/NAME.log; its PID is in LAB_LAST_PID and is
# stopped by lab_down.
lab_spawn() {
	local h=$1 name=$2 LAB_CMD
	shift 2
	lab_cmd "$h" "$@"
	"${LAB_CMD[@]}" >"$(lab_hostdir "$h")/$name.log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_stop PID [SIGNAL]: signal a process we started (TERM by default),
# wait for it (5 s at most), then KILL it.
lab_stop() {
	local pid=$1 sig=${2:-TERM} i=0
	kill -"$sig" "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 50 ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}

lab_dbus_up() {
	lab_on "$1" dbus-send --system --print-reply \
	    --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId
}

lab_avahi_running() {
	lab_on "$1" dbus-send --system --print-reply \
	    --dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState |
	    grep -q 'int32 2'
}

lab_dad_done() {
	local ns
	ns=$(lab_ns "$1")
	ip -n "$ns" -6 addr show dev eth0 | grep -q 'inet6 fe80' &&
	    ! ip -n "$ns" -6 addr show tentative | grep -q inet6 &&
	    { [ "${LAB_LINKS:-1}" != 2 ] ||
		ip -n "$ns" -6 addr show dev eth1 | grep -q 'inet6 fe80'; }
}

# lab_dbus_spawn HOST starts HOST's D-Bus, lab_dbus_ready waits for it.
lab_dbus_spawn() {
	local h=$1
	lab_spawn "$h" dbus dbus-daemon --nofork --nopidfile \
	    --config-file="$(lab_hostdir "$h")/dbus.conf"
	eval "LAB_DBUS_PID_$h=$LAB_LAST_PID"
}

lab_dbus_start() {
	lab_dbus_spawn "$1" && lab_dbus_ready "$1"
}

lab_dbus_ready() {
	local h=$1
	lab_wait 10 lab_dbus_up "$h" || {
		echo "# lab: D-Bus on $h did not come up" >&2
		return 1
	}
}

# lab_avahi_spawn HOST: start HOST's avahi-daemon; lab_avahi_ready waits
# for it (lab_up starts every host's first, then waits: their host name
# probes overlap).
lab_avahi_spawn() {
	local h=$1
	rm -f "$(lab_hostdir "$h")/run/avahi-daemon/pid"
	lab_spawn "$h" avahi avahi-daemon -f "$(lab_hostdir "$h")/avahi.conf" \
	    --no-rlimits --no-chroot --no-proc-title --no-drop-root
	eval "LAB_AVAHI_PID_$h=$LAB_LAST_PID"
}

lab_avahi_start() {
	lab_avahi_spawn "$1" && lab_avahi_ready "$1"
}

lab_avahi_ready() {
	local h=$1
	lab_wait 15 lab_avahi_running "$h" || {
		echo "# lab: avahi-daemon on $h is not running" >&2
		return 1
	}
}

# The PIDs of a host's daemons, for tests that kill them.
lab_avahi_pid() {
	eval "echo \${LAB_AVAHI_PID_$1:-}"
}

lab_dbus_pid() {
	eval "echo \${LAB_DBUS_PID_$1:-}"
}

# lab_link_add HOST N K SUBNET4 SUBNET6: HOST's interface ethK, on bridge
# brK, with addresses number N in the subnets LAB_NET asks for.
lab_link_add() {
	local h=$1 n=$2 k=$3 ns
	ns=$(lab_ns "$h")
	ip -n "$LAB_ID-br" link add "v$n-$k" type veth peer name "eth$k" \
	    netns "$ns"
	ip -n "$LAB_ID-br" link set "v$n-$k" master "br$k" up
	case ${LAB_NET:-4} in
	*4*) ip -n "$ns" addr add "$4.$n/24" dev "eth$k" ;;
	esac
	case ${LAB_NET:-4} in
	*6*) ip -n "$ns" addr add "$5:$n/64" dev "eth$k" nodad ;;
	esac
	ip -n "$ns" link set "eth$k" multicast on up
}

lab_host_add() {
	local h=$1 n=$2 ns dir ifs
	ns=$(lab_ns "$h")
	dir=$(lab_hostdir "$h")
	mkdir -p "$dir/run/dbus" "$dir/run/avahi-daemon" "$dir/services"
	chmod go-w "$dir"	# discod refuses a socket directory others may write
	ip netns add "$ns"
	# No duplicate address detection: the lab's MACs are unique, and
	# waiting for it cost every test 2 s (interfaces made from here on
	# inherit "default").
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.all.accept_dad=0 >/dev/null 2>&1 || true
	ip -n "$ns" link set lo up
	lab_link_add "$h" "$n" 0 "$LAB_SUBNET" "$LAB_SUBNET6"
	ifs=eth0
	if [ "${LAB_LINKS:-1}" = 2 ]; then
		lab_link_add "$h" "$n" 1 "$LAB_SUBNET1" "$LAB_SUBNET6_1"
		ifs=eth0,eth1
	fi
	LAB_HOSTS+=("$h")

	cat >"$dir/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Peer"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
CONF
	cat >"$dir/avahi.conf" <<CONF
[server]
host-name=lab-$h
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$ifs
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
${LAB_AVAHI_SERVER:-}

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no

[reflector]
enable-reflector=no
CONF
}

# lab_up HOST...: build the lab; lab_down undoes it at exit.
lab_up() {
	local h n=1
	lab_require
	LAB_ID="dl$(printf '%x%04x' "$$" "$RANDOM")"
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/disco-lab.XXXXXX")
	chmod 711 "$LAB_DIR"	# other users reach sockets the tests open up
	trap lab_down EXIT
	trap 'exit 130' INT TERM HUP
	[ -d /run/netns ] || LAB_MADE_NETNS_DIR=1
	if [ ! -d /run/avahi-daemon ]; then
		mkdir -p /run/avahi-daemon
		LAB_MADE_AVAHI_RUN=1
	fi
	ip netns add "$LAB_ID-br" ||
		lab_unavailable "ip netns add failed"
	ip -n "$LAB_ID-br" link set lo up
	ip -n "$LAB_ID-br" link add br0 type bridge stp_state 0 \
	    forward_delay 0 mcast_snooping 0
	ip -n "$LAB_ID-br" link set br0 up
	if [ "${LAB_LINKS:-1}" = 2 ]; then
		ip -n "$LAB_ID-br" link add br1 type bridge stp_state 0 \
		    forward_delay 0 mcast_snooping 0
		ip -n "$LAB_ID-br" link set br1 up
	fi
	for h in "$@"; do
		lab_host_add "$h" "$n"
		n=$((n + 1))
	done
	for h in "$@"; do
		lab_wait 10 lab_dad_done "$h" ||
			echo "# lab: IPv6 DAD on $h did not finish" >&2
	done
	for h in "$@"; do
		lab_dbus_spawn "$h"
	done
	for h in "$@"; do
		lab_dbus_ready "$h" || return 1
	done
	for h in "$@"; do
		case " ${LAB_NO_AVAHI:-} " in
		*" $h "*) echo "# lab: no avahi-daemon on $h (LAB_NO_AVAHI)" ;;
		*) lab_avahi_spawn "$h" ;;
		esac
	done
	for h in "$@"; do
		case " ${LAB_NO_AVAHI:-} " in
		*" $h "*) ;;
		*) lab_avahi_ready "$h" || return 1 ;;
		esac
	done
}

# lab_share FILE...: copy FILEs for other users into a directory every
# user can read (the checkout may sit under a 0700 home); print its path.
lab_share() {
	local d=$LAB_DIR/share
	install -d -m 755 "$d" && install -m 644 "$@" "$d/" && echo "$d"
}

lab_down() {
	local i pid h ns
	set +e
	# How long the test took, in its log: CI's time is a budget.
	echo "# lab: the test ran ${SECONDS}s"
	for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${LAB_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
		lab_stop "${LAB_PIDS[$i]}"
	done
	# Anything still inside a lab host was started by this test.
	for h in "${LAB_HOSTS[@]}"; do
		ns=$(lab_ns "$h")
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for h in "${LAB_HOSTS[@]}"; do
		ip netns del "$(lab_ns "$h")" 2>/dev/null
	done
	[ -n "$LAB_ID" ] && ip netns del "$LAB_ID-br" 2>/dev/null
	if [ "$LAB_MADE_NETNS_DIR" = 1 ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
		umount /run/netns 2>/dev/null
		rmdir /run/netns 2>/dev/null
	fi
	[ "$LAB_MADE_AVAHI_RUN" = 1 ] && rmdir /run/avahi-daemon 2>/dev/null
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP_LOGS:-}" ]; then
			echo "# lab: logs kept in $LAB_DIR" >&2
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	LAB_PIDS=()
	LAB_HOSTS=()
	return 0
}

# lab_discod_start HOST [DISCOD-ARGS...]: start the built discod inside HOST
# on $LAB_DIR/HOST/discod.sock with $LAB_DIR/HOST/discod.conf (empty unless
# the test wrote one); wait until it answers.  Its PID is in LAB_DISCOD_PID_HOST.
# LAB_DISCOD_WRAPPER (words, such as "valgrind --leak-check=full") runs
# discod under another program.
lab_discod_start() {
	local h=$1 dir
	shift
	dir=$(lab_hostdir "$h")
	: "${top_builddir:?}"
	[ -e "$dir/discod.conf" ] || : >"$dir/discod.conf"
	# shellcheck disable=SC2086 # the wrapper is words: valgrind --opt...
	lab_spawn "$h" discod ${LAB_DISCOD_WRAPPER:-} "$top_builddir/discod" \
	    -d -v -f "$dir/discod.conf" -s "$dir/discod.sock" "$@"
	eval "LAB_DISCOD_PID_$h=$LAB_LAST_PID"
	lab_wait 30 lab_ctl "$h" status || {
		echo "# lab: discod on $h does not answer" >&2
		sed 's/^/# discod: /' "$dir/discod.log" >&2
		return 1
	}
}

lab_discod_pid() {
	eval "echo \${LAB_DISCOD_PID_$1:-}"
}

# lab_service_files HOST TYPE NAME FIRST LAST [PORT]: avahi service files
# for HOST's avahi-daemon (read when it starts), instances "NAMEi" for i
# from FIRST to LAST, each with TXT n=i, on PORT (7000).
lab_service_files() {
	local type=$2 name=$3 port=${6:-7000} i dir
	dir=$(lab_hostdir "$1")/services
	for ((i = $4; i <= $5; i++)); do
		cat >"$dir/${type#_}-$i.service" <<X
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>$name$i</name>
  <service><type>$type</type><port>$port</port><txt-record>n=$i</txt-record></service>
</service-group>
X
	done
}

# lab_ctl HOST ARGS...: the built discoctl against HOST's discod.
lab_ctl() {
	local h=$1
	shift
	: "${top_builddir:?}"
	lab_on "$h" "$top_builddir/discoctl/discoctl" -s "$(lab_hostdir "$h")/discod.sock" "$@"
}

# A persistent browser on HOST for every service type, resolving each
# instance, its parseable output in $LAB_DIR/HOST/browse.log.
lab_browse_start() {
	lab_spawn "$1" browse stdbuf -oL avahi-browse -a -r -p -k
	eval "LAB_BROWSE_PID_$1=$LAB_LAST_PID"
}

# A name as avahi-browse -p prints it: every byte but letters, digits, '-'
# and '_' as a backslash and three decimal digits.
lab_avahi_escape() {
	local s=$1 out="" c i LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9_-]) out+=$c ;;
		*) out+=$(printf '\\%03d' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# The last line HOST's browser printed about NAME TYPE over IPv4.
lab_browse_last() {
	local name
	name=$(lab_avahi_escape "$2")
	grep -F ";eth0;IPv4;$name;$3;local" "$(lab_hostdir "$1")/browse.log" |
	    tail -n 1
}

# lab_seen HOST NAME TYPE: HOST's browser has NAME resolved right now.
lab_seen() {
	case $(lab_browse_last "$@") in
	=*) return 0 ;;
	esac
	return 1
}

# lab_gone HOST NAME TYPE: HOST's browser saw NAME resolved once, and
# then saw it go.  (A name never seen is not "gone": lab_unseen.)
lab_gone() {
	local name
	name=$(lab_avahi_escape "$2")
	grep -qF "=;eth0;IPv4;$name;$3;local" "$(lab_hostdir "$1")/browse.log" ||
	    return 1
	case $(lab_browse_last "$@") in
	-*) return 0 ;;
	esac
	return 1
}

# lab_unseen HOST NAME TYPE: HOST's browser (lab_browse_start) is still
# running and never printed a line about NAME.
lab_unseen() {
	local name
	name=$(lab_avahi_escape "$2")
	kill -0 "$(eval "echo \${LAB_BROWSE_PID_$1:-0}")" 2>/dev/null &&
	    ! grep -qF ";eth0;IPv4;$name;$3;local" \
		"$(lab_hostdir "$1")/browse.log"
}

# lab_txt HOST NAME TYPE: the TXT field of NAME's last resolution.
lab_txt() {
	lab_browse_last "$@" | cut -d';' -f10-
}

# The NSS module in lookups on a lab host.  lab_nss_require checks for it
# (and, for a sanitizer build, finds the ASan runtime the programs that
# load it need); lab_nss_setup HOST gives HOST the module and a private
# "hosts: files disco" (etc.files-first); lab_nss HOST CONF COMMAND...
# runs COMMAND on HOST with $LAB_DIR/HOST/etc.CONF laid over /etc (an
# overlay: a pristine root may have no /etc/hosts to bind a file on),
# the module, and the lookup socket and domain link beside HOST's
# discod.sock; nscd's socket hidden.
lab_nss_require() {
	LAB_NSS_MODULE=$top_builddir/nss/.libs/libnss_disco.so.2
	[ -e "$LAB_NSS_MODULE" ] ||
		{ echo "Bail out! $LAB_NSS_MODULE not built"; exit 1; }
	command -v getent >/dev/null 2>&1 || lab_unavailable "getent not installed"
	# The sanitizer build's module leaves ASan's runtime to the program
	# (leaks are the unit test's business: tests/unit/check_nss runs
	# under LeakSanitizer).
	LAB_NSS_PRELOAD=
	if nm -D "$LAB_NSS_MODULE" 2>/dev/null | grep -q ' U __asan_'; then
		LAB_NSS_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so 2>/dev/null)
		[ -e "$LAB_NSS_PRELOAD" ] || {
			echo "Bail out! no ASan runtime to load the sanitizer build's module"
			exit 1
		}
	fi
}

lab_nss_setup() {
	local dir
	dir=$(lab_hostdir "$1")
	mkdir -p "$dir/etc.files-first" "$dir/empty"
	printf 'hosts: files disco\n' >"$dir/etc.files-first/nsswitch.conf"
	printf '127.0.0.1 localhost\n' >"$dir/etc.files-first/hosts"
	chmod -R a+rX "$dir/etc.files-first" "$dir/empty"
	cp "$LAB_NSS_MODULE" "$dir/libnss_disco.so.2"
	chmod a+rx "$dir/libnss_disco.so.2"
}

lab_nss() {
	local h=$1 conf=$2
	shift 2
	# shellcheck disable=SC2016 # the inner shell expands its arguments
	lab_on "$h" env P="$LAB_NSS_PRELOAD" sh -c '
		d=$1 conf=$2; shift 2
		w=$(mktemp -d "$d/work.XXXXXX") &&
		mount -t overlay overlay \
		    -o "lowerdir=/etc,upperdir=$d/etc.$conf,workdir=$w" /etc ||
			exit 125
		[ ! -d /run/nscd ] || mount --bind "$d/empty" /run/nscd
		[ -z "$P" ] || export LD_PRELOAD="$P" \
		    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
		exec env LD_LIBRARY_PATH="$d" DISCO_LOOKUP_SOCKET="$d/lookup.sock" \
		    DISCO_DOMAIN_LINK="$d/domain" "$@"' sh "$(lab_hostdir "$h")" \
	    "$conf" "$@"
}

# lab_dnssd HOST NAME TYPE PORT: a service file for HOST's discod, in
# $LAB_DIR/HOST/services, which its discod.conf then names (before
# lab_discod_start).
lab_dnssd() {
	local dir
	dir=$(lab_hostdir "$1")
	mkdir -p "$dir/services"
	printf '[Service]\nName=%s\nType=%s\nPort=%s\n' "$2" "$3" "$4" \
	    >"$dir/services/${3#_}-$4.dnssd"
	grep -qs '^services-dir' "$dir/discod.conf" ||
		printf '[announce]\nservices-dir = %s/services\n' "$dir" \
		    >>"$dir/discod.conf"
}

# lab_liveness HOST FIELD: that field of "liveness" in HOST's status.
lab_liveness() {
	lab_ctl "$1" -j status | python3 -c '
import json, sys; print(json.load(sys.stdin)["liveness"][sys.argv[1]])' "$2"
}

# lab_stale_measure HOST NAME TYPE COMMAND...: run COMMAND, which makes
# the host of instance NAME vanish, and print "RESOLVE_MS REMOVE_MS": when
# HOST's discod stopped resolving it and when its watcher got "remove"
# (tests/lab/clients/stale_measure.py).
lab_stale_measure() {
	local h=$1
	shift
	: "${top_srcdir:?}"
	lab_on "$h" python3 "$top_srcdir/tests/lab/clients/stale_measure.py" \
	    "$(lab_hostdir "$h")/discod.sock" "$@" | tail -n 1
}

# lab_stale_within "R M": both seen, R <= 5000 and M <= 10000 ms: the
# bound for every fault that takes a host away without a goodbye (the
# default [liveness] thresholds, doc/liveness.md).
lab_stale_within() {
	local r=${1%% *} m=${1##* }
	[ "$r" -ge 0 ] 2>/dev/null && [ "$r" -le 5000 ] &&
	    [ "$m" -ge 0 ] 2>/dev/null && [ "$m" -le 10000 ]
}

# lab_addrs HOST VERB-ARGS...: "FAMILY INTERFACE ADDRESS" for each address
# of the instance in the reply to discoctl -j VERB-ARGS on HOST (resolve's
# or pick's one, list's first), sorted.
lab_addrs() {
	local h=$1
	shift
	lab_ctl "$h" -j "$@" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
i = r.get("instance") or (r.get("instances") or [{}])[0]
for a in i.get("addresses", []):
    print(a["family"], a.get("interface", ""), a["address"])' | sort
}

# ---------------------------------------------------------------------
# Routed labs and etcd, for wide-area tests.
#
#	lab_up_routed a b -- c d	# two LANs joined by a router
#	lab_etcd_start			# a 3-member etcd cluster
#	lab_etcdctl put k v		# etcdctl (API 3) against it
#
# lab_up_routed puts the hosts before "--" on LAN 1 (bridge br0,
# $LAB_SUBNET.0/24) and those after it on LAN 2 (bridge br1,
# $LAB_SUBNET1.0/24), each numbered as lab_up numbers them (a=.1, b=.2,
# c=.3, d=.4 above); the router, namespace "rt", has .254 on each LAN and
# on a third one (br2, $LAB_SUBNET_ETCD.0/24) where the etcd members
# live; every host and member routes the others through it.  The router
# forwards unicast (net.ipv4.ip_forward=1, and IPv6 too under LAB_NET=46)
# and never multicast: nothing there routes multicast (no mrouted, so
# mc_forwarding stays 0) and no avahi-daemon runs there (no reflector),
# so mDNS stays on its LAN.  Nothing routes out of the lab: the router
# has no uplink and no default route.  LAB_NET=6 (no IPv4) and
# LAB_LINKS=2 are not for routed labs.
#
# lab_etcd_start starts members e1, e2 and e3 (namespaces of their own,
# $LAB_DIR/eK/ holding the data dir "data" and the log "etcd.log"): on
# br2 at $LAB_SUBNET_ETCD.201-203 in a routed lab, or on br0 at
# $LAB_SUBNET.201-203 (beside the hosts) after a plain lab_up.  The root
# namespace has no route to them: lab_etcdctl runs etcdctl inside e1's
# namespace, lab_etcdctl_on HOST inside a host's.  Their namespaces are in
# LAB_HOSTS, so lab_down (the EXIT trap) kills them by PID (KILL, once
# every process in LAB_PIDS has been stopped: the agents go while etcd is
# still there) and removes the namespaces; their data dirs go with
# $LAB_DIR.  Their PIDs are not in LAB_PIDS on purpose: a leader given
# TERM first hands its leadership over, and when every member stops at
# once that hangs until lab_stop's 5 s KILL.  "rt", "e1", "e2" and "e3"
# are taken: no host may be named so.
#
# A test sets these after sourcing lab.sh (the environment's are not
# read: a test that does not set them gets what it always had), before
# lab_etcd_start, and keeps them for the whole test.  LAB_ETCD_N (3) is
# the number of members: 1 gives a one-member cluster, quicker to start,
# without failover.  LAB_ETCD_ARGS holds extra words for every member's
# command line ("--auth-token-ttl 2").
#
# LAB_ETCD_TLS=1 serves etcd's clients over TLS.  lab_etcd_start makes,
# with the openssl CLI, a throwaway CA in $LAB_ETCD_PKI ($LAB_DIR/etcd-pki:
# ca.pem, ca-key.pem), a certificate for each member (eK.pem, eK-key.pem:
# CN=eK, subjectAltName IP:<its address>, serverAuth and clientAuth, as
# etcd's JSON gateway dials its own gRPC server with it) and a client one
# for etcdctl (root.pem, root-key.pem: CN=root).  The members listen on
# https:// client URLs with --cert-file, --key-file, --trusted-ca-file
# and --client-cert-auth (peer traffic stays http://).
# lab_etcd_endpoint(s) print https:// URLs; lab_etcdctl, lab_etcdctl_on
# and lab_etcd_healthy give etcdctl --cacert, --cert and --key.  Once the
# test has added the user root and run "auth enable", etcd takes that
# certificate's CN for the user: etcdctl speaks gRPC, where
# --client-cert-auth maps CN=root to root, no password needed.  A test
# that wants another user adds --user NAME:PASSWORD, whose token wins over
# the CN.  lab_pki_ca and lab_pki_cert make more: another CA, a client
# certificate for each host's discod (without a CN: see lab_pki_cert).

LAB_SUBNET_ETCD=192.0.2		# TEST-NET-1: the etcd members' LAN
LAB_SUBNET6_ETCD=2001:db8:b:
LAB_ROUTED=0		# set by lab_up_routed (lab_up does not read it)
LAB_ETCD_N=3		# members (a test may set 1 before lab_etcd_start)
LAB_ETCD_TLS=0		# 1: TLS for etcd's clients (see above)
LAB_ETCD_ARGS=		# extra words for every member's command line
LAB_ETCD_NS=		# the namespace etcd's clients run in (lab_etcdctl)
LAB_ETCD_PKI=		# the lab CA's directory under LAB_ETCD_TLS=1

# lab_ns_add NAME: a bare namespace for NAME (the router, an etcd
# member): lo up, no duplicate address detection, directories that
# lab_on needs, and listed in LAB_HOSTS so lab_down removes it.
lab_ns_add() {
	local h=$1 ns dir
	ns=$(lab_ns "$h")
	dir=$(lab_hostdir "$h")
	mkdir -p "$dir/run/avahi-daemon" "$dir/services"
	ip netns add "$ns" || return 1
	LAB_HOSTS+=("$h")
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.all.accept_dad=0 >/dev/null 2>&1 || true
	ip -n "$ns" link set lo up
}

# lab_default_route NAME LAN: NAME's routes to the other LANs go through
# the router's leg on LAN (0, 1 or 2).
lab_default_route() {
	local ns sub6
	ns=$(lab_ns "$1")
	ip -n "$ns" route add default via "$(lab_router_ip "$2")" || return 1
	case ${LAB_NET:-4} in
	*6*)
		case $2 in
		0) sub6=$LAB_SUBNET6 ;;
		1) sub6=$LAB_SUBNET6_1 ;;
		*) sub6=$LAB_SUBNET6_ETCD ;;
		esac
		ip -n "$ns" -6 route add default via "$sub6:254"
		;;
	esac
}

# lab_router_ip LAN: the router's IPv4 address on LAN 0, 1 or 2.
lab_router_ip() {
	case $1 in
	0) echo "$LAB_SUBNET.254" ;;
	1) echo "$LAB_SUBNET1.254" ;;
	*) echo "$LAB_SUBNET_ETCD.254" ;;
	esac
}

# lab_ip4 HOST: HOST's IPv4 address (its first interface's).
lab_ip4() {
	ip -n "$(lab_ns "$1")" -4 -o addr show scope global |
	    awk '{ sub("/.*", "", $4); print $4; exit }'
}

# lab_hosts_start HOST...: for hosts lab_host_add made: wait for their
# links, start their D-Bus and then their avahi-daemon (LAB_NO_AVAHI
# honoured), as lab_up does.
lab_hosts_start() {
	local h
	for h in "$@"; do
		lab_wait 10 lab_dad_done "$h" ||
			echo "# lab: IPv6 DAD on $h did not finish" >&2
	done
	for h in "$@"; do
		lab_dbus_spawn "$h"
	done
	for h in "$@"; do
		lab_dbus_ready "$h" || return 1
	done
	for h in "$@"; do
		case " ${LAB_NO_AVAHI:-} " in
		*" $h "*) echo "# lab: no avahi-daemon on $h (LAB_NO_AVAHI)" ;;
		*) lab_avahi_spawn "$h" ;;
		esac
	done
	for h in "$@"; do
		case " ${LAB_NO_AVAHI:-} " in
		*" $h "*) ;;
		*) lab_avahi_ready "$h" || return 1 ;;
		esac
	done
}

# lab_up_routed HOST... -- HOST...: a lab of two LANs joined by a router
# (see above); lab_down undoes it at exit.
lab_up_routed() {
	local h n=1 lan=0 br all=() none=()
	case ${LAB_NET:-4} in
	*4*) ;;
	*) echo "# lab: a routed lab needs IPv4 (LAB_NET=4 or 46)" >&2; return 1 ;;
	esac
	if [ "${LAB_LINKS:-1}" != 1 ]; then
		echo "# lab: a routed lab has one link per host (no LAB_LINKS)" >&2
		return 1
	fi
	for h in "$@"; do
		case $h in
		rt|e[0-9]*)
			echo "# lab: host name $h is the lab's own" >&2
			return 1
			;;
		esac
	done
	# The bridge namespace and no hosts yet (they come below; an empty
	# array, which shellcheck counts as arguments).
	lab_up "${none[@]}" || return 1
	LAB_ROUTED=1
	br=$LAB_ID-br
	ip -n "$br" link add br1 type bridge stp_state 0 forward_delay 0 \
	    mcast_snooping 0 &&
	ip -n "$br" link add br2 type bridge stp_state 0 forward_delay 0 \
	    mcast_snooping 0 &&
	ip -n "$br" link set br1 up &&
	ip -n "$br" link set br2 up || return 1

	lab_ns_add rt || return 1
	lab_link_add rt 254 0 "$LAB_SUBNET" "$LAB_SUBNET6" &&
	lab_link_add rt 254 1 "$LAB_SUBNET1" "$LAB_SUBNET6_1" &&
	lab_link_add rt 254 2 "$LAB_SUBNET_ETCD" "$LAB_SUBNET6_ETCD" || return 1
	ip netns exec "$(lab_ns rt)" sysctl -qw net.ipv4.ip_forward=1 >/dev/null ||
		return 1
	case ${LAB_NET:-4} in
	*6*) ip netns exec "$(lab_ns rt)" sysctl -qw \
		net.ipv6.conf.all.forwarding=1 >/dev/null || return 1 ;;
	esac

	for h in "$@"; do
		if [ "$h" = -- ]; then
			lan=1
			continue
		fi
		if [ "$lan" = 0 ]; then
			lab_host_add "$h" "$n"
		else
			# Made on br0 with LAN 2's addresses, then moved to
			# br1 before anything on it speaks mDNS.
			LAB_SUBNET=$LAB_SUBNET1 LAB_SUBNET6=$LAB_SUBNET6_1 \
			    lab_host_add "$h" "$n"
			ip -n "$br" link set "v$n-0" master br1 || return 1
		fi
		lab_default_route "$h" "$lan" || return 1
		all+=("$h")
		n=$((n + 1))
	done
	lab_hosts_start "${all[@]}"
}

# lab_etcd_ip K: member eK's IPv4 address.
lab_etcd_ip() {
	if [ "$LAB_ROUTED" = 1 ]; then
		echo "$LAB_SUBNET_ETCD.$((200 + $1))"
	else
		echo "$LAB_SUBNET.$((200 + $1))"
	fi
}

# lab_etcd_tls: etcd's clients use TLS (LAB_ETCD_TLS=1).
lab_etcd_tls() {
	[ "$LAB_ETCD_TLS" = 1 ]
}

# lab_pki_ca DIR: a throwaway CA in DIR (made, mode 0700): ca.pem and
# ca-key.pem, an EC P-256 key, valid 2 days.
lab_pki_ca() {
	local d=$1
	mkdir -p "$d" && chmod 700 "$d" || return 1
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$d/ca-key.pem" -out "$d/ca.pem" -days 2 \
	    -subj "/CN=disco lab CA ${d##*/}" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1; then
		echo "# lab: openssl could not make a CA in $d" >&2
		return 1
	fi
}

# lab_pki_cert DIR NAME SUBJECT [IP]: NAME.pem and NAME-key.pem (mode
# 0600) in DIR for SUBJECT (openssl's -subj: "/CN=root", "/O=disco/OU=a"),
# signed by DIR's CA: with IP a server certificate (subjectAltName IP:IP,
# serverAuth and clientAuth), without one a client certificate
# (clientAuth).  A client certificate for etcd's JSON gateway, which
# discod speaks, must have no CN: with --client-cert-auth and auth
# enabled, etcd 3.4 answers every /v3/ request that comes with one "HTTP
# 400 CommonName of client sending a request against gateway will be
# ignored and not used as expected", whatever token it carries.
lab_pki_cert() {
	local d=$1 name=$2 subj=$3 ip=${4:-}
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature"
		echo "extendedKeyUsage=${ip:+serverAuth,}clientAuth"
		[ -z "$ip" ] || echo "subjectAltName=IP:$ip"
	} >"$d/$name.ext"
	rm -f "$d/$name.pem"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$name-key.pem" -subj "$subj" 2>/dev/null |
	    openssl x509 -req -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 \
		-extfile "$d/$name.ext" -out "$d/$name.pem" >/dev/null 2>&1
	if [ ! -s "$d/$name.pem" ]; then
		echo "# lab: openssl could not make $d/$name.pem" >&2
		return 1
	fi
}

# lab_etcd_endpoint K: member eK's client URL.
lab_etcd_endpoint() {
	local scheme=http
	lab_etcd_tls && scheme=https
	echo "$scheme://$(lab_etcd_ip "$1"):2379"
}

# lab_etcd_endpoints: every member's client URL, comma-separated.
lab_etcd_endpoints() {
	local k out=
	for ((k = 1; k <= LAB_ETCD_N; k++)); do
		out+=${out:+,}$(lab_etcd_endpoint "$k")
	done
	echo "$out"
}

lab_etcd_pid() {
	eval "echo \${LAB_ETCD_PID_$1:-}"
}

# lab_etcd_spawn K: start member eK in the background, its log appended
# to $LAB_DIR/eK/etcd.log (a restart adds to it).  The initial-cluster
# flags only count on the first start; a restart finds its data dir and
# rejoins as the member it was.
lab_etcd_spawn() {
	local k=$1 h=e$1 ip dir cluster='' j LAB_CMD url tls=()
	ip=$(lab_etcd_ip "$k")
	dir=$(lab_hostdir "$h")
	for ((j = 1; j <= LAB_ETCD_N; j++)); do
		cluster+=${cluster:+,}e$j=http://$(lab_etcd_ip "$j"):2380
	done
	url=$(lab_etcd_endpoint "$k")
	if lab_etcd_tls; then
		tls=(--cert-file "$LAB_ETCD_PKI/$h.pem"
		    --key-file "$LAB_ETCD_PKI/$h-key.pem"
		    --trusted-ca-file "$LAB_ETCD_PKI/ca.pem" --client-cert-auth)
	fi
	echo "# lab: etcd $h starting $(date +%T.%N)" >>"$dir/etcd.log"
	# Heartbeat 100 ms and election timeout 1 s (etcd's defaults) keep
	# failover quick: a new leader about 1-2 s after one dies.
	# shellcheck disable=SC2086 # LAB_ETCD_ARGS is words
	lab_cmd "$h" etcd --name "$h" --data-dir "$dir/data" \
	    --listen-client-urls "$url" --advertise-client-urls "$url" \
	    "${tls[@]}" \
	    --listen-peer-urls "http://$ip:2380" \
	    --initial-advertise-peer-urls "http://$ip:2380" \
	    --initial-cluster "$cluster" \
	    --initial-cluster-state new --initial-cluster-token "$LAB_ID" \
	    --heartbeat-interval 100 --election-timeout 1000 \
	    --logger zap --log-outputs stderr ${LAB_ETCD_ARGS:-}
	"${LAB_CMD[@]}" >>"$dir/etcd.log" 2>&1 &
	LAB_LAST_PID=$!
	# Out of the job table: the shell still reaps it, and does not
	# print "Killed" when lab_down or a crash test kills it.
	disown "$LAB_LAST_PID"
	eval "LAB_ETCD_PID_$k=$LAB_LAST_PID"
}

# lab_etcd_listening K: member eK accepts clients.
lab_etcd_listening() {
	[ -n "$(ip netns exec "$(lab_ns "e$1")" ss -Hltn \
	    "src $(lab_etcd_ip "$1") and sport = :2379" 2>/dev/null)" ]
}

# lab_etcdctl_argv ENDPOINTS: the etcdctl command line against ENDPOINTS
# in LAB_ETCDCTL (API 3, dial timeout 2 s; under LAB_ETCD_TLS=1 the lab
# CA and the root client certificate).
lab_etcdctl_argv() {
	LAB_ETCDCTL=(env ETCDCTL_API=3 etcdctl --endpoints="$1" --dial-timeout=2s)
	if lab_etcd_tls; then
		LAB_ETCDCTL+=(--cacert="$LAB_ETCD_PKI/ca.pem"
		    --cert="$LAB_ETCD_PKI/root.pem"
		    --key="$LAB_ETCD_PKI/root-key.pem")
	fi
}

# lab_etcdctl ARGS...: etcdctl (API 3) against every member, run in e1's
# namespace (dial timeout 2 s, command timeout 5 s unless ARGS say).
lab_etcdctl() {
	local LAB_ETCDCTL
	lab_etcdctl_argv "$(lab_etcd_endpoints)"
	ip netns exec "$LAB_ETCD_NS" "${LAB_ETCDCTL[@]}" --command-timeout=5s "$@"
}

# lab_etcdctl_on HOST ARGS...: the same from inside HOST.
lab_etcdctl_on() {
	local h=$1 LAB_ETCDCTL
	shift
	lab_etcdctl_argv "$(lab_etcd_endpoints)"
	lab_on "$h" "${LAB_ETCDCTL[@]}" --command-timeout=5s "$@"
}

# lab_etcd_healthy [K...]: members K (all by default) answer a
# linearizable read: each is up and the cluster has a leader.
lab_etcd_healthy() {
	local k eps='' LAB_ETCDCTL
	if [ $# = 0 ]; then
		for ((k = 1; k <= LAB_ETCD_N; k++)); do
			set -- "$@" "$k"
		done
	fi
	for k in "$@"; do
		eps+=${eps:+,}$(lab_etcd_endpoint "$k")
	done
	lab_etcdctl_argv "$eps"
	ip netns exec "$LAB_ETCD_NS" "${LAB_ETCDCTL[@]}" --command-timeout=3s \
	    endpoint health >/dev/null 2>&1
}

# lab_etcd_logs: every member's log on stderr, as TAP comments (for a
# test that failed).
lab_etcd_logs() {
	local k
	for ((k = 1; k <= LAB_ETCD_N; k++)); do
		sed "s/^/# e$k: /" "$(lab_hostdir "e$k")/etcd.log" >&2
	done
}

# lab_etcd_start: the cluster of LAB_ETCD_N members (see above), over TLS
# under LAB_ETCD_TLS=1; waits (30 s at most) until every member reports
# healthy.
lab_etcd_start() {
	local k h
	: "${LAB_ID:?lab_etcd_start needs a lab: lab_up or lab_up_routed first}"
	command -v etcd >/dev/null 2>&1 || lab_unavailable "etcd not installed"
	command -v etcdctl >/dev/null 2>&1 ||
		lab_unavailable "etcdctl not installed"
	if lab_etcd_tls; then
		command -v openssl >/dev/null 2>&1 ||
			lab_unavailable "openssl not installed"
	fi
	case ${LAB_NET:-4} in
	*4*) ;;
	*) echo "# lab: etcd needs IPv4 (LAB_NET=4 or 46)" >&2; return 1 ;;
	esac
	for ((k = 1; k <= LAB_ETCD_N; k++)); do
		h=e$k
		lab_ns_add "$h" || return 1
		if [ "$LAB_ROUTED" = 1 ]; then
			LAB_NET=4 lab_link_add "$h" $((200 + k)) 2 \
			    "$LAB_SUBNET_ETCD" "$LAB_SUBNET6_ETCD" &&
			LAB_NET=4 lab_default_route "$h" 2 || return 1
		else
			LAB_NET=4 lab_link_add "$h" $((200 + k)) 0 "$LAB_SUBNET" \
			    "$LAB_SUBNET6" || return 1
		fi
	done
	LAB_ETCD_NS=$(lab_ns e1)
	if lab_etcd_tls; then
		LAB_ETCD_PKI=$LAB_DIR/etcd-pki
		lab_pki_ca "$LAB_ETCD_PKI" || return 1
		for ((k = 1; k <= LAB_ETCD_N; k++)); do
			lab_pki_cert "$LAB_ETCD_PKI" "e$k" "/CN=e$k" \
			    "$(lab_etcd_ip "$k")" || return 1
		done
		lab_pki_cert "$LAB_ETCD_PKI" root /CN=root || return 1
	fi
	for ((k = 1; k <= LAB_ETCD_N; k++)); do
		lab_etcd_spawn "$k"
	done
	lab_wait 30 lab_etcd_healthy || {
		echo "# lab: the etcd cluster did not become healthy" >&2
		lab_etcd_logs
		return 1
	}
}

# lab_etcd_member_stop K [SIGNAL]: stop member eK by its PID (TERM, or
# SIGNAL: KILL for a crash); its data dir stays.
lab_etcd_member_stop() {
	local k=$1 pid
	pid=$(lab_etcd_pid "$k")
	[ -n "$pid" ] || return 0
	lab_stop "$pid" "${2:-TERM}"
	eval "LAB_ETCD_PID_$k="
}

# lab_etcd_member_start K: start member eK again on its data dir and wait
# (15 s at most) until it accepts clients.  It rejoins the cluster; wait
# for lab_etcd_healthy K to know it serves (that needs a quorum).
lab_etcd_member_start() {
	local k=$1
	[ -z "$(lab_etcd_pid "$k")" ] || return 0
	lab_etcd_spawn "$k"
	lab_wait 15 lab_etcd_listening "$k" || {
		echo "# lab: etcd e$k does not listen" >&2
		return 1
	}
}

# Wide-area tests (widearea.sh, widearea_secure.sh):
# lab_wa_rows HOST ARGS...: "NAME DOMAIN IPV4[,IPV4] [stale]" per instance
# of discoctl list ARGS (nothing when none), sorted.  (The LAN's
# instances have IPv6 link-local addresses too; the wide area has no use
# for those.)
lab_wa_rows() {
	local h=$1
	shift
	lab_ctl "$h" -j list "$@" 2>/dev/null | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline() or "{}")
for i in r.get("instances", []):
    print(i["name"], i["domain"],
          ",".join(a["address"] for a in i["addresses"] if a["family"] == "ipv4"),
          "stale" if i.get("stale") else "")' | sed 's/ *$//' | sort
}

# lab_wa_has HOST ROW ARGS...: lab_wa_rows HOST ARGS has ROW.
lab_wa_has() {
	local h=$1 want=$2
	shift 2
	lab_wa_rows "$h" "$@" | grep -qxF "$want"
}

# lab_wa_none HOST NAME ARGS...: no instance named NAME in the rows.
lab_wa_none() {
	local h=$1 name=$2
	shift 2
	! lab_wa_rows "$h" "$@" | grep -q "^$name "
}

# lab_wa_status HOST FIELD: a field of discoctl status's wide_area.
lab_wa_status() {
	lab_ctl "$1" -j status | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["wide_area"].get(sys.argv[1], ""))' "$2"
}
