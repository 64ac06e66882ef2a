"""What a fetch sends, and to whom: a URL is read as libcurl reads it (any
number of slashes after the scheme), and loopback is never reached through
a proxy, so that a token allowed over plain http to loopback stays there."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import httpserver  # noqa: E402

with open(os.path.join(ROOT, "samples", "asean.xml"), "rb") as _f:
    GOOD = _f.read()


def test_loopback_is_not_proxied(t):
    srv = httpserver.Server(GOOD)
    proxy = httpserver.Server(GOOD)       # answers anything: it must see nothing
    t.at_end(srv.stop)
    t.at_end(proxy.stop)
    env = t.env(http_proxy=proxy.url(""), HTTP_PROXY=proxy.url(""), all_proxy=proxy.url(""),
                ATTACHE_TOKEN=httpserver.TOKEN, XDG_CACHE_HOME=t.path("xdg"))
    r = t.run(["fetch", srv.url("/private"), "-o", t.path("got.xml"), "--no-cache"], env=env)
    t.status(r, 0, "fetch with a token over plain http to loopback")
    t.eq(len(proxy.log), 0, "requests the proxy saw")
    t.ok(srv.saw_authorization(), "the server got the token")


def test_user_name_after_one_or_three_slashes(t):
    for url, extra in (("http:///user:s3cret-pw@example.invalid/batch.xml", []),
                       ("http:///user:s3cret-pw@example.invalid/batch.xml", ["--allow-http"]),
                       ("http:/user:s3cret-pw@example.invalid/batch.xml", ["--allow-http"])):
        r = t.run(["fetch", url, "-o", t.path("got.xml"), "--no-cache", "--retries", "0"] + extra,
                  env=t.env(XDG_CACHE_HOME=t.path("xdg")))
        t.status(r, 69, f"fetch {url} {extra}")
        t.ok("s3cret-pw" not in r.err and "user" not in r.err, f"the password is shown: {r.err!r}")
        if extra:
            t.match(r"credentials are never sent over plain http", r.err)
