#!/usr/bin/python3
"""Check that letters print as the font draws them.

    glyphcheck.py [--fonts DIR] [--font NAME=FILE] [--chars STRING] [--dpi N] PDF...

For every character drawn in the PDFs (by default every non-ASCII Latin,
Greek or Cyrillic letter; --chars names others), find its font, size and
position with `mutool draw -F stext`, render the page with pdftoppm, draw
the same character straight from the font file with FreeType (Pillow) at
the same size and position, and compare the two.  A character fails when
more than MISSING of the ink the font draws is absent from the page: a lost
accent, a wrong or blank glyph.  (Ink on the page that the font does not
draw is not counted: neighbouring letters come close.)  Font files are
found by the PDF's font name (the subset prefix "ABCDEF+" and a
",Bold"-style suffix removed) in --fonts DIR (default: the repository's
fonts/), or given with --font.

Prints one line per mismatch and a summary; exits 1 on any mismatch or when
no character could be checked, 0 otherwise.
"""
import os
import subprocess
import sys
import tempfile
import unicodedata
import xml.etree.ElementTree as ET

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MISSING = 0.12          # at most this share of the font's ink may be absent
INK = 170               # grey level below which a pixel is ink


def chars_on_pages(pdf, tmp):
    """{page: [(font name, size, x, y, char)]} in points from the top left."""
    out = os.path.join(tmp, "text.xml")
    subprocess.run(["mutool", "draw", "-q", "-F", "stext", "-o", out, pdf], check=True,
                   stderr=subprocess.DEVNULL)
    root = ET.parse(out).getroot()
    pages = {}
    for number, page in enumerate(root.iter("page"), 1):
        items = []
        for font in page.iter("font"):
            name, size = font.get("name"), float(font.get("size"))
            for ch in font.iter("char"):
                items.append((name, size, float(ch.get("x")), float(ch.get("y")), ch.get("c")))
        pages[number] = items
    return pages


def font_file(name, fonts_dir, given):
    base = name.split("+", 1)[-1].split(",", 1)[0]
    if base in given:
        return given[base]
    path = os.path.join(fonts_dir, base + ".ttf")
    if os.path.exists(path):
        return path
    # mutool cuts long font names short ("AttacheSerifDisplay-Regu"): take the
    # one font file whose name begins with what is left
    found = [f for f in sorted(os.listdir(fonts_dir)) if f.endswith(".ttf") and f.startswith(base)]
    return os.path.join(fonts_dir, found[0]) if len(found) == 1 else None


# Scripts whose letters are drawn one glyph each.  Khmer, Lao, Myanmar and
# the like are shaped: a letter's glyph depends on its neighbours (subscript
# forms, reordered vowels, stacked marks), so they cannot be checked letter
# by letter; tests/e2e/test_shaping.py compares whole words instead.
UNSHAPED = ("LATIN", "GREEK", "CYRILLIC")


def wanted(c, chars):
    if chars is not None:
        return c in chars
    return (len(c) == 1 and ord(c) > 127 and unicodedata.category(c).startswith("L")
            and unicodedata.name(c, "").startswith(UNSHAPED))


def render_page(pdf, page, dpi, tmp):
    base = os.path.join(tmp, f"page-{page}")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray",
                    "-png", "-singlefile", pdf, base], check=True)
    return Image.open(base + ".png").convert("L")


def check(pdf, fonts_dir, given, chars, dpi):
    bad, checked, skipped = [], set(), set()
    scale = dpi / 72.0
    with tempfile.TemporaryDirectory() as tmp:
        pages = chars_on_pages(pdf, tmp)
        for page, items in pages.items():
            items = [i for i in items if wanted(i[4], chars)]
            if not items:
                continue
            img = render_page(pdf, page, dpi, tmp)
            ink_page = img.point(lambda v: 255 if v < INK else 0)
            for name, size, x, y, c in items:
                path = font_file(name, fonts_dir, given)
                if not path:
                    skipped.add(name)
                    continue
                font = ImageFont.truetype(path, max(1, round(size * scale)))
                left, top, right, bottom = font.getbbox(c, anchor="ls")
                ox, oy = x * scale, y * scale
                box = (int(ox + left) - 2, int(oy + top) - 2, int(ox + right) + 3,
                       int(oy + bottom) + 3)
                ref = Image.new("L", img.size, 0)
                ImageDraw.Draw(ref).text((ox, oy), c, font=font, fill=255, anchor="ls")
                ref_ink = ref.crop(box).point(lambda v: 255 if v > 255 - INK else 0)
                page_ink = ink_page.crop(box).filter(ImageFilter.MaxFilter(3))   # 1 px slack
                total = sum(1 for v in ref_ink.getdata() if v)
                if total == 0:
                    continue
                missing = sum(1 for r, p in zip(ref_ink.getdata(), page_ink.getdata())
                              if r and not p)
                checked.add(c)
                if missing / total > MISSING:
                    bad.append(f"{pdf}: page {page}: {c!r} (U+{ord(c):04X}) in {name} "
                               f"{size:g}pt at {x:.1f},{y:.1f}: {missing} of {total} ink "
                               f"pixels missing")
    return bad, checked, skipped


def main(argv):
    fonts_dir, given, chars, dpi, pdfs = os.path.join(ROOT, "fonts"), {}, None, 200, []
    it = iter(argv)
    for a in it:
        if a == "--fonts":
            fonts_dir = next(it)
        elif a == "--font":
            k, _, v = next(it).partition("=")
            given[k] = v
        elif a == "--chars":
            chars = set(next(it))
        elif a == "--dpi":
            dpi = int(next(it))
        else:
            pdfs.append(a)
    if not pdfs:
        print(__doc__, file=sys.stderr)
        return 64
    total_bad, total_checked = 0, set()
    for pdf in pdfs:
        bad, checked, skipped = check(pdf, fonts_dir, given, chars, dpi)
        for line in bad:
            print(line)
        for s in sorted(skipped):
            print(f"{pdf}: no font file for {s}; its characters were not checked")
        total_bad += len(bad)
        total_checked |= checked
    print(f"glyphcheck: {len(total_checked)} characters checked, {total_bad} do not match the font")
    print(f"glyphcheck: checked {''.join(sorted(total_checked))}")
    return 1 if total_bad or not total_checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
