#!/usr/bin/python3
"""A misbehaving HTTP(S) server for the fetch tests, on 127.0.0.1 only.

Every route is one fault (or a good answer) that attache fetch must handle:
see ROUTES below.  The server binds port 0 (a free port), logs every request
(path and headers) for the tests to inspect, and stops by itself after
`lifetime` seconds even if nobody stops it.

In a test:   srv = Server(data=GOOD); ...; srv.stop()
By hand:     tests/tools/httpserver.py [--tls CERT KEY] DATAFILE   (prints the URL)
"""
import email.utils
import gzip
import http.server
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import zlib

TOKEN = "s3cr3t-T0KEN-do-not-print"
ETAG = '"attache-v1"'
LAST_MODIFIED = "Wed, 03 Feb 2016 10:00:00 GMT"
HTML = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
        b"<body><form>Please sign in</form></body></html>\n")
MALFORMED = b'<?xml version="1.0" encoding="UTF-8"?>\n<attache version="1">\n  <issuer id="asec">\n'
HUGE = 100 * 1000 * 1000          # bytes of the huge bodies
BOMB = 256 * 1024 * 1024          # bytes the gzip bomb inflates to

_bomb = None
_bomb_lock = threading.Lock()


def gzip_bomb():
    """BOMB zero bytes, gzip-compressed (about 250 KB), made once."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            c = zlib.compressobj(9, zlib.DEFLATED, 31)      # 31: gzip wrapper
            zeros = bytes(1 << 20)
            parts = [c.compress(zeros) for _ in range(BOMB >> 20)]
            parts.append(c.flush())
            _bomb = b"".join(parts)
        return _bomb


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "attache-test"
    sys_version = ""

    def log_message(self, *args):
        pass

    # ---- answers -------------------------------------------------------

    def send(self, status, body=b"", ctype="application/xml", headers=(), length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def good(self, validators=True):
        srv = self.server.owner
        if validators:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (inm and inm == ETAG) or (not inm and ims == LAST_MODIFIED):
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return 304
            self.send(200, srv.data, headers=[("ETag", ETAG), ("Last-Modified", LAST_MODIFIED)])
        else:
            self.send(200, srv.data)
        return 200

    def redirect(self, to, status=302):
        self.send(status, b"", headers=[("Location", to)])
        return status

    def count(self, key):
        srv = self.server.owner
        with srv.lock:
            srv.counts[key] = srv.counts.get(key, 0) + 1
            return srv.counts[key]

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def stream(self, total, chunked, block=b"<!-- padding -->\n" * 16384):
        """Send `total` bytes (or until the client goes away)."""
        sent = 0
        while sent < total:
            part = block[: total - sent]
            if chunked:
                self.chunk(part)
            else:
                self.wfile.write(part)
            sent += len(part)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    # ---- routes ------------------------------------------------------------

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        srv = self.server.owner
        entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        srv.log.append(entry)
        try:
            entry["status"] = self.route(u.path, q)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            entry["status"] = "client gone"
            self.close_connection = True

    def route(self, path, q):
        srv = self.server.owner
        if path in ("/batch.xml", "/good"):
            return self.good()
        if path == "/plain.xml":
            return self.good(validators=False)
        if path == "/gzip.xml":
            body = gzip.compress(srv.data)
            self.send(200, body, headers=[("Content-Encoding", "gzip")])
            return 200
        if path == "/missing":
            self.send(404, HTML, ctype="text/html")
            return 404
        if path == "/error":
            self.send(500, b"oops", ctype="text/plain")
            return 500
        if path == "/busy":
            # 503 with Retry-After for the first n requests, then the data
            if self.count(path) <= int(q.get("n", "1")):
                after = q.get("after", "1")
                if after == "date":
                    after = email.utils.formatdate(time.time() + 1, usegmt=True)
                self.send(503, b"busy", ctype="text/plain", headers=[("Retry-After", after)])
                return 503
            return self.good()
        if path == "/ratelimit":
            if self.count(path) <= int(q.get("n", "1")):
                self.send(429, b"slow down", ctype="text/plain")
                return 429
            return self.good()
        if path == "/redirect":
            return self.redirect("/batch.xml", int(q.get("status", "302")))
        if path == "/chain":
            n = int(q.get("n", "1"))
            return self.redirect(f"/chain?n={n - 1}" if n > 0 else "/batch.xml")
        if path == "/loop":
            return self.redirect("/loop")
        if path == "/to":
            return self.redirect(q["url"])
        if path == "/private":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                self.send(401, b"who are you?", ctype="text/plain",
                          headers=[("WWW-Authenticate", "Bearer")])
                return 401
            if "to" in q:
                return self.redirect(q["to"])
            return self.good()
        if path == "/cut":
            # Content-Length says the whole file, half of it comes, then the end
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(srv.data)))
            self.end_headers()
            self.wfile.write(srv.data[: len(srv.data) // 2])
            self.close_connection = True
            return "cut"
        if path == "/cut-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(srv.data[: len(srv.data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return "cut"
        if path == "/short":
            # the whole file, but Content-Length claims more
            self.send(200, srv.data, length=len(srv.data) + 1000)
            self.close_connection = True
            return "short"
        if path == "/slow":
            # one byte a second, for as long as the client stays (at most 120 s)
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(srv.data)))
            self.end_headers()
            for i in range(min(120, len(srv.data))):
                self.wfile.write(srv.data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
            self.close_connection = True
            return "slow"
        if path == "/huge":
            chunked = q.get("chunked") == "1"
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            self.stream(HUGE, chunked)
            return 200
        if path == "/bomb":
            body = gzip_bomb()
            self.send(200, body, headers=[("Content-Encoding", "gzip")])
            return 200
        if path == "/html":
            self.send(200, HTML, ctype="text/html; charset=utf-8")
            return 200
        if path == "/malformed":
            self.send(200, MALFORMED)
            return 200
        self.send(404, b"no such route", ctype="text/plain")
        return 404


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass      # clients that hang up (or refuse our certificate) are expected


class Server:
    """The test server: `url(path)` for requests, `log` for what it saw."""

    def __init__(self, data=b"", tls=None, lifetime=300):
        self.data = data
        self.log = []
        self.counts = {}
        self.lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.owner = self
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.timer = threading.Timer(lifetime, self.stop)
        self.timer.daemon = True
        self.timer.start()
        self.stopped = False

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def saw_authorization(self):
        return any("authorization" in e["headers"] for e in self.log)

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        self.timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    args = sys.argv[1:]
    tls = None
    if len(args) == 4 and args[0] == "--tls":
        tls = (args[1], args[2])
        args = args[3:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    with open(args[0], "rb") as f:
        srv = Server(f.read(), tls=tls)
    print(srv.url("/batch.xml"), flush=True)
    srv.thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
