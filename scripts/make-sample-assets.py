#!/usr/bin/python3
"""Draw the sample logo, signatures and photos in samples/ (made for the
project, not copied).  Deterministic: rerunning gives the same pictures.
Needs Debian's python3-pil.  Run from the repository root."""
import math
import random

from PIL import Image, ImageDraw, ImageFilter

S = 4  # supersampling


def logo(path):
    size = 600 * S
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c = size / 2
    navy, gold, white = (29, 53, 87, 255), (176, 141, 60, 255), (255, 255, 255, 255)
    d.ellipse((0, 0, size - 1, size - 1), fill=gold)
    d.ellipse((14 * S, 14 * S, size - 14 * S, size - 14 * S), fill=white)
    d.ellipse((26 * S, 26 * S, size - 26 * S, size - 26 * S), fill=navy)
    # a ring of leaves
    r = 225 * S
    for i in range(28):
        a = 2 * math.pi * i / 28
        x, y = c + r * math.cos(a), c + r * math.sin(a)
        lw, lh = 22 * S, 9 * S
        leaf = Image.new("RGBA", (lw * 2, lw * 2), (0, 0, 0, 0))
        ImageDraw.Draw(leaf).ellipse((lw - lw, lw - lh, lw + lw, lw + lh), fill=gold)
        leaf = leaf.rotate(-math.degrees(a) + 90 + 35, resample=Image.BICUBIC)
        im.alpha_composite(leaf, (int(x - lw), int(y - lw)))
    # a stylised open book under a star
    bw, bh = 190 * S, 95 * S
    top = c - 5 * S
    d.polygon([(c, top + 18 * S), (c - bw, top), (c - bw, top + bh), (c, top + bh + 18 * S)],
              fill=white)
    d.polygon([(c, top + 18 * S), (c + bw, top), (c + bw, top + bh), (c, top + bh + 18 * S)],
              fill=(235, 238, 243, 255))
    for k in range(1, 5):
        yy = top + k * 18 * S
        d.line([(c - bw + 25 * S, yy), (c - 25 * S, yy + 14 * S)], fill=navy, width=3 * S)
        d.line([(c + 25 * S, yy + 14 * S), (c + bw - 25 * S, yy)], fill=navy, width=3 * S)
    star = []
    for k in range(10):
        a = -math.pi / 2 + k * math.pi / 5
        rr = (70 if k % 2 == 0 else 28) * S
        star.append((c + rr * math.cos(a), c - 105 * S + rr * math.sin(a)))
    d.polygon(star, fill=gold)
    # 300 px prints a 25 mm logo at 300 dpi; a few dozen colours keep it small
    im = im.resize((300, 300), Image.LANCZOS)
    im.quantize(48, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)


def signature(path, seed, letters):
    """A cursive line: a drifting pen with loops, thicker where it slows."""
    random.seed(seed)
    w, h = 900 * S, 300 * S
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    ink = (20, 35, 90, 255)
    f1 = random.uniform(0.9, 1.1) * letters
    f2 = f1 * random.uniform(0.45, 0.55)
    ph = random.uniform(0, 6.28)
    pts = []
    n = 1400
    for i in range(n):
        t = i / (n - 1)
        env = math.sin(math.pi * min(1.0, t * 1.15)) ** 0.6
        x = 70 * S + 700 * S * t + 42 * S * math.sin(2 * math.pi * f1 * t)
        y = (h * 0.48 - 70 * S * env * math.sin(2 * math.pi * f2 * t + ph)
             - 28 * S * math.cos(2 * math.pi * f1 * t + 0.8) - 40 * S * t)
        pts.append((x, y))
    for i in range(n - 1):
        (x0, y0), (x1, y1) = pts[i], pts[i + 1]
        speed = math.hypot(x1 - x0, y1 - y0) / S
        width = max(1.6, 5.2 - speed * 1.1) * S
        d.line([pts[i], pts[i + 1]], fill=ink, width=int(width))
    # the flourish underneath
    fl = [(120 * S + i * 3.1 * S, h * 0.80 - 30 * S * math.sin(i / 70) - i * 0.12 * S)
          for i in range(230)]
    d.line(fl, fill=ink, width=3 * S)
    # soften the edges of the ink, not its colour
    alpha = im.getchannel("A").filter(ImageFilter.GaussianBlur(0.5 * S))
    im = Image.new("RGBA", (w, h), ink)
    im.putalpha(alpha)
    im.resize((900, 300), Image.LANCZOS).save(path, optimize=True)


def photo(path, hue):
    w, h = 360, 450
    im = Image.new("RGB", (w * S, h * S), hue)
    d = ImageDraw.Draw(im)
    shade = tuple(max(0, v - 70) for v in hue)
    d.ellipse((110 * S, 70 * S, 250 * S, 230 * S), fill=shade)
    d.rounded_rectangle((45 * S, 250 * S, 315 * S, 520 * S), radius=110 * S, fill=shade)
    im.resize((w, h), Image.LANCZOS).save(path, quality=88)


logo("samples/assets/logo.png")
signature("samples/assets/sig-tdp.png", 1, 7)
signature("samples/assets/sig-mtv.png", 2, 9)
signature("samples/assets/sig-rsp.png", 3, 8)
photo("samples/photos/kh-2015-01.jpg", (196, 210, 226))
photo("samples/photos/vn-2015-02.jpg", (214, 205, 190))
