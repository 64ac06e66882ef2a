"""The verification site (attache site) in a real browser.

For a table of QR texts, the page served by a loopback static host must give
the verdict `attache verify` gives with the same keys and revocation list,
with both URL forms (/v/ATT1:... at several depths, and #ATT1:...), show the
signed fields of verified tokens only, as text, log nothing on the console
and ask for nothing outside its origin.  The decoder's own unit tests run in
node (tests/web/).  Without Chromium the browser tests are skipped, with the
reason printed; `make test` installs it.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import urllib.parse

from docs_util import EPOCH, SAMPLE
from site_util import Browser, StaticServer, browser_missing

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARKUP_NAME = '<img src=x onerror="document.title=\'pwned\'"> Chhy Ratha'
SAMPLE_KINDS = ("certificate ", "letter ", "induction ")
_skip_said = False


def skip_without_browser():
    """True (after saying why, once) when there is no browser to test in."""
    global _skip_said
    why = browser_missing()
    if why and not _skip_said:
        print(f"SKIP test_site browser tests: {why}")
        _skip_said = True
    return why is not None


def manifest(folder):
    with open(os.path.join(folder, "manifest.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def keygen(t, name, extra=()):
    t.status(t.run(["keygen", "-o", t.path(name), "--issuer", "asec"] + list(extra)), 0,
             f"keygen {name}")
    return t.path(name + ".key"), t.path(name + ".pub")


def edited_pub(t, pub, name, change):
    """A copy of the public key file `pub` with its text changed by `change`."""
    text = change(open(pub, encoding="utf-8").read())
    path = t.path(name + ".pub")
    open(path, "w", encoding="utf-8").write(text)
    return path


def generate(t, what, data, key, out, extra=()):
    r = t.run([what, data, "-o", t.path(out), "-k", key, "-q"] + list(extra),
              env=t.env(SOURCE_DATE_EPOCH=EPOCH), cwd=os.path.dirname(data))
    t.status(r, 0, what)
    return manifest(t.path(out))


def token_of(qr):
    return qr[qr.index("ATT1:"):]


def build(t):
    """Keys, documents, a revocation list and the site; returns (site dir,
    verify options, [(case name, QR text)])."""
    key, pub = keygen(t, "k")
    other_key, _ = keygen(t, "unpublished")
    shifted_key, shifted_pub = keygen(t, "shifted")
    rows = []
    for what in ("certificates", "letters", "induction"):
        rows += generate(t, what, SAMPLE, key, what)
    t.eq(sorted({row["kind"] for row in rows}), ["certificate", "induction", "letter"])
    cases = [(f"{row['kind']} {row['officer_id']}", row["qr"]) for row in rows]
    revoked = t.path("revoked.xml")
    t.status(t.run(["revoke", rows[0]["document_id"], "--reason", "Issued in error <b>x</b>",
                    "--list", revoked, "--date", "2016-03-01"]), 0, "revoke")
    revoked_qr = rows[0]["qr"]
    # a document signed with a key the site does not have
    unknown = generate(t, "certificates", SAMPLE, other_key, "unknown",
                       ["--officer", "kh-2015-01"])[0]["qr"]
    # a key published as another issuer's, and one whose window ends before the issue date
    shifted = generate(t, "certificates", SAMPLE, shifted_key, "shifted",
                       ["--officer", "vn-2015-02"])[0]["qr"]
    wrong_issuer = edited_pub(t, shifted_pub, "other-issuer",
                              lambda s: re.sub(r"(?m)^issuer: .*$", "issuer: other", s))
    window_key, window_pub = keygen(t, "window")
    window = generate(t, "certificates", SAMPLE, window_key, "window",
                      ["--officer", "kh-2015-01"])[0]["qr"]
    expired = edited_pub(t, window_pub, "expired", lambda s: s + "not-after: 2016-02-04\n")
    # a validly signed name that is markup
    data = t.path("markup", "data.xml")
    shutil.copytree(os.path.join(ROOT, "samples"), t.path("markup"))
    xml = open(SAMPLE, encoding="utf-8").read().replace(
        "<name>Chhy Ratha</name>",
        "<name>" + MARKUP_NAME.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        + "</name>")
    open(data, "w", encoding="utf-8").write(xml)
    markup = generate(t, "certificates", data, key, "markup-out", ["--officer", "kh-2015-01"])
    t.eq(markup[0]["name"], MARKUP_NAME, "the markup name went into the token")

    body = token_of(rows[1]["qr"])[5:]
    cases += [
        ("revoked", revoked_qr),
        ("unknown key", unknown),
        ("wrong issuer", shifted),
        ("outside the key's window", window),
        ("markup in the name", markup[0]["qr"]),
        ("lower-case prefix", "att1:" + body),
        ("all lower case", "att1:" + body.lower()),
        ("truncated by one", "ATT1:" + body[:-1]),
        ("truncated by ten", "ATT1:" + body[:-10]),
        ("truncated to 40", "ATT1:" + body[:40]),
        ("garbage", "hello, world <b>bold</b> & more"),
        ("garbage after the prefix", "ATT1:this is not base32!"),
        ("20,000 characters", "ATT1:" + "A" * 20000),
        ("empty token", "ATT1:"),
    ]
    for at in (0, 3, 25, len(body) // 2, len(body) - 20, len(body) - 1):
        c = "B" if body[at] != "B" else "C"
        cases.append((f"changed at {at}", "ATT1:" + body[:at] + c + body[at + 1:]))

    site = t.path("site")
    pubs = ["--pub", pub, "--pub", wrong_issuer, "--pub", expired]
    r = t.run(["site", "-o", site] + pubs + ["--revoked", revoked],
              env=t.env(SOURCE_DATE_EPOCH="1456876800"))
    t.status(r, 0, "site")
    return site, pubs + ["--revoked", revoked], cases


def verify_verdict(t, opts, text):
    # an argument without ATT1: in it names a file: such a text goes in as a line of stdin
    args, stdin = ([text], None) if "ATT1:" in text.upper() else (["-"], text + "\n")
    r = t.run(["verify"] + opts + args, stdin=stdin)
    t.ok(r.code in (0, 1), f"verify {text[:60]!r}: exit {r.code}: {r.err}")
    return r.out.split("\t", 1)[0]


def urls_for(srv, text, prefix="", deep=True):
    """The page's URLs for `text`: fragment form, path form (and deeper)."""
    if "ATT1:" in text.upper():
        at = text.upper().index("ATT1:")
        token = text[at:]
    else:
        token = text
    quoted = urllib.parse.quote(token, safe=":")
    urls = [srv.url(f"{prefix}/#{quoted}"), srv.url(f"{prefix}/v/{quoted}")]
    return urls + [srv.url(f"{prefix}/a/b/c/v/{quoted}")] if deep else urls


def check_clean(t, b, srv, url):
    """No console entry other than the 404 status static hosts give a page
    they serve from 404.html, and no request outside the origin."""
    for level, message in b.console():
        if message.startswith(url.split("#")[0] + " - Failed to load resource") and "404" in message:
            continue
        t.fail(f"{url[:100]}: console {level}: {message}")
    for u in b.requested_urls():
        if not re.match(r"(?i)(https?|wss?|ftp):", u):
            continue            # the browser's own pages (about:blank between loads)
        t.ok(u.startswith(srv.origin + "/"),
             f"{url[:100]}: a request outside the origin: {u[:100]}")


def test_site_command(t):
    _, pub = keygen(t, "k")
    r = t.run(["site", "-o", t.path("s"), "--pub", pub], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    files = sorted(os.listdir(t.path("s")))
    t.eq(files, ["404.html", "icon.svg", "index.html", "token.js", "trust.json", "verify.css",
                 "verify.js"])
    index = open(t.path("s", "index.html")).read()
    notfound = open(t.path("s", "404.html")).read()
    t.eq(notfound.replace('<base href="/">\n', ""), index, "404.html is the page, with a base")
    t.match(r"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'", index)
    t.ok("<script>" not in index and "onload" not in index, "no inline script")
    for f in ("token.js", "verify.js", "verify.css"):
        t.eq(open(t.path("s", f), "rb").read(), open(os.path.join(ROOT, "web", f), "rb").read(),
             f"{f} is the one in web/")
    r = t.run(["site", "-o", t.path("b"), "--pub", pub, "--base", "/verify/"])
    t.status(r, 0)
    t.match(r'<base href="/verify/">', open(t.path("b", "404.html")).read())
    for bad in ("verify/", "/a b/", "/x/../", '/"/', "//evil.example/"):
        r = t.run(["site", "-o", t.path("c"), "--pub", pub, "--base", bad])
        t.status(r, 64, f"--base {bad}")
        t.match(r"^attache: the base '.*' is not a path", r.err)
    t.status(t.run(["site", "-o", t.path("d")]), 64, "no key")
    t.status(t.run(["site", "--pub", pub]), 64, "no folder")
    r = t.run(["site", "-o", t.path("e"), "--pub", t.path("missing.pub")])
    t.status(r, 66, "a key that cannot be read")
    t.ok(not os.path.exists(t.path("e")), "nothing written")
    r = t.run(["site", "-o", t.path("f"), "--pub", pub, "--revoked", pub])
    t.status(r, 65, "a revocation list that is not one")
    t.ok(not os.path.exists(t.path("f")), "nothing written")
    open(t.path("a-file"), "w").close()
    r = t.run(["site", "-o", t.path("a-file"), "--pub", pub])
    t.status(r, 73, "a folder that cannot be made")
    t.match(r"^attache: .*a-file: cannot", r.err)
    r = t.run(["site", "--help"])
    t.status(r, 0)
    t.match(r"^usage: attache site -o DIR --pub FILE", r.out)


def test_site_trust_json(t):
    key, pub = keygen(t, "k", ["--not-before", "2016-01-01", "--not-after", "2030-12-31"])
    lst = t.path("r.xml")
    t.status(t.run(["revoke", "C-AAAA-BBBB-CCCC", "--reason", 'say "no" \\ now', "--list", lst,
                    "--date", "2016-03-01"]), 0)
    r = t.run(["site", "-o", t.path("s"), "--pub", pub, "--revoked", lst],
              env=t.env(SOURCE_DATE_EPOCH="1456876800"))
    t.status(r, 0)
    import json
    trust = json.load(open(t.path("s", "trust.json")))
    pubtext = open(pub).read()
    t.eq(trust["attache-site"], 1)
    t.eq(len(trust["keys"]), 1)
    k = trust["keys"][0]
    t.eq(k["kid"], re.search(r"(?m)^kid: (\S+)", pubtext).group(1))
    t.eq(k["public"], re.search(r"(?m)^public: (\S+)", pubtext).group(1))
    t.eq((k["issuer"], k["not-before"], k["not-after"]), ("asec", "2016-01-01", "2030-12-31"))
    t.eq(trust["revocations"], {"published": "2016-03-02", "documents": {
        "C-AAAA-BBBB-CCCC": {"date": "2016-03-01", "reason": 'say "no" \\ now'}}})


def test_decoder_in_node(t):
    """web/token.js's unit tests (docs/token.md's vectors) in Debian's node."""
    node = shutil.which("node") or "/usr/bin/node"
    t.ok(os.access(node, os.X_OK), "node is not installed (Debian package nodejs)")
    p = subprocess.run([node, "--test", os.path.join(ROOT, "tests", "web")],
                       capture_output=True, text=True, timeout=300)
    t.ok(p.returncode == 0 and re.search(r"(?m)^# fail 0$", p.stdout),
         f"node --test tests/web failed:\n{p.stdout[-3000:]}{p.stderr[-2000:]}")


def test_page_verdict_equals_verify(t):
    if skip_without_browser():
        return
    site, opts, cases = build(t)
    want = {name: verify_verdict(t, opts, text) for name, text in cases}
    # the table covers every verdict
    t.eq(sorted(set(want.values())), ["INVALID", "REVOKED", "UNKNOWN-KEY", "VALID"])
    t.eq(want["wrong issuer"], "INVALID")
    t.eq(want["outside the key's window"], "INVALID")
    t.eq(want["lower-case prefix"], "VALID")
    with StaticServer(site) as srv, Browser() as b:
        b.console()
        b.requested_urls()
        for i, (name, text) in enumerate(cases):
            for url in urls_for(srv, text, deep=i % 5 == 0 or not name.startswith(SAMPLE_KINDS)):
                state = b.open(url)
                got = b.verdict()
                t.eq((state, got), ("done", want[name]), f"{name}: {url[:90]}")
                check_clean(t, b, srv, url)
                shown = b.text("main")
                if got in ("VALID", "REVOKED"):
                    doc = b.body("data-document")
                    t.match(r"^[A-Z]-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$", doc or "", name)
                    t.ok(doc in shown, f"{name}: the document id is shown")
                else:
                    t.eq(b.body("data-document"), None, f"{name}: no document id")
                    t.eq(b.driver.execute_script(
                        "return document.getElementById('fields').hidden"), True,
                        f"{name}: no field of an unverified token is shown")
                    for field in ("Chhy", "Nguy", "aec-ascc", "kh-2015"):
                        t.ok(field not in shown, f"{name}: {field!r} shown for {got}")
                if name == "markup in the name":
                    t.eq(b.text("#officer-name"), MARKUP_NAME, "the markup is shown as text")
                    t.eq(b.driver.execute_script(
                        "return document.querySelectorAll('img, #officer-name *').length"), 0,
                        "no element made from the name")
                    t.ok("pwned" not in b.driver.title, "no script ran")
                if name == "revoked":
                    t.ok("Revoked on 1 March 2016: Issued in error <b>x</b>" in shown,
                         f"the revocation is shown as text: {shown!r}")
                    t.ok("Revocation list of 2 March 2016" in shown, "the list's day is shown")
        # nothing but the site's own files was asked for
        for path in srv.requests:
            t.ok(path.startswith("/"), path)


def test_page_elsewhere_on_the_host(t):
    """The folder served at /verify/ (--base /verify/), and a host that serves
    the page with status 200 for paths it lacks (no console entry at all)."""
    if skip_without_browser():
        return
    key, pub = keygen(t, "k")
    row = generate(t, "certificates", SAMPLE, key, "docs", ["--officer", "kh-2015-01"])[0]
    token = token_of(row["qr"])
    t.status(t.run(["site", "-o", t.path("s"), "--pub", pub, "--base", "/verify/"]), 0)
    with StaticServer(t.path("s"), mount="/verify/") as srv, Browser() as b:
        for url in urls_for(srv, token, "/verify"):
            t.eq((b.open(url), b.verdict()), ("done", "VALID"), url)
            t.eq(b.body("data-document"), row["document_id"])
            check_clean(t, b, srv, url)
        t.eq(b.open(srv.url("/verify/")), "idle", "no token: how to check")
        t.eq(b.verdict(), None)
    with StaticServer(t.path("s"), mount="/verify/", fallback_ok=True) as srv, Browser() as b:
        b.open(srv.url("/verify/v/" + token))
        t.eq(b.verdict(), "VALID")
        t.eq(b.console(), [], "no console entry")


def test_page_at_phone_width(t):
    """360 px wide: the verdict and the fields fit, nothing scrolls sideways,
    the verdict is large, and text contrasts with its background (WCAG AA)."""
    if skip_without_browser():
        return
    key, pub = keygen(t, "k")
    row = generate(t, "certificates", SAMPLE, key, "docs", ["--officer", "vn-2015-02"])[0]
    t.status(t.run(["site", "-o", t.path("s"), "--pub", pub]), 0)
    with StaticServer(t.path("s")) as srv, Browser(width=360, height=740) as b:
        b.driver.set_window_size(360, 740)
        for text, verdict in ((token_of(row["qr"]), "VALID"),
                              ("ATT1:" + token_of(row["qr"])[5:-3], "INVALID")):
            b.open(srv.url("/v/" + text))
            t.eq(b.verdict(), verdict)
            widths = b.driver.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth,"
                " document.getElementById('word').getBoundingClientRect().height,"
                " parseFloat(getComputedStyle(document.getElementById('word')).fontSize),"
                " document.documentElement.lang]")
            t.ok(widths[0] <= widths[1], f"scrolls sideways at 360 px: {widths}")
            t.ok(widths[3] >= 40, f"the verdict is at least 40 px high: {widths}")
            t.eq(widths[4], "en", "lang")
            for fg, bg in (("#word", ".verdict"), ("#summary", ".verdict"), ("dt", "main"),
                           ("footer p", "main"), (".detail", ".detail")):
                colours = b.driver.execute_script(
                    "const f = document.querySelector(arguments[0]),"
                    " g = document.querySelector(arguments[1]);"
                    "return f && !f.closest('[hidden]') ? [getComputedStyle(f).color,"
                    " getComputedStyle(g).backgroundColor] : null", fg, bg)
                if colours:
                    ratio = contrast(*colours)
                    t.ok(ratio >= 4.5, f"{verdict}: {fg} on {bg}: contrast {ratio:.1f}, want 4.5")


def contrast(fg, bg):
    """WCAG 2 contrast ratio of two CSS rgb() colours."""
    def luminance(css):
        rgb = [int(x) / 255 for x in re.findall(r"[\d.]+", css)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---- the decoder against attache verify, on crafted tokens --------------------------


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def cint(v):
    return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)


def cbytes(b):
    return cbor_head(2, len(b)) + b


def ctext(s):
    b = s.encode() if isinstance(s, str) else s
    return cbor_head(3, len(b)) + b


def cmap(pairs, indefinite=False):
    body = b"".join(k + v for k, v in pairs)
    return (b"\xbf" + body + b"\xff") if indefinite else cbor_head(5, len(pairs)) + body


def crafted_tokens(seed, kid, doc_hash):
    """Tokens signed with the key (seed) whose CBOR is unusual in each way
    the decoders could disagree on: (name, text)."""
    import base64
    from nacl.signing import SigningKey

    sk = SigningKey(seed)
    claims = [(cint(1), ctext("asec")), (cint(6), cint(1454630400)), (cint(-1), cbytes(doc_hash)),
              (cint(-2), cint(1)), (cint(-3), ctext("kh-2015-01")), (cint(-4), ctext("Chhy Ratha")),
              (cint(-5), ctext("aec-ascc-2")), (cint(-6), ctext("aec-ascc"))]

    def with_claim(key, value):
        return [(k, value if k == cint(key) else v) for k, v in claims]

    prot = cmap([(cint(1), cint(-8)), (cint(4), cbytes(kid))])

    def token(payload, protected=prot, unprot=b"\xa0", tag=b"\xd2", array=None, sig=None):
        tbs = b"\x84" + ctext("Signature1") + cbytes(protected) + b"\x40" + cbytes(payload)
        s = sig if sig is not None else sk.sign(tbs).signature
        items = cbytes(protected) + unprot + cbytes(payload) + cbytes(s)
        msg = tag + (array or (lambda x: b"\x84" + x))(items)
        return "ATT1:" + base64.b32encode(msg).decode().rstrip("=")

    good = cmap(claims)
    out = [("plain", token(good)),
           ("tag as D8 12", token(good, tag=b"\xd8\x12")),
           ("no tag", token(good, tag=b"")),
           ("indefinite array", token(good, array=lambda x: b"\x9f" + x + b"\xff")),
           ("five items", token(good, array=lambda x: b"\x85" + x + b"\xa0")),
           ("short signature", token(good, sig=b"\0" * 63)),
           ("unprotected indefinite", token(good, unprot=b"\xbf\xff")),
           ("unprotected not a map", token(good, unprot=b"\x80")),
           ("unprotected with tag 18", token(good, unprot=b"\xa1\x05\xd2\x00")),
           ("unprotected with tag 21", token(good, unprot=b"\xa1\x05\xd5\x00")),
           ("unprotected with simple 32", token(good, unprot=b"\xa1\x05\xf8\x20")),
           ("unprotected with a float", token(good, unprot=b"\xa1\x05\xf9\x3c\x00")),
           ("unprotected with bad UTF-8", token(good, unprot=b"\xa1\x05\x62\xc3\x28")),
           ("unprotected with an odd map", token(good, unprot=b"\xbf\x05\xff")),
           ("alg -7", token(good, protected=cmap([(cint(1), cint(-7)), (cint(4), cbytes(kid))]))),
           ("no alg", token(good, protected=cmap([(cint(4), cbytes(kid))]))),
           ("kid of 7 bytes", token(good, protected=cmap([(cint(1), cint(-8)),
                                                          (cint(4), cbytes(kid[:7]))]))),
           ("a bad kid then the kid", token(good, protected=cmap(
               [(cint(1), cint(-8)), (cint(4), ctext("x")), (cint(4), cbytes(kid))]))),
           ("protected indefinite", token(good, protected=cmap(
               [(cint(1), cint(-8)), (cint(4), cbytes(kid))], indefinite=True))),
           ("protected with text keys", token(good, protected=cmap(
               [(ctext("x"), cint(1)), (cint(1), cint(-8)), (cint(4), cbytes(kid))]))),
           ("claims indefinite", token(cmap(claims, indefinite=True))),
           ("claims with trailing byte", token(good + b"\x00")),
           ("claims with text keys", token(cmap(claims + [(ctext("x"), ctext("y"))]))),
           ("claims with claim 7", token(cmap(claims + [(cint(7), b"\xd5\x00")]))),
           ("claims with claim 7 tag 18", token(cmap(claims + [(cint(7), b"\xd2\x00")]))),
           ("claims with a duplicate name", token(cmap(claims + [(cint(-4), ctext("Other"))]))),
           ("claim missing", token(cmap(claims[:-1]))),
           ("kind text", token(cmap(with_claim(-2, ctext("diploma"))))),
           ("kind empty text", token(cmap(with_claim(-2, ctext(""))))),
           ("kind 0", token(cmap(with_claim(-2, cint(0))))),
           ("kind 4", token(cmap(with_claim(-2, cint(4))))),
           ("kind 33 bytes", token(cmap(with_claim(-2, ctext("k" * 33))))),
           ("kind 32 bytes", token(cmap(with_claim(-2, ctext("k" * 32))))),
           ("iat negative", token(cmap(with_claim(6, cint(-1))))),
           ("iat 2^63", token(cmap(with_claim(6, b"\x1b\x80" + b"\0" * 7)))),
           ("iat 2^63-1", token(cmap(with_claim(6, b"\x1b\x7f" + b"\xff" * 7)))),
           ("iat text", token(cmap(with_claim(6, ctext("2016"))))),
           ("issuer other", token(cmap(with_claim(1, ctext("other"))))),
           ("issuer 65 bytes", token(cmap(with_claim(1, ctext("a" * 65))))),
           ("issuer bytes", token(cmap(with_claim(1, cbytes(b"asec"))))),
           ("document of 7 bytes", token(cmap(with_claim(-1, cbytes(doc_hash[:7]))))),
           ("name of 800 bytes", token(cmap(with_claim(-4, ctext("n" * 800))))),
           ("name of 801 bytes", token(cmap(with_claim(-4, ctext("n" * 801))))),
           ("name indefinite", token(cmap(with_claim(-4, b"\x7f\x61a\x61b\xff")))),
           ("name with NUL", token(cmap(with_claim(-4, ctext("a\0b"))))),
           ("name bad UTF-8", token(cmap(with_claim(-4, ctext(b"\xed\xa0\x80"))))),
           ("name with BOM", token(cmap(with_claim(-4, ctext("\ufeffChhy"))))),
           ("batch 65 bytes", token(cmap(with_claim(-5, ctext("b" * 65))))),
           ("programme 64 bytes", token(cmap(with_claim(-6, ctext("p" * 64))))),
           ("claims an array", token(b"\x80"))]
    return out


def test_decoder_agrees_with_verify(t):
    """Crafted tokens, validly signed, and random changes of real ones: the
    page's decoder (in node) gives the verdict attache verify gives, for each."""
    import base64
    import random

    key, pub = keygen(t, "k")
    seed = base64.b64decode(re.search(r"(?m)^secret: (\S+)", open(key).read()).group(1))
    kid = bytes.fromhex(re.search(r"(?m)^kid: (\S+)", open(pub).read()).group(1))
    rows = generate(t, "certificates", SAMPLE, key, "docs", ["--officer", "kh-2015-01"])
    real = token_of(rows[0]["qr"])
    raw = base64.b32decode(real[5:] + "=" * (-len(real[5:]) % 8))
    doc_hash = bytes.fromhex("00112233445566ff")
    texts = crafted_tokens(seed, kid, doc_hash)
    # the token in an address: after the last ATT1:, up to a / ? or #
    bad = real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB")
    texts += [("trailing slash", "HTTPS://VERIFY.EXAMPLE.ORG/v/" + real + "/"),
              ("index.html after it", "HTTPS://VERIFY.EXAMPLE.ORG/v/" + real + "/index.html"),
              ("a query after it", "HTTPS://VERIFY.EXAMPLE.ORG/v/" + real + "?utm_source=x"),
              ("altered in the path, genuine in the fragment",
               "HTTPS://VERIFY.EXAMPLE.ORG/v/" + bad + "#" + real),
              ("genuine in the path, altered in the fragment",
               "HTTPS://VERIFY.EXAMPLE.ORG/v/" + real + "#" + bad),
              ("ATT1: in the host", "HTTPS://ATT1:8443/v/" + real),
              ("two tokens, a space between", bad + " " + real),
              ("empty after the prefix", "HTTPS://VERIFY.EXAMPLE.ORG/v/ATT1:/")]
    rng = random.Random(16)
    for i in range(300):
        b = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        texts.append((f"random change {i}",
                      "ATT1:" + base64.b32encode(bytes(b)).decode().rstrip("=")))
    lst = t.path("r.xml")
    t.status(t.run(["revoke", rows[0]["document_id"], "--reason", "x", "--list", lst]), 0)
    t.status(t.run(["site", "-o", t.path("s"), "--pub", pub, "--revoked", lst]), 0)
    lines = "".join(text + "\n" for _, text in texts)
    r = t.run(["verify", "--pub", pub, "--revoked", lst, "-"], stdin=lines)
    want = [line.split("\t", 1)[0] for line in r.out.splitlines()]
    node = shutil.which("node") or "/usr/bin/node"
    p = subprocess.run([node, os.path.join(ROOT, "tests", "web", "verdicts.mjs"),
                        t.path("s", "trust.json")], input=lines, capture_output=True, text=True,
                       timeout=300)
    t.eq(p.returncode, 0, f"verdicts.mjs: {p.stderr[-2000:]}")
    got = p.stdout.splitlines()
    t.eq(len(want), len(texts), "verify's lines")
    t.eq(len(got), len(texts), "node's lines")
    differ = [f"{name}: verify {w}, page {g}" for (name, _), w, g in zip(texts, want, got) if w != g]
    t.ok(not differ, "the page and verify disagree:\n  " + "\n  ".join(differ))
    # the crafted table reaches both kinds of verdict
    t.ok({"VALID", "INVALID"} <= set(want[:len(texts) - 300]), f"{want[:60]}")


def test_page_address_forms(t):
    """The token wherever a phone's address may carry it: a trailing slash, a
    query added by a link shortener, a token in both the path and the
    fragment.  The page's verdict is verify's for the same address, and its
    footer says whether the code reached the server."""
    if skip_without_browser():
        return
    key, pub = keygen(t, "k")
    row = generate(t, "certificates", SAMPLE, key, "docs", ["--officer", "kh-2015-01"])[0]
    real = token_of(row["qr"])
    bad = real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB")
    t.status(t.run(["site", "-o", t.path("s"), "--pub", pub]), 0)
    with StaticServer(t.path("s"), fallback_ok=True) as srv, Browser() as b:
        for path, want, sent in [("/v/" + real + "/", "VALID", True),
                                 ("/v/" + real + "?utm_source=x", "VALID", True),
                                 ("/v/" + bad + "#" + real, "VALID", False),
                                 ("/v/" + real + "#" + bad, "INVALID", False),
                                 ("/#" + real, "VALID", False),
                                 ("/v/" + real, "VALID", True),
                                 ("/v/not-a-token", "INVALID", False)]:
            url = srv.url(path)
            t.eq(verify_verdict(t, ["--pub", pub], url), want, f"verify {path[:40]}")
            t.eq((b.open(url), b.verdict()), ("done", want), path[:60])
            if want == "VALID":
                t.eq(b.body("data-document"), row["document_id"], path[:60])
            about = b.text("#about")
            t.eq("sent anywhere" not in about, sent, f"{path[:40]}: {about}")


def test_page_shows_the_issuers_names(t):
    """With --data the page shows the issuer's name, the programme's title
    and the batch as documents print them, the signed ids small beside them;
    names are text, never markup."""
    if skip_without_browser():
        return
    key, pub = keygen(t, "k")
    data = t.path("d.xml")
    with open(SAMPLE, encoding="utf-8") as f:
        xml = f.read()
    with open(data, "w", encoding="utf-8") as f:
        f.write(xml.replace("<name>ASEAN Secretariat</name>",
                            "<name>ASEAN Secretariat &lt;b&gt;x&lt;/b&gt;</name>", 1))
    row = generate(t, "certificates", SAMPLE, key, "docs", ["--officer", "kh-2015-01"])[0]
    token = token_of(row["qr"])
    r = t.run(["site", "-o", t.path("s"), "--pub", pub, "--data", data])
    t.status(r, 0)
    trust = json.load(open(t.path("s", "trust.json")))
    t.eq(trust["names"]["batches"]["aec-ascc-2"],
         {"title": "2nd Batch", "start": "2015-02-09", "end": "2016-02-05"})
    with StaticServer(t.path("s")) as srv, Browser() as b:
        t.eq((b.open(srv.url("/#" + token)), b.verdict()), ("done", "VALID"))
        t.eq(b.text("#issuer"), "ASEAN Secretariat <b>x</b>")
        t.eq(b.text("#issuer-id"), "asec")
        t.eq(b.text("#batch"), "2nd Batch, 9 February 2015 – 5 February 2016")
        t.eq(b.text("#batch-id"), "aec-ascc-2")
        t.ok(b.text("#programme").startswith("Attachment Programme for AEC"), b.text("#programme"))
        t.eq(b.driver.execute_script("return document.querySelectorAll('#fields b').length"), 0)
    r = t.run(["site", "-o", t.path("s2"), "--pub", pub, "--data", t.path("none.xml")])
    t.status(r, 66)
