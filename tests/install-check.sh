#!/bin/sh
# make install into a temporary prefix, then build and run a program with
# pkg-config alone: against the shared library, and statically against
# libattache.a (pkg-config --static, with only the static library there).
# The shared library must export only the functions of include/attache.h.
# Usage: tests/install-check.sh BUILD_DIR      (run by `make check`)
build=$1
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/attache-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install: FAIL: $*"; exit 1; }
CC=${CC:-cc}

${MAKE:-make} -s install BUILD="$build" PREFIX="$tmp/prefix" > "$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "make install"; }
lib=$tmp/prefix/lib
[ -f "$lib/libattache.a" ] || fail "no libattache.a"
[ "$(readlink "$lib/libattache.so")" = libattache.so.0 ] || fail "libattache.so is not a link to libattache.so.0"
readelf -d "$lib/libattache.so.0" | grep -q 'SONAME.*\[libattache\.so\.0\]' || fail "no SONAME libattache.so.0"

# exported: exactly the functions the public header declares
nm -D --defined-only "$lib/libattache.so.0" | awk '{print $3}' | sort > "$tmp/exported"
grep -oE '\battache_[a-z0-9_]+ *\(' include/attache.h | sed 's/ *(//' | sort -u > "$tmp/declared"
comm -23 "$tmp/exported" "$tmp/declared" > "$tmp/extra"
[ -s "$tmp/extra" ] && fail "exported but not in attache.h: $(tr '\n' ' ' < "$tmp/extra")"
grep -qx attache_generate "$tmp/exported" || fail "attache_generate is not exported"

PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags attache) || fail "pkg-config --cflags attache"
libs=$(pkg-config --libs attache) || fail "pkg-config --libs attache"
mkdir "$tmp/dyn" "$tmp/static"

# shared
$CC $CFLAGS -o "$tmp/prog" tests/install/prog.c $cflags $libs $LDFLAGS ||
    fail "cc prog.c \$(pkg-config --cflags --libs attache)"
readelf -d "$tmp/prog" | grep -q 'NEEDED.*libattache\.so\.0' || fail "prog does not use libattache.so.0"
LD_LIBRARY_PATH=$lib "$tmp/prog" "$root/samples/asean.xml" "$tmp/dyn" > "$tmp/out" ||
    fail "the program linked with libattache.so"
grep -q "certificate Chhy Ratha aec-ascc-2 2016-02-05" "$tmp/out" || fail "prog printed $(cat "$tmp/out")"

# static: a prefix with only libattache.a, and its private dependencies
cp -a "$tmp/prefix" "$tmp/sprefix"
rm -f "$tmp/sprefix/lib"/libattache.so*
sed -i "s|^prefix=.*|prefix=$tmp/sprefix|" "$tmp/sprefix/lib/pkgconfig/attache.pc"
PKG_CONFIG_PATH=$tmp/sprefix/lib/pkgconfig
slibs=$(pkg-config --static --libs attache) || fail "pkg-config --static --libs attache"
$CC $CFLAGS -o "$tmp/sprog" tests/install/prog.c $(pkg-config --cflags attache) $slibs $LDFLAGS ||
    fail "cc prog.c \$(pkg-config --static --cflags --libs attache)"
readelf -d "$tmp/sprog" | grep -q 'libattache' && fail "the static program needs libattache.so"
"$tmp/sprog" "$root/samples/asean.xml" "$tmp/static" > "$tmp/sout" || fail "the program linked with libattache.a"
cmp -s "$tmp/out" "$tmp/sout" || fail "static and shared programs differ"
echo "install: passed ($(cat "$tmp/out"))"
