"""Templates and revocation lists come from outside like data: their bytes
are screened the same way (UTF-8 only, no DOCTYPE), and their numbers are
parsed whole and bounded (no overflow, no NaN written into a PDF)."""
import os

import docs_util
import hostile

SMALL = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<template version="1" name="t" kind="t" size="A5">\n'
         '  <style name="s" font="serif" size="12pt" tracking="{tracking}" leading="{leading}"/>\n'
         '  <flow><p style="s">{{name}}</p>\n'
         '  <table columns="{columns}"><row><cell span="{span}">a</cell></row></table></flow>\n'
         '  <page><text x="10mm" y="10mm" w="50mm" max-lines="{lines}">x</text></page>\n'
         '</template>\n')
GOOD = dict(tracking="0.05em", leading="1.2", columns="* 2*", span="2", lines="2")


def render(t, name, template, key):
    with open(t.path(name), "wb") as f:
        f.write(template)
    data = t.path("d.xml")
    if not os.path.exists(data):
        with open(data, "wb") as f:
            f.write(hostile.doc(hostile.officer()))
    return t.run(["render", "./" + name, "d.xml", "-o", "out-" + name, "-k", key, "-j", "1"])


def test_template_numbers(t):
    key = docs_util.keygen(t)
    r = render(t, "good.xml", SMALL.format(**GOOD).encode(), key)
    t.status(r, 0, "the good template")
    bad = {
        "span": ("2147483647", r"<cell> span='2147483647' must be a whole number from 1 to 16"),
        "lines": ("99999999999999999999", r"<text> max-lines='9+' must be a whole number"),
        "tracking": ("nan", r"<style> tracking must be ems from -0.2em to 2em"),
        "leading": ("5", r"<style> leading must be from 0.8 to 4"),
        "columns": ("* nan*", r"table column share 'nan\*' must be from 0.01\* to 100\*"),
    }
    for attr, (value, message) in bad.items():
        values = dict(GOOD)
        values[attr] = value
        r = render(t, attr + ".xml", SMALL.format(**values).encode(), key)
        t.status(r, 65, f"{attr}={value}")
        t.match(r"^attache: \./" + attr + r"\.xml:\d+: " + message, r.err, f"{attr}={value}")
    r = render(t, "qr.xml", SMALL.format(**GOOD).replace('size="A5"', 'size="A5" qr-max-version="41"')
               .encode(), key)
    t.status(r, 65, "qr-max-version=41")
    t.match(r"qr-max-version='41' must be a whole number from 1 to 40", r.err)


def utf16(text):
    return ("\ufeff" + text).encode("utf-16-le")


def test_templates_and_lists_screened(t):
    key = docs_util.keygen(t)
    doctype = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE template [<!ENTITY e "e">]>\n'
    body = SMALL.format(**GOOD).split("\n", 1)[1]
    r = render(t, "u16.xml", utf16(doctype + body), key)
    t.status(r, 65, "a UTF-16 template")
    t.eq(r.err, "attache: ./u16.xml:1: file is UTF-16 or UTF-32; templates must be UTF-8\n")
    r = render(t, "latin1.xml", ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + body).encode(), key)
    t.status(r, 65, "a Latin-1 template")
    t.match(r"latin1\.xml:1: file declares encoding 'ISO-8859-1'; templates must be UTF-8", r.err)

    listed = t.path("list.xml")
    r = t.run(["revoke", "C-VOY5-4WN7-YVQM", "--reason", "lost", "--list", listed,
               "--date", "2020-01-01"])
    t.status(r, 0, "revoke")
    text = open(listed, encoding="utf-8").read()
    rest = text.split("\n", 1)[1]
    for name, data, message in (
            ("u16-list.xml", utf16('<?xml version="1.0" encoding="UTF-16"?>\n'
                                   '<!DOCTYPE r [<!ENTITY e "e">]>\n' + rest),
             "file is UTF-16 or UTF-32; revocation lists must be UTF-8"),
            ("doctype-list.xml", ('<!DOCTYPE r [<!ENTITY e "e">]>\n' + rest).encode(),
             "revocation lists may not have a DOCTYPE")):
        with open(t.path(name), "wb") as f:
            f.write(data)
        r = t.run(["verify", "--revoked", name, "ATT1:AAAA"])
        t.status(r, 65, name)
        t.match(r"^attache: " + name.replace(".", r"\.") + r":\d+: " + message, r.err, name)
