"""The induction pack names the batch's signatory by the title the data
gives, never by a title of its own ("Director")."""
import re

from docs_util import EPOCH, keygen, sample_with, text

TITLE = "Deputy Secretary-General for ASEAN Socio-Cultural Community"


def test_induction_pack_uses_the_signatory_title_from_the_data(t):
    data = sample_with(t, "dsg.xml", lambda xml: xml.replace(
        "<title>Director, Finance, Industry and Infrastructure Directorate</title>",
        f"<title>{TITLE}</title>", 1))
    r = t.run(["induction", data, "-o", t.path("out"), "-k", keygen(t), "-q",
               "--officer", "kh-2015-01"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    t.status(r, 0)
    body = text(t.path("out", "aec-ascc-2", "kh-2015-01-induction.pdf"))
    flat = " ".join(body.split())
    t.ok(re.search(r"\bDirector\b", body) is None, f"'Director' printed: {body!r}")
    t.ok(TITLE in flat, "the title from the data is printed")
    t.ok(re.search(r"Key contacts .*" + re.escape(TITLE) + r".*Tran Dong Phuong", flat),
         "the key contacts name the signatory by that title")
