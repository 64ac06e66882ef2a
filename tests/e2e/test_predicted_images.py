"""A photograph-like PNG in a document: its samples deflated after PNG row
prediction, with and without an alpha mask, look as they should when the
page is rendered."""
import math
import os
import subprocess

from PIL import Image

from docs_util import EPOCH, keygen, sample_with

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<template version="1" name="img" kind="note" size="120mm 60mm" margin="5mm">
  <page>
    <image src="{src}" x="0mm" y="0mm" w="120mm" h="60mm" fit="stretch"/>
  </page>
</template>
"""


def colour(x, y):
    return (int(127 + 120 * math.sin(x / 9.0 + y / 13.0)),
            int(127 + 120 * math.cos(x / 17.0 - y / 7.0)), (x * y) // 30 % 256)


def rendered(t, src):
    """Make a document showing `src` over the whole page; the page at 1 pixel a millimetre."""
    tpl = t.path("img.xml")
    with open(tpl, "w") as f:
        f.write(TEMPLATE.format(src=src))
    data = sample_with(t, "data.xml", lambda xml: xml)      # with its images, beside `src`
    r = t.run(["render", tpl, data, "-o", t.path("out"), "-k", keygen(t),
               "--officer", "kh-2015-01", "-q"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    pdf = t.path("out", "aec-ascc-2", "kh-2015-01-note.pdf")
    dump = t.sh(["qpdf", "--qdf", "--stream-data=preserve", "--object-streams=disable", pdf, "-"])
    t.ok(b"/Predictor 15" in dump, "the samples are stored with PNG predictors")
    subprocess.run(["pdftoppm", "-r", "25.4", "-png", "-singlefile", pdf, t.path("page")],
                   check=True)
    return Image.open(t.path("page.png")).convert("RGB")


def mean_difference(page, want):
    total = n = 0
    for x in range(5, 115, 3):
        for y in range(5, 55, 3):
            total += sum(abs(a - b) for a, b in zip(page.getpixel((x, y)), want(x, y)))
            n += 3
    return total / n


def test_predicted_colour(t):
    im = Image.new("RGB", (120, 60))
    for x in range(120):
        for y in range(60):
            im.putpixel((x, y), colour(x, y))
    im.save(t.path("photo.png"))
    d = mean_difference(rendered(t, "photo.png"), colour)
    t.ok(d < 8, f"the page differs from the picture by {d:.1f} on average")


def test_predicted_colour_and_alpha(t):
    im = Image.new("RGBA", (120, 60))
    for x in range(120):
        for y in range(60):
            im.putpixel((x, y), colour(x, y) + (int(255 * x / 119),))
    im.save(t.path("fade.png"))

    def on_white(x, y):
        a = x / 119
        return tuple(c * a + 255 * (1 - a) for c in colour(x, y))

    d = mean_difference(rendered(t, "fade.png"), on_white)
    t.ok(d < 10, f"the page differs from the picture on white by {d:.1f} on average")
