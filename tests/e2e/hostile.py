"""Hostile inputs for the data loader, made at test time.

Each entry: name -> (bytes, exit status, regular expression the first error
line must match).  Shared by test_hostile.py and by anyone who wants to
throw the same files at another command.
"""
import gzip
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = open(os.path.join(ROOT, "samples", "asean.xml"), "rb").read()

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def doc(body):
    """A minimal valid file around one officer body (bytes)."""
    return HEAD + b"""<attache version="1">
  <issuer id="asec"><name>ASEAN Secretariat</name><address>Jakarta</address></issuer>
  <programme id="p"><title>Programme</title>
    <batch id="b1" number="1" start="2015-02-09" end="2016-02-05">
      <signatory><name>A Signatory</name><title>Director</title></signatory>
""" + body + b"""
    </batch>
  </programme>
</attache>
"""


def officer(name=b"Chhy Ratha", oid=b"kh-01", extra=b""):
    return (b'      <officer id="' + oid + b'" status="graduated">\n'
            b"        <name>" + name + b"</name>\n"
            b'        <country code="KH"/><ministry>Ministry</ministry>\n'
            b'        <placement department="ASCC"/>\n' + extra +
            b"      </officer>")


def cases(port, secret_path):
    """`port`: a loopback port that must never see a request;
    `secret_path`: a local file that must never be read."""
    sp = secret_path.encode()
    url = f"http://127.0.0.1:{port}/x".encode()
    deep = b"<a>" * 100000 + b"</a>" * 100000
    return {
        "xxe-file": (HEAD + b'<!DOCTYPE attache [<!ENTITY x SYSTEM "file://' + sp + b'">]>\n'
                     + doc(officer(name=b"&x;"))[len(HEAD):], 65,
                     r"xxe-file.xml:2: DOCTYPE and ENTITY declarations are not allowed"),
        "xxe-http": (HEAD + b'<!DOCTYPE attache [<!ENTITY x SYSTEM "' + url + b'">]>\n'
                     + doc(officer(name=b"&x;"))[len(HEAD):], 65,
                     r"xxe-http.xml:2: DOCTYPE and ENTITY"),
        "external-dtd": (HEAD + b'<!DOCTYPE attache SYSTEM "' + url + b'">\n'
                         + doc(officer())[len(HEAD):], 65, r"external-dtd.xml:2: DOCTYPE"),
        "parameter-entity": (HEAD + b'<!DOCTYPE attache [<!ENTITY % p SYSTEM "' + url +
                             b'"> %p;]>\n' + doc(officer())[len(HEAD):], 65,
                             r"parameter-entity.xml:2: DOCTYPE"),
        "billion-laughs": (HEAD + b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)) + b"]>\n<lolz>&lol9;</lolz>\n", 65,
            r"billion-laughs.xml:2: DOCTYPE"),
        "quadratic-blowup": (HEAD + b'<!DOCTYPE a [<!ENTITY a "' + b"x" * 50000 + b'">]>\n<attache>'
                             + b"&a;" * 50000 + b"</attache>\n", 65, r"quadratic-blowup.xml:2: DOCTYPE"),
        "xinclude": (doc(officer(extra=b'        <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="'
                                 + sp + b'" parse="text"/>\n')), 65,
                     r'xinclude.xml:\d+: officer .kh-01.: <include xmlns="http://www.w3.org/2001/XInclude"> is not expected here'),
        "deep-nesting": (HEAD + b'<attache version="1">' + deep + b"</attache>", 65,
                         r"deep-nesting.xml:2: .*"),
        "cdata-before-name": (doc(officer(name=b"<![CDATA[Mallory ]]>Chhy Ratha")), 65,
                              r"cdata-before-name.xml:8: a CDATA section \(<!\[CDATA\[\.\.\.\]\]>\) "
                              r"is not accepted in attache data"),
        "cdata-bidi": (doc(officer(name="Chhy <![CDATA[\u202eahtaR]]>".encode())), 65,
                       r"cdata-bidi.xml:8: a CDATA section"),
        # what no built-in template can print is refused here, not found
        # half-way through a run
        "rtl-native-name": (doc(officer(name='Chhy Ratha</name><name lang="he">דוד כהן'.encode())),
                            65, r"rtl-native-name.xml:8: officer .kh-01.: <name> has U\+05D3, "
                                r"written right to left; attache lays out left-to-right scripts only"),
        "thai-as-lao": (doc(officer(name='Chhy Ratha</name><name lang="lo">สมชาย'.encode())), 65,
                        r'thai-as-lao.xml:8: officer .kh-01.: <name lang="lo"> .*has U\+0E2A, a '
                        r'letter of Thai script; a name with lang="lo" is written in Lao script'),
        "latin-as-khmer": (doc(officer(name=b'Chhy Ratha</name><name lang="km">Chhy Ratha')), 65,
                           r'latin-as-khmer.xml:8: .*a letter of Latin script; a name with '
                           r'lang="km" is written in Khmer script'),
        "fullwidth-name": (doc(officer(name="Ｃｈｈｙ Ratha".encode())), 65,
                           r"fullwidth-name.xml:8: .*has U\+FF23, a compatibility form"),
        "variation-selector": (doc(officer(name="Chhy\ufe0fRatha".encode())), 65,
                               r"variation-selector.xml:8: .*U\+FE0F, which cannot be printed"),
        "tag-character": (doc(officer(name="Chhy\U000e0041Ratha".encode())), 65,
                          r"tag-character.xml:8: .*U\+E0041, which cannot be printed"),
        "same-language-twice": (doc(officer(
            name='Chhy Ratha</name><name lang="KM">ឈី</name><name lang="km">ឈី'.encode())),
                                65, r'same-language-twice.xml:8: officer .kh-01.: has two '
                                    r'<name lang="km">'),
        "batch-number-huge": (doc(officer()).replace(b'number="1"', b'number="99999999999999999999999"'),
                              65, r"batch-number-huge.xml:5: batch 'b1': <batch> number "
                                  r"'9999999999999999\.\.\.' is larger than 99999"),
        "impossible-session-date": (doc(officer()).replace(
            b'      <officer id="kh-01"',
            b'      <induction start="2015-02-09" end="2015-02-13"><session date="2015-02-30" '
            b'start="09:00" end="10:00" kind="briefing"><topic>T</topic></session></induction>\n'
            b'      <officer id="kh-01"'), 65,
            r"impossible-session-date.xml:\d+: batch 'b1': <session> date 2015-02-30 is not a date"),
        # libxml2's time grows with the square of one element's attributes
        "many-attributes": (doc(officer()).replace(
            b'status="graduated"', b'status="graduated" ' +
            b" ".join(b'a%d="x>y"' % i for i in range(100000))), 65,
            r"many-attributes.xml:7: an element has more than 64 attributes; attache data has "
            r"a few on each"),
        "empty": (b"", 65, r"empty.xml: file is empty"),
        "blank": (b"\n\n   \n", 65, r"blank.xml: file is empty"),
        "truncated": (SAMPLE[: len(SAMPLE) // 2], 65, r"truncated.xml:\d+: not well-formed XML"),
        "two-roots": (doc(officer()) + b"<attache version=\"1\"/>\n", 65,
                      r"two-roots.xml:\d+: not well-formed XML: extra content at the end of the document"),
        "gzip-disguised": (gzip.compress(SAMPLE, mtime=0), 65,
                           r"gzip-disguised.xml: file is gzip-compressed; attache reads plain XML only"),
        "invalid-utf8": (doc(officer(name=b"Nguy\xe1\xbb n")), 65,
                         r"invalid-utf8.xml:8: text is not valid UTF-8 \(byte 0xE1\)"),
        "latin1-declared": (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + doc(officer())[len(HEAD):],
                            65, r"latin1-declared.xml:1: file declares encoding 'ISO-8859-1'"),
        "utf16": (("\ufeff" + doc(officer()).decode()).encode("utf-16-le"), 65,
                  r"utf16.xml:1: file is UTF-16 or UTF-32; attache data must be UTF-8"),
        "nul-byte": (doc(officer(name=b"Chhy\x00Ratha")), 65,
                     r"nul-byte.xml:8: file contains a NUL byte"),
        "control-char": (doc(officer(name=b"Chhy\x1bRatha")), 65,
                         r"control-char.xml:8: text contains U\+001B, a control character XML does not allow"),
        "c1-control": (doc(officer(name="Chhy\u009bRatha".encode())), 65,
                       r"c1-control.xml:8: officer 'kh-01': <name> contains the character U\+009B"),
        "bidi-override": (doc(officer(name="Chhy \u202eahtaR".encode())), 65,
                          r"bidi-override.xml:8: officer 'kh-01': <name> contains the character U\+202E"),
        "bidi-isolate": (doc(officer(name="Chhy \u2067Ratha\u2069".encode())), 65,
                         r"bidi-isolate.xml:8: officer 'kh-01': <name> contains the character U\+2067"),
        "long-name": (doc(officer(name=b"A" * 10000)), 65,
                      r"long-name.xml:8: officer 'kh-01': <name> is 10000 characters long; the limit is 200"),
        "slash-in-id": (doc(officer(oid=b"kh/01")), 65,
                        r"slash-in-id.xml:7: officer 'kh/01': <officer> id='kh/01' is not valid"),
        "dotdot-id": (doc(officer(oid=b"..")), 65,
                      r"dotdot-id.xml:7: officer '\.\.': <officer> id='\.\.' is not valid"),
        "dotdot-src": (doc(officer(extra=b'        <photo src="../../etc/passwd.png"/>\n')), 65,
                       r"dotdot-src.xml:\d+: officer 'kh-01': <photo> src='\.\./\.\./etc/passwd\.png' is not valid"),
        "absolute-src": (doc(officer(extra=b'        <photo src="/etc/x.png"/>\n')), 65,
                         r"absolute-src.xml:\d+: officer 'kh-01': <photo> src='/etc/x\.png' is not valid"),
        "url-src": (doc(officer(extra=b'        <photo src="' + url + b'.png"/>\n')), 65,
                    r"url-src.xml:\d+: officer 'kh-01': <photo> src="),
        "duplicate-id": (doc(officer() + b"\n" + officer(name=b"Sok Chanthy")), 65,
                         r"duplicate-id.xml:12: officer 'kh-01': officer id 'kh-01' is already used at line 7"),
        "unknown-element": (doc(officer(extra=b"        <nickname>R</nickname>\n")), 65,
                            r"unknown-element.xml:11: officer 'kh-01': <nickname> is not expected here"),
        "unknown-attribute": (doc(officer().replace(b'status="graduated"', b'status="graduated" rank="1"')), 65,
                              r"unknown-attribute.xml:7: officer 'kh-01': <officer> has an unknown attribute 'rank'"),
        "impossible-date": (doc(officer()).replace(b'end="2016-02-05"', b'end="2016-02-30"'), 65,
                            r"impossible-date.xml:5: batch 'b1': end 2016-02-30 is not a date"),
        "end-before-start": (doc(officer()).replace(b'end="2016-02-05"', b'end="2014-02-05"'), 65,
                             r"end-before-start.xml:5: batch 'b1': end 2014-02-05 is before start 2015-02-09"),
        "higher-version": (doc(officer()).replace(b'version="1"', b'version="2"', 1).replace(
                           b'<attache version="1">', b'<attache version="2">'), 65,
                           r"higher-version.xml:2: data format version '2' is not supported"),
        "wrong-root": (HEAD + b"<html><body>Not found</body></html>\n", 65,
                       r"wrong-root.xml:2: the root element must be <attache>, not <html>"),
        "native-name-without-lang": (doc(officer(name="ឈី រដ្ឋា".encode())), 65,
                                     r"native-name-without-lang.xml:8: officer 'kh-01': <name> '.*' is not in Latin script"),
    }
