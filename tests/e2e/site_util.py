"""The verification site in a real browser: a loopback static web server that
behaves as static hosts do (a folder's 404.html for every path it lacks), and
Debian's headless Chromium driven by Selenium (python3-selenium and
chromium-driver; nothing is downloaded).

    with StaticServer(site_dir) as srv, Browser() as b:
        b.open(srv.url("/v/ATT1:..."))
        b.verdict()      # 'VALID', ... or None for a page that gave none
"""
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing():
    """Why the browser tests cannot run here (no Chromium), or None when they
    can.  With Chromium there, a missing driver or Selenium is a failure."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (Debian package chromium; make test installs it)"
    return None


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder under `mount`; a path it lacks gets 404.html with
    status 404 (GitHub Pages, object storage, a plain nginx error_page), or
    with status 200 when `fallback_ok` (nginx try_files, Apache
    FallbackResource)."""

    def __init__(self, *args, server_info=None, **kw):
        self.info = server_info
        super().__init__(*args, directory=server_info["dir"], **kw)

    def log_message(self, fmt, *args):
        pass

    def translate_path(self, path):
        mount = self.info["mount"]
        bare = path.split("?", 1)[0].split("#", 1)[0]
        if not bare.startswith(mount):
            return os.path.join(self.info["dir"], "\0missing")
        return super().translate_path("/" + path[len(mount):])

    def send_head(self):
        self.info["requests"].append(self.path)
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            body = open(os.path.join(self.info["dir"], "404.html"), "rb").read()
            self.send_response(200 if self.info["fallback_ok"] else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()


class StaticServer:
    """DIR served at http://127.0.0.1:PORT/MOUNT (a free port)."""

    def __init__(self, directory, mount="/", fallback_ok=False):
        self.info = {"dir": directory, "mount": mount, "fallback_ok": fallback_ok,
                     "requests": []}
        handler = functools.partial(_Handler, server_info=self.info)
        http.server.SimpleHTTPRequestHandler.extensions_map.update(
            {".js": "text/javascript", ".json": "application/json", ".svg": "image/svg+xml"})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return self.origin + path

    @property
    def requests(self):
        return self.info["requests"]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Browser:
    """Headless Chromium with a fresh profile, no background traffic, logs of
    the console and of every network request."""

    def __init__(self, width=1000, height=900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="attache-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-default-apps",
                    "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                    f"--window-size={width},{height}", f"--user-data-dir={self.profile}"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(60)

    def open(self, url, timeout=30):
        """Load `url` and wait for the page to finish its check.  A URL that
        differs from the page's only in its fragment is loaded from a blank
        page, so that every check is a fresh load; a page left behind is
        marked stale, so that its state is never taken for the new one's."""
        if self.driver.current_url.split("#")[0] == url.split("#")[0]:
            self.driver.get("about:blank")
        else:
            self.driver.execute_script("if (document.body) document.body.dataset.state = 'stale'")
        self.driver.get(url)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            state = self.driver.execute_script(
                "return document.body ? document.body.dataset.state : null")
            if state in ("done", "idle", "error"):
                return state
            time.sleep(0.02)
        raise AssertionError(f"{url[:120]}: the page did not finish (state {state!r})")

    def body(self, name):
        return self.driver.execute_script(f"return document.body.getAttribute('{name}')")

    def verdict(self):
        return self.body("data-verdict")

    def text(self, selector):
        """The element's text, no-break spaces (which keep "5 February" on one
        line) read as spaces."""
        s = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null",
            selector)
        return s.replace("\xa0", " ") if s is not None else None

    def console(self):
        """The console entries since the last call: [(level, message)]."""
        return [(e["level"], e["message"]) for e in self.driver.get_log("browser")]

    def requested_urls(self):
        """Every URL the browser asked for since the last call."""
        urls = []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        return urls

    def screenshot(self, path, width, height=None):
        """A PNG of the page `width` CSS pixels wide, as tall as the page (or `height`)."""
        d = self.driver
        d.set_window_size(width, 800)
        inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
        extra_w, extra_h = 0, 800 - inner[1]
        d.set_window_size(width + extra_w, 800)
        full = height or d.execute_script("return document.documentElement.scrollHeight")
        d.set_window_size(width + extra_w, full + extra_h)
        d.save_screenshot(path)

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
