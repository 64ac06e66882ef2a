#!/usr/bin/python3
"""Screenshots of the verification page at a phone's width (360 CSS pixels),
for docs/verify.md and README: a VALID certificate of the sample data and the
same code with three characters cut (INVALID), taken with headless Chromium.

Usage: scripts/site-previews.py [ATTACHE] [OUTDIR]   (default build/attache, docs/verify)
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from site_util import Browser, StaticServer  # noqa: E402


def main():
    attache = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "attache"))
    outdir = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs", "verify"))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1454630400", LC_ALL="C", TZ="UTC")
    with tempfile.TemporaryDirectory() as tmp:
        def run(*args):
            return subprocess.run([attache] + list(args), check=True, env=env, cwd=tmp,
                                  capture_output=True, text=True).stdout
        run("keygen", "-o", "asec", "--issuer", "asec")
        run("certificates", os.path.join(ROOT, "samples", "asean.xml"), "-o", "docs", "-k",
            "asec.key", "-q", "--officer", "vn-2015-02")
        with open(os.path.join(tmp, "docs", "manifest.csv"), encoding="utf-8") as f:
            qr = f.read().splitlines()[1].rsplit(",", 1)[1]
        token = qr[qr.index("ATT1:"):]
        run("revoke", "C-AAAA-AAAA-AAAA", "--reason", "example", "--list", "revoked.xml",
            "--date", "2016-03-01")
        run("site", "-o", "site", "--pub", "asec.pub", "--revoked", "revoked.xml", "--data",
            os.path.join(ROOT, "samples", "asean.xml"))
        os.makedirs(outdir, exist_ok=True)
        with StaticServer(os.path.join(tmp, "site")) as srv, Browser(width=360) as b:
            for name, text in (("valid", token), ("invalid", token[:-3])):
                b.open(srv.url("/v/" + text))
                path = os.path.join(outdir, name + ".png")
                b.screenshot(path, 360)
                print(path, b.verdict())


if __name__ == "__main__":
    main()
