#!/bin/bash
# The Debian packages as an operator meets them (issue 24): built from
# this tree with dpkg-buildpackage, checked by lintian, installed with
# dpkg into a copy of a pristine Debian 12 root (debootstrap --variant=
# minbase, made by tools/deps.sh with the packages' runtime dependencies:
# the test itself reaches no network), discod started there as its unit's
# ExecStart (systemd does not run in a chroot) and asked for its status,
# upgraded to a rebuilt package of a higher version, and purged.  As root.
#
# DISCO_DEB_ROOT names the pristine root (default below, where
# tools/deps.sh makes it); it is copied, never changed.
# The points are functions that check runs: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

pristine=${DISCO_DEB_ROOT:-/var/cache/disco-ci/debian12-root}
why=
if [ -n "${DISCO_NO_LAB:-}" ]; then
	echo "1..0 # SKIP DISCO_NO_LAB is set"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	why="needs root (dpkg in a chroot)"
else
	for tool in dpkg-buildpackage lintian chroot unshare socat; do
		command -v "$tool" >/dev/null 2>&1 || why="$why $tool not installed;"
	done
	[ -x "$pristine/usr/bin/dpkg" ] ||
	    why="$why no Debian 12 root at $pristine (tools/deps.sh makes it);"
fi
if [ -n "$why" ]; then
	[ "${CI:-}" = true ] && { echo "Bail out! $why"; exit 1; }
	echo "1..0 # SKIP $why"
	exit 0
fi

plan 19
work=$(mktemp -d "${TMPDIR:-/tmp}/disco-deb.XXXXXX")
root=$work/root
dpid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$dpid" ] || stop_discod
	umount "$root/proc" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

version=$(sed -n '1s/^disco (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
src=$work/src/disco-$version
packages=(discod discoctl libdisco1 libdisco-dev libnss-disco python3-disco)

# The packages, built from the tree's own file list (make dist's), as an
# operator building from a release would.  nocheck: the unit suites ran
# in this make check already; noautodbgsym: nothing here reads them.
build() {
	DEB_BUILD_OPTIONS="nocheck noautodbgsym" timeout 900 \
	    dpkg-buildpackage -us -uc -b \
	    "$@" >>"$work/build.log" 2>&1
}
mkdir -p "$work/src" &&
    make -s -C "$top_builddir" distdir distdir="$src" >"$work/build.log" 2>&1 &&
    (cd "$src" && build)
built=$?
check "dpkg-buildpackage -us -uc -b builds the packages" test "$built" = 0
[ "$built" = 0 ] || diag "$(tail -n 30 "$work/build.log")"

lintian_clean() {
	local out
	out=$(timeout 300 lintian --fail-on error,warning \
	    "$work/src/disco_${version}_"*.changes 2>&1)
	local rc=$?
	diag "$out"
	return "$rc"
}
check "lintian: no error and no warning" lintian_clean

deb() { # deb PACKAGE [VERSION]: the package's file
	local f
	for f in "$work/src/$1_${2:-$version}_"*.deb; do
		[ -e "$f" ] && echo "$f"
	done
}
holds() { # holds PACKAGE PATH...: each PATH is in the package
	local p=$1 list
	shift
	list=$(dpkg-deb -c "$(deb "$p")" | awk '{ print $6 }' | sed 's|^\.||')
	for f in "$@"; do
		grep -qx -- "$f" <<<"$list" || { diag "$p lacks $f"; return 1; }
	done
}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
each_holds_its_files() {
	holds discod /usr/sbin/discod /lib/systemd/system/discod.service \
	    /lib/systemd/system/discod.socket /usr/lib/sysusers.d/disco.conf \
	    /etc/disco/discod.conf /etc/disco/services/ \
	    /usr/share/man/man8/discod.8.gz \
	    /usr/share/man/man5/discod.conf.5.gz \
	    /usr/share/man/man5/disco.dnssd.5.gz &&
	    holds discoctl /usr/bin/discoctl \
		/usr/share/bash-completion/completions/discoctl \
		/usr/share/man/man1/discoctl.1.gz &&
	    holds libdisco1 "/usr/lib/$multiarch/libdisco.so.1.0.0" &&
	    holds libdisco-dev /usr/include/disco.h \
		"/usr/lib/$multiarch/pkgconfig/disco.pc" \
		/usr/share/man/man3/libdisco.3.gz &&
	    holds libnss-disco "/usr/lib/$multiarch/libnss_disco.so.2" &&
	    holds python3-disco /usr/lib/python3/dist-packages/disco.py &&
	    # Runtime dependencies only: no test tool reaches a package.
	    ! dpkg-deb -f "$(deb discod)" Depends |
		grep -Eq 'valgrind|clang|cppcheck|shellcheck|check'
}
check "each package holds its files; discod depends on no test tool" \
    each_holds_its_files

# The root: a copy of the pristine one, /proc mounted for the maintainer
# scripts.  Everything in it runs through chroot.
in_root() { chroot "$root" "$@"; }
if ! cp -a "$pristine" "$root" || ! mount -t proc proc "$root/proc"; then
	echo "Bail out! cannot copy $pristine"
	exit 1
fi
# What a purge must leave: the root's files now (dpkg's own records and
# logs aside, the /tmp this test uses, and /run/systemd, which
# systemd-analyze writes to).
tree_of() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./tmp \
	    -o -path ./var/lib/dpkg -o -path ./var/log \
	    -o -path ./var/cache/debconf -o -path ./var/cache/ldconfig \
	    -o -path ./run/systemd \) -prune \
	    -o -print | LC_ALL=C sort)
}
tree_of >"$work/before"
hosts_before=$(grep '^hosts:' "$root/etc/nsswitch.conf")

install_debs() { # install_debs VERSION
	local v=$1 p
	mkdir -p "$root/tmp/debs-$v"
	for p in "${packages[@]}"; do
		cp "$(deb "$p" "$v")" "$root/tmp/debs-$v/" || return 1
	done
	in_root sh -c "dpkg -i /tmp/debs-$v/*.deb" >>"$work/dpkg.log" 2>&1
}
check "dpkg -i installs all six into a pristine Debian 12 root" \
    install_debs "$version"

user_made() {
	in_root getent group disco >/dev/null &&
	    in_root getent passwd disco | grep -q ':/usr/sbin/nologin$'
}
check "the disco user and group exist, the user without a shell" user_made
units_enabled() {
	[ -L "$root/etc/systemd/system/multi-user.target.wants/discod.service" ] &&
	    [ -L "$root/etc/systemd/system/sockets.target.wants/discod.socket" ]
}
check "discod.service and discod.socket are enabled" units_enabled
units_verify() {
	local out
	if out=$(in_root systemd-analyze verify --man=no \
	    /lib/systemd/system/discod.service \
	    /lib/systemd/system/discod.socket 2>&1) && [ -z "$out" ]; then
		return 0
	fi
	diag "$out"
	return 1
}
check "systemd-analyze verify passes on the installed units" units_verify
disco_before_dns() {
	grep -Eq '^hosts:.*[[:space:]]disco[[:space:]].*dns' \
	    "$root/etc/nsswitch.conf"
}
check "libnss-disco put disco before dns in nsswitch.conf" disco_before_dns
check "python3-disco imports" in_root python3 -c 'import disco'

# discod as its unit's ExecStart, as systemd runs it: with NOTIFY_SOCKET
# (a Type=notify unit; discod then stays in the foreground and says
# READY=1 there), its runtime directory made, and in a network namespace
# of its own (no traffic leaves it).
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/discod.service")
npid=
start_discod() {
	[ -n "$exec_start" ] || { diag "no ExecStart in discod.service"; return 1; }
	mkdir -p "$root/run/disco"
	rm -f "$root/run/notify" "$work/notify"
	socat -u UNIX-RECV:"$root/run/notify" OPEN:"$work/notify",creat,append \
	    2>/dev/null &
	npid=$!
	# shellcheck disable=SC2086 # ExecStart is a command line
	NOTIFY_SOCKET=/run/notify unshare --net chroot "$root" $exec_start \
	    >>"$work/discod.log" 2>&1 &
	dpid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q READY=1 "$work/notify" 2>/dev/null &&
		    in_root timeout 5 discoctl status >/dev/null 2>&1 && return 0
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	diag "$(tail -n 20 "$work/discod.log")"
	return 1
}
stop_discod() {
	kill -TERM "$dpid" "$npid" 2>/dev/null
	timeout 10 tail --pid="$dpid" -f /dev/null
	kill -KILL "$dpid" 2>/dev/null
	wait "$dpid" "$npid" 2>/dev/null
	dpid=''
	npid=''
}
# A file registration and an operator's change to the conffile, both to
# outlive the upgrade.
cat >"$root/etc/disco/services/ci.dnssd" <<'EOF'
[Service]
Name=ci-web
Type=_http._tcp
Port=8080
EOF
printf '\n# changed by the operator\n' >>"$root/etc/disco/discod.conf"
cp "$root/etc/disco/services/ci.dnssd" "$root/etc/disco/discod.conf" "$work/"
status_answers() {
	in_root timeout 5 discoctl status | grep -q "^agent .*discod $(
	    sed -n 's/^AC_INIT(\[disco\], \[\([^]]*\)\].*/\1/p' \
	    "$top_srcdir/configure.ac")"
}
check "discod started as ExecStart says READY=1 and answers discoctl status" \
    eval 'start_discod && status_answers'
has_registration() {
	in_root timeout 5 discoctl services | grep -q 'ci-web .*/etc/disco/services/ci.dnssd'
}
check "it holds the file registration" has_registration
stop_discod

# The upgrade: the same tree, a higher version, built again (-nc: the
# build is there, only the packages are made anew).
new=$version+ci1
{
	printf 'disco (%s) unstable; urgency=medium\n\n' "$new"
	printf '  * Rebuilt by tests/shipped/deb.sh to test upgrades.\n\n'
	printf ' -- disco CI <disco-devel@lists.example.org>  %s\n\n' "$(date -R)"
	cat "$src/debian/changelog"
} >"$work/changelog" && cp "$work/changelog" "$src/debian/changelog"
(cd "$src" && build -nc)
check "the packages build again at version $new" test -n "$(deb discod "$new")"
check "dpkg -i upgrades all six to $new" \
    eval "install_debs '$new' &&
    test \"\$(in_root dpkg-query -W -f='\${Version}' discod)\" = '$new'"
# On a running systemd the new postinst restarts both units (debhelper's
# part); here nothing runs them, so the test restarts discod as systemd
# would.
restarts() {
	grep -q '_dh_action=restart' "$root/var/lib/dpkg/info/discod.postinst" &&
	    grep -q "deb-systemd-invoke \$_dh_action 'discod.service' 'discod.socket'" \
		"$root/var/lib/dpkg/info/discod.postinst"
}
check "the upgrade restarts discod.service and discod.socket" restarts
kept() {
	cmp "$work/ci.dnssd" "$root/etc/disco/services/ci.dnssd" &&
	    cmp "$work/discod.conf" "$root/etc/disco/discod.conf"
}
check "the upgrade keeps the registration and the operator's discod.conf" kept
check "restarted, discod answers with the registration" \
    eval 'start_discod && status_answers && has_registration'
stop_discod

purge() {
	in_root dpkg --purge "${packages[@]}" >>"$work/dpkg.log" 2>&1
}
check "dpkg --purge removes all six" purge
nothing_left() {
	tree_of >"$work/after"
	diff -u "$work/before" "$work/after" >"$work/left" && return 0
	diag "$(cat "$work/left")"
	return 1
}
check "the purge leaves no file, directory or link behind" nothing_left
gone() {
	! in_root getent passwd disco >/dev/null &&
	    ! in_root getent group disco >/dev/null &&
	    [ "$(grep '^hosts:' "$root/etc/nsswitch.conf")" = "$hosts_before" ]
}
check "the user, the group and nsswitch.conf's disco are gone" gone
[ "$TAP_FAILED" = 0 ] || {
	diag "dpkg's output:" "$(tail -n 40 "$work/dpkg.log")"
}
exit 0
