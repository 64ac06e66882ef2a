"""The hostile-input suite: every file must give a clear one-line error with
the right exit status, and nothing outside may be read or fetched."""
import http.server
import os
import re
import shutil
import threading

import hostile


class Recorder(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):
        Recorder.hits.append(self.path)
        body = b"SECRET-FROM-NETWORK"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def start_server(t):
    srv = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    t.at_end(srv.shutdown)
    return srv.server_address[1]


def opened_files(t, log):
    """Paths opened according to an strace log."""
    out = []
    for line in open(log, errors="replace"):
        m = re.search(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]*)"', line)
        if m:
            out.append(m.group(1))
    return out


def test_hostile_inputs(t):
    port = start_server(t)
    secret = t.path("secret.txt")
    with open(secret, "w") as f:
        f.write("SECRET-FROM-DISK\n")
    strace = shutil.which("strace")
    problems = []
    for name, (data, code, rx) in sorted(hostile.cases(port, secret).items()):
        path = t.path(name + ".xml")
        with open(path, "wb") as f:
            f.write(data)
        args = ["validate", name + ".xml"]
        log = t.path(name + ".strace")
        r = t.run(args)
        if strace:
            # LeakSanitizer cannot run under ptrace; the plain run above checked leaks.
            traced = t.run(["-f", "-qq", "-e", "trace=open,openat", "-o", log, t.attache] + args,
                           binary=strace, env=t.env(ASAN_OPTIONS="detect_leaks=0"))
            if traced.code != r.code:
                problems.append(f"{name}: exit {traced.code} under strace, {r.code} without")
        lines = r.err.splitlines()
        if r.code != code:
            problems.append(f"{name}: exit {r.code}, want {code}: {r.err[:300]}")
            continue
        if not lines or not re.match(r"attache: " + rx, lines[0]):
            problems.append(f"{name}: first error {lines[:1]!r} does not match /{rx}/")
        if any(not l.startswith("attache: ") for l in lines):
            problems.append(f"{name}: stderr has lines not starting 'attache: ': {lines!r}")
        if any(len(l) > 700 for l in lines):
            problems.append(f"{name}: an error line is {max(map(len, lines))} characters long")
        if "\x1b" in r.err or "\u202e" in r.err or "\u2067" in r.err:
            problems.append(f"{name}: raw control or bidi character reached the terminal")
        if r.out:
            problems.append(f"{name}: printed on stdout: {r.out[:200]!r}")
        if "SECRET" in r.out + r.err:
            problems.append(f"{name}: content of a file or URL leaked into the output")
        if strace:
            bad = [p for p in opened_files(t, log) if p.startswith(t.tmp) and
                   not p.endswith(name + ".xml")]
            if bad:
                problems.append(f"{name}: opened {bad}")
    t.ok(not Recorder.hits, f"the loopback server was contacted: {Recorder.hits}")
    t.ok(not problems, "\n  " + "\n  ".join(problems))


def test_errors_are_all_reported(t):
    """Several independent errors are all reported, sorted by line."""
    data = hostile.doc(hostile.officer(extra=b"        <nickname>x</nickname>\n") + b"\n" +
                       hostile.officer(oid=b"kh-02", name="a\u202eb".encode()))
    data = data.replace(b'end="2016-02-05"', b'end="2016-02-31"')
    with open(t.path("many.xml"), "wb") as f:
        f.write(data)
    r = t.run(["validate", "many.xml"])
    t.status(r, 65)
    lines = r.err.splitlines()
    t.eq(len(lines), 3, "errors")
    nums = [int(re.match(r"attache: many\.xml:(\d+):", l).group(1)) for l in lines]
    t.eq(nums, sorted(nums), "errors in line order")


def test_what_a_container_lacks_is_put_on_it(t):
    """The validator reports what a programme, batch or the file lacks at its end
    tag, after its last officer: the message names the container and what it
    lacks, not that officer."""
    data = hostile.doc(hostile.officer()).replace(
        b"</programme>\n", b"</programme>\n  <programme id=\"empty\"><title>T</title>\n"
        b"  </programme>\n", 1)
    with open(t.path("lacks.xml"), "wb") as f:
        f.write(data)
    r = t.run(["validate", "lacks.xml"])
    t.status(r, 65)
    t.match(r"^attache: lacks\.xml:\d+: programme 'empty': <programme> lacks "
            r"(<\w+>, )*(<\w+> or )?<batch>$", r.err)
    t.eq(len(r.err.splitlines()), 1, "one error")


def test_error_cap(t):
    body = b"\n".join(hostile.officer(oid=b"o-%d" % i, extra=b"        <bad/>\n") for i in range(120))
    with open(t.path("cap.xml"), "wb") as f:
        f.write(hostile.doc(body))
    r = t.run(["validate", "cap.xml"])
    t.status(r, 65)
    lines = r.err.splitlines()
    t.eq(len(lines), 51, "50 errors and a closing line")
    t.match(r"stopped after 50 errors", lines[-1])
    r = t.run(["validate", "--max-errors", "5", "cap.xml"])
    t.eq(len(r.err.splitlines()), 6, "--max-errors 5")


def test_line_numbers_past_65535(t):
    """Lines are right beyond 65535 for parser, schema and our own checks."""
    filler = b"\n".join(hostile.officer(oid=b"f-%d" % i) for i in range(14000))
    bad = (hostile.officer(oid=b"late", extra=b"        <bad/>\n") + b"\n" +
           hostile.officer(oid=b"late2", name="x\u202ey".encode()))
    data = hostile.doc(filler + b"\n" + bad)
    with open(t.path("big.xml"), "wb") as f:
        f.write(data)
    text = data.decode()
    want_bad = text[: text.index("<bad/>")].count("\n") + 1
    want_name = text[: text.index("x\u202ey")].count("\n") + 1
    t.ok(want_bad > 65535, f"file is long enough ({want_bad})")
    r = t.run(["validate", "big.xml"])
    t.status(r, 65)
    t.match(rf"^attache: big\.xml:{want_bad}: officer 'late': <bad> is not expected", r.err)
    t.match(rf"^attache: big\.xml:{want_name}: officer 'late2': <name> contains", r.err)
    # a well-formedness error far down
    with open(t.path("big2.xml"), "wb") as f:
        f.write(data.replace(b"<bad/>", b"<bad>"))
    r = t.run(["validate", "big2.xml"])
    t.status(r, 65)
    t.match(rf"^attache: big2\.xml:{want_bad + 1}: not well-formed XML", r.err)


def test_unreadable_file(t):
    os.mkdir(t.path("dir.xml"))
    r = t.run(["validate", "dir.xml"])
    t.status(r, 66)
    t.eq(r.err, "attache: dir.xml: is a folder, not a file\n")


def test_one_mistake_one_message(t):
    """A country code in lower case is one mistake: one line."""
    path = t.path("lc.xml")
    with open(path, "wb") as f:
        f.write(hostile.doc(hostile.officer()).replace(b'code="KH"', b'code="kh"'))
    r = t.run(["validate", path])
    t.status(r, 65)
    t.eq(len(r.err.splitlines()), 1, r.err)
    t.match(r"<country> code='kh' is not valid: country codes are two capital letters", r.err)


def test_many_equals_signs_that_are_not_attributes(t):
    """'=' in comments, processing instructions and values is not counted as
    attributes: such data is valid."""
    path = t.path("eq.xml")
    body = hostile.officer(extra=b"        <!-- " + b"<a b=1 c=2 " * 100 + b"-->\n"
                                 b"        <?note " + b"k=v " * 100 + b"?>\n")
    with open(path, "wb") as f:
        f.write(hostile.doc(body).replace(b"<ministry>Ministry</ministry>",
                                          b"<ministry>" + b"a=b " * 100 + b"</ministry>"))
    r = t.run(["validate", "-q", path])
    t.status(r, 0, r.err)
