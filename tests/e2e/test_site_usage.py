"""attache site refuses what it cannot use, each with its message and exit
status, and says so when its list of files cannot be written."""
import os
import subprocess

from docs_util import keygen


def test_refusals(t):
    keygen(t)
    pub = t.path("k.pub")
    for args, env, code, message in [
        (["--bogus"], {}, 64, "attache: site: unknown option or missing value: '--bogus'\n"
                              "attache: see 'attache site --help'\n"),
        (["-o", t.path("s"), "--pub", pub], {"SOURCE_DATE_EPOCH": "tomorrow"}, 64,
         "attache: SOURCE_DATE_EPOCH 'tomorrow' is not a Unix time\n"),
        (["-o", t.path("s"), "--pub", pub, "--revoked", "/dev/null"], {}, 65,
         "attache: /dev/null: file is empty\n"),
        (["-o", t.path("s"), "--pub", t.path("k.key")], {}, 65,
         f"attache: {t.path('k.key')}: is not an attache public key\n"),
    ]:
        r = t.run(["site"] + args, env=t.env(**env))
        t.status(r, code, " ".join(args))
        t.eq(r.out, "")
        t.eq(r.err, message)


def test_full_standard_output(t):
    keygen(t)
    with open("/dev/full", "wb") as full:
        p = subprocess.run([t.attache, "site", "-o", t.path("s"), "--pub", t.path("k.pub")],
                           stdout=full, stderr=subprocess.PIPE, env=t.env())
    t.eq(p.returncode, 74)
    t.eq(p.stderr.decode(), "attache: cannot write to standard output: No space left on device\n")


def test_a_folder_where_a_file_goes(t):
    """A folder in the site's place of one of its files: 73, and no file of
    the site written."""
    keygen(t)
    os.makedirs(t.path("s", "trust.json"))
    r = t.run(["site", "-o", t.path("s"), "--pub", t.path("k.pub")])
    t.status(r, 73)
    t.eq(r.err, f"attache: {t.path('s')}: cannot write trust.json: there is a folder of that "
                "name\n")
    t.eq(os.listdir(t.path("s")), ["trust.json"])
