"""End-to-end tests of remote data: attache fetch and DATA given as a URL,
against the misbehaving server in tests/tools/httpserver.py, on loopback
only.  Every fault checks the exit status, the one-line message naming the
URL, that no temporary or partial file is left, and that an older good
file is still intact."""
import os
import re
import stat
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import httpserver  # noqa: E402

SAMPLE = os.path.join(ROOT, "samples", "asean.xml")
with open(SAMPLE, "rb") as _f:
    GOOD = _f.read()
OLD = GOOD.replace(b"<attache ", b"<!-- an older copy -->\n<attache ", 1)
FAST = ["--retry-delay", "0.05"]        # quick backoff; Retry-After is honoured as given
TOKEN = httpserver.TOKEN
MiB = 1024 * 1024


def server(t, **kw):
    srv = httpserver.Server(GOOD, **kw)
    t.at_end(srv.stop)
    return srv


def env(t, **extra):
    return t.env(XDG_CACHE_HOME=t.path("xdg"), **extra)


def fetch(t, url, *args, **env_extra):
    return t.run(["fetch", url] + FAST + list(args), env=env(t, **env_extra), timeout=120)


def cache_files(t):
    d = t.path("xdg", "attache")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def last_line(r):
    lines = r.err.rstrip("\n").split("\n")
    return lines[-1] if lines else ""


def fault(t, url, code, reason, *args, **env_extra):
    """Fetch into a folder holding an older good file; the fetch must fail
    with `code` and a last line 'attache: URL: <reason>', leaving the folder
    and the cache as they were."""
    d = t.path("dl")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "batch.xml")
    with open(out, "wb") as f:
        f.write(OLD)
    before = cache_files(t)
    r = fetch(t, url, "-o", out, *args, **env_extra)
    t.status(r, code, url)
    shown = re.sub(r"//[^/@]*@", "//", url)
    t.match("^attache: " + re.escape(shown) + ": " + reason + "$", last_line(r), "last line")
    t.eq(r.out, "", "nothing on stdout")
    with open(out, "rb") as f:
        t.ok(f.read() == OLD, "the older file is intact")
    t.eq(sorted(os.listdir(d)), ["batch.xml"], "no temporary or partial file")
    t.eq(cache_files(t), before, "the cache is unchanged")
    return r


# Measures through a fresh, small python: ru_maxrss carries over fork and exec,
# so measuring from the test runner itself would report the runner's size.
RSS_WRAPPER = ("import resource, subprocess, sys\n"
               "r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL,"
               " stderr=open(sys.argv[1] + '.err', 'wb'))\n"
               "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def rss_of(t, args, env_):
    """Run attache; its exit status, stderr and peak resident set in KiB."""
    errfile = t.path("rss")
    p = subprocess.run(["/usr/bin/python3", "-c", RSS_WRAPPER, errfile, t.attache] + args,
                       capture_output=True, env=env_, cwd=t.tmp, timeout=120)
    code, rss = (int(x) for x in p.stdout.split())
    with open(errfile + ".err", encoding="utf-8", errors="replace") as f:
        return code, f.read(), rss


def asan():
    return "asan" in os.environ.get("BUILD_DIR", "") or "asan" in (os.environ.get("ATTACHE") or "")


# ---- good answers -----------------------------------------------------------


def test_good_file_to_stdout_and_file(t):
    srv = server(t)
    r = fetch(t, srv.url("/batch.xml"))
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "stdout is the data")
    out = t.path("batch.xml")
    r = fetch(t, srv.url("/plain.xml"), "-o", out)
    t.status(r, 0)
    with open(out, "rb") as f:
        t.ok(f.read() == GOOD, "file is the data")
    t.eq(sorted(os.listdir(t.tmp)), ["batch.xml", "xdg"], "no temporary file")
    files = cache_files(t)
    t.eq(len(files), 2, "one cache entry per URL")
    t.eq(stat.S_IMODE(os.stat(t.path("xdg", "attache")).st_mode), 0o700, "cache folder mode")
    for name in files:
        t.eq(stat.S_IMODE(os.stat(t.path("xdg", "attache", name)).st_mode), 0o600, "cache mode")


def test_validate_url(t):
    srv = server(t)
    r = t.run(["validate", srv.url("/batch.xml")], env=env(t))
    t.status(r, 0)
    t.match(r"^" + re.escape(srv.url("/batch.xml")) + r": valid: 6 batches, 23 officers$", r.out)


def test_gzip_encoded_data_is_decoded(t):
    srv = server(t)
    r = fetch(t, srv.url("/gzip.xml"), "--no-cache")
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "decoded body")
    t.eq(cache_files(t), [], "--no-cache writes no cache")


def test_not_modified_reuses_the_cache(t):
    srv = server(t)
    out = t.path("batch.xml")
    t.status(fetch(t, srv.url("/batch.xml"), "-o", out), 0)
    (entry,) = cache_files(t)
    path = t.path("xdg", "attache", entry)
    st = os.stat(path)
    time.sleep(0.05)
    r = fetch(t, srv.url("/batch.xml"), "-o", out)
    t.status(r, 0)
    t.match(r"the cached copy \(not modified\)", r.err)
    t.eq(srv.log[-1]["headers"].get("if-none-match"), httpserver.ETAG, "sent If-None-Match")
    t.eq(srv.log[-1]["headers"].get("if-modified-since"), httpserver.LAST_MODIFIED,
         "sent If-Modified-Since")
    t.eq(srv.log[-1]["status"], 304)
    st2 = os.stat(path)
    t.eq((st2.st_ino, st2.st_mtime_ns), (st.st_ino, st.st_mtime_ns), "cache not rewritten")
    with open(out, "rb") as f:
        t.ok(f.read() == GOOD, "output is the cached data")
    # --offline: the cache only, even with the server gone
    srv.stop()
    r = fetch(t, srv.url("/batch.xml"), "--offline")
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "offline copy")
    fault(t, srv.url("/plain.xml"), 69, r"not in the cache \(offline: nothing is downloaded\)",
          "--offline")


def test_corrupt_cache_entry_is_ignored(t):
    srv = server(t)
    t.status(fetch(t, srv.url("/batch.xml")), 0)
    (entry,) = cache_files(t)
    path = t.path("xdg", "attache", entry)
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(len(data) - 20)
        f.write(b"X")
    r = fetch(t, srv.url("/batch.xml"))
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "fresh data")
    t.ok("if-none-match" not in srv.log[-1]["headers"], "a bad entry is not revalidated")
    t.eq(srv.log[-1]["status"], 200)


def test_cache_that_cannot_be_written_is_only_a_notice(t):
    srv = server(t)
    with open(t.path("not-a-folder"), "w") as f:
        f.write("x")
    r = fetch(t, srv.url("/batch.xml"), "--cache", t.path("not-a-folder"))
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "data still delivered")
    t.match(r"^attache: .*: the cache in '.*not-a-folder' was not written: ", r.err)


def test_progress_line_on_a_terminal(t):
    srv = server(t)
    code, text = t.run_on_terminal(["fetch", srv.url("/slow"), "--low-speed-time", "3",
                                    "--retries", "0", "-o", t.path("x.xml")], env=env(t),
                                   timeout=60)
    t.eq(code, 69, "too slow")
    t.match(r"\r\x1b\[Kattache: " + re.escape(srv.url("/slow")) + r": \d+ bytes of \d+ KB, ",
            text)


# ---- HTTP errors and retries -------------------------------------------------


def test_404_is_not_retried(t):
    srv = server(t)
    fault(t, srv.url("/missing"), 69, "HTTP 404")
    t.eq(len(srv.log), 1, "4xx is never retried")


def test_500_is_retried_then_given_up(t):
    srv = server(t)
    r = fault(t, srv.url("/error"), 69, "HTTP 500 after 2 retries", "--retries", "2")
    t.eq(len(srv.log), 3, "one try and two retries")
    t.match(r"^attache: \S+: HTTP 500; waiting \d+\.\d s before retry 1 of 2$", r.err)
    t.match(r"^attache: \S+: HTTP 500; waiting \d+\.\d s before retry 2 of 2$", r.err)


def test_503_with_retry_after_then_success(t):
    srv = server(t)
    r = fetch(t, srv.url("/busy?n=2"))
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "data after the retries")
    t.match(r"^attache: \S+: HTTP 503, Retry-After 1 s; waiting 1\.0 s before retry 1 of 3$",
            r.err)
    t.eq([e["status"] for e in srv.log], [503, 503, 200])
    t.ok(r.elapsed >= 1.9, f"waited as asked ({r.elapsed:.1f} s)")


def test_503_with_retry_after_date(t):
    srv = server(t)
    r = fetch(t, srv.url("/busy?n=1&after=date"))
    t.status(r, 0)
    t.match(r"HTTP 503, Retry-After [0-2] s; waiting", r.err)


def test_retry_after_past_the_timeout_gives_up_at_once(t):
    srv = server(t)
    r = fault(t, srv.url("/busy?n=9&after=3600"), 69,
              r"HTTP 503; no time left for retry 1 within --timeout 20 s", "--timeout", "20")
    t.ok(r.elapsed < 15, f"gave up at once, not at the deadline ({r.elapsed:.1f} s)")


def test_429(t):
    srv = server(t)
    r = fetch(t, srv.url("/ratelimit?n=1"))
    t.status(r, 0)
    t.match(r"HTTP 429; waiting", r.err)
    srv2 = server(t)
    fault(t, srv2.url("/ratelimit?n=10"), 69, "HTTP 429 after 1 retry", "--retries", "1")
    t.eq(len(srv2.log), 2)


# ---- redirects -----------------------------------------------------------------


def test_redirects_are_followed(t):
    srv = server(t)
    for status in (301, 302, 303, 307, 308):
        r = fetch(t, srv.url(f"/redirect?status={status}"), "--no-cache")
        t.status(r, 0, f"redirect {status}")
        t.ok(r.out.encode() == GOOD, "data")
    t.status(fetch(t, srv.url("/chain?n=4"), "--no-cache"), 0, "5 redirects")
    fault(t, srv.url("/chain?n=5"), 69, "more than 5 redirects")


def test_redirect_loop(t):
    srv = server(t)
    fault(t, srv.url("/loop"), 69, "more than 5 redirects")
    t.eq(len(srv.log), 6, "the first request and five redirects")


def test_redirect_to_file_and_ftp_is_refused(t):
    srv = server(t)
    fault(t, srv.url("/to?url=file:///etc/passwd"), 69,
          r"redirect to 'file:///etc/passwd' refused: only http and https are followed")
    fault(t, srv.url(f"/to?url=ftp://127.0.0.1:{srv.port}/batch.xml"), 69,
          rf"redirect to 'ftp://127.0.0.1:{srv.port}/batch.xml' refused: only http and "
          r"https are followed")
    t.eq(len(srv.log), 2, "nothing else was asked")


def test_redirect_to_another_origin_with_a_token(t):
    srv, other = server(t), server(t)
    target = other.url("/batch.xml")
    r = fault(t, srv.url("/private?to=" + target), 69,
              r"redirect to another origin '" + re.escape(target) + r"' refused: the request "
              r"carries credentials \(a token, --header or a user name in the URL\)",
              ATTACHE_TOKEN=TOKEN)
    t.ok(TOKEN not in r.err, "token not shown")
    t.eq(other.log, [], "the other origin was never contacted")
    # --header counts as credentials too
    fault(t, srv.url("/to?url=" + target), 69, r"redirect to another origin .* refused: .*",
          "--header", "X-Api-Key: abc")
    t.eq(other.log, [], "the other origin was never contacted")
    # without credentials, another origin is fine
    r = fetch(t, srv.url("/to?url=" + target))
    t.status(r, 0)
    t.eq(len(other.log), 1)
    t.ok(not other.saw_authorization(), "no Authorization to the other origin")


# ---- broken transfers ----------------------------------------------------------


def test_body_closed_mid_transfer(t):
    srv = server(t)
    fault(t, srv.url("/cut"), 69, r"the connection closed before the whole body arrived "
          r"\(transfer closed with \d+ bytes remaining to read\) after 1 retry", "--retries", "1")
    t.eq(len(srv.log), 2, "retried once")
    fault(t, srv.url("/cut-chunked"), 69,
          r"the connection closed before the whole body arrived \(.*\)", "--retries", "0")


def test_content_length_larger_than_the_body(t):
    srv = server(t)
    fault(t, srv.url("/short"), 69, r"the connection closed before the whole body arrived "
          r"\(transfer closed with 1000 bytes remaining to read\)", "--retries", "0")


def test_one_byte_a_second_aborts_in_the_low_speed_window(t):
    srv = server(t)
    r = fault(t, srv.url("/slow"), 69, r"too slow: under 1024 bytes/s for 2 s",
              "--low-speed-time", "2", "--retries", "0")
    t.ok(r.elapsed < 60, f"gave up in {r.elapsed:.0f} s")


def test_overall_timeout(t):
    srv = server(t)
    r = fault(t, srv.url("/slow"), 69, r"timed out after 2 s \(see --timeout\)",
              "--timeout", "2")
    t.ok(r.elapsed < 60, f"gave up in {r.elapsed:.0f} s")


def test_huge_bodies_stop_at_the_cap_in_little_memory(t):
    srv = server(t)
    for route in ("/huge", "/huge?chunked=1"):
        out = t.path("dl", "batch.xml")
        os.makedirs(t.path("dl"), exist_ok=True)
        with open(out, "wb") as f:
            f.write(OLD)
        code, err, rss = rss_of(t, ["fetch", srv.url(route), "--max-size", "4M", "-o", out],
                                env(t))
        t.eq(code, 69, route)
        t.match(r"^attache: " + re.escape(srv.url(route)) +
                r": the body is larger than the limit of 4194304 bytes \(see --max-size\)$",
                err, route)
        bound = 400 * 1024 if asan() else 64 * 1024
        t.ok(rss < bound, f"{route}: peak RSS {rss} KiB, want under {bound} KiB")
        with open(out, "rb") as f:
            t.ok(f.read() == OLD, "older file intact")
        t.eq(os.listdir(t.path("dl")), ["batch.xml"], "no partial file")
    # the default cap, 64 MiB, on a 100 MB body without Content-Length
    code, err, rss = rss_of(t, ["fetch", srv.url("/huge?chunked=1"), "-o", t.path("x")], env(t))
    t.eq(code, 69)
    t.match(r"larger than the limit of 67108864 bytes", err)
    if not asan():
        t.ok(rss < 64 * 1024 + 48 * 1024, f"peak RSS {rss} KiB with the default cap")
    t.ok(not os.path.exists(t.path("x")), "nothing written")


def test_gzip_bomb_stops_at_the_cap(t):
    srv = server(t)
    r = fault(t, srv.url("/bomb"), 69,
              r"the body is larger than the limit of 8388608 bytes \(see --max-size\)",
              "--max-size", "8M")
    code, err, rss = rss_of(t, ["fetch", srv.url("/bomb"), "--max-size", "8M"], env(t))
    t.eq(code, 69)
    bound = 400 * 1024 if asan() else 64 * 1024
    t.ok(rss < bound, f"peak RSS {rss} KiB inflating a {httpserver.BOMB >> 20} MiB bomb")


# ---- not attache data ------------------------------------------------------------


def test_html_with_200_is_not_attache_data(t):
    srv = server(t)
    fault(t, srv.url("/html"), 65,
          r"not attache data \(Content-Type text/html; charset=utf-8\): line \d+: .*")


def test_malformed_xml(t):
    srv = server(t)
    fault(t, srv.url("/malformed"), 65,
          r"not attache data \(Content-Type application/xml\): line \d+: .*")


# ---- credentials ----------------------------------------------------------------


def test_bearer_token(t):
    srv = server(t)
    outputs = []
    r = fault(t, srv.url("/private"), 69, "HTTP 401")
    outputs.append(r)
    t.eq(len(srv.log), 1, "401 is not retried")
    r = fetch(t, srv.url("/private"), ATTACHE_TOKEN=TOKEN)
    t.status(r, 0, "token from the environment")
    outputs.append(r)
    tf = t.path("token")
    with open(tf, "w") as f:
        f.write(TOKEN + "\n")
    out = t.path("got.xml")
    r = fetch(t, srv.url("/private"), "--token-file", tf, "--no-cache", "-o", out)
    t.status(r, 0, "token from a file")
    outputs.append(r)
    with open(tf, "w") as f:
        f.write("wrong-" + TOKEN)
    r = fault(t, srv.url("/private"), 69, "HTTP 401", "--token-file", tf)
    outputs.append(r)
    r = t.run(["validate", srv.url("/private"), "-q"], env=env(t, ATTACHE_TOKEN=TOKEN))
    outputs.append(r)
    for r in outputs:
        t.ok(TOKEN not in r.out and TOKEN not in r.err, f"token printed: {r!r}")
    for d, _, files in os.walk(t.tmp):
        for name in files:
            if name == "token":
                continue
            with open(os.path.join(d, name), "rb") as f:
                t.ok(TOKEN.encode() not in f.read(), f"token written into {name}")
    t.ok(all(e["headers"].get("authorization") in (None, "Bearer " + TOKEN,
                                                   "Bearer wrong-" + TOKEN) for e in srv.log),
         "bearer scheme")


def test_userinfo_is_not_shown(t):
    srv = server(t)
    url = f"http://hr:pa55word@127.0.0.1:{srv.port}/missing"
    r = fault(t, url, 69, "HTTP 404")
    t.ok("pa55word" not in r.err, "password not shown")


def test_plain_http_is_refused_except_to_loopback(t):
    r = fault(t, "http://hr.example.org/batch.xml", 69,
              r"refused: plain http is refused except to loopback \(use https, or give "
              r"--allow-http\)")
    t.ok(r.elapsed < 30, "nothing was contacted")
    r = t.run(["fetch", "ftp://127.0.0.1/batch.xml"], env=env(t))
    t.status(r, 64)
    r = t.run(["validate", "file:///etc/passwd"], env=env(t))
    t.status(r, 64)
    t.match(r"'file' URLs are not supported", r.err)


def test_bad_options(t):
    for args in (["--timeout", "0"], ["--retries", "x"], ["--header", "no colon"],
                 ["--retry-delay", "-1"], ["--low-speed-time", "0"]):
        r = t.run(["fetch", "http://127.0.0.1:1/x"] + args, env=env(t))
        t.status(r, 64, " ".join(args))
    r = t.run(["fetch", "http://127.0.0.1:1/x", "--offline", "--no-cache"], env=env(t))
    t.status(r, 64)


# ---- HTTPS ------------------------------------------------------------------------


def make_cert(t):
    cert, key = t.path("cert.pem"), t.path("key.pem")
    t.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
          "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert])
    return cert, key


def test_https_self_signed_needs_cacert(t):
    cert, key = make_cert(t)
    srv = server(t, tls=(cert, key))
    fault(t, srv.url("/batch.xml"), 69,
          r"TLS: the server's certificate is not trusted \(.*\); for a private CA give "
          r"--cacert FILE")
    r = fetch(t, srv.url("/batch.xml"), "--cacert", cert)
    t.status(r, 0)
    t.ok(r.out.encode() == GOOD, "data over TLS")


def test_certificates_from_https(t):
    cert, key = make_cert(t)
    srv = server(t, tls=(cert, key))
    r = t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"])
    t.status(r, 0)
    r = t.run(["certificates", srv.url("/batch.xml"), "-o", t.path("out"), "--cacert", cert,
               "-k", t.path("k.key"), "--assets", t.samples, "--officer", "kh-2015-01", "-q"],
              env=env(t, SOURCE_DATE_EPOCH="1454630400"))
    t.status(r, 0)
    t.ok(os.path.isfile(t.path("out", "aec-ascc-2", "kh-2015-01-certificate.pdf")), "pdf")
    with open(t.path("out", "manifest.csv")) as f:
        t.match(r"kh-2015-01", f.read())


def test_remote_data_never_reads_images_from_the_current_folder(t):
    srv = server(t)
    r = t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"])
    t.status(r, 0)
    # the current folder holds the sample's images: they must not be used
    r = t.run(["certificates", srv.url("/batch.xml"), "-o", t.path("out"), "-k",
               t.path("k.key"), "-q", "-j", "2"],
              env=env(t, SOURCE_DATE_EPOCH="1454630400"), cwd=t.samples)
    t.status(r, 64, "a missing --assets is a usage error")
    t.match(r"data read from a URL has no local folder for images \(give --assets DIR\)", r.err)
    t.eq(len(r.err.splitlines()), 1, "said once, not once per officer")
    pdfs = [f for _, _, fs in os.walk(t.path("out")) for f in fs if f.endswith(".pdf")]
    t.eq(pdfs, [], "no documents")


def test_every_data_command_takes_the_fetch_options(t):
    srv = server(t)
    for cmd in (["validate"], ["certificates"], ["letters"], ["induction"],
                ["render", "certificate"], ["fetch"]):
        r = t.run(cmd[:1] + ["--help"])
        t.status(r, 0, cmd[0])
        for opt in ("--cacert", "--token-file", "--header", "--allow-http", "--timeout",
                    "--retries", "--cache", "--offline"):
            t.ok(opt in r.out, f"{cmd[0]} --help lists {opt}")
        out = [] if cmd[0] == "validate" else ["-o", t.path("o")]
        r = t.run(cmd + [srv.url("/batch.xml"), "--timeout", "0"] + out)
        t.status(r, 64, f"{cmd[0]} parses --timeout")
        t.match(r"--timeout '0' is not a number of seconds", r.err)
    t.eq(srv.log, [], "nothing fetched on a usage error")


def test_generating_from_a_failing_url_writes_nothing(t):
    srv = server(t)
    r = t.run(["keygen", "-o", t.path("k"), "--issuer", "asec"])
    t.status(r, 0)
    for route, code, reason in (("/missing", 69, "HTTP 404"),
                                ("/error", 69, "HTTP 500 after 1 retry"),
                                ("/html", 65, r"not attache data \(Content-Type text/html.*")):
        r = t.run(["letters", srv.url(route), "-o", t.path("out"), "-k", t.path("k.key"),
                   "--retries", "1"] + FAST, env=env(t))
        t.status(r, code, route)
        t.match("^attache: " + re.escape(srv.url(route)) + ": " + reason + "$", last_line(r))
        t.ok(not os.path.exists(t.path("out")) or not os.listdir(t.path("out")),
             f"{route}: nothing written")
