#!/usr/bin/python3
"""End-to-end tests of the attache tool.

Two kinds of cases:

* Directory cases, tests/e2e/cases/NAME/, compared against expectations kept
  beside them:
    cmd        the arguments after `attache`, in shell syntax; $TMP (a fresh
               folder), $ROOT (the repository) and $SAMPLES are replaced
    stdin      optional: what to feed on standard input
    exit       the expected exit status (default 0)
    stdout     optional: the exact expected standard output
    stderr     optional: the exact expected standard error
    stdout.re, stderr.re   optional: one regular expression per expected line
    files      optional: the files expected under $TMP afterwards, one per
               line, sorted (directories are not listed)
  $TMP, $SAMPLES and $ROOT in the expected text stand for those folders.

* Python modules tests/e2e/test_*.py whose functions test_*(t) receive a
  Context (below): for what needs more than a comparison, such as reading
  PDFs back, decoding QR codes or running a test HTTP server.

Usage: run.py [-k SUBSTRING] [-v]
Prints one line per failure and ends with "e2e: N passed, N failed".
"""
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ATTACHE = os.environ.get("ATTACHE") or os.path.join(ROOT, "build", "attache")
SAMPLES = os.path.join(ROOT, "samples")
BASE_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LC_ALL": "C",
    "TZ": "UTC",
    "HOME": os.environ.get("HOME", "/tmp"),
}
for keep in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if keep in os.environ:
        BASE_ENV[keep] = os.environ[keep]


class Failure(AssertionError):
    pass


class Result:
    def __init__(self, code, out, err, elapsed):
        self.code, self.out, self.err, self.elapsed = code, out, err, elapsed

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


class Context:
    """What a Python test function gets: a fresh folder and ways to run things."""

    root = ROOT
    samples = SAMPLES
    attache = ATTACHE

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="attache-e2e-")
        self.cleanups = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def env(self, **extra):
        env = dict(BASE_ENV)
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def run(self, args, stdin=None, env=None, cwd=None, timeout=300, binary=None):
        """Run attache (or `binary`) with `args`; returns a Result (text decoded
        as UTF-8 with replacement)."""
        cmd = [binary or self.attache] + list(args)
        if isinstance(stdin, str):
            stdin = stdin.encode()
        start = time.monotonic()
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=env or self.env(),
                           cwd=cwd or self.tmp, timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"), time.monotonic() - start)

    def run_on_terminal(self, args, env=None, timeout=300):
        """Run attache with `args`, its standard error a terminal (a pty), its
        standard input and output nowhere; returns (exit status, what it wrote
        to the terminal, decoded)."""
        import pty
        import select
        master, slave = pty.openpty()
        p = subprocess.Popen([self.attache] + list(args), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=slave, env=env or self.env(),
                             cwd=self.tmp)
        os.close(slave)
        got = b""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not select.select([master], [], [], max(0.0, deadline - time.monotonic()))[0]:
                    break
                try:
                    chunk = os.read(master, 4096)
                except OSError:         # the other end is closed
                    break
                if not chunk:
                    break
                got += chunk
            return p.wait(timeout=max(1.0, deadline - time.monotonic())), \
                got.decode("utf-8", "replace")
        finally:
            os.close(master)
            if p.poll() is None:
                p.kill()
                p.wait()

    def sh(self, cmd, **kw):
        """Run another program; raises Failure when it fails."""
        p = subprocess.run(cmd, capture_output=True, **kw)
        if p.returncode != 0:
            raise Failure(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
        return p.stdout

    def at_end(self, fn):
        self.cleanups.append(fn)

    def fail(self, msg):
        raise Failure(msg)

    def ok(self, cond, msg):
        if not cond:
            raise Failure(msg)

    def eq(self, got, want, msg=""):
        if got != want:
            raise Failure(f"{msg}{': ' if msg else ''}got {got!r}, want {want!r}")

    def match(self, pattern, text, msg=""):
        if not re.search(pattern, text, re.M):
            raise Failure(f"{msg}{': ' if msg else ''}/{pattern}/ not found in {text!r}")

    def status(self, r, code, msg=""):
        if r.code != code:
            raise Failure(f"{msg}{': ' if msg else ''}exit {r.code}, want {code}\n{r!r}")

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def listed_files(top):
    out = []
    for d, _, files in os.walk(top):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), top))
    return sorted(out)


def compare_lines(what, got, want_res):
    lines = got.splitlines()
    if len(lines) != len(want_res):
        raise Failure(f"{what}: {len(lines)} lines, want {len(want_res)}\n{got}")
    for i, (line, rx) in enumerate(zip(lines, want_res)):
        if not re.fullmatch(rx, line):
            raise Failure(f"{what} line {i + 1}: {line!r} does not match /{rx}/")


def run_case(case_dir, t):
    def read(name, default=None):
        p = os.path.join(case_dir, name)
        if not os.path.exists(p):
            return default
        with open(p, "rb") as f:
            return f.read()

    def subst(s):
        return (s.replace("$TMP", t.tmp).replace("$SAMPLES", SAMPLES)
                 .replace("$ROOT", ROOT))

    cmd = read("cmd").decode().strip()
    args = [subst(a) for a in shlex.split(cmd)]
    stdin = read("stdin")
    r = t.run(args, stdin=stdin, cwd=ROOT)
    want_exit = int((read("exit", b"0").decode().strip() or "0"))
    def unsubst(s):
        return s.replace(t.tmp, "$TMP").replace(SAMPLES, "$SAMPLES").replace(ROOT, "$ROOT")

    out, err = unsubst(r.out), unsubst(r.err)
    if r.code != want_exit:
        raise Failure(f"exit {r.code}, want {want_exit}\n{r!r}")
    for stream, got in (("stdout", out), ("stderr", err)):
        exact = read(stream)
        if exact is not None and got != exact.decode():
            raise Failure(f"{stream} differs:\n--- got\n{got}--- want\n{exact.decode()}")
        res = read(stream + ".re")
        if res is not None:
            compare_lines(stream, got, res.decode().splitlines())
    files = read("files")
    if files is not None:
        want = [l for l in files.decode().splitlines() if l.strip()]
        got = listed_files(t.tmp)
        if got != want:
            raise Failure(f"files: got {got}, want {want}")


def collect(filter_):
    tests = []
    cases = os.path.join(ROOT, "tests", "e2e", "cases")
    if os.path.isdir(cases):
        for name in sorted(os.listdir(cases)):
            d = os.path.join(cases, name)
            if os.path.isfile(os.path.join(d, "cmd")):
                tests.append((f"case/{name}", lambda t, d=d: run_case(d, t)))
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(here, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr in sorted(vars(mod)):
            fn = getattr(mod, attr)
            if attr.startswith("test_") and callable(fn):
                tests.append((f"{fname[:-3]}/{attr}", fn))
    return [(n, f) for n, f in tests if not filter_ or filter_ in n]


def main():
    args = sys.argv[1:]
    filter_ = None
    verbose = False
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            filter_ = args.pop(0)
        elif a == "-v":
            verbose = True
        else:
            print(f"usage: run.py [-k SUBSTRING] [-v]", file=sys.stderr)
            return 64
    if not os.access(ATTACHE, os.X_OK):
        print(f"e2e: {ATTACHE} is not built", file=sys.stderr)
        print("e2e: 0 passed, 1 failed")
        return 1
    passed = failed = 0
    start = time.monotonic()
    for name, fn in collect(filter_):
        t = Context(name)
        t0 = time.monotonic()
        try:
            fn(t)
            passed += 1
            if verbose:
                print(f"ok   {name} ({time.monotonic() - t0:.1f}s)")
        except Failure as e:
            failed += 1
            print(f"FAIL {name}: {e}")
        except Exception:
            failed += 1
            print(f"FAIL {name}: exception\n{traceback.format_exc()}")
        finally:
            t.close()
    print(f"e2e: {passed} passed, {failed} failed ({time.monotonic() - start:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
