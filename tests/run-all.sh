#!/bin/sh
# The whole suite: unit tests, then the end-to-end tests of the tool.
# Usage: tests/run-all.sh BUILD_DIR PYTHON UNIT_TEST...
build=$1 python=$2
shift 2
LC_ALL=C TZ=UTC
export LC_ALL TZ
status=0
tests/run-unit.sh "$@" > "$build/unit.log" 2>&1 || status=1
cat "$build/unit.log"
u_pass=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$build/unit.log")
u_fail=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$build/unit.log")
ATTACHE="$(cd "$build" && pwd)/attache" BUILD_DIR="$build" "$python" tests/e2e/run.py \
    > "$build/e2e.log" 2>&1 || status=1
cat "$build/e2e.log"
e_pass=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*$/\1/p' "$build/e2e.log")
e_fail=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*$/\2/p' "$build/e2e.log")
total_pass=$(( ${u_pass:-0} + ${e_pass:-0} ))
total_fail=$(( ${u_fail:-1} + ${e_fail:-1} ))
[ "$status" -ne 0 ] && [ "$total_fail" -eq 0 ] && total_fail=1
echo "$total_pass passed, $total_fail failed"
exit $status
