#!/bin/bash
# An application built only with `pkg-config --cflags --libs disco`
# compiles and links against the installed library: make install into a
# staging directory, build examples/demo-connect.c from it, run it.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

if grep -qa __asan_init "$top_builddir/discod"; then
	echo "1..0 # SKIP built with sanitizers: an application would need them too"
	exit 77
fi
plan 5
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make -s -C "$top_builddir" install DESTDIR="$stage" >"$stage/install.log" 2>&1
check "make install into a staging directory" test $? = 0
pc=$(find "$stage" -name disco.pc | head -n 1)
export PKG_CONFIG_PATH=${pc%/disco.pc}
export PKG_CONFIG_SYSROOT_DIR=$stage
# shellcheck disable=SC2046 # pkg-config's words are separate flags
cc -o "$stage/demo" "$top_srcdir/examples/demo-connect.c" \
    $(pkg-config --cflags --libs disco) 2>"$stage/cc.log"
check "compiles and links with pkg-config --cflags --libs disco" \
    test -x "$stage/demo"
diag "$(cat "$stage/cc.log")"
# The sturdy example uses the sized-struct macros and typed events.
# shellcheck disable=SC2046
cc -Wall -Werror -o "$stage/sturdy" "$top_srcdir/examples/sturdy-service.c" \
    $(pkg-config --cflags --libs disco) 2>"$stage/cc2.log"
check "examples/sturdy-service.c builds from the installed header, warning-free" \
    test -x "$stage/sturdy"
diag "$(cat "$stage/cc2.log")"
libdir=$(dirname "$(find "$stage" -name 'libdisco.so.1' | head -n 1)")
out=$(DISCO_SOCKET=/nonexistent/disco.sock LD_LIBRARY_PATH=$libdir \
    "$stage/demo" 2>&1)
rc=$?
check "runs against the installed library (no agent: exit 2)" test "$rc" = 2
check "and says the agent is not running" \
    grep -q 'the disco agent is not running' <<<"$out"
