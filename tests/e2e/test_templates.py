"""attache templates: each built-in template shown as it is, and a write
that fails said so."""
import os
import subprocess


def test_show_prints_each_template_as_it_is(t):
    for name in ("certificate", "letter", "induction"):
        r = t.run(["templates", "--show", name])
        t.status(r, 0, name)
        with open(os.path.join(t.root, "templates", name + ".xml")) as f:
            t.eq(r.out, f.read(), name)
        t.eq(r.err, "", name)


def test_show_to_a_full_disk_fails(t):
    with open("/dev/full", "wb") as full:
        p = subprocess.run([t.attache, "templates", "--show", "induction"], stdout=full,
                           stderr=subprocess.PIPE, env=t.env())
    t.eq(p.returncode, 74)
    t.eq(p.stderr.decode(), "attache: cannot write the template: No space left on device\n")


def test_template_mistakes_are_said_once(t):
    """A template's mistake is one line on stderr, at its line; libxml2 prints
    nothing of its own, and a fifth margin is not silently dropped."""
    head = ('<?xml version="1.0"?>\n<template version="1" name="t" kind="certificate"{}>\n'
            '<style name="body" font="serif" size="12pt"/>\n<page>\n{}\n</page></template>\n')
    text = '<text x="1mm" y="1mm" w="10mm">{}</text>'
    for attrs, item, line, message in [
        ("", text.format("{name[}"), 5,
         "'name[' is not a valid XPath expression (it goes wrong at character 6)"),
        (' margin="1mm 2mm 3mm 4mm 5mm"', text.format("x"), 2,
         "margin must be one to four lengths"),
    ]:
        path = t.path("mine.xml")
        with open(path, "w") as f:
            f.write(head.format(attrs, item))
        r = t.run(["certificates", "-t", path, t.samples + "/asean.xml", "-o", t.path("o")])
        t.status(r, 65)
        t.eq(r.err, f"attache: {path}:{line}: {message}\n")
        t.eq(r.out, "")
