#!/bin/bash
# Install what disco needs on Debian 12.  Run as root.  The one list of
# packages: README.md says why each is here.
#	tools/deps.sh		build, run and test (CI, developers)
#	tools/deps.sh build	build and run only (tools/start-agent.sh)
set -euo pipefail

build=(
	build-essential autoconf automake libtool pkg-config
	libavahi-client-dev libevent-dev libjson-c-dev libinih-dev
	libbsd-dev libsystemd-dev libldns-dev libcurl4-openssl-dev
)
run=(avahi-daemon dbus bash-completion)
test=(
	# unit tests, lab and lint
	check avahi-utils iproute2 python3 procps socat mandoc shellcheck
	cppcheck clang-format systemd util-linux valgrind bind9-dnsutils
	haproxy prometheus etcd-server etcd-client openssl
	# the sanitizer and fuzzing build
	clang libclang-rt-14-dev llvm
	# the Debian packages (debian/, tests/shipped/deb.sh)
	debhelper dh-python lintian debootstrap
)
case ${1:-all} in
build) packages=("${build[@]}" "${run[@]}") ;;
all) packages=("${build[@]}" "${run[@]}" "${test[@]}") ;;
*)
	echo "usage: tools/deps.sh [build]" >&2
	exit 2
	;;
esac

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# A pristine Debian 12 root for tests/shipped/deb.sh, which installs the
# packages into a copy of it: debootstrap's minimal system plus the
# packages' runtime dependencies (debootstrap takes no alternatives, so
# dbus is named for avahi-daemon), fetched here, with the other packages,
# so that the test itself reaches no network.  From the mirror apt uses.
[ "${1:-all}" = all ] || exit 0
deb_root=${DISCO_DEB_ROOT:-/var/cache/disco-ci/debian12-root}
deb_root_packages=dbus,avahi-daemon,procps,systemd,libavahi-client3,libbsd0,libcurl4,libevent-2.1-7,libinih1,libjson-c5,libldns3,python3
if [ ! -e "$deb_root/.disco-root-ok" ] ||
    [ "$(cat "$deb_root/.disco-root-ok")" != "$deb_root_packages" ]; then
	# (Either file may be missing: set -e and pipefail must not stop here.)
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    awk '$1 == "URIs:" { print $2; exit }') || true
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' \
	    /etc/apt/sources.list 2>/dev/null) || true
	rm -rf "$deb_root"
	mkdir -p "$(dirname "$deb_root")"
	debootstrap --variant=minbase --include="$deb_root_packages" bookworm \
	    "$deb_root" "${mirror:-http://deb.debian.org/debian}" >/dev/null
	echo "$deb_root_packages" >"$deb_root/.disco-root-ok"
fi
