"""Hostile and unusual pictures in documents: each is drawn right (the page
is rendered and looked at) or refused with the file named, within the pixel
cap and in bounded memory (peak RSS from /usr/bin/time).

The pictures are made here: PNG by hand (zlib), JPEG with ImageMagick.
"""
import os
import struct
import subprocess
import zlib

import docs_util
import hostile

# the picture's box on an A5 page (points from the top left): 200 x 100
BOX_X, BOX_Y, BOX_W, BOX_H = 100, 100, 200, 100
MAX_RSS_KB = 400 * 1024
# user CPU seconds, not wall time, so that a busy machine does not fail it;
# the 3000 x 3000 indexed logo took 4.4 s when each pixel searched the
# palette, 0.3 s with the palette's hash
MAX_CPU_SECONDS = 2

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<template version="1" name="pic" kind="pic" size="A5">
  <page>
    <image src="%s" x="%dpt" y="%dpt" w="%dpt" h="%dpt" fit="stretch"/>
  </page>
</template>
"""

RED = (220, 20, 20)
WHITE = (255, 255, 255)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(w, h, depth, colour, rows=None, extra=b"", interlace=0, idat=None):
    head = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace)
    if idat is None:
        idat = zlib.compress(b"".join(b"\0" + r for r in rows), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + extra + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def half_red_rgb(w, h):
    """Rows of 8-bit RGB: the left half red, the right half white."""
    row = bytes(RED) * (w // 2) + bytes(WHITE) * (w - w // 2)
    return [row] * h


def convert(t, src, out, *args):
    t.sh(["convert", src] + list(args) + [out])
    return open(out, "rb").read()


def many_scans(jpeg, copies=300):
    last = jpeg.rindex(b"\xff\xda")
    end = jpeg.rindex(b"\xff\xd9")
    return jpeg[:end] + jpeg[last:end] * copies + jpeg[end:]


def pictures(t):
    """name -> (bytes, 'drawn' or a regular expression for the refusal)."""
    w, h = 64, 32
    src = t.path("src.png")
    with open(src, "wb") as f:
        f.write(png(w, h, 8, 2, half_red_rgb(w, h)))
    # a busy picture, so that most of its JPEG is scan data
    busy = t.path("busy.png")
    with open(busy, "wb") as f:
        f.write(png(256, 128, 8, 2, [bytes((x * y * 7 + x * 13) & 255 for x in range(768))
                                     for y in range(128)]))
    busy_jpg = convert(t, busy, t.path("busy.jpg"), "-quality", "95")
    # palette: index 0 red, 1 fully transparent; left half 0, right half 1
    pal_rows = [bytes([0] * (w // 2) + [1] * (w - w // 2))] * h
    # 16-bit RGBA: left half opaque red, right half transparent
    px16 = b"".join(struct.pack(">HHHH", c[0] * 257, c[1] * 257, c[2] * 257, a)
                    for c, a in [(RED, 65535)] * (w // 2) + [(WHITE, 0)] * (w - w // 2))
    base = convert(t, src, t.path("base.jpg"), "-quality", "95")
    # 128 distinct near-reds, then 128 distinct near-whites
    graded = b"".join(bytes((200 + i % 8 * 5, 20 + i // 8 % 4 * 5, 20 + i // 32 * 5)) for i in range(128))
    graded += b"".join(bytes((255 - i % 8 * 4, 255 - i // 8 % 4 * 4, 255 - i // 32 * 4))
                       for i in range(128))
    sof = base.index(b"\xff\xc0")
    return {
        "palette-trns.png": (png(w, h, 8, 3, pal_rows,
                                 chunk(b"PLTE", bytes(RED) + b"\0\0\0") + chunk(b"tRNS", b"\xff\x00")),
                             "drawn"),
        "rgba-16bit.png": (png(w, h, 16, 6, [px16] * h), "drawn"),
        "interlaced.png": (convert(t, src, t.path("i.png"), "-interlace", "PNG"), "drawn"),
        "baseline.jpg": (base, "drawn"),
        "progressive.jpg": (convert(t, src, t.path("p.jpg"), "-quality", "95",
                                    "-interlace", "JPEG"), "drawn"),
        # 256 colours in steps along the rows: compresses better with PNG
        # predictors, which an indexed image must be able to use
        "indexed-predicted.png": (png(512, 256, 8, 3, [bytes(x // 2 for x in range(512))] * 256,
                                      chunk(b"PLTE", graded)), "drawn"),
        "big-palette.png": (png(3000, 3000, 8, 3, [bytes(x * 256 // 3000 for x in range(3000))] * 3000,
                                chunk(b"PLTE", graded)), "drawn"),
        "cmyk.jpg": (convert(t, src, t.path("c.jpg"), "-colorspace", "CMYK"),
                     r"cmyk\.jpg.*CMYK"),
        "huge.png": (png(100000, 100000, 8, 0, idat=zlib.compress(b"\0" * 100001 * 4)),
                     r"huge\.png.* 100000x100000 pixels; the limit is"),
        # the JPEG's header claiming 20000 x 20000 pixels: a decompression bomb
        "bomb.jpg": (base[:sof + 5] + struct.pack(">HH", 20000, 20000) + base[sof + 9:],
                     r"bomb\.jpg.* 20000x20000 pixels; the limit is"),
        # 6000 x 6000 is within the cap, but the data ends at once
        "bomb-in-cap.jpg": (base[:sof + 5] + struct.pack(">HH", 6000, 6000) + base[sof + 9:],
                            r"bomb-in-cap\.jpg.* truncated or damaged"),
        # a progressive JPEG's last scan repeated: each scan is a pass over
        # the whole picture, so their number is bounded
        "many-scans.jpg": (many_scans(convert(t, src, t.path("p2.jpg"), "-interlace", "JPEG")),
                           r"many-scans\.jpg.*\(more than 256 progressive scans\)"),
        "truncated.png": (open(src, "rb").read()[:90], r"truncated\.png"),
        "truncated.jpg": (busy_jpg[:len(busy_jpg) * 2 // 3], r"truncated\.jpg.* truncated or damaged"),
        "truncated-header.jpg": (base[:sof + 20], r"truncated-header\.jpg"),
    }


def ppm(path):
    """(width, height, bytes) of a binary PPM."""
    data = open(path, "rb").read()
    parts = data.split(None, 4)
    assert parts[0] == b"P6", parts[0]
    return int(parts[1]), int(parts[2]), parts[4]


def pixel(img, x, y):
    w, _, px = img
    i = (y * w + x) * 3
    return tuple(px[i:i + 3])


def near(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def render(t, name, data, key):
    folder = t.path(name + ".d")
    os.makedirs(folder)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "t.xml"), "w") as f:
        f.write(TEMPLATE % (name, BOX_X, BOX_Y, BOX_W, BOX_H))
    with open(os.path.join(folder, "d.xml"), "wb") as f:
        f.write(hostile.doc(hostile.officer()))
    r = t.run(["-f", "%M %U", t.attache, "render", "./t.xml", "d.xml", "-o", "out", "-k", key,
               "-j", "1"], binary="/usr/bin/time", cwd=folder, env=t.env(SOURCE_DATE_EPOCH=docs_util.EPOCH))
    lines = r.err.splitlines()
    rss, cpu = (int(lines[-1].split()[0]), float(lines[-1].split()[1])) if lines else (-1, -1)
    r.err = "".join(l + "\n" for l in lines[:-1]
                    if not l.startswith("Command exited with non-zero status"))
    return r, rss, cpu, os.path.join(folder, "out", "b1", "kh-01-pic.pdf")


def test_hostile_pictures(t):
    key = docs_util.keygen(t)
    failures = []
    for name, (data, want) in pictures(t).items():
        r, rss, cpu, pdf = render(t, name, data, key)
        if cpu < 0 or cpu > MAX_CPU_SECONDS:
            failures.append(f"{name}: {cpu} s of CPU (limit {MAX_CPU_SECONDS})")
        if rss < 0 or rss > MAX_RSS_KB:
            failures.append(f"{name}: peak RSS {rss} KB (limit {MAX_RSS_KB})")
        if want != "drawn":
            if r.code == 0 or not __import__("re").search(want, r.err):
                failures.append(f"{name}: want a refusal /{want}/, got exit {r.code}: {r.err!r}")
            continue
        if r.code != 0 or not os.path.exists(pdf):
            failures.append(f"{name}: not drawn: exit {r.code}: {r.err!r}")
            continue
        base = t.path(name + ".page")
        t.sh(["pdftoppm", "-r", "72", "-singlefile", pdf, base])
        img = ppm(base + ".ppm")
        left = pixel(img, BOX_X + BOX_W // 4, BOX_Y + BOX_H // 2)
        right = pixel(img, BOX_X + BOX_W * 3 // 4, BOX_Y + BOX_H // 2)
        outside = pixel(img, BOX_X - 20, BOX_Y + BOX_H // 2)
        if not (near(left, RED) and near(right, WHITE) and near(outside, WHITE)):
            failures.append(f"{name}: drawn wrong: left {left}, right {right}, "
                            f"outside {outside}")
    if failures:
        t.fail("\n".join(failures))


def test_hostile_scans(t):
    """The same pictures given to verify as scans: read (a scan cut short is
    read as far as it goes; these hold no QR code, so the answer is exit 1),
    or refused with the file named, in bounded memory."""
    docs_util.keygen(t)
    pics = pictures(t)
    failures = []
    refused = ("huge.png", "bomb.jpg", "truncated.png")
    for name in refused + ("bomb-in-cap.jpg", "progressive.jpg", "rgba-16bit.png",
                           "big-palette.png"):
        with open(t.path(name), "wb") as f:
            f.write(pics[name][0])
        r = t.run(["-f", "%M", t.attache, "verify", "--pub", "k.pub", name],
                  binary="/usr/bin/time")
        lines = r.err.splitlines()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else -1
        if rss < 0 or rss > MAX_RSS_KB:
            failures.append(f"{name}: peak RSS {rss} KB (limit {MAX_RSS_KB})")
        named = any(l.startswith("attache: " + name + ": ") for l in lines)
        if r.code != 1 or named != (name in refused):
            failures.append(f"{name}: exit {r.code}: {r.err!r}")
    if failures:
        t.fail("\n".join(failures))


def test_damaged_photos_are_found_when_the_data_is_read(t):
    """A photo cut short (an interrupted copy) or with a byte changed is
    refused at its element's line by validate, and a run makes nothing,
    rather than stopping at that officer with the others written."""
    src = t.path("src.png")
    with open(src, "wb") as f:
        f.write(png(64, 32, 8, 2, half_red_rgb(64, 32)))
    busy = t.path("busy.png")
    with open(busy, "wb") as f:
        f.write(png(256, 128, 8, 2, [bytes((x * y * 7 + x * 13) & 255 for x in range(768))
                                     for y in range(128)]))
    busy_jpg = convert(t, busy, t.path("busy.jpg"), "-quality", "95")
    good = open(src, "rb").read()
    flipped = bytearray(good)
    flipped[good.index(b"IDAT") + 10] ^= 0xFF
    key = docs_util.keygen(t)
    for name, data, want in [
        ("cut.png", good[:len(good) - 20], r"cannot be used: it is cut short"),
        ("flipped.png", bytes(flipped), r"cannot be used: its IDAT chunk is damaged"),
        ("cut.jpg", busy_jpg[:len(busy_jpg) * 2 // 3], r"cannot be used: it is cut short"),
        ("header-only.jpg", busy_jpg[:300], r"cannot be used: its header cannot be read"),
    ]:
        folder = t.path(name + ".d")
        os.makedirs(folder)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        with open(os.path.join(folder, "p.png" if name.endswith("png") else "p.jpg"), "wb") as f:
            f.write(good if name.endswith("png") else busy_jpg)
        photo = b'        <photo src="' + name.encode() + b'"/>\n'
        other = b'        <photo src="p.' + name.rsplit(".", 1)[1].encode() + b'"/>\n'
        with open(os.path.join(folder, "d.xml"), "wb") as f:
            f.write(hostile.doc(hostile.officer(extra=other) + b"\n" +
                                hostile.officer(oid=b"kh-02", extra=photo)))
        r = t.run(["validate", "d.xml"], cwd=folder)
        t.status(r, 65, name)
        t.match(r"^attache: d\.xml:17: officer 'kh-02': <photo>: image '" + name.replace(".", r"\.")
                + "' " + want, r.err, name)
        r = t.run(["induction", "d.xml", "-o", "out", "-k", key, "-q"], cwd=folder,
                  env=t.env(SOURCE_DATE_EPOCH=docs_util.EPOCH))
        t.status(r, 65, name)
        t.ok(not os.path.exists(os.path.join(folder, "out")), f"{name}: no output folder")
    # the good ones are good
    r = t.run(["validate", "d.xml"], cwd=t.path("cut.png.d"))
    t.status(r, 65)
