"""Common data mistakes are caught when the data is read, each with advice:
xml:lang is taken as lang, a bare '&' is explained, a file saved as
Windows-1252 or Latin-1 is told to be saved as UTF-8, and images the data
names are checked by validate at their element's line, once, before any
document is made."""
import os
import re

from docs_util import EPOCH, SAMPLE, keygen, sample_with, text


def validate(t, path, *extra):
    return t.run(["validate", path, "-q"] + list(extra))


def test_xml_lang_means_lang(t):
    data = sample_with(t, "xl.xml", lambda x: x.replace('<name lang="km">', '<name xml:lang="km">'))
    r = validate(t, data)
    t.status(r, 0)
    t.eq(r.err, "")
    # a template sees it as lang: the Latin name is the one without
    r = t.run(["templates", "--show", "certificate"])
    tpl = t.path("count.xml")
    with open(tpl, "w", encoding="utf-8") as f:
        f.write(r.out.replace("{../signatory[1]/name}",
                              "{count(name[@lang = 'km'])} native, {count(name[not(@lang)])} latin",
                              1))
    r = t.run(["certificates", data, "-o", t.path("out"), "-k", keygen(t), "-q", "--template",
               tpl, "--officer", "kh-2015-01"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    body = text(t.path("out", "aec-ascc-2", "kh-2015-01-certificate.pdf"))
    t.ok("1 native, 1 latin" in " ".join(body.split()), body)


def line_of(path, text):
    """The number of the first line of the file at `path` that holds `text`."""
    with open(path, encoding="utf-8") as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_xml_lang_mistakes(t):
    data = sample_with(t, "xl.xml", lambda x: x.replace(
        '<name lang="km">ឈី', '<name xml:space="preserve" lang="km" xml:lang="my">ឈី').replace(
        '<name lang="my">ထက်', '<name xml:lang="m y">ထက်'))
    km, my = (line_of(data, w) for w in ('xml:lang="my">ឈី', 'xml:lang="m y"'))
    r = validate(t, data)
    t.status(r, 65)
    t.eq(r.err.splitlines(), [
        f"attache: {data}:{km}: officer 'kh-2015-01': <name> has an unknown attribute "
        "'xml:space'",
        f"attache: {data}:{km}: officer 'kh-2015-01': <name> has lang=\"km\" and "
        "xml:lang=\"my\"; give one",
        f"attache: {data}:{my}: officer 'mm-2016-01': <name> xml:lang='m y' is not a language "
        "code such as km or vi",
    ])


def test_a_bare_ampersand_is_explained(t):
    data = sample_with(t, "amp.xml", lambda x: x.replace(
        "<ministry>Ministry of Commerce</ministry>",
        "<ministry>Ministry of Commerce & Industry</ministry>", 1))
    r = validate(t, data)
    t.status(r, 65)
    t.eq(r.err, f"attache: {data}:{line_of(data, 'Commerce & Industry')}: a bare '&': write "
                "&amp; for an ampersand "
                "(\"Finance &amp; Budget\")\n")
    data = sample_with(t, "ent.xml", lambda x: x.replace(
        "<topic>Closing lunch of the induction week</topic>",
        "<topic>Closing lunch&nbsp;of the week</topic>", 1))
    r = validate(t, data)
    t.status(r, 65)
    t.eq(r.err, f"attache: {data}:92: '&nbsp;' is not an XML escape: write the character "
                "itself, or &amp; for an ampersand\n")


def test_windows_1252_and_latin1_files_are_told_to_be_utf8(t):
    with open(SAMPLE, encoding="utf-8") as f:
        xml = f.read()
    # only what Windows-1252 can hold: the Vietnamese, Khmer and Myanmar names go
    xml = re.sub(r"<name lang=\"[a-z]+\">[^<]*</name>\s*", "", xml)
    xml = xml.replace("Ministry of Women's Affairs", "Ministère de la Condition féminine – test")
    for enc, byte, char in (("cp1252", "0xE8", "è"), ("latin-1", "0xE8", "è")):
        data = t.path(f"{enc}.xml")
        with open(data, "wb") as f:
            f.write(xml.encode(enc, errors="replace"))
        r = validate(t, data)
        t.status(r, 65, enc)
        t.match(rf"^attache: {re.escape(data)}:\d+: text is not valid UTF-8 \(byte {byte}\): "
                rf"the file looks saved as Windows-1252 or Latin-1, where that byte is "
                rf"'{char}'; save it again as UTF-8", r.err, enc)
        t.eq(len(r.err.splitlines()), 1)
    # UTF-8 that is damaged is not taken for another encoding
    data = t.path("damaged.xml")
    with open(data, "wb") as f:
        f.write(xml.replace("Ministère", "Minist\u00e8re").encode("utf-8").replace(
            "è".encode(), b"\xc3", 1))
    r = validate(t, data)
    t.status(r, 65)
    t.match(r"text is not valid UTF-8 \(byte 0xC3\); save the file again as UTF-8$", r.err)


def test_images_are_checked_by_validate_once_at_their_element(t):
    def breaks(x):
        x = x.replace('<logo src="assets/logo.png"/>', '<logo src="assets/fake.png"/>')
        x = x.replace('<photo src="photos/kh-2015-01.jpg"/>', '<photo src="photos/gone.jpg"/>')
        return x
    data = sample_with(t, "img.xml", breaks)
    with open(t.path("assets", "fake.png"), "wb") as f:
        f.write(b"GIF89a\x01\x00\x01\x00")
    r = validate(t, data)
    t.status(r, 65)
    t.eq(r.err.splitlines(), [
        f"attache: {data}:10: issuer 'asec': <logo>: image 'assets/fake.png' is not a PNG or "
        "JPEG file (whatever its name says); save it as PNG or JPEG",
        f"attache: {data}:107: officer 'kh-2015-01': <photo>: image 'photos/gone.jpg' cannot "
        "be read: No such file or directory",
    ])
    # generating stops at the same two lines, and makes nothing
    r = t.run(["letters", data, "-o", t.path("out"), "-k", keygen(t), "-q"],
              env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 65)
    t.eq(len(r.err.splitlines()), 2, "each bad image once, not once per officer")
    t.ok(not os.path.exists(t.path("out", "aec-ascc-2")), "no documents")
    # with --assets the images are looked for there
    r = validate(t, data, "--assets", t.samples)
    t.status(r, 65)
    t.eq(len(r.err.splitlines()), 2)
    good = sample_with(t, "good.xml", lambda x: x)
    t.status(validate(t, good), 0)
