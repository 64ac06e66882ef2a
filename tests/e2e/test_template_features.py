"""Templates' features as a reader sees them (repeated items on a page,
justified text, numbered and dashed lists filled by <each> and <if>), and
the mistakes that only show when a document is made, said once each."""
import os

from docs_util import EPOCH, SAMPLE, keygen, text

OFFICER = "kh-2015-01"
PDF = os.path.join("aec-ascc-2", OFFICER + "-note.pdf")

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<template version="1" name="feat" kind="note" size="A5" margin="15mm">
  <style name="body" font="serif" size="10pt"/>
  <page>
    <each select="../induction/session[position() &lt;= 3]" step="8mm">
      <text x="15mm" y="20mm" w="100mm" style="body">{SESSION}</text>
    </each>
    <line x1="15mm" y1="50mm" x2="100mm" y2="50mm" width="1pt" dash="3pt 1.5pt" colour="navy"/>
    <text x="15mm" y="60mm" w="60mm" align="justify" style="body">Justified text runs across the whole width of its box, line after line, until the last line.</text>
  </page>
  <flow>
    <list marker="number">
      <item>First</item>
      <each select="../induction/session[position() &lt;= 2]"><item>Session at {@start}</item></each>
      <if test="name"><item>Named</item></if>
      <if test="@status = 'withdrawn'"><item>Hidden</item></if>
    </list>
    <list marker="dash"><item>Dashed</item></list>
    <table columns="20mm *">{ROW}</table>
  </flow>
</template>
"""


def render(t, session="Session {@start}", row="<row><cell>a</cell><cell>b</cell></row>"):
    path = t.path("feat.xml")
    with open(path, "w") as f:
        f.write(TEMPLATE.replace("{SESSION}", session).replace("{ROW}", row))
    r = t.run(["render", path, SAMPLE, "-o", t.path("out"), "-k", keygen(t), "--officer",
               OFFICER, "-q"], env=t.env(SOURCE_DATE_EPOCH=EPOCH))
    return r, path


def test_features_as_printed(t):
    r, _ = render(t)
    t.status(r, 0)
    got = text(t.path("out", PDF), layout=True)
    lines = [line.strip() for line in got.splitlines() if line.strip()]
    t.eq(lines[:3], ["Session 09:00", "Session 10:45", "Session 13:30"], "<each> on a page")
    t.ok("Justified text runs across the whole" in got, got)
    for item in ["1. First", "2. Session at 09:00", "3. Session at 10:45", "4. Named",
                 "\u2013 Dashed"]:
        t.ok(item in lines, f"{item!r} not a line of {lines!r}")
    t.ok("Hidden" not in got, "an <if> that is false adds no item")
    page = t.sh(["qpdf", "--qdf", "--object-streams=disable", t.path("out", PDF), "-"])
    t.ok(b"[3 1.5] 0 d" in page, "the dashed line's pattern is in the page")


def test_mistakes_found_while_making_a_document(t):
    data_line = f"{SAMPLE}:96: officer '{OFFICER}'"
    long_cell = "<row><cell>a</cell><cell>" + " ".join(["word"] * 2500) + "</cell></row>"
    for session, row, message in [
        ("{upper()}", None, "{path}:6: XPath error for officer 'kh-2015-01': wrong number of "
                            "arguments"),
        ("{join(1, 2)}", None, "{path}:6: XPath error for officer 'kh-2015-01': an argument of "
                               "the wrong type"),
        (None, "<row><cell>a</cell><cell>b</cell><cell>c</cell></row>",
         data_line + ": a table row at template line 19 has 3 cells for 2 columns"),
        (None, long_cell, data_line + ": a table row (template line 19) is taller than a page"),
    ]:
        kw = {}
        if session:
            kw["session"] = session
        if row:
            kw["row"] = row
        r, path = render(t, **kw)
        t.status(r, 65)
        t.eq(r.err, f"attache: {message.replace('{path}', path)}\nattache: 1 document failed\n")
        t.ok(not os.path.exists(t.path("out", PDF)), "no document for a failure")


def test_unknown_names_are_found_when_the_template_loads(t):
    for session, message in [
        ("{nosuch(1)}", "'{nosuch(1)}': unknown function 'nosuch()' (docs/templates.md lists "
                        "the functions)"),
        ("{$nothing}", "'{$nothing}': unknown variable '$nothing'"),
    ]:
        r, path = render(t, session=session)
        t.status(r, 65)
        t.ok(r.err.startswith(f"attache: {path}:6: {message}") and r.err.count("\n") == 1, r.err)
