#!/bin/sh
# The tool's main paths under valgrind's memcheck: what AddressSanitizer does
# not see (reads of uninitialised memory) and leaks, on the real build.
# Each command must exit as it should, and valgrind must report nothing.
# Usage: tests/valgrind.sh ATTACHE
set -u
attache=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
samples=$root/samples/asean.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1454630400
pass=0 fail=0

# check NAME EXPECTED-STATUS ARGS...
check() {
    name=$1 want=$2
    shift 2
    valgrind -q --error-exitcode=99 --leak-check=full --suppressions="$root/tests/valgrind.supp" \
        --soname-synonyms=somalloc="libjemalloc.so*" \
        --log-file="$name.vg" \
        "$attache" "$@" > "$name.out" 2> "$name.err"
    got=$?
    if [ "$got" -eq "$want" ] && [ ! -s "$name.vg" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL valgrind/$name: exit $got, want $want"
        cat "$name.err" "$name.vg"
    fi
}

officers=kh-2015-01,vn-2015-02,vn-2016-03
check keygen 0 keygen -o k --issuer asec
check validate 0 validate -q "$samples"
printf '<attache version="1"><issuer id="x"/></attache>\n' > bad.xml
check validate-bad 65 validate bad.xml
check certificates 0 certificates "$samples" -o c -k k.key -q -j 2 --officer "$officers" \
    --merge c/print.pdf
check letters 0 letters "$samples" -o l -k k.key -q --officer vn-2015-02
check induction 0 induction "$samples" -o i -k k.key -q --officer vn-2015-02 \
    --merge i/packs.pdf
qr=$(sed -n 2p c/manifest.csv | cut -d, -f8)
check verify 0 verify --pub k.pub "$qr"
check verify-bad 1 verify --pub k.pub "ATT1:AAAAAAAA"
pdftoppm -r 150 -png -singlefile "c/$(sed -n 2p c/manifest.csv | cut -d, -f6)" page
check verify-picture 0 verify --pub k.pub page.png
check verify-pdf 0 verify --pub k.pub "c/$(sed -n 2p c/manifest.csv | cut -d, -f6)" c/print.pdf \
    i/packs.pdf
check verify-missing 66 verify --pub k.pub missing.pdf
check revoke 0 revoke C-AAAA-BBBB-CCCC --reason "issued in error" --list revoked.xml
check templates 0 templates --show certificate
check site 0 site -o site --pub k.pub --revoked revoked.xml --base /verify/

echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
