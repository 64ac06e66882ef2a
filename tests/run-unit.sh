#!/bin/sh
# Run the unit test programs given as arguments; print each one's result and
# a total "N passed, N failed" line.  Exit non-zero if any failed.
passed=0 failed=0 broken=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then
        printf 'unit %s: crashed or printed no result (exit %s)\n%s\n' "$(basename "$t")" "$rc" "$out"
        broken=$((broken + 1)); failed=$((failed + 1)); continue
    fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        [ "$f" -eq 0 ] && failed=$((failed + 1))
    fi
    printf 'unit %-22s %s\n' "$(basename "$t")" "$line"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
