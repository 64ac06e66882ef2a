"""End-to-end tests of signed IDs: keygen, verify (texts, pictures, stdin),
revoke, and an independent verifier written with cbor2 and nacl."""
import os
import re
import stat
import subprocess

from docs_util import EPOCH, SAMPLE, manifest, run

VERIFIER = os.path.join(os.path.dirname(__file__), "..", "tools", "verify_cose.py")
PY = "/usr/bin/python3"


def keys(t, name="k", extra=()):
    r = t.run(["keygen", "-o", t.path(name), "--issuer", "asec"] + list(extra))
    t.status(r, 0, "keygen")
    return t.path(name + ".key"), t.path(name + ".pub")


def certificates(t, key, out="out", extra=()):
    r = t.run(["certificates", SAMPLE, "-o", t.path(out), "-k", key, "-q"] + list(extra),
              env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0, "certificates")
    return manifest(t.path(out))


def fields(line):
    return line.split("\t")


def test_keygen_files(t):
    key, pub = keys(t)
    t.eq(stat.S_IMODE(os.stat(key).st_mode), 0o600, "secret key mode")
    text = open(pub).read()
    t.match(r"^attache-pub: 1$", text)
    t.match(r"^kid: [0-9a-f]{16}$", text)
    t.match(r"^issuer: asec$", text)
    before = open(key).read()
    r = t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"])
    t.status(r, 73, "a key is never overwritten")
    t.match(r"already exists; attache never overwrites a key", r.err)
    t.eq(open(key).read(), before, "the old key is intact")
    t.status(t.run(["keygen", "-o", t.path("x")]), 64, "issuer required")
    t.status(t.run(["keygen", "-o", t.path("y"), "--issuer", "a/b"]), 64, "issuer id checked")
    # a name that is a folder, and a window that holds no day, make nothing
    os.mkdir(t.path("kd"))
    for args, pattern in [
        (["-o", ""], r"^attache: -o NAME needs a file name, not a folder"),
        (["-o", t.path("kd") + "/"], r"^attache: -o NAME needs a file name, not a folder"),
        (["-o", t.path("w"), "--not-before", "2020-01-01", "--not-after", "2019-12-31"],
         r"^attache: --not-after 2019-12-31 is before --not-before 2020-01-01"),
    ]:
        r = t.run(["keygen", "--issuer", "asec"] + args, cwd=t.path("kd"))
        t.status(r, 64, " ".join(args))
        t.match(pattern, r.err, " ".join(args))
    t.eq(os.listdir(t.path("kd")), [], "no key written")
    t.ok(not os.path.exists(t.path("w.key")), "no key written")
    r = t.run(["keygen", "-o", t.path("w"), "--issuer", "asec", "--not-before", "2020-01-01",
               "--not-after", "2020-01-01"])
    t.status(r, 0, "a window of one day")


def test_key_readable_by_others_is_refused(t):
    key, _ = keys(t)
    os.chmod(key, 0o644)
    r = t.run(["certificates", SAMPLE, "-o", t.path("o"), "-k", key])
    t.status(r, 66)
    t.match(r"permissions 0644 are too open", r.err)
    t.ok(not os.path.exists(t.path("o")) or not os.listdir(t.path("o")), "nothing written")


def test_round_trip_through_print(t):
    """sign -> QR in the PDF -> rendered at print resolution -> zbar -> VALID"""
    key, pub = keys(t)
    rows = certificates(t, key, extra=["--officer", "vn-2015-02,kh-2015-01"])
    for row in rows:
        pdf = t.path("out", row["file"])
        png = t.path(row["officer_id"])
        t.sh(["pdftoppm", "-r", "300", "-png", "-singlefile", pdf, png])
        r = t.run(["verify", "--pub", pub, png + ".png"])
        t.status(r, 0, "verify picture")
        f = fields(r.out.strip())
        t.eq(f[:6], ["VALID", "certificate", row["document_id"], row["name"], row["batch_id"],
                     "2016-02-05"])
        r = t.run(["verify", "--pub", pub, row["qr"]])
        t.status(r, 0, "verify text")


def test_a_photo_of_a_printed_page(t):
    """A skewed, blurred, noisy, darker picture, as a phone takes it."""
    key, pub = keys(t)
    rows = certificates(t, key, extra=["--officer", "kh-2015-01"])
    pdf = t.path("out", rows[0]["file"])
    t.sh(["pdftoppm", "-r", "300", "-png", "-singlefile", pdf, t.path("page")])
    script = (
        "import random,sys\n"
        "from PIL import Image, ImageFilter, ImageEnhance\n"
        "random.seed(1)\n"
        "im = Image.open(sys.argv[1]).convert('RGB').rotate(3, expand=True, fillcolor=(90,80,70))\n"
        "im = im.resize((im.width * 9 // 10, im.height * 9 // 10))\n"
        "im = im.filter(ImageFilter.GaussianBlur(0.7))\n"
        "im = ImageEnhance.Brightness(im).enhance(0.8)\n"
        "px = im.load()\n"
        "for _ in range(20000):\n"
        "    x, y = random.randrange(im.width), random.randrange(im.height)\n"
        "    v = random.randrange(256); px[x, y] = (v, v, v)\n"
        "im.save(sys.argv[2], quality=80)\n")
    t.sh([PY, "-c", script, t.path("page.png"), t.path("photo.jpg")])
    r = t.run(["verify", "--pub", pub, t.path("photo.jpg")])
    t.status(r, 0)
    t.match(r"^VALID\tcertificate\t", r.out)


def test_tampering_is_never_valid(t):
    key, pub = keys(t)
    row = certificates(t, key, extra=["--officer", "kh-2015-01"])[0]
    token = row["qr"][row["qr"].index("ATT1:"):]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    lines = []
    for i in range(5, len(token)):
        c = alphabet[(alphabet.index(token[i]) + 7) % 32]
        lines.append(token[:i] + c + token[i + 1:])
    r = t.run(["verify", "--pub", pub, "-"], stdin="\n".join(lines) + "\n")
    t.status(r, 1)
    out = r.out.splitlines()
    t.eq(len(out), len(lines), "one line per input")
    t.ok(not [l for l in out if l.startswith("VALID")], "a changed character verified VALID")


def test_each_failure_has_its_own_result(t):
    key, pub = keys(t)
    _, other = keys(t, "other")
    row = certificates(t, key, extra=["--officer", "kh-2015-01"])[0]
    qr = row["qr"]
    cases = [
        (["--pub", other, qr], "UNKNOWN-KEY", r"kid [0-9a-f]{16}: no public key"),
        (["--pub", pub, qr[:len(qr) // 2]], "INVALID", r"malformed"),
        (["--pub", pub, "att1:hello"], "INVALID", r"malformed"),
    ]
    for args, status, rx in cases:
        r = t.run(["verify"] + args)
        t.status(r, 1, str(args[-1][:20]))
        t.eq(fields(r.out.strip())[0], status, str(args[-1][:20]))
        t.match(rx, r.out)
    # a key whose validity window does not include the issue date
    _, late = keys(t, "late", ["--not-before", "2020-01-01"])
    os.remove(t.path("late.key"))
    # same key bytes as `pub`, so the kid matches: rewrite its window
    text = open(pub).read() + "not-before: 2020-01-01\n"
    open(t.path("windowed.pub"), "w").write(text)
    r = t.run(["verify", "--pub", t.path("windowed.pub"), qr])
    t.status(r, 1)
    t.match(r"^INVALID\t.*issued outside the key's validity window", r.out)
    # a .pub whose kid line belongs to another key
    text = open(pub).read()
    other_kid = re.search(r"kid: (\w+)", open(other).read()).group(1)
    open(t.path("lying.pub"), "w").write(re.sub(r"kid: \w+", "kid: " + other_kid, text))
    r = t.run(["verify", "--pub", t.path("lying.pub"), qr])
    t.status(r, 65, "a public key file that is not right is a data error, as for site")
    t.match(r"its kid .* does not match its key", r.err)
    r = t.run(["verify", qr])
    t.status(r, 64, "no keys")


def test_garbage_on_stdin(t):
    _, pub = keys(t)
    garbage = os.urandom(1 << 20)
    r = t.run(["verify", "--pub", pub, "-"], stdin=garbage)
    t.status(r, 1)
    t.ok(r.out, "lines printed")
    t.ok(all(l.startswith("INVALID") for l in r.out.splitlines()), "all INVALID")
    t.ok("\x1b" not in r.out, "no raw control characters")


def test_revocation(t):
    key, pub = keys(t)
    rows = certificates(t, key, extra=["--officer", "kh-2015-01,vn-2015-02"])
    lst = t.path("revoked.xml")
    r = t.run(["revoke", rows[0]["document_id"], "--reason", "Issued in error", "--list", lst,
               "--date", "2016-03-01"])
    t.status(r, 0)
    r = t.run(["verify", "--pub", pub, "--revoked", lst, rows[0]["qr"], rows[1]["qr"]])
    t.status(r, 1)
    a, b = r.out.splitlines()
    t.eq(fields(a)[0], "REVOKED")
    t.match(r"revoked on 2016-03-01: Issued in error", a)
    t.eq(fields(b)[0], "VALID")
    r = t.run(["revoke", rows[0]["document_id"], "--reason", "again", "--list", lst])
    t.status(r, 65, "revoked twice")
    t.match(r"already revoked", r.err)
    open(t.path("broken.xml"), "w").write("<revocations version='1'><revoked/></revocations>")
    r = t.run(["verify", "--pub", pub, "--revoked", t.path("broken.xml"), rows[1]["qr"]])
    t.status(r, 65)
    t.eq([f for f in os.listdir(t.tmp) if f.endswith(".attache-tmp")], [], "no temporary files")


def test_independent_verifier(t):
    key, pub = keys(t)
    rows = certificates(t, key, extra=["--officer", "kh-2015-01,vn-2015-02"])
    for row in rows:
        p = run([PY, VERIFIER, pub, row["qr"]])
        t.eq(p.returncode, 0, f"independent verifier: {p.stdout.decode()} {p.stderr.decode()}")
        out = p.stdout.decode()
        t.ok(row["name"] in out and row["document_id"] in out, out)
        bad = row["qr"][:-10] + ("A" if row["qr"][-10] != "A" else "B") + row["qr"][-9:]
        p = run([PY, VERIFIER, pub, bad])
        t.eq(p.returncode, 1, "tampered token rejected by the independent verifier")
