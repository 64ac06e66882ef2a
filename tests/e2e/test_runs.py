"""What a run says and does: the progress bar on a terminal, the summary
line, documents up to date left alone unless --force, and --issue-date
printed in the documents."""
import csv
import os
import re
import subprocess

from docs_util import EPOCH, SAMPLE, keygen, sample_with, text

TWO = ["--officer", "kh-2015-01,vn-2015-02"]
SUMMARY = (r"^attache: 2 documents in {out} \({written} written, {reused} up to date\), 0 failed, "
           r"21 skipped, [0-9.]+ s(, [0-9]+/s)?$")


def letters(t, key, *extra, env=None):
    return t.run(["letters", SAMPLE, "-o", t.path("out"), "-k", key] + TWO + list(extra),
                 env=t.env(**(env or {"SOURCE_DATE_EPOCH": EPOCH})))


def test_up_to_date_documents_are_kept_unless_forced(t):
    key = keygen(t)
    out = re.escape(t.path("out"))
    r = letters(t, key)
    t.status(r, 0)
    t.match(SUMMARY.format(out=out, written=2, reused=0), r.err)
    pdf = t.path("out", "aec-ascc-2", "kh-2015-01-letter.pdf")
    first = os.stat(pdf).st_ino
    r = letters(t, key)
    t.status(r, 0)
    t.match(SUMMARY.format(out=out, written=0, reused=2), r.err)
    t.eq(os.stat(pdf).st_ino, first, "an up-to-date document is not rewritten")
    r = letters(t, key, "--force")
    t.status(r, 0)
    t.match(SUMMARY.format(out=out, written=2, reused=0), r.err)
    t.ok(os.stat(pdf).st_ino != first, "--force writes the document again")


def test_issue_date_is_printed(t):
    key = keygen(t)
    r = letters(t, key, "--issue-date", "2016-03-07", "-q")
    t.status(r, 0)
    t.eq(r.err, "")
    body = text(t.path("out", "aec-ascc-2", "kh-2015-01-letter.pdf"))
    t.ok("7 March 2016" in body, body)


def test_progress_bar_on_a_terminal(t):
    key = keygen(t)
    code, screen = t.run_on_terminal(["letters", SAMPLE, "-o", t.path("out"), "-k", key] + TWO,
                                     env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.eq(code, 0)
    t.match(r"\r\[#{30}\] 2/2  [0-9]+/s  ETA 0:00 \r?\n", screen)
    t.match(r"attache: 2 documents in ", screen)


def test_manifest_quotes_what_csv_must(t):
    """A name with a comma and a quotation mark is one CSV field, read back whole."""
    name = 'Chhy "Lina" Ratha, Jr.'
    data = sample_with(t, "data.xml", lambda x: x.replace("<name>Chhy Ratha</name>",
                                                          "<name>Chhy &quot;Lina&quot; Ratha, Jr.</name>"))
    r = t.run(["letters", data, "-o", t.path("out"), "-k", keygen(t), "--officer", "kh-2015-01",
               "-q"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    with open(t.path("out", "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    t.eq(len(rows), 1)
    t.eq(rows[0]["name"], name)
    with open(t.path("out", "manifest.csv"), encoding="utf-8") as f:
        t.ok('"Chhy ""Lina"" Ratha, Jr."' in f.read(), "the field is quoted, its quotes doubled")


def test_manifest_merge_to_a_full_disk(t):
    r = letters(t, keygen(t), "-q")
    t.status(r, 0)
    with open("/dev/full", "wb") as full:
        p = subprocess.run([t.attache, "manifest", "merge", t.path("out", "manifest.csv")],
                           stdout=full, stderr=subprocess.PIPE, env=t.env())
    t.eq(p.returncode, 74)
    t.eq(p.stderr.decode(), "attache: cannot write the merged manifest to standard output\n")
    r = t.run(["manifest", "merge", t.path("out", "manifest.csv")])
    t.status(r, 0)
    with open(t.path("out", "manifest.csv")) as f:
        t.eq(r.out, f.read(), "one manifest merged is itself")
