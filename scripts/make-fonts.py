#!/usr/bin/python3
"""Make attache's fonts (fonts/*.ttf) from Debian's Noto fonts.

    scripts/make-fonts.py          (needs fonts-noto-core, fonts-noto-extra, python3-fonttools)

For each face: keep the characters documents need (Latin with every
Vietnamese letter, Greek, Cyrillic, punctuation, currency, symbols), drop
hinting and glyph names, keep kerning, and flatten every composite glyph into
plain outlines: libharu 2.3.0, which embeds the fonts, loses the inner parts
of nested composites ("Nguyễn" would print as "Nguyen").  The families are
renamed (Noto is a trademark of Google LLC; the OFL allows modified versions
under another name) and keep their copyright notice and licence.  The result
is byte-for-byte the same each time it is run on the same input fonts.

The Khmer, Lao and Myanmar faces keep only their script (and the few
characters shaping needs: joiners, the dotted circle) but keep every layout
table (GSUB, GPOS, GDEF): attache shapes them with HarfBuzz, which needs
them; the subsets it embeds in a PDF leave them out.
"""
import os
import re
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

NOTO = "/usr/share/fonts/truetype/noto"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fonts")

# (output file, family name, style name, source file)
FACES = [
    ("AttacheSerif-Regular", "Attache Serif", "Regular", "NotoSerif-Regular.ttf"),
    ("AttacheSerif-Italic", "Attache Serif", "Italic", "NotoSerif-Italic.ttf"),
    ("AttacheSerif-Bold", "Attache Serif", "Bold", "NotoSerif-Bold.ttf"),
    ("AttacheSerif-BoldItalic", "Attache Serif", "Bold Italic", "NotoSerif-BoldItalic.ttf"),
    ("AttacheSerifDisplay-Regular", "Attache Serif Display", "Regular",
     "NotoSerifDisplay-Regular.ttf"),
    ("AttacheSerifDisplay-Italic", "Attache Serif Display", "Italic",
     "NotoSerifDisplay-Italic.ttf"),
    ("AttacheSans-Regular", "Attache Sans", "Regular", "NotoSans-Regular.ttf"),
    ("AttacheSans-Bold", "Attache Sans", "Bold", "NotoSans-Bold.ttf"),
    ("AttacheSans-Italic", "Attache Sans", "Italic", "NotoSans-Italic.ttf"),
]

# Faces for scripts that need shaping, fallbacks of the families above:
# (output file, family name, style name, source file, characters)
KHMER = [(0x1780, 0x17FF), (0x19E0, 0x19FF)]
LAO = [(0x0E80, 0x0EFF)]
MYANMAR = [(0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)]
SHAPING = [(0x0020, 0x0020), (0x00A0, 0x00A0), (0x200B, 0x200D), (0x25CC, 0x25CC)]
SCRIPT_FACES = [
    (f"Attache{style}{script}-{weight}", f"Attache {style} {script}", weight,
     f"Noto{style}{script}-{weight}.ttf", ranges + SHAPING)
    for script, ranges in (("Khmer", KHMER), ("Lao", LAO), ("Myanmar", MYANMAR))
    for style in ("Serif", "Sans") for weight in ("Regular", "Bold")
]

RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x024F),   # Latin, Latin-1, Latin Extended-A and -B
    (0x02B0, 0x02FF), (0x0300, 0x036F),   # spacing modifiers, combining diacritics
    (0x0370, 0x03FF), (0x0400, 0x045F),   # Greek, Cyrillic
    (0x1E00, 0x1EFF),                     # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F), (0x2070, 0x209F),   # punctuation, super- and subscripts
    (0x20A0, 0x20CF), (0x2100, 0x214F),   # currency, letterlike (№ ™)
    (0x2150, 0x218F), (0x2190, 0x21FF),   # number forms, arrows
    (0x2200, 0x22FF), (0x25A0, 0x25FF),   # mathematical operators, geometric shapes
    (0xFFFD, 0xFFFD),
]

# a fixed date (2024-01-01) for head.created/modified: no dependence on when it ran
FIXED_TIME = 3786825600


def flatten(font):
    """Replace every composite glyph by the outlines of its components."""
    glyf = font["glyf"]
    count = 0
    for name in font.getGlyphOrder():
        g = glyf[name]
        if not g.isComposite():
            continue
        coords, ends, flags = g.getCoordinates(glyf)
        g.components = []
        del g.components
        g.numberOfContours = len(ends)
        g.coordinates = coords.copy()
        g.coordinates.toInt()
        g.endPtsOfContours = list(ends)
        g.flags = flags
        g.program = None
        from fontTools.ttLib.tables import ttProgram
        g.program = ttProgram.Program()
        g.program.fromBytecode(b"")
        g.recalcBounds(glyf)
        count += 1
    return count


def rename(font, family, style, psname):
    name = font["name"]
    copyright_ = name.getDebugName(0)
    licence = ("This Font Software is licensed under the SIL Open Font License, Version 1.1. "
               "It is a modified version of Noto (" + name.getDebugName(4) + "), "
               "made for attache by scripts/make-fonts.py.")
    full = family if style == "Regular" else f"{family} {style}"
    keep = {0: copyright_, 1: family if style in ("Regular", "Italic", "Bold", "Bold Italic")
            else full, 2: style, 3: f"{psname};attache", 4: full,
            5: "Version " + name.getDebugName(5).split(";")[0].replace("Version ", ""),
            6: psname, 13: licence, 14: "https://openfontlicense.org"}
    name.names = []
    for nid, value in sorted(keep.items()):
        name.setName(value, nid, 3, 1, 0x409)
    font["OS/2"].achVendID = "ATCH"
    if "Bold" in style:
        # Noto Serif Myanmar Bold says weight 400: a bold face must say it is bold
        font["OS/2"].usWeightClass = max(font["OS/2"].usWeightClass, 700)


def make(out, family, style, source, ranges=None):
    shaped = ranges is not None
    opts = subset.Options()
    opts.layout_features = ["*"] if shaped else ["kern"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.hinting = False
    opts.glyph_names = False
    opts.notdef_outline = True
    opts.drop_tables += ["DSIG", "gasp"] if shaped else ["DSIG", "GSUB", "gasp"]
    font = TTFont(os.path.join(NOTO, source), recalcTimestamp=False)
    unicodes = [u for a, b in (ranges or RANGES) for u in range(a, b + 1)]
    s = subset.Subsetter(opts)
    s.populate(unicodes=unicodes)
    s.subset(font)
    n = flatten(font)
    font["post"].formatType = 3.0
    font["head"].created = font["head"].modified = FIXED_TIME
    rename(font, family, style, out)
    path = os.path.join(OUT, out + ".ttf")
    font.save(path, reorderTables=True)
    font = TTFont(path)
    assert not any(font["glyf"][g].isComposite() for g in font.getGlyphOrder()), out
    print(f"{out}.ttf: {os.path.getsize(path)} bytes, {len(font.getGlyphOrder())} glyphs, "
          f"{n} composites flattened")


def licence_text():
    """The OFL text from Debian's copyright file of fonts-noto-core."""
    text = open("/usr/share/doc/fonts-noto-core/copyright", encoding="utf-8").read()
    m = re.search(r"^License: OFL-1\.1\n((?: .*\n?)+)", text, re.M)
    lines = [l[1:] for l in m.group(1).splitlines()]
    return "\n".join("" if l == "." else l for l in lines).strip() + "\n"


def main():
    os.makedirs(OUT, exist_ok=True)
    for face in FACES + SCRIPT_FACES:
        make(*face)
    with open(os.path.join(OUT, "OFL.txt"), "w", encoding="utf-8") as f:
        f.write("The fonts in this folder are modified versions of the Noto fonts,\n"
                "copyright Google LLC and the Noto Project Authors (each font names\n"
                "its holder in its copyright notice), licensed under the SIL Open\n"
                "Font License, Version 1.1:\n\n")
        f.write(licence_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
