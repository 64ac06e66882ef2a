#!/bin/sh
# make demo: validate the samples and generate every document kind for them.
set -eu
attache=${1:-build/attache}
out=demo-out
echo "== attache validate samples/asean.xml"
"$attache" validate samples/asean.xml
