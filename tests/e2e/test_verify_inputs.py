"""attache verify with what is not a token: keys from $ATTACHE_PUB, lines on
standard input that are too long, pictures without a QR code or that cannot
be read, and a full standard output."""
import subprocess

from docs_util import keygen


def pub(t, name="k"):
    keygen(t, name)
    return t.path(name + ".pub")


def test_keys_from_the_environment(t):
    a, b = pub(t, "a"), pub(t, "b")
    r = t.run(["verify", "ATT1:AAAA"], env=t.env(ATTACHE_PUB=f"{a}:{b}"))
    t.status(r, 1)
    t.match(r"^INVALID\t", r.out)
    r = t.run(["verify", "ATT1:AAAA"], env=t.env(ATTACHE_PUB=f"{a}:{t.path('none.pub')}"))
    t.status(r, 66)
    t.eq(r.out, "")
    t.match(r"^attache: .*none\.pub: cannot open: No such file or directory$", r.err)
    # as attache site says of the same files: cannot be opened 66, not a key 65
    r = t.run(["verify", "--pub", t.path("none.pub"), "ATT1:AAAA"])
    t.status(r, 66)
    t.eq(r.out, "")
    r = t.run(["verify", "--pub", t.path("a.key"), "ATT1:AAAA"])
    t.status(r, 65)
    t.eq(r.err, f"attache: {t.path('a.key')}: is not an attache public key\n")


def test_lines_on_standard_input(t):
    key = pub(t)
    r = t.run(["verify", "--pub", key, "-"], stdin="ATT1:AAAA\n\n" + "A" * 9000 + "\nlast")
    t.status(r, 1)
    lines = r.out.splitlines()
    t.eq(len(lines), 3, r.out)
    t.match(r"^INVALID\t", lines[0])
    t.eq(lines[1].split("\t")[0], "INVALID")
    t.ok(lines[1].endswith("\tmalformed: the line is too long"), lines[1])
    t.match(r"^INVALID\t", lines[2])
    r = t.run(["verify", "--pub", key, "-"], stdin="\n\n")
    t.status(r, 1, "nothing to check is not all valid")
    t.eq(r.out, "")
    t.eq(r.err, "attache: verify: standard input had no text to check\n")


def test_pictures_without_codes(t):
    key = pub(t)
    blank = t.path("blank.png")
    t.sh(["convert", "-size", "200x200", "xc:white", blank])
    r = t.run(["verify", "--pub", key, blank])
    t.status(r, 1)
    t.ok(r.out.startswith("INVALID\t") and r.out.endswith("\tno QR code found in the picture\n"),
         r.out)
    cut = t.path("cut.png")
    with open(blank, "rb") as f, open(cut, "wb") as g:
        g.write(f.read()[:40])
    r = t.run(["verify", "--pub", key, cut])
    t.status(r, 1)
    t.ok(r.out.endswith("\tthe picture cannot be read\n"), r.out)
    t.match(r"^attache: .*cut\.png", r.err)


def test_full_standard_output(t):
    key = pub(t)
    with open("/dev/full", "wb") as full:
        p = subprocess.run([t.attache, "verify", "--pub", key, "ATT1:AAAA"], stdout=full,
                           stderr=subprocess.PIPE, env=t.env())
    t.eq(p.returncode, 74)
    t.eq(p.stderr.decode(), "attache: cannot write to standard output: No space left on device\n")
