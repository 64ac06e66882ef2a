#!/bin/sh
# Make sure the Debian packages attache needs to build, run and test are present.
# As root, missing packages are installed with apt-get (after apt-get update);
# otherwise, or with --check, nothing is installed: the exact command to run is
# printed and the script fails.  Plain `make` uses --check; make deps, demo and
# test install.
# Usage: scripts/install-deps.sh [--check] [build|test]   (test includes build)
set -eu

check_only=false
if [ "${1:-}" = --check ]; then
    check_only=true
    shift
fi

BUILD="gcc make pkg-config libc6-dev libhpdf-dev libxml2-dev libqrencode-dev
libcurl4-openssl-dev libsodium-dev libcbor-dev libpng-dev libjpeg-dev libzbar-dev
libunistring-dev libunibreak-dev libharfbuzz-dev libdeflate-dev libcsv-dev libssl-dev
libjemalloc-dev"
TEST="python3 python3-cbor2 python3-nacl python3-pil poppler-utils qpdf zbar-tools
openssl ca-certificates mupdf-tools fonts-dejavu-core
python3-fonttools valgrind libharfbuzz-bin fonts-noto-core
chromium chromium-driver python3-selenium nodejs python3-aiosmtpd lcov clang
libclang-rt-14-dev imagemagick pango1.0-tools strace"

want=$BUILD
[ "${1:-build}" = test ] && want="$BUILD $TEST"

missing=""
for p in $want; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if $check_only || [ "$(id -u)" -ne 0 ]; then
    echo "attache needs these Debian packages:$missing" >&2
    echo "install them with (or, as root, 'make deps'):" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
