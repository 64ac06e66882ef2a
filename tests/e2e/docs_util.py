"""Helpers for the end-to-end tests of generated documents: read PDFs back
the way a reader sees them (pdftotext, pdffonts, qpdf, pdftoppm + zbarimg)."""
import csv
import glob
import io
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(ROOT, "samples", "asean.xml")
EPOCH = "1454630400"   # 2016-02-05


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, **kw)


def text(pdf, first=None, last=None, layout=False):
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        cmd.append("-layout")
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    p = run(cmd + [pdf, "-"])
    if p.returncode:
        raise AssertionError(f"pdftotext {pdf}: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode("utf-8")


def pages(pdf):
    out = run(["pdfinfo", pdf]).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def qpdf_ok(pdf):
    p = run(["qpdf", "--check", pdf])
    return p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def fonts(pdf):
    """Rows of pdffonts: (name, type, encoding, emb, sub, uni)."""
    out = run(["pdffonts", pdf]).stdout.decode().splitlines()[2:]
    rows = []
    for line in out:
        parts = line.split()
        # name type... encoding emb sub uni object id
        rows.append((parts[0], parts[-5], parts[-4], parts[-3]))
    return rows


def words_bbox(pdf, page=1):
    """[(word, xmin, ymin, xmax, ymax)] in points, from pdftotext -bbox."""
    return page_words(pdf, page, page)[0][2]


def qr_codes(pdf, tmp, page=1, dpi=300):
    """Decode the QR codes on a page rendered at `dpi`."""
    base = os.path.join(tmp, f"qr-{os.path.basename(pdf)}-{page}")
    p = run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png",
             "-singlefile", pdf, base])
    if p.returncode:
        raise AssertionError(f"pdftoppm: {p.stderr.decode(errors='replace')}")
    z = run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", base + ".png"])
    return [l for l in z.stdout.decode("utf-8", "replace").splitlines() if l]


def manifest(folder):
    with open(os.path.join(folder, "manifest.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pdfs(folder):
    return sorted(os.path.relpath(p, folder)
                  for p in glob.glob(os.path.join(folder, "**", "*.pdf"), recursive=True))


def keygen(t, name="k"):
    """A signing key in t's folder (made once); returns its path."""
    if os.path.exists(t.path(name + ".key")):
        return t.path(name + ".key")
    r = t.run(["keygen", "-o", t.path(name), "--issuer", "asec"])
    if r.code != 0:
        raise AssertionError(f"keygen failed: {r!r}")
    return t.path(name + ".key")


def write_data(t, name, xml):
    p = t.path(name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(xml)
    return p


def sample_with(t, name, transform):
    """A copy of the sample data with transform(text) applied, and its assets."""
    with open(SAMPLE, encoding="utf-8") as f:
        xml = transform(f.read())
    import shutil
    for sub in ("assets", "photos"):
        dst = t.path(sub)
        if not os.path.exists(dst):
            shutil.copytree(os.path.join(ROOT, "samples", sub), dst)
    return write_data(t, name, xml)


def page_words(pdf, first=None, last=None):
    """[(width, height, [(word, xmin, ymin, xmax, ymax)])] for every page (or
    pages first to last), in points from the top left, from pdftotext -bbox."""
    import html
    pages = (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    out = run(["pdftotext", "-bbox"] + pages + [pdf, "-"]).stdout.decode()
    page_rx = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
    word_rx = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">(.*?)</word>')
    return [(float(p.group(1)), float(p.group(2)),
             [(html.unescape(w.group(5)), *map(float, w.group(1, 2, 3, 4)))
              for w in word_rx.finditer(p.group(3))])
            for p in page_rx.finditer(out)]


def collisions(words, share=0.3):
    """Pairs of words whose boxes overlap by more than `share` of the smaller
    one's height (lines set with tight leading overlap a little)."""
    bad = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            dx = min(a[3], b[3]) - max(a[1], b[1])
            dy = min(a[4], b[4]) - max(a[2], b[2])
            if dx > 0.5 and dy > share * min(a[4] - a[2], b[4] - b[2]):
                bad.append((a[0], b[0]))
    return bad

