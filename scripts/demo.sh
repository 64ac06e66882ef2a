#!/bin/sh
# make demo: validate the samples, make a signing key, and generate every kind
# of document for them into demo-out/, then verify one certificate's QR code.
set -eu
attache=${1:-build/attache}
out=demo-out
rm -rf "$out"
mkdir -p "$out"

echo "== attache validate samples/asean.xml"
"$attache" validate samples/asean.xml

echo
echo "== attache keygen -o $out/demo --issuer asec"
"$attache" keygen -o "$out/demo" --issuer asec
key="$out/demo.key"

for cmd in certificates letters induction; do
    echo
    echo "== attache $cmd samples/asean.xml -o $out/$cmd -k $key --merge $out/$cmd-print.pdf"
    "$attache" "$cmd" samples/asean.xml -o "$out/$cmd" -k "$key" --merge "$out/$cmd-print.pdf"
done

echo
first=$(sed -n 2p "$out/certificates/manifest.csv" | cut -d, -f8)
echo "== attache verify --pub $out/demo.pub <the first certificate's QR text>"
"$attache" verify --pub "$out/demo.pub" "$first"

echo
echo "The documents are in $out/:"
for cmd in certificates letters induction; do
    n=$(($(wc -l < "$out/$cmd/manifest.csv") - 1))
    echo "  $out/$cmd/   $n PDFs, listed in $out/$cmd/manifest.csv; all in $out/$cmd-print.pdf"
done
