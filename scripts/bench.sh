#!/bin/sh
# make bench: the performance scenarios of docs/performance.md.  A benchmark,
# not a test: it prints numbers and fails only if a run fails.
#   BENCH_BIG=1 make bench     also runs the 100,000-officer certificate run
set -eu
build=${1:-build}
attache=$(cd "$build" && pwd)/attache
work=$build/bench
py=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"
cp -r samples/assets "$work/assets"
cores=$(nproc)
echo "attache $("$attache" --version | cut -d' ' -f2) on $cores cores ($(uname -m)), $(date -u +%Y-%m-%d)"
echo

$py bench/gen-data.py 1000 "$work/d1000.xml"
$py bench/gen-data.py 200 "$work/d200.xml"
"$attache" keygen -o "$work/k" --issuer asec >/dev/null
export SOURCE_DATE_EPOCH=1454630400

# the yardstick: libharu + libqrencode, one PDF, no templates or signing
cc -O2 -o "$work/reference" bench/reference.c $(pkg-config --cflags --libs libqrencode) -lhpdf -lm
ref=$("$work/reference" 1000 fonts "$work/assets/logo.png")
ref_rate=$(echo "$ref" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p')
echo "$ref"
echo

printf '%-42s %8s %10s %11s %10s %8s\n' scenario docs docs/s bytes/doc "peak RSS" "ratio"
run() {   # name, docs expected, output folder, command...
    name=$1 n=$2 out=$3
    shift 3
    rm -rf "$out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" -q
    set -- $(cat "$work/time")
    secs=$1 rss=$2
    bytes=$(find "$out" -name '*.pdf' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    count=$(find "$out" -name '*.pdf' | wc -l)
    [ -n "${merged:-}" ] && bytes=$(stat -c %s "$merged") && count=$n
    rate=$(awk "BEGIN {printf \"%.0f\", $n / $secs}")
    ratio=$(awk "BEGIN {printf \"%.2f\", ($secs / $n) / (1 / $ref_rate)}")
    printf '%-42s %8s %10s %11s %9sM %8s\n' "$name" "$n" "$rate" \
        "$(awk "BEGIN {printf \"%.0f\", $bytes / ($count ? $count : 1)}")" \
        "$(awk "BEGIN {printf \"%.0f\", $rss / 1024}")" "${ratio}x"
}
run "1,000 certificates, separate files, -j1" 1000 "$work/c1" \
    "$attache" certificates "$work/d1000.xml" -o "$work/c1" -k "$work/k.key" -j1
run "1,000 certificates, separate files, -j$cores" 1000 "$work/cn" \
    "$attache" certificates "$work/d1000.xml" -o "$work/cn" -k "$work/k.key" -j"$cores"
merged=$work/merged.pdf
run "1,000 certificates, one merged PDF" 1000 "$work/cm" \
    "$attache" certificates "$work/d1000.xml" -o "$work/cm" -k "$work/k.key" --merge "$merged"
merged=
run "1,000 letters" 1000 "$work/l" \
    "$attache" letters "$work/d1000.xml" -o "$work/l" -k "$work/k.key"
run "200 induction packs" 200 "$work/i" \
    "$attache" induction "$work/d200.xml" -o "$work/i" -k "$work/k.key"
echo "(merged PDF: $(stat -c %s "$work/merged.pdf") bytes for 1,000 pages)"
if [ "${BENCH_BIG:-0}" = 1 ]; then
    $py bench/gen-data.py 100000 "$work/d100k.xml"
    run "100,000 certificates, -j$cores" 100000 "$work/big" \
        "$attache" certificates "$work/d100k.xml" -o "$work/big" -k "$work/k.key" -j"$cores"
fi
if [ -x "$build/bench_token" ]; then
    echo
    "$build/bench_token"
fi
