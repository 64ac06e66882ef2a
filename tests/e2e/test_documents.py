"""End-to-end tests of the generating commands: what a reader sees in the
PDFs (text, fonts, structure, QR codes), the files and manifest written,
and how runs behave (reproducible, parallel, resumable, locked, sharded)."""
import fcntl
import hashlib
import os
import re
import signal
import subprocess
import time
import unicodedata

from docs_util import (EPOCH, SAMPLE, collisions, fonts, keygen, manifest, page_words, pages, pdfs,
                       qpdf_ok, qr_codes, sample_with, text, words_bbox, write_data)

GRADUATED = ["kh-2015-01", "vn-2015-02", "la-2015-03", "mm-2015-04", "kh-2015-06",
             "mm-2016-01", "la-2016-02", "vn-2016-03", "kh-2016-04", "la-jd8-01", "vn-jd8-02",
             "vn-jd13-01", "kh-jd13-02", "la-jd13-03", "mm-jd13-04"]


def gen(t, cmd, out="out", extra=(), data=SAMPLE, key=None, env=None):
    key = key or keygen(t)
    e = t.env(SOURCE_DATE_EPOCH=EPOCH, **(env or {}))
    return t.run([cmd, data, "-o", t.path(out), "-k", key, "-q"] + list(extra), env=e)


def names_from_sample():
    """officer id -> Latin name, from the sample data."""
    xml = open(SAMPLE, encoding="utf-8").read()
    out = {}
    for m in re.finditer(r'<officer id="([^"]+)".*?<name>([^<]+)</name>', xml, re.S):
        out[m.group(1)] = unicodedata.normalize("NFC", m.group(2))
    return out


def test_certificates_of_the_samples(t):
    r = gen(t, "certificates")
    t.status(r, 0)
    out = t.path("out")
    files = pdfs(out)
    t.eq(len(files), len(GRADUATED), "one certificate per graduated officer")
    names = names_from_sample()
    rows = manifest(out)
    t.eq([row["officer_id"] for row in rows],
         [o for o in names if o in GRADUATED], "manifest in data order")
    for row in rows:
        pdf = os.path.join(out, row["file"])
        t.eq(row["file"], f"{row['batch_id']}/{row['officer_id']}-certificate.pdf", "file name")
        t.eq(row["kind"], "certificate")
        t.eq(row["sha256"], hashlib.sha256(open(pdf, "rb").read()).hexdigest(), "sha256")
        ok, why = qpdf_ok(pdf)
        t.ok(ok, f"qpdf --check {row['file']}: {why}")
        body = text(pdf)
        t.ok(names[row["officer_id"]] in body,
             f"{row['file']}: name {names[row['officer_id']]!r} not in text {body!r}")
        t.eq(row["name"], names[row["officer_id"]], "manifest name")
        for name, emb, sub, uni in fonts(pdf):
            t.ok(emb == "yes" and sub == "yes" and uni == "yes",
                 f"{row['file']}: font {name} emb/sub/uni {emb}/{sub}/{uni}")
        t.eq(pages(pdf), 1, "a certificate is one page")


def test_qr_codes_decode_to_the_manifest(t):
    r = gen(t, "certificates", extra=["--officer", "vn-2015-02,kh-2015-01"])
    t.status(r, 0)
    out = t.path("out")
    for row in manifest(out):
        codes = qr_codes(os.path.join(out, row["file"]), t.tmp)
        t.eq(codes, [row["qr"]], f"QR of {row['file']}")
        t.ok(row["document_id"] in text(os.path.join(out, row["file"])),
             "document id printed under the code")


def test_letters_and_packs(t):
    names = names_from_sample()
    for cmd, kind in (("letters", "letter"), ("induction", "induction")):
        r = gen(t, cmd, out=kind)
        t.status(r, 0, cmd)
        rows = manifest(t.path(kind))
        t.eq(len(rows), 22, f"{cmd}: every officer but the withdrawn one")
        t.ok("vn-2015-05" not in [r_["officer_id"] for r_ in rows], "withdrawn officer left out")
        for row in rows:
            pdf = t.path(kind, row["file"])
            ok, why = qpdf_ok(pdf)
            t.ok(ok, f"{row['file']}: {why}")
            body = text(pdf)
            t.ok(names[row["officer_id"]] in body, f"{row['file']}: name missing")
            n = pages(pdf)
            if kind == "induction":
                t.ok(n >= 4, f"{row['file']}: {n} pages")
                t.ok(f"Page 2 of {n}" in text(pdf, 2, 2), "running footer")
            else:
                t.ok(n == 1, f"{row['file']}: a letter of {n} pages")


def test_vietnamese_names_print_with_their_marks(t):
    r = gen(t, "certificates", extra=["--officer", "vn-2016-03,vn-jd13-01"])
    t.status(r, 0)
    body = " ".join(text(t.path("out", row["file"])) for row in manifest(t.path("out")))
    for name in ("Phạm Thị Ngọc Ánh", "Hoàng Quốc Trung"):
        t.ok(name in body, name)


def test_a_comment_inside_a_name_prints_what_is_signed(t):
    """A comment or processing instruction inside a text is not text: the
    text on both sides of it is one text, printed as it is signed."""
    data = sample_with(t, "c.xml", lambda x: x.replace(
        "<name>Phạm Thị Ngọc Ánh</name>", "<name>Phạm Thị <!-- x -->Ngọc<?pi y?> Ánh</name>"))
    r = gen(t, "certificates", data=data, extra=["--officer", "vn-2016-03"])
    t.status(r, 0)
    row = manifest(t.path("out"))[0]
    t.eq(row["name"], "Phạm Thị Ngọc Ánh")
    body = " ".join(text(t.path("out", row["file"])).split())
    t.ok("Phạm Thị Ngọc Ánh" in body, body[:300])


GLYPHCHECK = os.path.join(os.path.dirname(__file__), "..", "tools", "glyphcheck.py")
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def glyphcheck(t, pdfs_, extra=()):
    p = subprocess.run(["/usr/bin/python3", GLYPHCHECK] + list(extra) + pdfs_,
                       capture_output=True, text=True)
    m = re.search(r"glyphcheck: (\d+) characters checked, (\d+) do not match", p.stdout)
    seen = re.search(r"^glyphcheck: checked (.*)$", p.stdout, re.M)
    t.ok(m and seen, f"glyphcheck printed no summary: {p.stdout}{p.stderr}")
    return p.returncode, set(seen.group(1)), int(m.group(2)), p.stdout


def test_every_vietnamese_letter_prints_as_the_font_draws_it(t):
    """libharu 2.3.0 drops the inner parts of nested composite glyphs ("Nguyễn"
    prints as "Nguyen" while the text layer still reads right).  Render every
    non-ASCII letter of every sample document from the PDF and compare it with
    the same letter drawn straight from the font file."""
    key = keygen(t)
    merged = []
    for cmd in ("certificates", "letters", "induction"):
        m = t.path(f"{cmd}.pdf")
        r = gen(t, cmd, out=cmd, key=key, extra=["--merge", m])
        t.status(r, 0, cmd)
        merged.append(m)
    code, checked, bad, out = glyphcheck(t, merged)
    # every letter the documents print (a withdrawn officer's name is in
    # the samples but on no document)
    want = {c for m in merged for c in text(m)
            if ord(c) > 127 and unicodedata.category(c).startswith("L")
            and "LATIN" in unicodedata.name(c, "")}
    t.ok(len(want) >= 15, f"the samples print only {len(want)} non-ASCII letters")
    t.eq(want - checked, set(), "letters of the samples that glyphcheck did not check")
    t.eq((code, bad), (0, 0), f"letters that do not print as the font draws them:\n{out}")


def dejavu_template(t, font_file):
    """A copy of the certificate template that prints the name in `font_file`."""
    tdir = t.path("tpl")
    os.makedirs(tdir, exist_ok=True)
    subprocess.run(["cp", font_file, os.path.join(tdir, "Name.ttf")], check=True)
    xml = open(os.path.join(t.root, "templates", "certificate.xml"), encoding="utf-8").read()
    xml = xml.replace('<style name="name" font="serif-display"', '<style name="name" font="dv"')
    i = xml.index("  <style ")
    xml = xml[:i] + '  <font family="dv" regular="Name.ttf" fallback="serif"/>\n' + xml[i:]
    tpl = os.path.join(tdir, "certificate.xml")
    open(tpl, "w", encoding="utf-8").write(xml)
    return tpl


def test_fonts_with_nested_composite_glyphs_print_right(t):
    """libharu 2.3.0 loses the inner parts of nested composite glyphs when it
    writes a font (DejaVu's "ễ" printed as "e"); attache writes the font
    program itself, so a template's own fonts print right unflattened."""
    r = gen(t, "certificates", extra=["-t", dejavu_template(t, DEJAVU), "--officer",
                                      "vn-2015-02,vn-2016-03"])
    t.status(r, 0)
    pdfs_ = [t.path("out", "aec-ascc-2", "vn-2015-02-certificate.pdf"),
             t.path("out", "aec-ascc-3", "vn-2016-03-certificate.pdf")]
    code, checked, bad, out = glyphcheck(t, pdfs_, ["--font", f"DejaVuSerif={DEJAVU}"])
    t.ok(len(checked) >= 5, f"only {len(checked)} letters checked:\n{out}")
    t.eq((code, bad), (0, 0), f"letters that do not print as DejaVu draws them:\n{out}")


def test_the_glyph_check_sees_a_lost_accent(t):
    """The control: print the name in a copy of DejaVu Serif whose "ễ" has lost
    its inner parts; checked against the real DejaVu, the check must fail."""
    from fontTools.ttLib import TTFont
    font = TTFont(DEJAVU)
    glyph = font["glyf"][font.getBestCmap()[0x1EC5]]
    t.ok(glyph.isComposite() and len(glyph.components) > 1, "DejaVu's ễ is a composite")
    glyph.components = glyph.components[:1]
    broken = t.path("Broken.ttf")
    font.save(broken)
    r = gen(t, "certificates", extra=["-t", dejavu_template(t, broken), "--officer",
                                      "vn-2015-02"])
    t.status(r, 0)
    pdf = t.path("out", "aec-ascc-2", "vn-2015-02-certificate.pdf")
    code, checked, bad, out = glyphcheck(t, [pdf], ["--font", f"DejaVuSerif={DEJAVU}"])
    t.eq(code, 1, f"glyphcheck passed an ễ without its marks:\n{out}")
    t.ok("U+1EC5" in out, f"the lost marks of 'ễ' in Nguyễn are not reported:\n{out}")
    t.eq(bad, 1, f"only ễ is broken:\n{out}")


def long_name(xml, name):
    return xml.replace("<name>Chhy Ratha</name>", f"<name>{name}</name>")


def test_long_names_stay_in_their_box(t):
    """The name box is 30-267 mm wide on the certificate: a long name shrinks,
    then wraps to two lines, and never leaves it."""
    long = ("Công Tôn Nữ Hoàng Bảo Châu Nguyễn Phước Vĩnh Thụy Khải Định "
            "Đồng Khánh Hàm Nghi Kiến Phúc Hiệp Hòa Tự Đức Thiệu Trị")[:90]
    for i, name in enumerate(["Ekkaphab Phanthavong", long]):
        data = sample_with(t, f"d{i}.xml", lambda x: long_name(x, name))
        r = gen(t, "certificates", out=f"o{i}", data=data, extra=["--officer", "kh-2015-01"])
        t.status(r, 0)
        pdf = t.path(f"o{i}", "aec-ascc-2", "kh-2015-01-certificate.pdf")
        words = [w for w in words_bbox(pdf) if w[0] in name.split()]
        t.ok(words, "name words found")
        mm = 72 / 25.4
        for w, x0, y0, x1, y1 in words:
            t.ok(x0 >= 30 * mm - 1 and x1 <= 267 * mm + 1, f"{w!r} leaves the box: {x0}-{x1}")
            t.ok(y0 >= 88 * mm - 2 and y1 <= 120 * mm + 2, f"{w!r} leaves the box: {y0}-{y1}")
        lines = {round(w[2]) for w in words}
        t.eq(len(lines), 1 if i == 0 else 2, f"lines of {name!r}")
        t.ok(name in text(pdf).replace("\n", " "), "the whole name is there")


def test_a_copied_built_in_template(t):
    """What docs/templates.md tells an HR officer to do: print the built-in
    certificate, change its wording, and make certificates with the copy."""
    r = t.run(["templates", "--show", "certificate"])
    t.status(r, 0)
    t.eq(r.out, open(os.path.join(t.root, "templates", "certificate.xml"),
                     encoding="utf-8").read(), "the built-in template as it is")
    mine = t.path("mine.xml")
    open(mine, "w", encoding="utf-8").write(
        r.out.replace("Certificate of Completion", "Certificate of Attachment"))
    r = gen(t, "certificates", extra=["--template", mine, "--officer", "vn-2015-02"])
    t.status(r, 0)
    body = text(t.path("out", "aec-ascc-2", "vn-2015-02-certificate.pdf"))
    t.ok("Certificate of Attachment" in body and "Nguyễn Thị Thu Hà" in body, body)


def test_a_name_too_long_for_the_qr_code(t):
    """The data format allows 200 characters; a name that long makes a code
    larger than the template allows: one line naming file, line and officer,
    exit 65, and the other documents are made."""
    name = ("Công Tôn Nữ Hoàng Bảo Châu Nguyễn Phước Vĩnh Thụy Khải Định Đồng Khánh "
            "Hàm Nghi Kiến Phúc Hiệp Hòa Tự Đức Thiệu Trị Minh Mạng Gia Long ") * 3
    data = sample_with(t, "long.xml", lambda x: long_name(x, name[:200].strip()))
    r = gen(t, "certificates", data=data, extra=["--batch", "aec-ascc-2"])
    t.status(r, 65)
    line = open(data, encoding="utf-8").read().split('<officer id="kh-2015-01"')[0].count("\n") + 1
    t.match(rf"^attache: {re.escape(data)}:{line}: officer 'kh-2015-01': the QR code needs "
            r"version \d+ .*more than the largest allowed, 13", r.err)
    t.eq(sorted(row["officer_id"] for row in manifest(t.path("out"))),
         ["kh-2015-06", "la-2015-03", "mm-2015-04", "vn-2015-02"], "the others are made")


def test_the_longest_latin_name_fits_its_qr_code(t):
    """A name of 200 Latin letters, the longest the data format allows,
    overfills a level M code of the largest version the template allows; the
    code is made at level L instead, at the same module size, and a phone
    reads it from the printed page."""
    words = "Bounnhang Sisavath Keomanivong Phommachanh Vongphachanh Souvannavong "
    name = (words * 4)[:200].strip()
    data = sample_with(t, "long.xml", lambda x: long_name(x, name))
    r = gen(t, "certificates", data=data, extra=["--officer", "kh-2015-01"])
    t.status(r, 0)
    row = manifest(t.path("out"))[0]
    t.eq(row["name"], name)
    codes = qr_codes(t.path("out", row["file"]), t.tmp)
    t.eq(codes, [row["qr"]], "the printed code reads back as the manifest's")
    r = t.run(["verify", "--pub", t.path("k.pub"), row["qr"]])
    t.status(r, 0)


def test_long_texts_everywhere_stay_in_their_boxes(t):
    """The longest name that fits the QR code, and a long issuer, ministry and
    programme title: every document is made, no words collide, nothing leaves
    the page, and running headers stay above their rule."""
    name = ("Công Tôn Nữ Hoàng Bảo Châu Nguyễn Phước Vĩnh Thụy Khải Định Đồng Khánh Hàm "
            "Nghi Kiến Phúc")

    def stretch(xml):
        xml = long_name(xml, name)
        xml = xml.replace("<name>ASEAN Secretariat</name>", "<name>Secretariat of the "
                          "Association of Southeast Asian Nations, Office of the Deputy "
                          "Secretary-General for Community Affairs</name>", 1)
        xml = xml.replace("<ministry>Ministry of Women's Affairs</ministry>",
                          "<ministry>Ministry of Women's Affairs, Department of Gender Equality "
                          "and Economic Development, Office of International Cooperation"
                          "</ministry>", 1)
        return xml.replace(
            "<title>Attachment Programme for AEC and ASCC Involvement at the ASEAN "
            "Secretariat</title>",
            "<title>Attachment Programme for ASEAN Economic Community and ASEAN Socio-Cultural "
            "Community Involvement of Officers from Cambodia, Lao PDR, Myanmar and Viet Nam at "
            "the ASEAN Secretariat in Jakarta</title>", 1)

    data = sample_with(t, "long.xml", stretch)
    key = keygen(t)
    rules = {"letter": 21 * 72 / 25.4, "induction": 19 * 72 / 25.4}   # running header rules
    for cmd, kind in (("certificates", "certificate"), ("letters", "letter"),
                      ("induction", "induction")):
        r = gen(t, cmd, out=cmd, data=data, key=key, extra=["--officer", "kh-2015-01"])
        t.status(r, 0, cmd)
        pdf = t.path(cmd, "aec-ascc-2", f"kh-2015-01-{kind}.pdf")
        for number, (width, height, words) in enumerate(page_words(pdf), 1):
            where = f"{kind} page {number}"
            t.eq(collisions(words), [], f"{where}: words drawn over each other")
            for w, x0, y0, x1, y1 in words:
                t.ok(x0 >= 14 and y0 >= 14 and x1 <= width - 14 and y1 <= height - 14,
                     f"{where}: {w!r} leaves the page: {x0:.0f},{y0:.0f}-{x1:.0f},{y1:.0f}")
            rule = rules.get(kind)
            if rule and number > 1:
                for w, x0, y0, x1, y1 in words:
                    mid0, mid1 = y0 + (y1 - y0) / 4, y1 - (y1 - y0) / 4
                    t.ok(not (mid0 < rule < mid1), f"{where}: {w!r} is struck by the header rule")


def test_card_lines_of_their_own_stay_lines(t):
    # the identity card's details are lines of their own (<br/>); when the
    # text fits on two lines they must not be evened out into two, which
    # drew the line breaks as characters
    data = sample_with(t, "d.xml", lambda x: x.replace(
        'department="AEC" division="Trade Facilitation Division"',
        'department="AEC" division="Health Division"').replace(
        'number="2" start="2015-02-09" end="2016-02-05"',
        'number="2" start="2015-02-09" end="2015-03-06"'))
    r = gen(t, "induction", data=data, extra=["--officer", "vn-2015-02"])
    t.status(r, 0)
    pdf = t.path("out", "aec-ascc-2", "vn-2015-02-induction.pdf")
    card = text(pdf, pages(pdf), pages(pdf))
    for line in ("Viet Nam", "Health Division, AEC", "2nd Batch"):
        t.ok(re.search(rf"^{re.escape(line)}$", card, re.M), f"{line!r} is a line of its own")


def test_sixty_sessions_flow_over_pages(t):
    sessions = "".join(
        f'<session date="2015-02-{9 + i % 5:02d}" start="{8 + i % 9:02d}:00" end="{8 + i % 9:02d}:45" '
        f'kind="briefing"><topic>Session number {i + 1} on the work of the organisation</topic>'
        f'<venue>Room {i}</venue><speaker>Speaker {i}</speaker></session>'
        for i in range(60))

    def many(x):
        start = x.index('<induction start="2015-02-09"')
        end = x.index("</induction>", start)
        return x[:start] + '<induction start="2015-02-09" end="2015-02-13">' + sessions + x[end:]

    data = sample_with(t, "many.xml", many)
    r = gen(t, "induction", data=data, extra=["--officer", "kh-2015-01"])
    t.status(r, 0)
    pdf = t.path("out", "aec-ascc-2", "kh-2015-01-induction.pdf")
    n = pages(pdf)
    t.ok(n >= 7, f"{n} pages")
    schedule_pages = [p for p in range(1, n + 1) if "Session number" in text(pdf, p, p)]
    t.ok(len(schedule_pages) >= 3, f"schedule on pages {schedule_pages}")
    for p in schedule_pages:
        body = text(pdf, p, p)
        t.ok("DATE" in body and "SESSION" in body, f"header row repeated on page {p}")
        t.ok(f"Page {p} of {n}" in body, f"page {p} says 'Page {p} of {n}'")
    all_text = text(pdf)
    for i in range(60):
        t.ok(f"Session number {i + 1} on" in all_text, f"session {i + 1} missing")


def test_reproducible_and_parallel_runs_match(t):
    key = keygen(t)
    outs = []
    for name, jobs in (("a", "1"), ("b", "1"), ("c", "2"), ("d", "4")):
        r = gen(t, "certificates", out=name, key=key,
                extra=["-j", jobs, "--merge", t.path(f"{name}-print.pdf")])
        t.status(r, 0)
        outs.append({f: open(t.path(name, f), "rb").read() for f in pdfs(t.path(name))})
        outs[-1]["manifest"] = open(t.path(name, "manifest.csv"), "rb").read()
        outs[-1]["print file"] = open(t.path(f"{name}-print.pdf"), "rb").read()
    for o in outs[1:]:
        t.ok(o == outs[0], "byte-identical output across runs and worker counts")


def test_rerun_keeps_what_is_up_to_date(t):
    key = keygen(t)
    data = sample_with(t, "d.xml", lambda x: x)
    t.status(gen(t, "certificates", key=key, data=data), 0)
    before = {f: os.stat(t.path("out", f)).st_mtime_ns for f in pdfs(t.path("out"))}
    r = t.run(["certificates", data, "-o", t.path("out"), "-k", key],
              env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    t.match(r"15 documents .*0 written, 15 up to date", r.err)
    after = {f: os.stat(t.path("out", f)).st_mtime_ns for f in pdfs(t.path("out"))}
    t.eq(after, before, "nothing rewritten")
    # change one officer: only that document is rewritten
    data = sample_with(t, "d.xml", lambda x: x.replace("Ministry of Women's Affairs",
                                                       "Ministry of Women&apos;s Affairs and Youth"))
    r = t.run(["certificates", data, "-o", t.path("out"), "-k", key],
              env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    t.match(r"1 written, 14 up to date", r.err)
    t.ok("Youth" in text(t.path("out", "aec-ascc-2", "kh-2015-01-certificate.pdf")), "rewritten")


def test_a_second_run_into_the_same_folder_is_refused(t):
    key = keygen(t)
    os.makedirs(t.path("out"))
    with open(t.path("out", ".attache.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        r = gen(t, "certificates", key=key)
    t.status(r, 73)
    t.match(r"another attache run is writing to this folder", r.err)
    t.eq(pdfs(t.path("out")), [], "nothing written")


def test_one_failing_document_does_not_stop_the_others(t):
    # la-2015-03's ministry (the first of two alike) has a character no font draws
    data = sample_with(t, "d.xml", lambda x: x.replace(
        "<ministry>Ministry of Planning and Investment</ministry>",
        "<ministry>Ministry of Planning and Investment \u4e2d</ministry>", 1))
    r = gen(t, "induction", data=data)
    t.status(r, 65)
    t.match(r"officer 'la-2015-03': .* has U\+4E2D, which no font", r.err)
    t.match(r"1 document failed", r.err)
    rows = manifest(t.path("out"))
    t.eq(len(rows), 21, "the others were written")
    t.ok("la-2015-03" not in [r_["officer_id"] for r_ in rows], "the failed one is not listed")


def test_text_no_font_can_draw_is_an_error(t):
    data = sample_with(t, "d.xml", lambda x: x.replace(
        "<ministry>Ministry of Women's Affairs</ministry>",
        "<ministry>Ministry of Women's Affairs \u4e2d</ministry>"))
    r = gen(t, "certificates", data=data)
    t.status(r, 65)
    t.match(r"officer 'kh-2015-01': \{ministry\} .* has U\+4E2D, which no font", r.err)


def test_usage_errors(t):
    key = keygen(t)
    cases = [
        (["certificates", SAMPLE, "-k", key], 64, r"needs an output folder"),
        (["certificates", SAMPLE, "-o", t.path("o"), "-k", key, "--officer", "nobody"], 64,
         r"there is no officer 'nobody'"),
        (["certificates", SAMPLE, "-o", t.path("o"), "-k", key, "--batch", "b99"], 64,
         r"there is no batch 'b99'"),
        (["certificates", SAMPLE, "-o", t.path("o"), "-k", key, "--shard", "5/4"], 64,
         r"--shard '5/4' is not K/N"),
        (["certificates", SAMPLE, "-o", t.path("o"), "-k", key, "-t", "letter"], 64,
         r"makes 'letter' documents, not 'certificate'"),
        (["certificates", SAMPLE, "-o", t.path("o")], 64, r"attache keygen"),
        (["render", "nosuch", SAMPLE, "-o", t.path("o"), "-k", key], 64,
         r"no built-in template 'nosuch'"),
    ]
    for args, code, rx in cases:
        r = t.run(args)
        t.status(r, code, " ".join(args[:1] + args[2:]))
        t.match(rx, r.err)


def test_invalid_data_writes_nothing(t):
    data = sample_with(t, "bad.xml", lambda x: x.replace('end="2016-02-05"', 'end="2016-02-30"'))
    r = gen(t, "certificates", data=data)
    t.status(r, 65)
    t.ok(not os.path.exists(t.path("out")), "no output folder")


def test_output_that_cannot_be_created(t):
    key = keygen(t)
    open(t.path("file"), "w").close()
    r = t.run(["certificates", SAMPLE, "-o", t.path("file", "sub"), "-k", key, "-q"])
    t.status(r, 73)


def run_with_file_limit(t, args, limit):
    """Run attache where no file may grow past `limit` bytes: a write past it
    fails with EFBIG, as on a full disk."""
    import resource

    def limit_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([t.attache] + args, capture_output=True, text=True,
                       env=t.env(SOURCE_DATE_EPOCH=EPOCH), cwd=t.tmp, preexec_fn=limit_files)
    return p


def all_files(folder):
    return sorted(os.path.relpath(os.path.join(r, f), folder)
                  for r, _, fs in os.walk(folder) for f in fs)


def test_a_full_disk_leaves_no_partial_file(t):
    key = keygen(t)
    # no certificate fits: the first write error stops the run
    p = run_with_file_limit(t, ["certificates", SAMPLE, "-o", t.path("a"), "-k", key, "-q"],
                            20000)
    t.eq(p.returncode, 74, f"exit status: {p.stderr}")
    t.match(r"^attache: .*-certificate\.pdf: cannot write: File too large$", p.stderr)
    t.eq(len(p.stderr.splitlines()), 1, "one line")
    t.eq([f for f in all_files(t.path("a")) if f != ".attache.lock"], [],
         "no document, no temporary file, no manifest")
    # the certificates fit (34 to 38 KB), the print file (about 90 KB) does not
    p = run_with_file_limit(t, ["certificates", SAMPLE, "-o", t.path("b"), "-k", key, "-q",
                                "--merge", t.path("b", "print.pdf")], 60000)
    t.eq(p.returncode, 74, f"exit status: {p.stderr}")
    t.match(r"print\.pdf: cannot write: File too large", p.stderr)
    files = all_files(t.path("b"))
    t.ok("print.pdf" not in files, "no partial print file")
    t.eq([f for f in files if os.path.basename(f).startswith(".") and f != ".attache.lock"],
         [], "no temporary file")
    for row in manifest(t.path("b")):
        ok, why = qpdf_ok(t.path("b", row["file"]))
        t.ok(ok, f"{row['file']}: {why}")


def test_print_files_of_letters_and_packs_look_like_their_documents(t):
    # a print file draws what its pages share once, and the rest page by
    # page: every page must still look exactly like its document's page
    from PIL import Image, ImageChops
    key = keygen(t)
    for cmd in ("letters", "induction"):
        pdf = t.path(f"{cmd}.pdf")
        r = gen(t, cmd, out=cmd, key=key, extra=["--merge", pdf])
        t.status(r, 0)
        ok, why = qpdf_ok(pdf)
        t.ok(ok, why)
        t.sh(["pdftoppm", "-r", "50", "-png", pdf, t.path(cmd, "book")])
        book = sorted(f for f in os.listdir(t.path(cmd)) if f.startswith("book"))
        at = 0
        for row in manifest(t.path(cmd)):
            doc = t.path(cmd, row["file"])
            t.sh(["pdftoppm", "-r", "50", "-png", doc, t.path(cmd, "doc")])
            mine = sorted(f for f in os.listdir(t.path(cmd)) if f.startswith("doc"))
            for k, name in enumerate(mine):
                diff = ImageChops.difference(
                    Image.open(t.path(cmd, name)).convert("L"),
                    Image.open(t.path(cmd, book[at + k])).convert("L"))
                t.eq(diff.getbbox(), None, f"{cmd}: page {at + k + 1} of the print file "
                     f"differs from page {k + 1} of {row['file']}")
                os.remove(t.path(cmd, name))
            at += len(mine)
        t.eq(at, len(book), f"{cmd}: the print file has the documents' pages, no more")


def test_merged_print_file(t):
    r = gen(t, "certificates", extra=["--merge", t.path("print.pdf")])
    t.status(r, 0)
    pdf = t.path("print.pdf")
    ok, why = qpdf_ok(pdf)
    t.ok(ok, why)
    t.eq(pages(pdf), len(GRADUATED))
    body = text(pdf)
    names = names_from_sample()
    for officer in GRADUATED:
        t.ok(names[officer] in body, f"{names[officer]!r} in the print file")
    # the objects as text, out of their object streams
    t.sh(["qpdf", "--qdf", "--object-streams=disable", pdf, t.path("plain.pdf")])
    raw = open(t.path("plain.pdf"), "rb").read()
    t.eq(raw.count(b"/FontFile2"), len({f[0] for f in fonts(pdf)}), "each font embedded once")
    t.eq(raw.count(b"/Subtype /Image"), 2 + 3 * 2, "each image embedded once: the logo and "
         "its mask, three signatures (each an ink colour and its shape)")
    outline = subprocess.run(["mutool", "show", pdf, "outline"], capture_output=True,
                             text=True).stdout
    titles = re.findall(r'^\|\t"(.*)"\t#page=(\d+)', outline, re.M)
    t.eq([title for title, _ in titles], [names[o] for o in names if o in GRADUATED],
         "one bookmark per officer, in data order")
    t.eq([int(page) for _, page in titles], list(range(1, len(GRADUATED) + 1)),
         "each bookmark opens its officer's page")
    # every page looks exactly like the document it came from (a glyph left
    # out of the print file's font subsets would show here)
    from PIL import Image, ImageChops
    for page, row in enumerate(manifest(t.path("out")), 1):
        for src, first, name in ((t.path("out", row["file"]), 1, "doc"), (pdf, page, "book")):
            t.sh(["pdftoppm", "-r", "40", "-f", str(first), "-l", str(first), "-png",
                  "-singlefile", src, t.path(name)])
        diff = ImageChops.difference(Image.open(t.path("doc.png")).convert("L"),
                                     Image.open(t.path("book.png")).convert("L"))
        t.eq(diff.getbbox(), None, f"page {page} of the print file differs from {row['file']}")
    # each font holds only the glyphs the pages draw, not the face's repertoire
    from fontTools.ttLib import TTFont
    drawn = len(set(text(pdf)))
    for obj in set(re.findall(rb"/FontFile2 (\d+) 0 R", raw)):
        program = t.path(f"font-{obj.decode()}.ttf")
        open(program, "wb").write(t.sh(["qpdf", f"--show-object={obj.decode()}",
                                        "--filtered-stream-data", t.path("plain.pdf")]))
        glyf = TTFont(program)["glyf"]
        inked = sum(1 for g in glyf.keys() if glyf[g].numberOfContours != 0)
        t.ok(inked <= drawn, f"a print file font has {inked} glyphs, the text {drawn} characters")
    # what the pages have in common is drawn once: the ornamental border is
    # one stream shared by every page, and a line that every certificate
    # prints is in a shared stream, not in each page's own
    shown = subprocess.run(["qpdf", "--show-pages", pdf], capture_output=True, text=True).stdout
    contents = [re.findall(r"(\d+) 0 R", block) for block in
                re.findall(r"content:\n((?:\s+\d+ 0 R\n?)+)", shown)]
    t.eq(len(contents), len(GRADUATED), "pages with contents")
    t.eq(len({c[0] for c in contents}), 1, "pages share one background stream")
    t.ok(all(len(c) >= 3 for c in contents[1:]),
         f"later pages draw shared streams before their own: {contents}")
    streams = {}
    for obj in {o for c in contents for o in c}:
        streams[obj] = t.sh(["qpdf", f"--show-object={obj}", "--filtered-stream-data", pdf])
    def shown_strings(data):
        return set(re.findall(rb"<([0-9A-F]+)> Tj", data))
    common = set.intersection(*[shown_strings(streams[c[-1]]) for c in contents[1:]])
    t.eq(common, set(), "no line that every page prints is in each page's own stream")
    own = [streams[c[-1]] for c in contents]
    t.eq([data.count(b" cm\nBI /IM true ") for data in own], [1] * len(own),
         "each page draws its own QR code")


def test_shards_make_the_same_set(t):
    key = keygen(t)
    t.status(gen(t, "letters", out="all", key=key), 0)
    every = set(pdfs(t.path("all")))
    got = []
    for k in range(1, 5):
        r = gen(t, "letters", out=f"s{k}", key=key, extra=["--shard", f"{k}/4"])
        t.status(r, 0)
        got += pdfs(t.path(f"s{k}"))
        for f in pdfs(t.path(f"s{k}")):
            t.eq(open(t.path(f"s{k}", f), "rb").read(), open(t.path("all", f), "rb").read(),
                 f"{f} same as unsharded")
    t.eq(sorted(got), sorted(every), "the shards together make every document once")
    r = t.run(["manifest", "merge", "-o", t.path("merged.csv")] +
              [t.path(f"s{k}", "manifest.csv") for k in range(1, 5)] + ["--data", SAMPLE])
    t.status(r, 0)
    t.eq(open(t.path("merged.csv"), "rb").read(), open(t.path("all", "manifest.csv"), "rb").read(),
         "merged manifest equals the unsharded one")


def test_shard_from_the_environment(t):
    key = keygen(t)
    r = gen(t, "letters", out="s", key=key, env={"SLURM_ARRAY_TASK_ID": "1",
                                                  "SLURM_ARRAY_TASK_COUNT": "4",
                                                  "SLURM_ARRAY_TASK_MIN": "1"})
    t.status(r, 0)
    r2 = gen(t, "letters", out="e", key=key, extra=["--shard", "1/4"])
    t.status(r2, 0)
    t.eq(pdfs(t.path("s")), pdfs(t.path("e")), "Slurm task 1 of 4 is shard 1/4")
    r3 = gen(t, "letters", out="k", key=key, env={"JOB_COMPLETION_INDEX": "0"})
    t.status(r3, 64)
    t.match(r"ATTACHE_SHARDS", r3.err)


def graduates(t, name, n):
    """The sample data with the first batch's officers replaced by n graduates."""
    body = "".join(
        f'<officer id="o{i}" status="graduated"><name>Officer Number {i}</name>'
        f'<country code="VN"/><ministry>Ministry</ministry><placement department="AEC"/></officer>'
        for i in range(n))
    return sample_with(t, name, lambda x: x.replace(
        x[x.index('      <officer id="kh-2015-01"'):x.index("    </batch>")], body))


def test_a_low_open_file_limit_slows_the_run_not_fails_it(t):
    """Documents waiting for the disk hold their files open; under a low
    limit on open files (ulimit -n 32) the run keeps fewer waiting, and
    fewer workers than -j asks, instead of failing documents."""
    data = graduates(t, "many.xml", 300)
    key = keygen(t)
    env = t.env(SOURCE_DATE_EPOCH=EPOCH)
    t.status(t.run(["certificates", data, "-o", t.path("free"), "-k", key, "-q"], env=env), 0)
    want = {f: open(t.path("free", f), "rb").read() for f in pdfs(t.path("free"))}
    t.ok(len(want) > 300, f"{len(want)} certificates without a limit")
    for jobs in ("2", "16"):
        out = t.path("out-j" + jobs)
        r = t.run(["-c", 'ulimit -n 32 && exec "$0" "$@"', t.attache, "certificates", data,
                   "-o", out, "-k", key, "-q", "-j", jobs], binary="/bin/sh", env=env)
        t.status(r, 0)
        t.eq(r.err, "", f"-j{jobs}: nothing to say")
        got = {f: open(os.path.join(out, f), "rb").read() for f in pdfs(out)}
        t.eq(sorted(got), sorted(want), f"-j{jobs}: every certificate written")
        t.ok(got == want, f"-j{jobs}: the same bytes as without the limit")


def test_kill_leaves_only_whole_documents(t):
    """kill -9 in the middle of a run: every PDF under its final name is
    whole, and a second run completes the set."""
    data = graduates(t, "big.xml", 2000)
    key = keygen(t)
    env = t.env(SOURCE_DATE_EPOCH=EPOCH)
    p = subprocess.Popen([t.attache, "certificates", data, "-o", t.path("out"), "-k", key, "-q",
                          "-j", "2"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if len(pdfs(t.path("out"))) >= 20 if os.path.isdir(t.path("out")) else False:
            break
        time.sleep(0.02)
    t.eq(p.poll(), None, "the run was still going when 20 documents were written")
    os.kill(p.pid, signal.SIGKILL)
    t.eq(p.wait(), -signal.SIGKILL, "the run was killed")
    for f in pdfs(t.path("out")):
        ok, why = qpdf_ok(t.path("out", f))
        t.ok(ok, f"{f} is damaged after kill -9: {why}")
    # documents are written unnamed (O_TMPFILE) where the filesystem has such
    # files: the killed run left no temporary name behind either
    fs = subprocess.run(["stat", "-f", "-c", "%T", t.path("out")], capture_output=True,
                        text=True).stdout.strip()
    if fs in ("ext2/ext3", "tmpfs", "xfs", "btrfs"):
        hidden = [f for f in os.listdir(t.path("out", "aec-ascc-2")) if f.startswith(".")]
        t.eq(hidden, [], f"no temporary names after kill -9 on {fs}")
    r = t.run(["certificates", data, "-o", t.path("out"), "-k", key], env=env)
    t.status(r, 0)
    rows = manifest(t.path("out"))
    t.ok(len(rows) >= 2000, f"{len(rows)} documents after the rerun")
    leftovers = [f for f in os.listdir(t.path("out", "aec-ascc-2")) if f.startswith(".")]
    t.eq(leftovers, [], "temporary files cleaned up")
