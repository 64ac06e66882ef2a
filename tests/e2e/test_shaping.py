"""End-to-end tests of shaped text: officers' names in Khmer (subscript
consonants, a vowel drawn before its consonant), Lao (marks stacked over
marks) and Myanmar (medial ra drawn before its consonant).  attache must
draw exactly the glyphs HarfBuzz's own hb-shape chooses, where it places
them; the PDF must read back as the data's text; and a page must look like
pango-view's rendering of the same word, closely enough that a misordered
cluster fails."""
import json
import os
import re
import subprocess
import unicodedata

from PIL import Image, ImageChops

from docs_util import EPOCH, keygen, manifest, page_words, sample_with, text, write_data

FONTS = os.path.join(os.path.dirname(__file__), "..", "..", "fonts")
UTF8 = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}

# officer -> the native name the tests give them (stacks of every kind)
NAMES = {
    "kh-2015-06": ("km", "ជា សុវណ្ណារិទ្ធ"),          # coeng: ណ្ណ, ទ្ធ
    "kh-2015-01": ("km", "កែវ ស្រីពៅ"),               # pre-base vowel ែ, coeng ស្រ
    "la-2016-02": ("lo", "ບຸນເລີ່ມ ຄຳຫຼ້າ"),              # tone mark over vowel sign, ຫຼ
    "mm-2015-04": ("my", "မြင့်မြင့်ကျော်"),            # medial ra, dot below, medial ya
}


def with_names(t, names=NAMES):
    def transform(xml):
        for officer, (lang, name) in names.items():
            xml = re.sub(rf'(<officer id="{officer}"[^>]*>\s*<name>[^<]*</name>)'
                         rf'(\s*<name lang="[^"]*">[^<]*</name>)?',
                         lambda m: f'{m.group(1)}\n        <name lang="{lang}">{name}</name>', xml)
        return xml
    return sample_with(t, "native.xml", transform)


def generate(t, cmd, data, officers, merge=None, template=None, out="out"):
    extra = ["--officer", ",".join(officers)] + (["--merge", merge] if merge else [])
    args = [cmd] + ([template] if template else []) + [data, "-o", t.path(out),
                                                       "-k", keygen(t), "-q"] + extra
    r = t.run(args, env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0, " ".join(args[:1]))


# ---- reading glyphs back from a content stream ------------------------------

TOKEN = re.compile(rb"<<|>>|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]<>()]+|-?\d*\.?\d+|[A-Za-z'\"*]+")


def pdf_objects(pdf, tmp):
    """{number: bytes} of an uncompressed copy of the PDF (qpdf --qdf)."""
    out = os.path.join(tmp, "qdf.pdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, out], check=True)
    data = open(out, "rb").read()
    return {int(n): body for n, body in re.findall(rb"\n(\d+) 0 obj\n(.*?)\nendobj", data, re.S)}


def drawn_glyphs(pdf, tmp):
    """[(font, size, x, y, cid)] of every glyph shown, x and y in points.  In a
    print file the CIDs are the face's own glyph numbers."""
    objs = pdf_objects(pdf, tmp)
    fonts = {}
    for body in objs.values():
        m = re.search(rb"/Font\s*<<(.*?)>>", body, re.S)
        for res, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", m.group(1) if m else b""):
            base = re.search(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([^\s/]+)", objs[int(ref)])
            fonts[res.decode()] = base.group(1).decode() if base else None
    widths = {}

    def width(font, gid):
        if font not in widths:
            from fontTools.ttLib import TTFont
            f = TTFont(os.path.join(FONTS, font + ".ttf"))
            order = f.getGlyphOrder()
            widths[font] = [f["hmtx"][g][0] * 1000 / f["head"].unitsPerEm for g in order]
        return widths[font][gid]

    out = []
    for body in objs.values():
        m = re.search(rb"stream\n(.*)\nendstream", body, re.S)
        if not m or b"BT" not in m.group(1):
            continue
        stack, font, size, tc, lx, ly, x, y = [], None, 0, 0, 0, 0, 0, 0
        array = None
        for tok in TOKEN.findall(m.group(1)):
            if tok == b"[":
                array = []
            elif tok == b"]":
                stack.append(array)
                array = None
            elif tok.startswith(b"<") and tok != b"<<":
                (array if array is not None else stack).append(bytes.fromhex(tok[1:-1].decode()))
            elif tok.startswith(b"/") or re.match(rb"-?\d*\.?\d+$", tok) or tok in (b"<<", b">>"):
                v = tok if tok.startswith(b"/") or tok in (b"<<", b">>") else float(tok)
                (array if array is not None else stack).append(v)
            else:
                op = tok
                if op == b"BT":
                    lx = ly = x = y = 0
                elif op == b"Tf":
                    font, size = fonts.get(stack[-2][1:].decode()), stack[-1]
                elif op == b"Tc":
                    tc = stack[-1]
                elif op == b"Td":
                    lx, ly = lx + stack[-2], ly + stack[-1]
                    x, y = lx, ly
                elif op == b"Tm":
                    lx, ly = stack[-2], stack[-1]
                    x, y = lx, ly
                elif op in (b"Tj", b"TJ"):
                    items = stack[-1] if op == b"TJ" else [stack[-1]]
                    for item in items:
                        if isinstance(item, float):
                            x -= item / 1000 * size
                            continue
                        for k in range(0, len(item), 2):
                            gid = item[k] << 8 | item[k + 1]
                            out.append((font, size, x, y, gid))
                            x += width(font, gid) / 1000 * size + tc
                stack = []
    return out


def hb_shape(font, word):
    p = subprocess.run(["hb-shape", "--no-glyph-names", "--language=und", "--output-format=json",
                        os.path.join(FONTS, font + ".ttf"), word],
                       capture_output=True, text=True, env=UTF8, check=True)
    return json.loads(p.stdout)


def test_native_names_are_drawn_as_hb_shape_shapes_them(t):
    """The glyph ids and positions attache draws are hb-shape's, for the same
    font file, at the size the page sets them."""
    data = with_names(t)
    for officer, (lang, name) in NAMES.items():
        merged = t.path(officer + ".pdf")
        generate(t, "certificates", data, [officer], merge=merged, out=officer)
        glyphs = drawn_glyphs(merged, t.tmp)
        face = {"km": "AttacheSerifKhmer-Regular", "lo": "AttacheSerifLao-Regular",
                "my": "AttacheSerifMyanmar-Regular"}[lang]
        mine = [g for g in glyphs if g[0] == face]
        t.ok(mine, f"no glyph of {face} drawn")
        for word in name.split():
            want = hb_shape(face, word)
            got, mine = mine[:len(want)], mine[len(want):]
            t.eq([g[4] for g in got], [w["g"] for w in want], f"glyphs of {word!r}")
            size = got[0][1]
            pen = 0
            for g, w in zip(got, want):
                ex = (pen + w["dx"] - want[0]["dx"]) / 1000 * size
                ey = w["dy"] / 1000 * size
                t.ok(abs(g[2] - got[0][2] - ex) < 0.01 and abs(g[3] - got[0][3] - ey) < 0.01,
                     f"{word!r}: glyph {w['g']} at {g[2] - got[0][2]:.3f},{g[3] - got[0][3]:.3f}"
                     f" (from the first), hb-shape puts it at {ex:.3f},{ey:.3f}")
                pen += w["ax"]


def test_native_names_read_back_as_the_data(t):
    """pdftotext (and so copy and paste) gives back each name as it is in the
    data, in NFC, from the documents and from the print file."""
    data = with_names(t)
    merged = t.path("print.pdf")
    generate(t, "certificates", data, list(NAMES), merge=merged)
    rows = {r["officer_id"]: r for r in manifest(t.path("out"))}
    whole = text(merged)
    for officer, (lang, name) in NAMES.items():
        nfc = unicodedata.normalize("NFC", name)
        t.ok(nfc in text(t.path("out", rows[officer]["file"])), f"{name!r} in its certificate")
        t.ok(nfc in whole, f"{name!r} in the print file")
    # the Latin text around it reads as before
    t.ok("Certificate of Completion" in whole and "Mr. Chea Sovannarith" in whole,
         "the Latin text")


PIXEL_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<template version="1" name="native" kind="native" size="A4" orientation="landscape">
  <style name="n" font="serif" size="40pt" colour="#000000"/>
  <page>
    <text x="20mm" y="20mm" style="n">{native-name()}</text>
  </page>
</template>
"""


def ink(path):
    g = Image.open(path).convert("L").point(lambda v: 255 if v < 128 else 0)
    return g.crop(g.getbbox())


def mismatch(a, b):
    """Share of the ink of either image that the other lacks, top left aligned."""
    w, h = max(a.width, b.width), max(a.height, b.height)
    pa, pb = Image.new("L", (w, h)), Image.new("L", (w, h))
    pa.paste(a, (0, 0))
    pb.paste(b, (0, 0))
    differ = sum(1 for v in ImageChops.difference(pa, pb).getdata() if v)
    either = sum(1 for v in ImageChops.lighter(pa, pb).getdata() if v)
    return differ / max(1, either)


def pango(t, family, word, out):
    conf = t.path("fonts.conf")
    with open(conf, "w") as f:
        f.write(f'<?xml version="1.0"?><fontconfig><dir>{os.path.abspath(FONTS)}</dir>'
                f'<cachedir>{t.path("fc-cache")}</cachedir></fontconfig>')
    subprocess.run(["pango-view", "--no-display", f"--font={family} Regular 40", "--dpi=200",
                    "--hinting=none", "--hint-metrics=off", "--subpixel-positions",
                    "--margin=20", "-o", out, "--text", word],
                   check=True, env=dict(UTF8, FONTCONFIG_FILE=conf), capture_output=True)
    return ink(out)


def test_native_names_look_as_pango_draws_them(t):
    """A word rendered from attache's PDF matches pango-view's rendering of the
    same word in the same face (HarfBuzz shaping, FreeType outlines) to within
    1% of the ink; the same word with a misordered cluster does not."""
    words = {"kh-2015-06": ("km", "Khmer", "សុវណ្ណារិទ្ធ", "ុសវណ្ណារិទ្ធ"),
             "kh-2015-01": ("km", "Khmer", "កែវ", "ែកវ"),
             "la-2016-02": ("lo", "Lao", "ເລີ່ມ", "ເລ່ີມ"),
             "mm-2015-04": ("my", "Myanmar", "မြင့်", "ြမင့်")}
    data = with_names(t, {o: (w[0], w[2]) for o, w in words.items()})
    tpl = write_data(t, "native-template.xml", PIXEL_TEMPLATE)
    generate(t, "render", data, list(words), template=tpl)
    rows = {r["officer_id"]: r for r in manifest(t.path("out"))}
    for officer, (lang, script, word, misordered) in words.items():
        png = t.path(officer)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile",
                        t.path("out", rows[officer]["file"]), png], check=True)
        page = ink(png + ".png")
        family = f"Attache Serif {script}"
        right = mismatch(page, pango(t, family, word, t.path(officer + "-pango.png")))
        wrong = mismatch(page, pango(t, family, misordered, t.path(officer + "-wrong.png")))
        t.ok(right < 0.01, f"{word!r}: {right:.1%} of the ink differs from pango-view's")
        t.ok(wrong > 0.05, f"{misordered!r} passes for {word!r} ({wrong:.1%} differs): "
                           f"the comparison cannot see misordering")


def test_right_to_left_text_is_refused_not_misprinted(t):
    tpl = write_data(t, "native-template.xml", PIXEL_TEMPLATE)
    data = with_names(t, {"kh-2015-01": ("ar", "\u0645\u062d\u0645\u062f")})
    r = t.run(["render", tpl, data, "-o", t.path("out"), "-k", keygen(t), "--officer",
               "kh-2015-01", "-q"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 65)
    # the data is refused before any document: no built-in or other template
    # could print it
    t.match(r"^attache: .*native\.xml:\d+: officer 'kh-2015-01': <name> has U\+0645, written "
            r"right to left; attache lays out left-to-right scripts only\n$", r.err)
    t.ok(not os.path.exists(t.path("out")), "no output folder")


WRAP_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<template version="1" name="native" kind="native" size="A4" orientation="portrait">
  <style name="n" font="sans" size="14pt" colour="#000000"/>
  <page>
    <text x="20mm" y="20mm" w="32mm" h="60mm" max-lines="6" min-size="14pt"
          style="n">{native-name()}</text>
  </page>
</template>
"""


def test_a_native_name_wraps_only_between_words(t):
    """A name too long for its box wraps at spaces (UAX #14), never inside a
    word or a cluster, and shrinks like a Latin name when it must."""
    name = "សុវណ្ណារិទ្ធ ស្រីពៅ ចាន់ធី សុភ័ក្ត្រ កែវ"
    data = with_names(t, {"kh-2015-01": ("km", name)})
    tpl = write_data(t, "wrap.xml", WRAP_TEMPLATE)
    generate(t, "render", data, ["kh-2015-01"], template=tpl)
    pdf = t.path("out", manifest(t.path("out"))[0]["file"])
    lines = [ln.strip() for ln in text(pdf).splitlines() if ln.strip()]
    words = name.split()
    t.ok(len(lines) >= 2, f"the name wrapped: {lines!r}")
    for ln in lines:
        t.ok(all(w in words for w in ln.split()), f"line {ln!r} is not made of whole words")
    t.eq(" ".join(lines), name, "the whole name, in order")


def test_a_long_native_name_shrinks_to_its_box(t):
    """On the certificate the native name has one line, 40-257 mm wide and
    108-117 mm from the top: a long one shrinks until it fits, like a Latin
    name, and reads back whole."""
    name = ("សុវណ្ណារិទ្ធ ស្រីពៅ ចាន់ធី សុភ័ក្ត្រ កែវ ជា ឈី រដ្ឋា សុខ ចាន់ធី ស្រីពៅ "
            "សុវណ្ណារិទ្ធ សុភ័ក្ត្រ កែវ រដ្ឋា សុខ")   # too wide at the style's 17pt
    data = with_names(t, {"kh-2015-01": ("km", name)})
    generate(t, "certificates", data, ["kh-2015-01"])
    pdf = t.path("out", manifest(t.path("out"))[0]["file"])
    mm = 72 / 25.4
    words = [w for w in page_words(pdf)[0][2] if w[0] in name.split()]
    t.eq(" ".join(w[0] for w in words), name, "the name's words, in order, on one line")
    for w, x0, y0, x1, y1 in words:
        t.ok(x0 >= 40 * mm - 1 and x1 <= 257 * mm + 1, f"{w!r} leaves the box: {x0:.1f}-{x1:.1f}")
        t.ok(y0 >= 108 * mm - 3 and y1 <= 117 * mm + 3, f"{w!r} leaves the box: {y0:.1f}-{y1:.1f}")
    t.eq(len({round(w[2]) for w in words}), 1, "one line")
    t.ok(words[-1][3] - words[0][1] > 150 * mm, "it shrank only as much as it had to")


def test_zawgyi_myanmar_is_refused_at_validation(t):
    """Zawgyi, the legacy Myanmar encoding, uses Unicode's code points in
    another order (the vowel ေ and the medial ra typed before the consonant):
    printed with a Unicode font it would be nonsense, so validation refuses
    it, naming the officer's line, and says what to do."""
    for zawgyi, sign in (("ေက်ာ္", "1031"), ("ျမင့္", "103B"), ("ထက္ ထူး", "1039")):
        data = with_names(t, {"mm-2015-04": ("my", zawgyi)})
        line = next(i for i, ln in enumerate(open(data, encoding="utf-8"), 1) if zawgyi in ln)
        r = t.run(["validate", data])
        t.status(r, 65, zawgyi)
        t.match(rf"native\.xml:{line}: officer 'mm-2015-04': <name lang=\"my\"> .* U\+{sign} "
                rf".*Zawgyi encoding; convert it to Unicode", r.err)
    r = t.run(["validate", with_names(t)])
    t.status(r, 0, "Unicode Myanmar names pass")
