#!/bin/bash
# libdisco's ABI as shipped: the shared library exports exactly the
# functions lib/libdisco.symbols lists, each at version DISCO_1, under the
# soname libdisco.so.1; the header declares the same functions and the
# version script names the same.  A symbol added, removed or leaking out
# of the library fails here, so an ABI change is a decision, not a slip.
# debian/libdisco1.symbols (the package's symbols file) names the same,
# each at DISCO_1.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

plan 6
lib=$top_builddir/.libs/libdisco.so.1
list=$top_srcdir/lib/libdisco.symbols
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "the library is built as libdisco.so.1" test -e "$lib"
# readelf: every defined dynamic symbol that is not the version node.
readelf --dyn-syms --wide "$lib" 2>/dev/null |
    awk '$7 != "UND" && $5 == "GLOBAL" && $8 != "" { print $8 }' |
    grep -v '^DISCO_1$' | LC_ALL=C sort >"$tmp/exported"
sed 's/@.*//' "$tmp/exported" | LC_ALL=C sort -u >"$tmp/names"
check "the exported functions are exactly lib/libdisco.symbols" \
    diff -u "$list" "$tmp/names"
check "each at version DISCO_1" \
    test "$(grep -c -v '@@DISCO_1$' "$tmp/exported")" = 0 -a \
    -s "$tmp/exported"
grep -E '^[a-z].*[[:space:]*](disco_[a-z0-9_]+)\(' \
    "$top_srcdir/lib/disco.h" |
    sed -E 's/.*[[:space:]*](disco_[a-z0-9_]+)\(.*/\1/' |
    LC_ALL=C sort -u >"$tmp/header"
check "disco.h declares exactly those functions" \
    diff -u "$list" "$tmp/header"
sed -n 's/^[[:space:]]*\(disco_[a-z0-9_]*\);$/\1/p' \
    "$top_srcdir/lib/libdisco.map" | LC_ALL=C sort >"$tmp/map"
check "the version script names exactly those" diff -u "$list" "$tmp/map"
sed -n 's/^ \(disco_[a-z0-9_]*\)@DISCO_1 .*/\1/p' \
    "$top_srcdir/debian/libdisco1.symbols" | LC_ALL=C sort >"$tmp/deb"
check "debian/libdisco1.symbols names exactly those, at DISCO_1" \
    diff -u "$list" "$tmp/deb"
