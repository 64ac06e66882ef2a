"""End-to-end tests of `attache verify` on files: the tokens kept in the PDFs
attache makes (one per document, one per document of a print file), PDFs
without one, PDFs as hostile as can be, and files that cannot be opened."""
import os
import re

from docs_util import EPOCH, SAMPLE, manifest

KINDS = (("certificates", "certificate"), ("letters", "letter"), ("induction", "induction"))


def keys(t):
    r = t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"])
    t.status(r, 0, "keygen")
    return t.path("k.key"), t.path("k.pub")


def generate(t, key, cmd, out, extra=()):
    r = t.run([cmd, SAMPLE, "-o", t.path(out), "-k", key, "-q"] + list(extra),
              env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0, cmd)
    return manifest(t.path(out))


def pdf_with_info(info):
    """A small, well-formed PDF (one empty page) whose info dictionary is
    `info`, with a correct cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [ 4 0 R ] /Count 1 >>",
               info,
               b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 200 200 ] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n\r\n" % off
    out += b"trailer\n<< /Root 1 0 R /Info 3 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def test_verify_reads_the_token_each_pdf_keeps(t):
    """A certificate, a letter and an induction pack, checked from the PDF
    alone: the same line as from its QR code's text."""
    key, pub = keys(t)
    for cmd, kind in KINDS:
        row = generate(t, key, cmd, cmd, ["--officer", "kh-2015-01"])[0]
        pdf = t.path(cmd, row["file"])
        r = t.run(["verify", "--pub", pub, pdf])
        t.status(r, 0, f"verify {row['file']}")
        t.eq(r.out.split("\t")[:4], ["VALID", kind, row["document_id"], row["name"]], kind)
        by_text = t.run(["verify", "--pub", pub, row["qr"]])
        t.eq(r.out, by_text.out, f"{kind}: the PDF's token is its QR code's")


def test_a_print_file_is_verified_document_by_document(t):
    """--merge: one line per document of the print file, in its order."""
    key, pub = keys(t)
    rows = generate(t, key, "letters", "out", ["--batch", "aec-ascc-2",
                                               "--merge", t.path("print.pdf")])
    r = t.run(["verify", "--pub", pub, t.path("print.pdf")])
    t.status(r, 0)
    lines = r.out.splitlines()
    t.eq([l.split("\t")[:3] for l in lines],
         [["VALID", "letter", row["document_id"]] for row in rows], "one line per document")
    # a revoked document among them: that line only, and exit 1
    t.status(t.run(["revoke", rows[1]["document_id"], "--reason", "Issued in error",
                    "--list", t.path("revoked.xml")]), 0, "revoke")
    r = t.run(["verify", "--pub", pub, "--revoked", t.path("revoked.xml"), t.path("print.pdf")])
    t.status(r, 1)
    t.eq([l.split("\t")[0] for l in r.out.splitlines()],
         ["VALID", "REVOKED"] + ["VALID"] * (len(rows) - 2), "verdicts")


def test_a_pdf_without_a_token_is_invalid(t):
    _, pub = keys(t)
    plain = t.path("plain.pdf")
    open(plain, "wb").write(pdf_with_info(b"<< /Title (A letter) /Producer (a word processor) >>"))
    t.sh(["qpdf", "--check", plain])
    r = t.run(["verify", "--pub", pub, plain])
    t.status(r, 1)
    t.eq(r.out, "INVALID\t-\t-\t-\t-\t-\tno attache token in the PDF\n")
    t.eq(r.err, "", "a verdict, not an error")
    # a token that is not valid, kept as attache keeps them: its own verdict
    forged = t.path("forged.pdf")
    open(forged, "wb").write(pdf_with_info(b"<< /Title (\\(/AttacheTokens [\\(x\\)]) "
                                           b"/AttacheTokens [ (ATT1:AAAA) ] >>"))
    r = t.run(["verify", "--pub", pub, forged])
    t.status(r, 1)
    t.match(r"^INVALID\t-\t-\t-\t-\t-\tmalformed", r.out)
    t.eq(len(r.out.splitlines()), 1, "one token, the dictionary's own")


def test_a_pdf_another_program_saved_again(t):
    """Out of scope, said so: a PDF rewritten with object streams is not read
    (an INVALID verdict saying why), never misread."""
    key, pub = keys(t)
    row = generate(t, key, "certificates", "out", ["--officer", "kh-2015-01"])[0]
    again = t.path("again.pdf")
    t.sh(["qpdf", "--object-streams=generate", t.path("out", row["file"]), again])
    r = t.run(["verify", "--pub", pub, again])
    t.status(r, 1)
    t.match(r"^INVALID\t-\t-\t-\t-\t-\tnot a PDF as attache wrote it \(saved again by another "
            r"program\?\)", r.out)


def test_a_file_that_cannot_be_opened(t):
    """exit 66 and the reason, no verdict for it; the other inputs are still checked."""
    key, pub = keys(t)
    row = generate(t, key, "certificates", "out", ["--officer", "kh-2015-01"])[0]
    missing = t.path("scan-of-certificat.jpg")
    r = t.run(["verify", "--pub", pub, missing, row["qr"]])
    t.status(r, 66)
    t.eq(r.err, f"attache: {missing}: cannot open: No such file or directory\n")
    t.match(r"^VALID\tcertificate\t", r.out)
    t.eq(len(r.out.splitlines()), 1, "no line for the missing file")
    r = t.run(["verify", "--pub", pub, t.tmp])
    t.status(r, 66)
    t.eq(r.err, f"attache: {t.tmp}: cannot open: Is a directory\n")
    t.eq(r.out, "")
    # a word that is no token is a file name too
    r = t.run(["verify", "--pub", pub, "hello"])
    t.status(r, 66)
    t.eq(r.err, "attache: hello: cannot open: No such file or directory\n")
    # on standard input every line is a text
    r = t.run(["verify", "--pub", pub, "-"], stdin="hello\n")
    t.status(r, 1)
    t.match(r"^INVALID\t.*not a token", r.out)


def test_a_file_of_another_kind(t):
    _, pub = keys(t)
    r = t.run(["verify", "--pub", pub, pub])
    t.status(r, 1)
    t.eq(r.out, "INVALID\t-\t-\t-\t-\t-\tnot a PDF, PNG or JPEG file\n")


def test_hostile_pdfs_get_a_verdict_and_nothing_else(t):
    """Truncated, mangled and oversized PDFs: each one INVALID line, exit 1,
    nothing on stderr, never a crash or a hang."""
    key, pub = keys(t)
    row = generate(t, key, "certificates", "out", ["--officer", "kh-2015-01"])[0]
    good = open(t.path("out", row["file"]), "rb").read()
    xref = int(re.search(rb"startxref\s+(\d+)", good[-100:]).group(1))
    t.ok(b"/Type /XRef" in good[xref:xref + 200], "a cross-reference stream at startxref")
    xref_data = good.index(b"stream\r\n", xref) + 8
    info_at = good.index(b"3 0 obj")
    cases = {
        "only-header": b"%PDF-1.3\n",
        "truncated-half": good[:len(good) // 2],
        "truncated-before-eof": good[:-30],
        "startxref-past-end": good[:-20] + b"\n99999999999\n%%EOF\n",
        "startxref-zero": re.sub(rb"startxref\s+\d+", b"startxref\n0", good),
        "info-object-huge": good.replace(b"/Info 3 0 R", b"/Info 9999999 0 R"),
        "info-object-absent": good.replace(b"/Info 3 0 R", b"/Inf0 3 0 R"),
        "xref-stream-garbage": good[:xref_data] + b"z" * 20 + good[xref_data + 20:],
        "xref-stream-long": re.sub(rb"(/Type /XRef.*?/Length )\d+", rb"\g<1>999999999", good,
                                   flags=re.S),
        "xref-stream-wide": re.sub(rb"/W \[ 1 (\d) 2 \]", rb"/W [ 1 8 8 ]", good),
        "xref-stream-sections": good.replace(b"/Type /XRef", b"/Type /XRef /Index [ 0 1 ]"),
        "info-unterminated-string": good[:info_at] + b"3 0 obj\n<<\n/Title (never ends" +
        b" " * 100 + good[info_at + 400:],
        "info-nested-deep": good[:info_at] + b"3 0 obj\n" + b"<<" * 100000 + b"\nendobj\n" +
        good[info_at:],
        "tokens-not-strings": good.replace(b"/AttacheTokens [ (ATT1:", b"/AttacheTokens [ <41>(ATT1:"),
        "tokens-not-array": good.replace(b"/AttacheTokens [", b"/AttacheTokens 5 ["),
        "tokens-unterminated": good.replace(b"/AttacheTokens [ (ATT1:", b"/AttacheTokens [ (ATT1:\\"),
        "token-tampered": good.replace(b"(ATT1:2", b"(ATT1:3"),
    }
    for name, body in cases.items():
        path = t.path(name + ".pdf")
        open(path, "wb").write(body)
        r = t.run(["verify", "--pub", pub, path], timeout=30)
        t.status(r, 1, name)
        t.eq(r.err, "", name)
        t.eq(len(r.out.splitlines()), 1, f"{name}: {r.out!r}")
        t.match(r"^INVALID\t", r.out, name)
