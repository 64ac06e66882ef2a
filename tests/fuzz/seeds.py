#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/.

Usage: tests/fuzz/seeds.py BUILD_DIR   (after `make`; needs ImageMagick)

The seeds are small on purpose: the samples cut down to a few officers, the
hostile cases of the tests, and one file of each image kind.  Run it again
after changing a format; what a fuzzer found later is kept beside the seeds
(tests/fuzz/corpus/) or in tests/fuzz/crashes/ and is not made here.
"""
import base64
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import hostile  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
ATTACHE = os.path.join(BUILD, "attache")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_SEED = 16 * 1024


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def run(*args, **kw):
    return subprocess.run([ATTACHE] + list(args), check=True, capture_output=True, **kw)


# ---- CBOR, enough for tokens ------------------------------------------------

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def b32(b):
    return base64.b32encode(b).decode().rstrip("=")


CLAIMS = {1: "asec", 6: 1454630400, -1: b"\x01\x02\x03\x04\x05\x06\x07\x08", -2: 1,
          -3: "kh-2015-01", -4: "Chhy Ratha", -5: "aec-ascc-2", -6: "aec-ascc"}


def token_seeds():
    vectors = [l.split()[1] for l in open(os.path.join(ROOT, "docs", "token.md"))
               if l.strip().startswith("text ")]
    for i, v in enumerate(vectors):
        put("token", "vector-%d" % i, v)
        put("token", "vector-%d-lower" % i, v.lower())
    forged = {
        # the review's forged tokens: an array head claiming 2^31 or 2^32 - 1 entries
        "array-2g": "ATT1:2K5IMI3YDA",
        "array-610mb": "ATT1:2KCE3IQBE4CEQAIBAEAQCAIBAGQQDGQEAAAAA",
        "empty": "ATT1:",
        "no-prefix": "2KCE3IQBE4CEQ",
        "bad-base32": "ATT1:0189!!",
        "url": "https://verify.example.org/v/ATT1:2KCE3IQBE4CEQ",
    }
    for k, v in forged.items():
        put("token", k, v)
    prot = cbor({1: -8, 4: b"\x56\x47\x5a\xa7\x54\x63\x47\x4c"})
    for name, payload in (("claims", cbor(CLAIMS)),
                          ("map-4g", b"\xbb" + b"\xff" * 8),
                          ("nested", b"\x81" * 200 + b"\x00")):
        msg = b"\xd2" + cbor([prot, {}, payload, b"\0" * 64])
        put("token", "cose-" + name, "ATT1:" + b32(msg))


def signed_seeds():
    put("signed", "claims", b"\x00" + cbor(CLAIMS))
    for k, v in (("iat-1e18", 10 ** 18), ("iat-max", 2 ** 63 - 1), ("iat-neg", -1),
                 ("iat-big", 2 ** 40)):
        c = dict(CLAIMS)
        c[6] = v
        put("signed", k, b"\x00" + cbor(c))
    c = dict(CLAIMS)
    c[-2] = "a-template-kind"
    put("signed", "text-kind", b"\x00" + cbor(c))
    c = dict(CLAIMS)
    c[1] = "other"
    put("signed", "other-issuer", b"\x00" + cbor(c))
    c = dict(CLAIMS)
    c["text"] = [1, 2, {3: 4}]
    put("signed", "extra-claims", b"\x00" + cbor(c))
    put("signed", "array-head", b"\x00" + b"\xa8\x01\x9a\xff\xff\xff\xff")
    put("signed", "own-protected", b"\x01" + cbor({1: -8, 4: b"12345678"}) + b"\xff" + cbor(CLAIMS))


def key_seeds(tmp):
    run("keygen", "-o", os.path.join(tmp, "k"), "--issuer", "asec",
        "--not-before", "2015-01-01", "--not-after", "2030-12-31")
    pub = open(os.path.join(tmp, "k.pub"), "rb").read()
    key = open(os.path.join(tmp, "k.key"), "rb").read()
    put("keyfile", "pub", pub)
    put("keyfile", "key", key)
    put("keyfile", "pub-crlf", pub.replace(b"\n", b"\r\n"))
    put("keyfile", "pub-no-newline", pub.rstrip(b"\n"))
    put("keyfile", "key-truncated", key[: len(key) // 2])
    put("keyfile", "empty", b"")
    put("keyfile", "utf16", ("\ufeff" + pub.decode()).encode("utf-16-le"))


def revocation_seeds(tmp):
    path = os.path.join(tmp, "r.xml")
    run("revoke", "C-VOY5-4WN7-YVQM", "--reason", "lost", "--list", path, "--date", "2020-01-01")
    run("revoke", "L-XELH-ILUR-HKRC", "--reason", "replaced", "--list", path,
        "--date", "2020-02-01")
    r = open(path, "rb").read()
    put("revocations", "list", r)
    put("revocations", "truncated", r[: len(r) // 2])
    text = r.decode()
    body = text.split("\n", 1)[1]
    put("revocations", "utf16-doctype",
        ("\ufeff<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE x [<!ENTITY e \"e\">]>\n"
         + body).encode("utf-16-le"))
    put("revocations", "doctype", "<!DOCTYPE x [<!ENTITY e \"e\">]>\n" + body)
    put("revocations", "latin1", b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + body.encode())
    put("revocations", "empty", b"")


def template_seeds():
    for name in ("certificate", "letter", "induction"):
        put("template", name, open(os.path.join(ROOT, "templates", name + ".xml"), "rb").read())
    small = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<template version="1" name="t" kind="t" size="A5">\n'
             '  <style name="s" font="serif" size="12pt" tracking="%s"/>\n'
             '  <flow><h1>{name}</h1><p style="s">x</p>\n'
             '  <table columns="* *"><row><cell span="%s">a</cell></row></table></flow>\n'
             '</template>\n')
    put("template", "small", small % ("0.01em", "1"))
    put("template", "tracking-nan", small % ("nan", "1"))
    put("template", "tracking-inf", small % ("inf", "1"))
    put("template", "span-max", small % ("0em", "2147483647"))
    put("template", "utf16-doctype",
        ("\ufeff<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE template [<!ENTITY e \"e\">]>\n"
         + (small % ("0em", "1")).split("\n", 1)[1]).encode("utf-16-le"))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(w, h, depth, colour, rows, extra=b"", interlace=0, idat=None):
    head = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace)
    data = idat if idat is not None else zlib.compress(b"".join(b"\0" + r for r in rows), 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", head) + extra + png_chunk(b"IDAT", data)
            + png_chunk(b"IEND", b""))


def image_seeds(tmp):
    w = h = 8
    put("image", "grey8.png", png(w, h, 8, 0, [bytes(range(0, 256, 32))] * h))
    put("image", "rgb8.png", png(w, h, 8, 2, [bytes([255, 0, 0] * w)] * h))
    put("image", "rgba16.png", png(w, h, 16, 6, [b"\x12\x34" * 4 * w] * h))
    put("image", "grey-alpha.png", png(w, h, 8, 4, [b"\x00\x80" * w] * h))
    put("image", "palette-trns.png",
        png(w, h, 8, 3, [bytes([i % 3 for i in range(w)])] * h,
            png_chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00\x00\x00\xff") + png_chunk(b"tRNS", b"\x00\x80")))
    put("image", "palette-1bit.png",
        png(16, 16, 1, 3, [b"\xaa\x55"] * 16, png_chunk(b"PLTE", b"\x00\x00\x00\xff\xff\xff")))
    put("image", "huge.png", png(100000, 100000, 8, 0, [], idat=zlib.compress(b"\0" * 1000)))
    put("image", "truncated.png", png(w, h, 8, 2, [bytes([1, 2, 3] * w)] * h)[:60])
    # interlaced: ImageMagick writes Adam7
    src = os.path.join(tmp, "src.png")
    open(src, "wb").write(png(w, h, 8, 2, [bytes([i * 30, 255 - i * 30, 7] * w) for i in range(h)]))
    for name, args in (("interlaced.png", ["-interlace", "PNG"]),
                       ("baseline.jpg", ["-quality", "70"]),
                       ("progressive.jpg", ["-interlace", "JPEG"]),
                       ("cmyk.jpg", ["-colorspace", "CMYK"]),
                       ("grey.jpg", ["-colorspace", "Gray"])):
        out = os.path.join(tmp, name)
        subprocess.run(["convert", src] + args + [out], check=True)
        put("image", name, open(out, "rb").read())
    prog = open(os.path.join(tmp, "progressive.jpg"), "rb").read()
    last, end = prog.rindex(b"\xff\xda"), prog.rindex(b"\xff\xd9")
    put("image", "many-scans.jpg", prog[:end] + prog[last:end] * 300 + prog[end:])
    put("image", "indexed-predicted.png",
        png(512, 64, 8, 3, [bytes(x // 2 for x in range(512))] * 64,
            png_chunk(b"PLTE", bytes(range(256)) * 3)))
    jpg = open(os.path.join(tmp, "baseline.jpg"), "rb").read()
    put("image", "truncated.jpg", jpg[: len(jpg) // 2])
    # the same JPEG claiming 20000 x 20000 pixels (SOF0 height and width)
    i = jpg.index(b"\xff\xc0")
    put("image", "bomb.jpg", jpg[: i + 5] + struct.pack(">HH", 20000, 20000) + jpg[i + 9:])
    put("image", "photo.jpg", open(os.path.join(ROOT, "samples", "photos", "kh-2015-01.jpg"), "rb").read())


SMALL_DATA = hostile.doc(hostile.officer() + b"\n" + hostile.officer(name=b"Sok Chanthy", oid=b"kh-02"))


def data_seeds():
    put("data", "small.xml", SMALL_DATA)
    sample = open(os.path.join(ROOT, "samples", "asean.xml"), "rb").read()
    put("data", "sample-head.xml", sample[:MAX_SEED - 1])
    for name, (data, _, _) in hostile.cases(9, "/nonexistent/secret").items():
        put("data", name + ".xml", data)


def manifest_seeds(tmp):
    out = os.path.join(tmp, "out")
    data = os.path.join(tmp, "d.xml")
    open(data, "wb").write(SMALL_DATA)
    run("certificates", data, "-o", out, "-k", os.path.join(tmp, "k.key"), "-j", "1")
    m = open(os.path.join(out, "manifest.csv"), "rb").read()
    lines = m.split(b"\n")
    put("manifest", "one", m)
    put("manifest", "two-shards", b"\n".join(lines[:2]) + b"\n=====\n" + lines[0] + b"\n" + b"\n".join(lines[2:]))
    put("manifest", "quoted", lines[0] + b'\n"q1"B,c,b,o,"n ""x""",f,00,ATT1:X\n')
    put("manifest", "formula", lines[0] + b"\n=1+1,c,b,o,@x,f,00,-2\n")
    put("manifest", "duplicate", m + b"=====\n" + m)
    put("manifest", "empty", b"")


def http_seeds():
    body = SMALL_DATA
    ok = (b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nETag: \"v1\"\r\n"
          b"Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
    put("http", "ok", b"=====\n" + ok)
    put("http", "gzip", b"=====\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"
        + __import__("gzip").compress(body, mtime=0))
    put("http", "redirect", b"=====\nHTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:@PORT@/b\r\n"
        b"Connection: close\r\nContent-Length: 0\r\n\r\n=====\n" + ok)
    put("http", "redirect-away", b"=====\nHTTP/1.1 301 Moved\r\nLocation: http:///user:pw@example.org/\r\n"
        b"Connection: close\r\n\r\n")
    put("http", "retry-after", b"=====\nHTTP/1.1 503 Busy\r\nRetry-After: 0\r\nConnection: close\r\n\r\n"
        b"=====\n" + ok)
    put("http", "chunked", b"=====\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    put("http", "short", b"=====\nHTTP/1.1 200 OK\r\nContent-Length: 99999\r\nConnection: close\r\n\r\n<a")
    cache = (b"attache-cache 1\nurl: x\netag: \"v1\"\ncontent-type: application/xml\n"
             b"size: @SIZE@\nsha256: @SHA256@\n\n" + body)
    put("http", "not-modified", cache + b"=====\nHTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n")
    put("http", "not-xml", b"=====\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html/>")


def generate_seeds():
    small = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<template version="1" name="t" kind="t" size="A5">\n'
             '  <page><text x="10mm" y="10mm" w="80mm">{name}</text>\n'
             '  <qr x="10mm" y="40mm" size="30mm"/></page>\n</template>\n')
    put("generate", "certificate", SMALL_DATA)
    put("generate", "small-template", small.encode() + b"=====\n" + SMALL_DATA)
    flow = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<template version="1" name="f" kind="f" size="A5">\n'
            '  <flow><h1>{name}</h1><p>{ministry}, {country-name(country)}</p>\n'
            '  <table columns="* 20mm"><row><cell span="2">a</cell></row><row><cell>b</cell><cell>c</cell></row></table>\n'
            '  <image src="assets/logo.png" w="20mm" h="20mm"/></flow>\n</template>\n')
    put("generate", "flow-template", flow.encode() + b"=====\n" + SMALL_DATA)


def font_seeds(tmp):
    """Small TrueType fonts: glyphs of a built-in face, and of DejaVu Serif
    (hinted, its accented letters composite glyphs), cut by fontTools; then
    the first with its glyph table cut short and with loca out of order."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    def cut(path, text, name, **opts):
        options = subset.Options(**opts)
        font = TTFont(path)
        sub = subset.Subsetter(options)
        sub.populate(text=text)
        sub.subset(font)
        out = os.path.join(tmp, name)
        font.save(out)
        data = open(out, "rb").read()
        put("font", name, data)
        return data

    own = cut(os.path.join(ROOT, "fonts", "AttacheSerif-Regular.ttf"), "Ae\u1ec5", "serif.ttf",
              layout_features=[], name_IDs=[1, 2, 6], hinting=False)
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
    if os.path.exists(dejavu):
        cut(dejavu, "A\u1ec5\u00e9", "dejavu-hinted.ttf", layout_features=[], name_IDs=[1])
    put("font", "truncated.ttf", own[: len(own) * 2 // 3])
    raw = bytearray(own)
    tables = {raw[12 + 16 * i: 16 + 16 * i].decode("latin-1"): struct.unpack(
        ">II", raw[20 + 16 * i: 28 + 16 * i]) for i in range(struct.unpack(">H", raw[4:6])[0])}
    at, length = tables["loca"]
    step = 2 if struct.unpack(">h", raw[tables["head"][0] + 50: tables["head"][0] + 52])[0] == 0 else 4
    entries = [raw[at + k: at + k + step] for k in range(0, length, step)]
    raw[at: at + length] = b"".join(reversed(entries))
    put("font", "loca-backwards.ttf", bytes(raw))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        font_seeds(tmp)
        token_seeds()
        signed_seeds()
        key_seeds(tmp)
        revocation_seeds(tmp)
        template_seeds()
        image_seeds(tmp)
        data_seeds()
        manifest_seeds(tmp)
        http_seeds()
        generate_seeds()


if __name__ == "__main__":
    main()
