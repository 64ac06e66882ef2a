"""End-to-end tests of issuing: document ids that follow what is signed,
one issue date per document, "up to date" that covers every input, keys
that must match the data, and one manifest per output folder."""
import os
import shutil

from docs_util import EPOCH, SAMPLE, manifest, pdfs, run, sample_with, text

VERIFIER = os.path.join(os.path.dirname(__file__), "..", "tools", "verify_cose.py")
PY = "/usr/bin/python3"
DAY = 86400


def keys(t, name="k", issuer="asec", extra=()):
    r = t.run(["keygen", "-o", t.path(name), "--issuer", issuer] + list(extra))
    t.status(r, 0, "keygen")
    return t.path(name + ".key"), t.path(name + ".pub")


def make(t, cmd, data, key, out="out", epoch=EPOCH, extra=()):
    return t.run([cmd, data, "-o", t.path(out), "-k", key] + list(extra),
                 env=t.env(SOURCE_DATE_EPOCH=epoch))


def mtimes(folder):
    return {f: os.stat(os.path.join(folder, f)).st_mtime_ns for f in pdfs(folder)}


def row_of(rows, officer, kind="certificate"):
    return next(r for r in rows if r["officer_id"] == officer and r["kind"] == kind)


# ---- document ids --------------------------------------------------------------

def test_a_corrected_reissue_is_not_revoked(t):
    key, pub = keys(t)
    data = sample_with(t, "d.xml", lambda x: x)
    one = ["--officer", "kh-2015-01", "-q"]
    t.status(make(t, "certificates", data, key, extra=one), 0)
    old = row_of(manifest(t.path("out")), "kh-2015-01")
    # the same data on the same day, an hour later: the same id
    t.status(make(t, "certificates", data, key, out="again", epoch=str(int(EPOCH) + 3600),
                  extra=one), 0)
    t.eq(row_of(manifest(t.path("again")), "kh-2015-01")["document_id"], old["document_id"],
         "same data, same day, same id")
    lst = t.path("revoked.xml")
    t.status(t.run(["revoke", old["document_id"], "--reason", "name misspelt", "--list", lst,
                    "--date", "2016-02-05"]), 0)
    # the name corrected, reissued the same day: a new id, valid
    fixed = sample_with(t, "d.xml", lambda x: x.replace("Chhy Ratha", "Chhy Rathana"))
    t.status(make(t, "certificates", fixed, key, extra=one), 0)
    new = row_of(manifest(t.path("out")), "kh-2015-01")
    t.ok(new["document_id"] != old["document_id"], "a corrected reissue gets a new id")
    r = t.run(["verify", "--pub", pub, "--revoked", lst, old["qr"], new["qr"]])
    a, b = r.out.splitlines()
    t.eq(a.split("\t")[0], "REVOKED", "the old document stays revoked")
    t.eq(b.split("\t")[0], "VALID", f"the reissue is valid: {b}")
    t.ok("Chhy Rathana" in b, b)
    # the same data on another day: another id
    t.status(make(t, "certificates", data, key, out="later", epoch=str(int(EPOCH) + DAY),
                  extra=one), 0)
    t.ok(row_of(manifest(t.path("later")), "kh-2015-01")["document_id"] != old["document_id"],
         "another issue date, another id")
    # the independent verifier recomputes the id from the claims
    p = run([PY, VERIFIER, pub, new["qr"]])
    t.eq(p.returncode, 0, p.stdout.decode())
    t.ok(new["document_id"] in p.stdout.decode(), p.stdout.decode())


# ---- the issue date ------------------------------------------------------------

def test_one_issue_date_printed_and_signed(t):
    key, pub = keys(t)
    one = ["--officer", "kh-2015-01", "-q"]
    r = make(t, "certificates", SAMPLE, key, extra=one + ["--issue-date", "2016-03-10"])
    t.status(r, 0)
    row = row_of(manifest(t.path("out")), "kh-2015-01")
    body = " ".join(text(t.path("out", row["file"])).split())
    t.ok("Issued on 10 March 2016" in body, f"the certificate prints the issue date: {body!r}")
    r = t.run(["verify", "--pub", pub, row["qr"]])
    t.eq(r.out.split("\t")[5].strip(), "2016-03-10", "the token signs the same date")
    p = run([PY, VERIFIER, pub, row["qr"]])
    t.ok('"iat": 1457568000' in p.stdout.decode(), f"iat is 00:00 UTC: {p.stdout.decode()}")
    # SOURCE_DATE_EPOCH in the middle of a day: that day, at 00:00 UTC
    t.status(make(t, "letters", SAMPLE, key, out="l", epoch=str(int(EPOCH) + 45000),
                  extra=one), 0)
    row = row_of(manifest(t.path("l")), "kh-2015-01", "letter")
    t.ok("5 February 2016" in text(t.path("l", row["file"])), "the letter prints the day")
    p = run([PY, VERIFIER, pub, row["qr"]])
    t.ok(f'"iat": {EPOCH}' in p.stdout.decode(), p.stdout.decode())


def test_an_impossible_issue_date_is_a_usage_error(t):
    key, _ = keys(t)
    for bad in ("2016-02-30", "2015-02-29", "2016-13-01", "2016-2-5", "2016-02-05x"):
        r = t.run(["certificates", SAMPLE, "-o", t.path("out"), "-k", key, "--issue-date", bad])
        t.status(r, 64, bad)
        t.eq(r.err, f"attache: --issue-date '{bad}' is not a date (YYYY-MM-DD)\n")
        t.ok(not os.path.exists(t.path("out")), "nothing written")


def test_a_rerun_later_the_same_day_rewrites_nothing(t):
    key, _ = keys(t)
    t.status(make(t, "certificates", SAMPLE, key, extra=["-q"]), 0)
    before = mtimes(t.path("out"))
    r = make(t, "certificates", SAMPLE, key, epoch=str(int(EPOCH) + 1))
    t.status(r, 0)
    t.match(r"0 written, 15 up to date", r.err)
    t.eq(mtimes(t.path("out")), before, "nothing rewritten a second later")
    # and without SOURCE_DATE_EPOCH or --issue-date: today, twice
    t.status(t.run(["certificates", SAMPLE, "-o", t.path("today"), "-k", key, "-q"]), 0)
    r = t.run(["certificates", SAMPLE, "-o", t.path("today"), "-k", key])
    t.status(r, 0)
    t.match(r"0 written, 15 up to date", r.err)


# ---- up to date means every input ---------------------------------------------

def test_a_replaced_signature_image_rewrites_its_documents(t):
    key, _ = keys(t)
    data = sample_with(t, "d.xml", lambda x: x)
    t.status(make(t, "certificates", data, key, extra=["-q"]), 0)
    before = mtimes(t.path("out"))
    xml = open(data, encoding="utf-8").read()
    uses = xml.count('signature src="assets/sig-rsp.png"')
    t.ok(uses, "the sample uses sig-rsp.png")
    # another picture at the same path
    shutil.copyfile(os.path.join(t.root, "samples", "assets", "sig-mtv.png"),
                    t.path("assets", "sig-rsp.png"))
    r = make(t, "certificates", data, key)
    t.status(r, 0)
    after = mtimes(t.path("out"))
    changed = sorted(f for f in before if after[f] != before[f])
    t.ok(changed, f"no certificate rewritten: {r.err}")
    t.ok(len(changed) < len(before), "only those that show the signature")
    t.match(rf"{len(changed)} written, {len(before) - len(changed)} up to date", r.err)
    # a replaced photo rewrites the induction pack that shows it
    t.status(make(t, "induction", data, key, out="ind", extra=["-q"]), 0)
    before = mtimes(t.path("ind"))
    shutil.copyfile(os.path.join(t.root, "samples", "photos", "vn-2015-02.jpg"),
                    t.path("photos", "kh-2015-01.jpg"))
    r = make(t, "induction", data, key, out="ind")
    t.status(r, 0)
    after = mtimes(t.path("ind"))
    t.eq(sorted(f for f in before if after[f] != before[f]),
         ["aec-ascc-2/kh-2015-01-induction.pdf"], "the pack with the photo")


def test_a_replaced_template_font_rewrites_the_documents(t):
    key, _ = keys(t)
    os.makedirs(t.path("fonts"))
    shutil.copyfile(os.path.join(t.root, "fonts", "AttacheSerif-Regular.ttf"),
                    t.path("fonts", "House.ttf"))
    src = open(os.path.join(t.root, "templates", "certificate.xml"), encoding="utf-8").read()
    mine = t.path("mine.xml")
    open(mine, "w", encoding="utf-8").write(src.replace(
        '  <style name="issuer"',
        '  <font family="house" regular="fonts/House.ttf"/>\n'
        '  <style name="issuer"', 1).replace('style name="lead" font="serif"',
                                              'style name="lead" font="house"'))
    one = ["--officer", "kh-2015-01,vn-2015-02", "-q", "--template", mine]
    t.status(make(t, "certificates", SAMPLE, key, extra=one), 0)
    before = mtimes(t.path("out"))
    shutil.copyfile(os.path.join(t.root, "fonts", "AttacheSans-Regular.ttf"),
                    t.path("fonts", "House.ttf"))
    r = make(t, "certificates", SAMPLE, key, extra=one[:2] + one[3:])
    t.status(r, 0)
    t.match(r"2 written, 0 up to date", r.err)
    after = mtimes(t.path("out"))
    t.ok(all(after[f] != before[f] for f in before), "every certificate rewritten")


# ---- keys that match the data ----------------------------------------------------

def test_a_key_of_another_issuer_is_refused(t):
    key, _ = keys(t, issuer="mofa")
    r = make(t, "certificates", SAMPLE, key)
    t.status(r, 64)
    t.eq(r.err, f"attache: {key}: the key signs for issuer 'mofa' but the data's issuer is "
                "'asec': use that issuer's key\n")
    t.ok(not os.path.exists(t.path("out")), "nothing written")


def test_an_issue_date_outside_the_keys_window_is_refused(t):
    key, _ = keys(t, name="old", extra=["--not-before", "2014-01-01", "--not-after", "2015-12-31"])
    t.match(r"^not-after: 2015-12-31$", open(key).read(), "the .key carries the window")
    r = make(t, "certificates", SAMPLE, key)
    t.status(r, 64)
    t.eq(r.err, f"attache: {key}: the issue date 2016-02-05 is after the key's not-after "
                "2015-12-31\n")
    r = make(t, "certificates", SAMPLE, key, extra=["--issue-date", "2013-12-31"])
    t.status(r, 64)
    t.eq(r.err, f"attache: {key}: the issue date 2013-12-31 is before the key's not-before "
                "2014-01-01\n")
    t.ok(not os.path.exists(t.path("out")), "nothing written")
    # inside the window, the last day included
    r = make(t, "certificates", SAMPLE, key, extra=["--issue-date", "2015-12-31", "-q"])
    t.status(r, 0)
    # a .key file written before the window was kept in it signs for any date
    lines = [l for l in open(key).read().splitlines() if not l.startswith("not-")]
    older = t.path("older.key")
    with open(older, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(older, 0o600)
    t.status(make(t, "certificates", SAMPLE, older, out="o2", extra=["-q"]), 0)


# ---- one manifest per folder -----------------------------------------------------

def test_the_manifest_describes_the_folder(t):
    key, _ = keys(t)
    data = sample_with(t, "d.xml", lambda x: x)
    t.status(make(t, "certificates", data, key, extra=["-q"]), 0)
    certs = manifest(t.path("out"))
    t.status(make(t, "letters", data, key, extra=["-q"]), 0)
    rows = manifest(t.path("out"))
    t.eq(len(rows), 15 + 22, "certificates and letters")
    t.eq(rows[:15], certs, "the certificates' rows kept as they were")
    t.eq(sorted(r["file"] for r in rows), pdfs(t.path("out")), "one row per document")
    # a re-run replaces its own rows in place
    t.status(make(t, "certificates", data, key, extra=["-q", "--officer", "kh-2015-01"]), 0)
    t.eq(manifest(t.path("out")), rows, "the same folder, the same manifest")
    # a document changed: its row changes, the others stay
    fixed = sample_with(t, "d.xml", lambda x: x.replace("Chhy Ratha", "Chhy Rathana"))
    t.status(make(t, "certificates", fixed, key, extra=["-q", "--officer", "kh-2015-01"]), 0)
    now = manifest(t.path("out"))
    t.eq(len(now), len(rows))
    changed = [i for i in range(len(rows)) if now[i] != rows[i]]
    t.eq([now[i]["officer_id"] + " " + now[i]["kind"] for i in changed],
         ["kh-2015-01 certificate"], "only that row")
    t.eq(now[changed[0]]["name"], "Chhy Rathana")
    # a document removed from the folder leaves the manifest with the next run
    os.remove(t.path("out", "aec-ascc-2", "vn-2015-02-letter.pdf"))
    t.status(make(t, "certificates", fixed, key, extra=["-q", "--officer", "kh-2015-01"]), 0)
    t.ok(all(r["file"] != "aec-ascc-2/vn-2015-02-letter.pdf" for r in manifest(t.path("out"))),
         "no row for a file that is gone")


def test_a_broken_manifest_in_the_folder_stops_the_run(t):
    key, _ = keys(t)
    os.makedirs(t.path("out"))
    open(t.path("out", "manifest.csv"), "w").write("not,a,manifest\n")
    r = make(t, "certificates", SAMPLE, key)
    t.status(r, 65)
    t.match(r"manifest.csv:1: is not an attache manifest", r.err)
    t.eq(pdfs(t.path("out")), [], "nothing written")


def test_formula_like_cells_are_escaped(t):
    key, _ = keys(t)
    data = sample_with(t, "d.xml", lambda x: x.replace("<name>Chhy Ratha</name>",
                                                       "<name>=HYPERLINK(1)</name>", 1))
    t.status(make(t, "certificates", data, key, extra=["-q", "--officer", "kh-2015-01"]), 0)
    raw = open(t.path("out", "manifest.csv"), encoding="utf-8").read()
    t.ok(",'=HYPERLINK(1)," in raw, f"escaped as spreadsheets expect: {raw!r}")
    merged = t.run(["manifest", "merge", t.path("out", "manifest.csv")])
    t.status(merged, 0)
    t.eq(merged.out, raw, "merge reads the escape back and writes it again")


HEADER = "document_id,kind,batch_id,officer_id,name,file,sha256,qr\n"


def merge(t, *manifests):
    paths = []
    for i, body in enumerate(manifests):
        paths.append(t.path(f"m{i}.csv"))
        open(paths[-1], "w", encoding="utf-8").write(HEADER + body)
    return t.run(["manifest", "merge"] + paths)


def test_merge_refuses_text_after_a_closing_quote(t):
    # the text after "Q" would be read as a second row
    r = merge(t, 'C-AAAA-AAAA-AAAA,certificate,b,o1,N,b/o1-certificate.pdf,00,"Q"'
                 'L-BBBB-BBBB-BBBB,letter,b,o2,M,b/o2-letter.pdf,11,R\n')
    t.status(r, 65)
    t.match(r"m0.csv:2: is not a manifest row of 8 fields", r.err)
    t.eq(r.out, "", "nothing merged")


def test_merge_finds_a_document_listed_twice_apart(t):
    a = "C-AAAA-AAAA-AAAA,certificate,b,o1,N,b/o1-certificate.pdf,00,Q\n"
    b = "L-BBBB-BBBB-BBBB,letter,b,o2,M,b/o2-letter.pdf,11,R\n"
    c = "C-AAAA-AAAA-AAAA,certificate,b,o1,N,b/o3-certificate.pdf,22,S\n"
    r = merge(t, a, b, c)
    t.status(r, 65)
    t.eq(r.err, "attache: document 'C-AAAA-AAAA-AAAA' is in two manifests with different "
                "contents\n")
    r = merge(t, a, b, a)
    t.status(r, 0)
    t.eq(r.out, HEADER + a + b, "the same row twice is listed once")


def test_an_output_file_that_is_a_folder(t):
    """-o naming a folder, or nothing: 73 (the output cannot be created),
    with the name in the message."""
    paths = [t.path("m0.csv")]
    open(paths[0], "w", encoding="utf-8").write(HEADER)
    os.mkdir(t.path("d"))
    for out, want in [(t.path("d"), f"attache: {t.path('d')}: cannot be written: it is a folder\n"),
                      (t.path("d") + "/", f"attache: {t.path('d')}/: cannot be written: it is a "
                                          "folder\n"),
                      ("", "attache: an output file needs a name\n")]:
        r = t.run(["manifest", "merge", "-o", out] + paths)
        t.status(r, 73, repr(out))
        t.eq(r.err, want)
    t.eq(os.listdir(t.path("d")), [])
