"""The generating commands refuse what they cannot use before making any
document: each wrong option, argument or scheduler variable gets its one-line
message, exit status 64, and no output folder."""
import os


def sample(t):
    return os.path.join(t.samples, "asean.xml")


def refuse(t, args, pattern, env=None):
    r = t.run(args, env=t.env(**(env or {})))
    t.status(r, 64, " ".join(args))
    t.match(pattern, r.err, " ".join(args))
    t.eq(r.out, "", "stdout of " + " ".join(args))
    t.ok(not os.path.exists(t.path("o")), "no output folder after " + " ".join(args))


def test_bad_values(t):
    out = ["-o", t.path("o")]
    for args, pattern in [
        (["--jobs", "0"], r"^attache: --jobs '0' is not a number from 1 to 64$"),
        (["-j", "65"], r"^attache: --jobs '65' is not a number from 1 to 64$"),
        (["-j", "two"], r"^attache: --jobs 'two' is not a number"),
        (["--max-size", "lots"], r"^attache: --max-size 'lots' is not a size such as 64M$"),
        (["--shard", "0/4"], r"^attache: --shard '0/4' is not K/N"),
        (["--shard", "2"], r"^attache: --shard '2' is not K/N"),
        (["--shard", "2/4x"], r"^attache: --shard '2/4x' is not K/N"),
        (["--issue-date", "9 Feb 2016"], r"^attache: --issue-date '9 Feb 2016' is not a date"),
        (["--officer", ",".join(["x"] * 4097)], r"^attache: too many --officer ids$"),
        (["--batch", ",".join(["b"] * 4097)], r"^attache: too many --batch ids$"),
        (["--officer", ""], r"^attache: --officer '' has an empty id$"),
        (["--officer", ",,,"], r"^attache: --officer ',,,' has an empty id$"),
        (["--officer", "kh-2015-01,"], r"^attache: --officer 'kh-2015-01,' has an empty id$"),
        (["--batch", ""], r"^attache: --batch '' has an empty id$"),
        (["--timeout", "soon"], r"timeout"),
        (["--frobnicate"], r"^attache: letters: unknown option or missing value: "
                           r"'--frobnicate'$"),
        (["--key"], r"^attache: letters: unknown option or missing value: '--key'$"),
    ]:
        refuse(t, ["letters", sample(t)] + out + args, pattern)


def test_bad_arguments(t):
    out = ["-o", t.path("o")]
    refuse(t, ["letters"] + out, r"^attache: letters needs DATA: a file, or - for standard input$")
    refuse(t, ["induction", sample(t), sample(t)] + out,
           r"^attache: induction takes one DATA argument$")
    refuse(t, ["render", sample(t)] + out, r"^attache: render takes a TEMPLATE and DATA$")
    refuse(t, ["render", "-t", "letter", "letter", sample(t)] + out,
           r"^attache: render: the template is the first argument$")
    refuse(t, ["render", "letter", sample(t)], r"^attache: render needs an output folder: -o DIR$")


def test_bad_environment(t):
    args = ["certificates", sample(t), "-o", t.path("o")]
    refuse(t, args, r"^attache: SOURCE_DATE_EPOCH 'yesterday' is not a Unix time$",
           {"SOURCE_DATE_EPOCH": "yesterday"})
    # a Slurm array numbered from 0 with a task past its count, or below its minimum
    for env in ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"},
                {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4",
                 "SLURM_ARRAY_TASK_MIN": "2"},
                {"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"},
                {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "0"}):
        refuse(t, args, r"^attache: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT do not make a "
                        r"shard", env)
    for env in ({"JOB_COMPLETION_INDEX": "4", "ATTACHE_SHARDS": "4"},
                {"JOB_COMPLETION_INDEX": "one", "ATTACHE_SHARDS": "4"},
                {"JOB_COMPLETION_INDEX": "0", "ATTACHE_SHARDS": "0"}):
        refuse(t, args, r"^attache: JOB_COMPLETION_INDEX is set: set ATTACHE_SHARDS", env)
    # --shard given wins over the scheduler's variables, even wrong ones
    r = t.run(args + ["--shard", "1/2"], env=t.env(JOB_COMPLETION_INDEX="9"))
    t.status(r, 64)
    t.match(r"^attache: documents are signed: give a key", r.err)


def test_print_file_that_would_destroy_a_file(t):
    """--merge naming the data, the key, the template, the manifest or a
    batch folder's file is refused before anything is made: nothing
    replaced, no output folder."""
    import shutil
    data = t.path("d.xml")
    shutil.copy(sample(t), data)
    for sub in ("assets", "photos"):
        shutil.copytree(os.path.join(t.samples, sub), t.path(sub))
    key = t.path("k")
    t.status(t.run(["keygen", "-o", key, "--issuer", "asec"]), 0)
    tmpl = t.path("t.xml")
    r = t.run(["templates", "--show", "certificate"])
    t.status(r, 0)
    with open(tmpl, "w") as f:
        f.write(r.out)
    before = {p: open(p, "rb").read() for p in (data, key + ".key", tmpl)}
    out = ["-o", t.path("o"), "-k", key + ".key"]
    for merge, code, pattern in [
        (data, 64, r"the print file would replace the data it is made from"),
        (key + ".key", 64, r"the print file would replace the signing key"),
        (tmpl, 64, r"the print file would replace the template"),
        ("", 64, r"^attache: --merge needs a file name$"),
        (t.path("nowhere", "p.pdf"), 73, r"its folder .*nowhere does not exist"),
        (t.tmp, 73, r"it is a folder"),
    ]:
        r = t.run(["certificates", data, "-t", tmpl, "--merge", merge] + out)
        t.status(r, code, merge)
        t.match(pattern, r.err, merge)
        t.eq(len(r.err.splitlines()), 1, r.err)
        t.ok(not os.path.exists(t.path("o")), f"no output folder after --merge {merge!r}")
    for p, b in before.items():
        t.eq(open(p, "rb").read(), b, f"{p} is unchanged")
    # the output folder's own files: its manifest, a batch folder's documents
    t.status(t.run(["certificates", data, "--officer", "kh-2015-01"] + out), 0)
    manifest = open(t.path("o", "manifest.csv"), "rb").read()
    for merge in (t.path("o", "manifest.csv"), t.path("o", "aec-ascc-2", "x.pdf"),
                  t.path("o", "aec-ascc-2", "kh-2015-01-certificate.pdf")):
        r = t.run(["certificates", data, "--merge", merge] + out)
        t.status(r, 64, merge)
        t.match(r"would go among the output folder's own files", r.err, merge)
    t.eq(open(t.path("o", "manifest.csv"), "rb").read(), manifest, "the manifest is unchanged")
    r = t.run(["certificates", data, "--merge", t.path("o", "all.pdf")] + out)
    t.status(r, 0, "a print file in the output folder itself")


def test_results_lost_on_standard_output(t):
    """A command whose results cannot be written (a full disk behind
    > FILE) says so and exits 74, whichever command it is."""
    import subprocess
    key = t.path("k")
    t.status(t.run(["keygen", "-o", key, "--issuer", "asec"]), 0)
    for args in (["--version"], ["--help"], ["templates"], ["validate", sample(t)],
                 ["templates", "--show", "certificate"], ["keygen", "-o", t.path("k2"),
                                                          "--issuer", "asec"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([t.attache] + args, stdout=full, stderr=subprocess.PIPE,
                               text=True, env=t.env(), cwd=t.tmp, timeout=120)
        t.eq(p.returncode, 74, " ".join(args))
        t.match(r"^attache: cannot write", p.stderr, " ".join(args))
        t.eq(len(p.stderr.splitlines()), 1, p.stderr)


def test_a_run_that_makes_nothing_leaves_nothing(t):
    """A run whose every document fails (here, a template naming an image
    outside its folder) leaves no output folder when it made it, and in a
    folder that was there no batch folder of its own."""
    key = t.path("k")
    t.status(t.run(["keygen", "-o", key, "--issuer", "asec"]), 0)
    r = t.run(["templates", "--show", "certificate"])
    t.status(r, 0)
    tmpl = t.path("t.xml")
    with open(tmpl, "w") as f:
        f.write(r.out.replace("{/attache/issuer/logo/@src}", "/etc/passwd"))
    args = ["certificates", sample(t), "-k", key + ".key", "-t", tmpl, "-q"]
    r = t.run(args + ["-o", t.path("o")])
    t.status(r, 65)
    t.match(r"image path '/etc/passwd' must be relative", r.err)
    t.ok(not os.path.exists(t.path("o")), "no output folder")
    os.mkdir(t.path("kept"))
    with open(t.path("kept", "notes.txt"), "w") as f:
        f.write("mine\n")
    r = t.run(args + ["-o", t.path("kept")])
    t.status(r, 65)
    t.eq(sorted(os.listdir(t.path("kept"))), [".attache.lock", "notes.txt"],
         "only what was there, and the folder's lock")


def test_images_of_data_on_standard_input(t):
    """Data on standard input has its images in the current folder (or
    --assets), where a run would look for them: validate checks them there."""
    data = open(sample(t), "rb").read()
    r = t.run(["validate", "-q", "-"], stdin=data, cwd=t.samples)
    t.status(r, 0, "in the data's own folder")
    r = t.run(["validate", "-q", "-"], stdin=data, cwd=t.tmp)
    t.status(r, 65, "elsewhere")
    t.match(r"^attache: <stdin>:\d+: issuer 'asec': <logo>: image 'assets/logo.png' cannot be "
            r"read", r.err)
    r = t.run(["validate", "-q", "--assets", t.samples, "-"], stdin=data, cwd=t.tmp)
    t.status(r, 0, "--assets")


def test_every_option_is_in_the_man_page(t):
    """Each option a command's --help lists is in the man page too."""
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    man = open(os.path.join(root, "man", "attache.1"), encoding="utf-8").read()
    man = man.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
    commands = re.findall(r"(?m)^  ([a-z]+)  ", t.run(["--help"]).out)
    t.ok(len(commands) >= 14, commands)
    missing = []
    for cmd in commands:
        out = t.run([cmd, "--help"]).out
        for opt in re.findall(r"(?m)^  (?:-\w, )?(--[a-z][a-z-]*)", out):
            if opt != "--help" and not re.search(re.escape(opt) + r"\b", man):
                missing.append(f"{cmd} {opt}")
    t.ok(not missing, "options not in the man page: " + ", ".join(missing))


def test_empty_names_and_a_public_key_for_the_secret_one(t):
    key = t.path("k")
    t.status(t.run(["keygen", "-o", key, "--issuer", "asec"]), 0)
    os.chmod(key + ".pub", 0o644)
    for args, code, message in [
        (["certificates", "", "-o", t.path("o"), "-k", key + ".key"], 66,
         "attache: an input file needs a name ('' given)\n"),
        (["validate", ""], 66, "attache: an input file needs a name ('' given)\n"),
        (["certificates", sample(t), "-o", "", "-k", key + ".key"], 73,
         "attache: an output folder needs a name ('' given)\n"),
        (["certificates", sample(t), "-o", t.path("o"), "-k", key + ".pub"], 65,
         f"attache: {key}.pub: is not an attache signing key (it is the public key: use the "
         ".key file)\n"),
    ]:
        r = t.run(args)
        t.status(r, code, " ".join(args))
        t.eq(r.err, message)
        t.ok(not os.path.exists(t.path("o")), "no output folder")


def test_a_file_where_a_batch_folder_goes(t):
    """A file or a link in a batch folder's place: 73, one line saying so,
    and no folder of the run's own left beside it."""
    key = t.path("k")
    t.status(t.run(["keygen", "-o", key, "--issuer", "asec"]), 0)
    os.mkdir(t.path("o"))
    open(t.path("o", "jd-8"), "w").close()
    r = t.run(["certificates", sample(t), "-o", t.path("o"), "-k", key + ".key", "-q"])
    t.status(r, 73)
    t.eq(r.err, f"attache: {t.path('o')}: 'jd-8' is a file or a link, not a folder: the batch's "
                "documents go in a folder of that name; move it away\n")
    t.eq(sorted(os.listdir(t.path("o"))), [".attache.lock", "jd-8"])
