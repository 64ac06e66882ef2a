"""End-to-end tests of attache import: spreadsheets (CSV) as Excel and
LibreOffice save them become a batch's officers; every bad row is reported
with its line and column, and then nothing is written."""
import os
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = os.path.join(ROOT, "samples", "asean.xml")
SHEET = os.path.join(ROOT, "samples", "officers.csv")
HEADER = "id,status,honorific,name,name:km,country,ministry,position,department,division,supervisor,email"


def write(t, name, data):
    path = t.path(name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def officers(path, batch):
    root = ET.parse(path).getroot()
    for b in root.iter("batch"):
        if b.get("id") == batch:
            return b.findall("officer")
    raise AssertionError(f"no batch {batch}")


def imp(t, csv, *extra, batch="aec-ascc-5", into=SAMPLE, out="out.xml"):
    return t.run(["import", csv, "--into", into, "--batch", batch, "-o", t.path(out)] + list(extra))


def test_sample_spreadsheet(t):
    with open(SAMPLE, "rb") as f:
        before = f.read()
    r = imp(t, SHEET)
    t.status(r, 0)
    t.eq(r.out, f"{t.path('out.xml')}: batch 'aec-ascc-5' has the officers of {SHEET}\n")
    with open(SAMPLE, "rb") as f:
        t.ok(f.read() == before, "DATA is not changed")
    offs = officers(t.path("out.xml"), "aec-ascc-5")
    t.eq([o.get("id") for o in offs],
         ["vn-2019-01", "la-2019-02", "mm-2019-03", "kh-2019-04", "kh-2019-05"])
    new = offs[-1]
    t.eq(new.findtext("position"), 'Deputy Chief, "ASEAN Integration" Office')
    t.eq(new.find("placement").findtext("supervisor"), "Ahmad Faizal bin Hassan")
    t.eq(new.find("email"), None, "an empty cell leaves the field out")
    km = [n for n in offs[3].findall("name") if n.get("lang") == "km"]
    t.eq([n.text for n in km], ["កែវ ស្រីពៅ"])
    # the other batches are as they were
    t.eq(len(officers(t.path("out.xml"), "aec-ascc-2")), 6)
    r = t.run(["validate", t.path("out.xml"), "--assets", t.samples])
    t.status(r, 0)
    t.match(r"^aec-ascc-5: .*: 5 officers \(1 selected, 4 attached\)", r.out)


def test_semicolons_crlf_quoted_line_breaks_and_no_bom(t):
    rows = [
        "id;status;name;country;ministry;department;division",
        'vn-1;selected;"Nguyễn Thị Thu Hà";vn;"Ministry of Industry; and Trade";AEC;"Trade\r\nFacilitation"',
        "",
        'la-1;selected;"Souk ""Noy"" Keo";LA;Ministry of Health;ASCC;',
        ";;;;;;",
    ]
    csv = write(t, "semi.csv", "\r\n".join(rows) + "\r\n")
    r = imp(t, csv)
    t.status(r, 0)
    offs = officers(t.path("out.xml"), "aec-ascc-5")
    t.eq([o.get("id") for o in offs], ["vn-1", "la-1"])
    t.eq(offs[0].find("country").get("code"), "VN")
    t.eq(offs[0].findtext("ministry"), "Ministry of Industry; and Trade")
    t.eq(offs[0].find("placement").get("division"), "Trade Facilitation")
    t.eq(offs[1].findtext("name"), 'Souk "Noy" Keo')
    t.eq(offs[1].find("placement").get("division"), None)


def test_every_bad_row_is_reported_and_nothing_written(t):
    csv = write(t, "bad.csv",
                "id,status,name,country,ministry,department,email,photo\n"
                "kh-1,graduated,A,Cambodia,M,D,x@y.org,\n"
                '"kh-1",done,,KH,M,D,bad,../p.png\n'
                '"la-2",selected,"two\nlines",LA,M,D,,\n'
                "kh-2015-01,selected,X,KH,M,D,,\n")
    r = imp(t, csv)
    t.status(r, 65)
    t.eq(r.err.splitlines(), [
        f"attache: {csv}:2: column 'country': 'Cambodia' is not a two-letter country code such as KH",
        f"attache: {csv}:3: column 'name': is empty; every officer needs one",
        f"attache: {csv}:3: column 'id': 'kh-1' is also the id on line 2",
        f"attache: {csv}:3: column 'status': 'done' is not selected, attached, graduated or withdrawn",
        f"attache: {csv}:3: column 'email': 'bad' is not an e-mail address",
        f"attache: {csv}:3: column 'photo': '../p.png' is not a relative path to a .png or .jpg file, without '..'",
        f"attache: {csv}:6: column 'id': 'kh-2015-01' is already an officer of batch 'aec-ascc-2' in {SAMPLE}",
    ])
    t.eq(os.listdir(t.tmp), ["bad.csv"], "nothing written")


def test_header_mistakes(t):
    csv = write(t, "h.csv", "id,status,nme,name,name:k@,country\nx,selected,a,b,c,KH\n")
    r = imp(t, csv)
    t.status(r, 65)
    t.eq(r.err.splitlines(), [
        f"attache: {csv}:1: column 'nme' is not an officer field (the columns are id, status, "
        "honorific, name, name:LANG, country, ministry, position, department, division, "
        "supervisor, email, photo)",
        f"attache: {csv}:1: column 'name:k@': 'k@' is not a language code such as km",
        f"attache: {csv}:1: column 'ministry' is missing: every officer needs one",
        f"attache: {csv}:1: column 'department' is missing: every officer needs one",
    ])


def test_what_the_data_format_refuses_is_placed_at_the_row(t):
    csv = write(t, "script.csv", "id,status,name,country,ministry,department\n"
                                 "kh-9,selected,Keo,KH,M,D\nkh-10,selected,ឈី រដ្ឋា,KH,M,D\n")
    r = imp(t, csv)
    t.status(r, 65)
    t.match(rf"^attache: {csv}:3: officer 'kh-10': <name> .* is not in Latin script", r.err)
    t.eq(len(r.err.splitlines()), 1)
    t.ok(not os.path.exists(t.path("out.xml")), "nothing written")


def test_latin1_file_is_told_to_be_saved_as_utf8(t):
    csv = write(t, "latin1.csv", b"id,status,name,country,ministry,department\n"
                                 b"vn-1,selected,Nguy\xean,VN,M,D\n")
    r = imp(t, csv)
    t.status(r, 65)
    t.eq(r.err, f"attache: {csv}:2: is not UTF-8 text: save the spreadsheet again as "
                '"CSV UTF-8" (Excel) or as Text CSV with the character set Unicode (UTF-8) '
                "(LibreOffice)\n")


def test_usage(t):
    r = imp(t, SHEET, batch="nope")
    t.status(r, 64)
    t.eq(r.err, f"attache: {SAMPLE}: has no batch 'nope'\n")
    r = t.run(["import", SHEET, "--into", SAMPLE, "--batch", "aec-ascc-5", "-o", SAMPLE])
    t.status(r, 64)
    t.match(r"-o OUT must be a new file", r.err)
    r = t.run(["import", SHEET, "--batch", "aec-ascc-5", "-o", t.path("o.xml")])
    t.status(r, 64)
    t.match(r"import needs --into DATA", r.err)
    r = t.run(["import", "--help"])
    t.status(r, 0)
    t.match(r"^usage: attache import CSV --into DATA --batch ID -o OUT", r.out)
    r = imp(t, t.path("missing.csv"))
    t.status(r, 66)
