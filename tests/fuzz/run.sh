#!/bin/sh
# Run libFuzzer targets one after the other.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# Each target starts from a copy of tests/fuzz/corpus/TARGET (the committed
# corpus is only read) and writes what it finds to BUILD_DIR/found/TARGET/.
# Exit status 1 if any target crashed, leaked, hung or ran out of memory.
build=$1 seconds=$2
shift 2
status=0
for t in "$@"; do
    work=$build/corpus/$t found=$build/found/$t
    mkdir -p "$work" "$found"
    echo "fuzz $t: $seconds s"
    if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$found/" -print_final_stats=1 \
            "$work" "tests/fuzz/corpus/$t" > "$build/fuzz-$t.log" 2>&1; then
        echo "fuzz $t: FAILED, see $build/fuzz-$t.log and $found/"
        tail -n 30 "$build/fuzz-$t.log"
        status=1
    else
        grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$build/fuzz-$t.log" | tail -n 1
    fi
done
exit $status
