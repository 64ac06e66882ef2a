#!/bin/sh
# make bench: the performance scenarios of docs/performance.md.  A benchmark,
# not a test: it prints numbers and fails only if a run fails.
#   BENCH_BIG=1 make bench     also runs the 100,000-officer certificate run
#   BENCH_ROUNDS=N make bench  rounds of the side-by-side run (default 5)
#   BENCH_PEER=0 make bench    leaves out the Typst peer
set -eu
build=${1:-build}
attache=$(cd "$build" && pwd)/attache
work=$(cd "$build" && pwd)/bench   # absolute: the npm step runs in bench/typst
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

# Every timed run: a whole process under /usr/bin/time, which leaves its wall
# seconds in secs, its CPU seconds (user + system, all threads) in cpu and
# its peak RSS (KB) in rss.
timed() {   # command...
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@"
    read -r secs user sys rss <"$work/time"
    cpu=$(awk "BEGIN {print $user + $sys}")
}

printf '%-42s %8s %10s %11s %10s %8s\n' scenario docs docs/s bytes/doc "peak RSS" "ratio"
run() {   # name, docs expected, output folder, command...
    name=$1 n=$2 out=$3
    shift 3
    sync
    timed "$@" -q
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

# ---- side by side with Typst -------------------------------------------------
# The peer (bench/typst/): Typst through its Node binding, compiling a simpler
# certificate (two faces, no images, no QR code) for the same 1,000 officers,
# fonts loaded once, one PDF each.  Peer and attache take turns, round after
# round, so that whatever else the machine does slows both; each is timed as
# a whole process and the medians are compared.  Each starts after a sync:
# the peer leaves its files unsynced, and on ext4 (ordered data) the next
# fsync would write them back, so without it attache's run would pay for the
# peer's writes.  Each run writes into a folder of its own, and none is
# removed before the end: ext4, creating a file, steps one by one over the
# inodes freed in the last five minutes (recently_deleted), so deleting a
# round's 3,000 files before the next would charge the next runs for it,
# both the peer's and attache's (perf: 9% of attache's -j1 time).
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
wall() {   # cpu-file command...: prints its wall seconds, adds its CPU seconds to cpu-file
    cpu_file=$1
    shift
    timed "$@" >/dev/null
    echo "$cpu" >>"$cpu_file"
    echo "$secs"
}
peer=
if [ "${BENCH_PEER:-1}" = 0 ]; then
    peer="left out (BENCH_PEER=0)"
elif ! command -v node >/dev/null 2>&1; then
    peer="skipped: node is not installed"
elif [ ! -d bench/typst/node_modules/@myriaddreamin/typst-ts-node-compiler ] &&
     ! { command -v npm >/dev/null 2>&1 &&
         (cd bench/typst && timeout 300 npm ci --no-audit --no-fund >"$work/npm.log" 2>&1); }; then
    peer="skipped: the npm package @myriaddreamin/typst-ts-node-compiler could not be installed (npm or its registry is not reachable; see $work/npm.log)"
elif ! node bench/typst/certificates.mjs "$work/d200.xml" "$work/t0" >"$work/peer.log" 2>&1; then
    peer="skipped: the Typst peer does not run here (see $work/peer.log)"
fi
echo
if [ -n "$peer" ]; then
    echo "Typst peer: $peer"
else
    rounds=${BENCH_ROUNDS:-5}
    : >"$work/t.peer"; : >"$work/t.j1"; : >"$work/t.jn"
    : >"$work/c.peer"; : >"$work/c.j1"; : >"$work/c.jn"
    : >"$work/t.jc"; : >"$work/c.jc"
    # Besides -j1 and -j$cores, each round runs $cores copies of the -j1 run
    # at once, each into its own folder, sharing nothing: what the cores give
    # this work when nothing in it has to wait for anything else.  -j$cores
    # against -j1 is measured against that.
    # The run right after the peer's starts colder (the project's machine drops the
    # libraries' pages from its cache within seconds: a dozen page reads
    # from disk), so the three take that place in turn, round by round.
    for i in $(seq "$rounds"); do
        r=$work/round$i
        mkdir -p "$r"
        sync
        wall "$work/c.peer" node bench/typst/certificates.mjs "$work/d1000.xml" "$r/t" \
            >>"$work/t.peer"
        case $((i % 3)) in 1) order="1 n c" ;; 2) order="n c 1" ;; *) order="c 1 n" ;; esac
        for k in $order; do   # k names the files: 1 for -j1, n for -j$cores, c for the copies
            [ "$k" = c ] && [ "$cores" -lt 2 ] && continue
            sync
            if [ "$k" = c ]; then
                wall "$work/c.jc" sh -c 'c=1 pids= s=0
                    while [ $c -le "$1" ]; do
                        "$2" certificates "$3/d1000.xml" -o "$4/ac$c" -k "$3/k.key" -j1 -q &
                        pids="$pids $!" c=$((c + 1))
                    done
                    for p in $pids; do wait "$p" || s=1; done
                    exit $s' \
                    copies "$cores" "$attache" "$work" "$r" >>"$work/t.jc"
            else
                if [ "$k" = 1 ]; then j=1; else j=$cores; fi
                wall "$work/c.j$k" "$attache" certificates "$work/d1000.xml" -o "$r/a$k" \
                    -k "$work/k.key" -j"$j" -q >>"$work/t.j$k"
            fi
        done
    done
    tp=$(median <"$work/t.peer") t1=$(median <"$work/t.j1") tn=$(median <"$work/t.jn")
    echo "side by side, 1,000 certificates, one PDF each, $rounds alternating rounds, medians:"
    printf '  %-50s %6.2f s %6.0f/s %8.0f bytes/doc\n' \
        "Typst (typst-ts-node-compiler $(node -p "require('./bench/typst/node_modules/@myriaddreamin/typst-ts-node-compiler/package.json').version" 2>/dev/null))" \
        "$tp" "$(awk "BEGIN {print 1000 / $tp}")" \
        "$(find "$work/round1/t" -name '*.pdf' -printf '%s\n' | awk '{s+=$1} END {print s/NR}')"
    printf '  %-50s %6.2f s %6.0f/s %8.0f bytes/doc\n' "attache -j1" "$t1" \
        "$(awk "BEGIN {print 1000 / $t1}")" \
        "$(find "$work/round1/a1" -name '*.pdf' -printf '%s\n' | awk '{s+=$1} END {print s/NR}')"
    printf '  %-50s %6.2f s %6.0f/s\n' "attache -j$cores" "$tn" "$(awk "BEGIN {print 1000 / $tn}")"
    printf '  attache -j1 / Typst: %.2fx; -j%s / -j1: %.2fx   (rounds: Typst %s; -j1 %s; -j%s %s)\n' \
        "$(awk "BEGIN {print $tp / $t1}")" "$cores" "$(awk "BEGIN {print $t1 / $tn}")" \
        "$(tr '\n' ' ' <"$work/t.peer")" "$(tr '\n' ' ' <"$work/t.j1")" "$cores" \
        "$(tr '\n' ' ' <"$work/t.jn")"
    # each round's own ratios, whose median a drift of the machine's speed over
    # the rounds moves less than it moves the medians of the times
    printf '  the same, round by round, medians: -j1 / Typst %.2fx; -j%s / -j1 %.2fx\n' \
        "$(paste "$work/t.peer" "$work/t.j1" | awk '{print $1 / $2}' | median)" "$cores" \
        "$(paste "$work/t.j1" "$work/t.jn" | awk '{print $1 / $2}' | median)"
    # Where -jN against -j1 can go: a run of -jN lasts at least its CPU time
    # spread over the cores, so N x (-j1's wall time) / (-jN's CPU time) is the
    # most it can be.  What the main thread, the committer and the kernel do
    # beside the worker runs on an idle core at -j1, and takes a share of the
    # same cores at -jN.
    cp=$(median <"$work/c.peer") c1=$(median <"$work/c.j1") cn=$(median <"$work/c.jn")
    printf '  CPU time (user + system), medians: Typst %.2f s; -j1 %.2f s, %.2f cores busy; -j%s %.2f s, %.2f cores busy\n' \
        "$cp" "$c1" "$(awk "BEGIN {print $c1 / $t1}")" "$cores" "$cn" "$(awk "BEGIN {print $cn / $tn}")"
    printf '  the most -j%s / -j1 can be, every core busy throughout (%s x -j1 wall / -j%s CPU), round by round, median: %.2fx\n' \
        "$cores" "$cores" "$cores" \
        "$(paste "$work/t.j1" "$work/c.jn" | awk -v n="$cores" '{print n * $1 / $2}' | median)"
    if [ -s "$work/t.jc" ]; then
        tc=$(median <"$work/t.jc") cc=$(median <"$work/c.jc")
        printf '  %s runs of -j1 at once, sharing nothing: %.2f s for all, CPU %.2f s a run (-j1 alone %.2f s): %.2fx the work of one run in its time, round by round, median %.2fx\n' \
            "$cores" "$tc" "$(awk "BEGIN {print $cc / $cores}")" "$c1" \
            "$(awk "BEGIN {print $cores * $t1 / $tc}")" \
            "$(paste "$work/t.j1" "$work/t.jc" | awk -v n="$cores" '{print n * $1 / $2}' | median)"
        printf '  -j%s / -j1 against what %s separate runs give, round by round, median: %.0f%%\n' \
            "$cores" "$cores" \
            "$(paste "$work/t.j1" "$work/t.jn" "$work/t.jc" | awk -v n="$cores" '{print 100 * ($1 / $2) / (n * $1 / $3)}' | median)"
    fi
fi

# ---- growth of cost ------------------------------------------------------------
# Time per document and peak memory as the cohort grows: the run streams its
# data, so both should stay flat.  A run of 1,000 takes half a second, which
# this machine's noise moves by a third: the smaller sizes run several times
# (5 at 1,000, 3 at 10,000) and their median time is taken, with the highest
# peak RSS.
# A run's fixed part (the process's start, the template, the key, the
# images) is paid once however many documents it makes: a run of one
# officer, five times, gives it, and each size's time less it, divided by
# its documents, is what one more document costs.
$py bench/gen-data.py 1 "$work/g1.xml"
: >"$work/g.secs"
for i in 1 2 3 4 5; do
    timed "$attache" certificates "$work/g1.xml" -o "$work/g1-$i" -k "$work/k.key" -j"$cores" -q
    echo "$secs" >>"$work/g.secs"
done
fixed=$(median <"$work/g.secs")
echo
echo "growth, certificates at -j$cores (time per document against 1,000 officers; median of runs;"
echo "  a run of one officer takes $fixed s, and 'beyond' is each run's time less that, per document):"
sizes="1000 10000"
[ "${BENCH_BIG:-0}" = 1 ] && sizes="$sizes 100000"
base= mbase=
for n in $sizes; do
    case $n in 1000) reps=5 ;; 10000) reps=3 ;; *) reps=1 ;; esac
    [ -f "$work/g$n.xml" ] || $py bench/gen-data.py "$n" "$work/g$n.xml"
    : >"$work/g.secs"; : >"$work/g.rss"
    for i in $(seq "$reps"); do
        sync
        timed "$attache" certificates "$work/g$n.xml" -o "$work/g$n-$i" -k "$work/k.key" \
            -j"$cores" -q
        echo "$secs" >>"$work/g.secs"
        echo "$rss" >>"$work/g.rss"
    done
    secs=$(median <"$work/g.secs") rss=$(sort -n "$work/g.rss" | tail -1)
    per=$(awk "BEGIN {print $secs * 1000 / $n}")
    marg=$(awk "BEGIN {print ($secs - $fixed) * 1000 / $n}")
    [ -n "$base" ] || base=$per
    [ -n "$mbase" ] || mbase=$marg
    printf '  %7s officers %8.2f s %8.3f ms/doc %+6.1f%%, beyond %6.3f ms/doc %+6.1f%% %7.0f MB peak RSS  (runs: %s)\n' \
        "$n" "$secs" "$per" "$(awk "BEGIN {print ($per / $base - 1) * 100}")" \
        "$marg" "$(awk "BEGIN {print ($marg / $mbase - 1) * 100}")" \
        "$(awk "BEGIN {print $rss / 1024}")" "$(tr '\n' ' ' <"$work/g.secs" | sed 's/ $//')"
    rm -f "$work/g$n.xml"
done
# the outputs go last, when nothing is timed any more (the data and key stay)
rm -rf "$work"/c1 "$work"/cn "$work"/cm "$work"/merged.pdf "$work"/l "$work"/i "$work"/t0 \
    "$work"/round* "$work"/g[0-9]* "$work"/g.secs "$work"/g.rss
if [ -x "$build/bench_token" ]; then
    echo
    "$build/bench_token"
fi
