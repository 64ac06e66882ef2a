"""A template is checked against the data format when it loads: a field no
issuer, programme, batch or officer can have is an error at the template's
line, and every template error is one 'attache:' line (libxml2's own
"XPath error" lines never reach stderr)."""
import os

from docs_util import EPOCH, SAMPLE, keygen


def template_with(t, name, old, new):
    r = t.run(["templates", "--show", "certificate"])
    t.status(r, 0)
    lines = r.out.splitlines(keepends=True)
    at = [i for i, l in enumerate(lines) if old in l]
    t.ok(at, f"{old!r} in the certificate template")
    lines[at[0]] = lines[at[0]].replace(old, new, 1)
    path = t.path(name)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)
    return path, at[0] + 1


def certificates(t, template):
    return t.run(["certificates", SAMPLE, "-o", t.path("out"), "-k", keygen(t), "-q",
                  "--template", template, "--officer", "kh-2015-01"],
                 env=t.env(SOURCE_DATE_EPOCH=EPOCH))


def test_a_misspelt_field_is_an_error_at_its_line(t):
    path, line = template_with(t, "typo.xml", "{../signatory[1]/name}", "{minstry}")
    r = certificates(t, path)
    t.status(r, 65)
    t.eq(r.err, f"attache: {path}:{line}: '{{minstry}}': no issuer, programme, batch or "
                "officer has a <minstry> (did you mean <ministry>?)\n")
    t.ok(not os.path.exists(t.path("out", "aec-ascc-2")), "no documents")


def test_unknown_attribute_function_and_variable(t):
    for old, new, why in (
            ("{../signatory[1]/name}", "{../@numbr}",
             "no issuer, programme, batch or officer has an attribute @numbr (did you mean "
             "@number?)"),
            ("{../signatory[1]/name}", "{shout(name)}",
             "unknown function 'shout()' (docs/templates.md lists the functions)"),
            ("{../signatory[1]/name}", "{$issuedate}",
             "unknown variable '$issuedate' (the variables are $document-id, $kind, "
             "$issue-date, $reference, $page, $pages)")):
        path, line = template_with(t, "t.xml", old, new)
        r = certificates(t, path)
        t.status(r, 65, new)
        t.eq(r.err, f"attache: {path}:{line}: '{new}': {why}\n")


def test_an_invalid_expression_is_one_line(t):
    path, line = template_with(t, "bad.xml", "{../signatory[1]/name}", "{name[}")
    r = certificates(t, path)
    t.status(r, 65)
    t.eq(r.err, f"attache: {path}:{line}: 'name[' is not a valid XPath expression (it goes "
                "wrong at character 6)\n")
    t.ok("XPath error" not in r.err, "libxml2's own line")
