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
