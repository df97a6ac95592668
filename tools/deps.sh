#!/bin/bash
# Install everything disco needs to build, run and test on Debian 12.
# Run as root.  The one list of packages: README.md says why each is here.
set -euo pipefail

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	libavahi-client-dev libevent-dev libjson-c-dev libinih-dev
	libbsd-dev libsystemd-dev libldns-dev libcurl4-openssl-dev check
	# run
	avahi-daemon dbus bash-completion
	# test and lint
	avahi-utils iproute2 python3 procps socat mandoc shellcheck cppcheck
	clang-format systemd util-linux valgrind bind9-dnsutils haproxy prometheus
	etcd-server etcd-client openssl
	# the sanitizer and fuzzing build
	clang libclang-rt-14-dev llvm
)

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
