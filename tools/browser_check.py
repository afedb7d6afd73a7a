#!/usr/bin/env python3
"""Open every page of the built HTML book in headless Chromium and check what a reader sees.

Usage (after ``jupyter-book build``)::

    python tools/browser_check.py [_build/html] [--screenshots _build/screenshots]

The pages are served from a local HTTP server on 127.0.0.1 and opened one after another in a
single headless Chromium, driven over the Chrome DevTools Protocol through a pipe
(``--remote-debugging-pipe``), so nothing beyond the Python standard library, fontTools
(a dependency of matplotlib) and the ``chromium`` executable is needed, and no network.

For every HTML page it asserts:

* **load** – the page answers 200 and fires ``load``; no JavaScript exception, no console error,
  no failed or 4xx/5xx request for a local file (script, style sheet, font, image);
* **offline** – the page requests nothing from another host (a CDN would fail for a reader
  without network: MathJax, require.js or the widget manager must not come from one);
* **math** – where the page has math (``.math`` elements from ``$...$``/``$$...$$``), MathJax
  has typeset every one of them (each holds an ``mjx-container``), no formula is a MathJax
  error (``mjx-merror``), and no raw TeX (``\\(``, ``\\[``, ``$$``, ``$\\cmd``) is left in
  the visible text;
* **images** – every ``<img>`` has loaded and decoded (``naturalWidth > 0``);
* **fonts** – the body text's CSS font stack names a Japanese font that is installed, the
  browser actually draws the page's Japanese text with a Japanese font (DevTools
  ``CSS.getPlatformFontsForNode``), and no visible character is missing from every installed
  font (which would show as tofu);
* **links** – every ``<a href>`` to this site points to an existing file, and a ``#fragment``
  to an element that exists on the target page;
* **numbering** – no heading repeats the automatic chapter/section number in its own title
  ("1. 1. ニューロン");
* **collapsed answers** – the code of cells tagged ``hide-input``, code and output of cells
  tagged ``hide-cell`` (exercise answers), and the body of
  ``dropdown`` admonitions (exercise answers) are hidden until the reader opens them;
* **alt text** – every figure's ``alt`` says what it shows (not empty, not a file name: set it
  in the cell metadata ``{"mystnb": {"image": {"alt": "..."}}}``);
* **downloads** – the ``.ipynb``/``.md`` download buttons carry a ``download`` attribute;
* **column** – at 1280 px no code block or output is wider than the text column (lines of at
  most ~80 characters);
* **phone** – at 390 px (mobile emulation) the page does not scroll sideways and no figure is
  shown below ~70 % of its natural size.

Then it searches the book (``search.html?q=...``) for Japanese words and asserts that every
page whose text contains the word is found (compound words such as 逆伝播 included), that each
hit has a snippet without raw TeX, and that snippets also appear when the book is opened from
disk (``file://``); and
saves screenshots of a few key pages under ``--screenshots``. It prints one line per page and
exits 1 with the list of problems if any check fails.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import queue
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.parse
from pathlib import Path

DEFAULT_SEARCH = ("ニューロン", "活性化関数", "誤差逆伝播法", "逆伝播")
DEFAULT_SHOTS = ("intro.html", "chapters/01_neuron.html", "chapters/02_activation.html",
                 "appendix/glossary.html")
JP_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Characters that are never drawn as glyphs (zero-width, variation selectors, BOM).
INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} | {chr(c) for c in range(0xFE00, 0xFE10)}
# Known upstream noise that does not affect readers; each entry says why it is tolerated.
# (The THEBE_JS_URL SyntaxError that Sphinx 7.4 + sphinx-thebe caused on every page is gone:
# _ext/book_html.py drops thebe's scripts. It is an error again.)
KNOWN_HARMLESS: tuple[str, ...] = ()
PHONE_WIDTH = 390
MIN_FIGURE_SCALE = 0.69   # figures on a phone keep >= ~70 % of their natural size


# --------------------------------------------------------------------------------------------
# Local HTTP server
# --------------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".woff": "font/woff",
                      ".woff2": "font/woff2", ".svg": "image/svg+xml", ".ipynb": "application/json"}

    def log_message(self, *args):  # keep the report readable
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(root: Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --------------------------------------------------------------------------------------------
# Chrome DevTools Protocol over a pipe
# --------------------------------------------------------------------------------------------
class CDPError(RuntimeError):
    pass


class Browser:
    """Headless Chromium driven through ``--remote-debugging-pipe`` (fd 3: commands in,
    fd 4: replies out; JSON messages separated by NUL bytes)."""

    def __init__(self, executable: str, width: int = 1280, height: int = 1600):
        self.profile = tempfile.mkdtemp(prefix="browser_check_")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # runs in the child before exec
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [executable, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-default-apps", "--disable-extensions",
                "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
                "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=wire_fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._waiting: dict[int, queue.Queue] = {}
        self.events: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.width, self.height = width, height

    def _read_loop(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                for q in list(self._waiting.values()):
                    q.put({"error": {"message": "browser closed the pipe"}})
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg and msg["id"] in self._waiting:
                    self._waiting.pop(msg["id"]).put(msg)
                elif "method" in msg:
                    self.events.put(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        with self._lock:
            self._next_id += 1
            mid = self._next_id
            q: queue.Queue = queue.Queue()
            self._waiting[mid] = q
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        try:
            reply = q.get(timeout=timeout)
        except queue.Empty:
            self._waiting.pop(mid, None)
            raise CDPError(f"{method}: no reply within {timeout:.0f} s") from None
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page target with the domains the checks need."""

    def __init__(self, browser: Browser):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log", "DOM", "CSS"):
            self.cmd(f"{domain}.enable")
        self.cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": browser.width, "height": browser.height, "deviceScaleFactor": 1,
                  "mobile": False})

    def cmd(self, method, params=None, timeout=30.0):
        return self.b.send(method, params, session=self.session, timeout=timeout)

    def drain(self):
        out = []
        while True:
            try:
                ev = self.b.events.get_nowait()
            except queue.Empty:
                return out
            if ev.get("sessionId") == self.session:
                out.append(ev)

    def navigate(self, url: str, timeout: float) -> tuple[bool, list]:
        """Go to ``url``; return (loaded, events seen until the load event)."""
        self.drain()
        self.cmd("Page.navigate", {"url": url})
        events, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.b.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if ev.get("sessionId") != self.session:
                continue
            events.append(ev)
            if ev["method"] == "Page.loadEventFired":
                return True, events
        return False, events

    def evaluate(self, expression: str, timeout: float = 30.0):
        res = self.cmd("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                            "returnByValue": True, "timeout": timeout * 1000},
                       timeout=timeout + 5)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise CDPError("in-page check failed: " + str(d.get("exception", {}).get("description")
                                                         or d.get("text")))
        return res["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 8000):
        """Full-page PNG (cut at ``max_height`` CSS pixels): the viewport is made as tall as
        the page for the capture, then restored."""
        metrics = self.cmd("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(min(max(size["height"], self.b.height), max_height))
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": self.b.width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        try:
            self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            shot = self.cmd("Page.captureScreenshot", {"format": "png"}, timeout=60)
        finally:
            self.cmd("Emulation.setDeviceMetricsOverride",
                     {"width": self.b.width, "height": self.b.height, "deviceScaleFactor": 1,
                      "mobile": False})
        path.write_bytes(base64.b64decode(shot["data"]))


# --------------------------------------------------------------------------------------------
# What runs inside each page (after the load event)
# --------------------------------------------------------------------------------------------
PAGE_CHECK_JS = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const out = {};
  // Wait for MathJax (loaded with defer) to finish typesetting, when the page loads it.
  const mjScript = [...document.scripts].find(s => /mathjax/i.test(s.src || ""));
  out.mathjaxSrc = mjScript ? mjScript.src : null;
  if (mjScript) {
    for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
      await sleep(50);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      out.mathjaxVersion = MathJax.version || null;
    }
  }
  // Images: make lazy ones load, then wait until each has finished (loaded or failed).
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === "lazy") i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r);
                         setTimeout(r, 10000); })));
  await document.fonts.ready;

  const mathEls = [...document.querySelectorAll(".math")]
      .filter(e => !e.parentElement.closest(".math"));
  out.mathElements = mathEls.length;
  out.mathUntypeset = mathEls.filter(e => !e.querySelector("mjx-container"))
      .map(e => e.textContent.trim().slice(0, 80));
  out.mjxContainers = document.querySelectorAll("mjx-container").length;
  out.mathErrors = [...document.querySelectorAll("mjx-merror")]
      .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 120));
  // MathJax's "noundefined" package draws an unknown macro as red text instead of an error;
  // the assistive MathML beside each formula shows it as a red <mtext>\\macro</mtext>.
  for (const t of document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
    if (t.textContent.trim().startsWith("\\"))
      out.mathErrors.push("undefined macro " + t.textContent.trim().slice(0, 60));

  out.images = imgs.length;
  out.brokenImages = imgs.filter(i => !(i.complete && i.naturalWidth > 0))
      .map(i => i.getAttribute("src"));

  // Visible text outside code and typeset math, for raw TeX and for glyph coverage.
  const skip = "script,style,noscript,pre,code,kbd,samp,textarea,.highlight,mjx-container,svg,template";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const chars = new Set();
  const rawTex = [];
  const texRe = /\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\n]{0,40}\\[A-Za-z]+/;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const t = n.nodeValue;
    if (!t.trim()) continue;
    for (const ch of t) chars.add(ch);
    const m = t.match(texRe);
    if (m && el.getClientRects().length) rawTex.push(t.trim().slice(0, 100));
  }
  out.chars = [...chars].join("");
  out.rawTex = rawTex.slice(0, 10);

  // Fonts: the computed stack of body text, and one element with Japanese text to probe.
  const article = document.querySelector("article, .bd-article, main") || document.body;
  out.fontFamily = getComputedStyle(article).fontFamily;
  const probe = [...article.querySelectorAll("p, li, h1, h2, dd, td, span")]
      .find(e => e.children.length === 0 && /[\u3040-\u30ff\u3400-\u9fff]/.test(e.textContent)
                 && e.getClientRects().length && !e.closest(skip));
  if (probe) { probe.setAttribute("data-browser-check-jp", "1"); out.probeText = probe.textContent.trim().slice(0, 60); }

  // Headings numbered twice ("1. 1. ニューロン"): the toc numbers chapters and sections, so a
  // title must not carry its own number.
  out.doubleNumbered = [...document.querySelectorAll("h1, h2, h3, h4")]
      .filter(h => h.querySelector(".section-number"))
      .map(h => [...h.childNodes].filter(n => !(n.nodeType === 1 && n.matches(".section-number, .headerlink")))
                 .map(n => n.textContent).join("").trim())
      .filter(t => /^\d+(\.\d+)*\.\s/.test(t));

  // Links and anchors.
  out.links = [...document.querySelectorAll("a[href]")].map(a => a.href);
  out.ids = [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(e => e.getAttribute("name")));

  // Collapsed exercise answers: hidden until opened.
  const visible = e => {
    const r = e.getBoundingClientRect();
    const shown = e.checkVisibility ? e.checkVisibility({visibilityProperty: true, opacityProperty: true})
                                    : getComputedStyle(e).visibility !== "hidden";
    return shown && r.width > 0 && r.height > 0;
  };
  out.hideInputCells = 0; out.hideInputShown = [];
  for (const c of document.querySelectorAll(".cell.tag_hide-input")) {
    out.hideInputCells++;
    const inp = c.querySelector(".cell_input");
    if (inp && visible(inp)) out.hideInputShown.push(inp.textContent.trim().slice(0, 60));
  }
  // Exercise answers (hide-cell): neither the code nor its printed result shows before a click.
  for (const c of document.querySelectorAll(".cell.tag_hide-cell")) {
    out.hideInputCells++;
    for (const part of c.querySelectorAll(".cell_input, .cell_output")) {
      if (visible(part)) out.hideInputShown.push(part.textContent.trim().slice(0, 60));
    }
  }
  // Alt text: what the figure shows, never empty or a file name (myst-nb's default).
  out.badAlt = [...document.querySelectorAll(".bd-article img")]
      .map(i => [i.getAttribute("alt") || "", i.getAttribute("src") || ""])
      .filter(([alt, src]) => !alt.trim() || alt === src || /(^|\/)[^\s\/]+\.(png|jpe?g|gif|svg|webp)$/i.test(alt.trim()))
      .map(([alt, src]) => `${src.split("/").pop().slice(0, 24)} (alt ${JSON.stringify(alt.slice(0, 40))})`);
  // Download buttons save a file (download attribute) instead of opening it in a tab.
  out.downloadNoAttr = [...document.querySelectorAll("a.btn-download-source-button, a.btn-download-notebook-button")]
      .filter(a => !a.hasAttribute("download")).map(a => a.getAttribute("href"));
  // Desktop: code and outputs fit the column (no horizontal scrollbar inside the article).
  out.wideBlocks = [...document.querySelectorAll(".bd-article pre, .bd-article .cell_output .output")]
      .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 2)
      .map(e => `${e.scrollWidth}px > ${e.clientWidth}px: ${e.textContent.trim().split("\n")[0].slice(0, 50)}`);
  out.dropdowns = 0; out.dropdownShown = [];
  for (const d of document.querySelectorAll(".admonition.dropdown, details.dropdown")) {
    out.dropdowns++;
    const body = [...d.children].filter(c => !c.matches(".admonition-title, summary, button"));
    if (body.some(visible)) out.dropdownShown.push(d.textContent.trim().slice(0, 60));
  }
  return out;
})()
"""

PHONE_JS = r"""
(async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const d = document.documentElement;
  const out = {pageWidth: Math.max(d.scrollWidth, document.body.scrollWidth), viewport: d.clientWidth};
  out.smallFigures = [...document.querySelectorAll(".bd-article img")]
      .filter(i => i.naturalWidth > 0 && i.getClientRects().length && !i.closest("details:not([open])"))
      .map(i => [i.getBoundingClientRect().width / i.naturalWidth, i.getAttribute("src") || ""])
      .filter(([s]) => s > 0 && s < %(min_scale)s)
      .map(([s, src]) => `${Math.round(100 * s)} %% ${src.split("/").pop().slice(0, 24)}`);
  return out;
})()
""".replace("%(min_scale)s", str(MIN_FIGURE_SCALE)).replace("%%", "%")

SEARCH_JS = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 200; i++) {
    const hits = document.querySelectorAll("#search-results ul.search li");
    const status = document.querySelector("#search-results .search-summary");
    // Sphinx adds the hits one by one; the summary line (with the count) comes at the end.
    if (status && /\d/.test(status.textContent)) break;
    await sleep(50);
  }
  // snippets arrive asynchronously (one per hit)
  for (let i = 0; i < 60; i++) {
    const lis = document.querySelectorAll("#search-results ul.search li");
    if ([...lis].every(li => li.querySelector("p.context"))) break;
    await sleep(50);
  }
  const lis = [...document.querySelectorAll("#search-results ul.search li")];
  return lis.map(li => ({href: li.querySelector("a").getAttribute("href"),
                         snippet: (li.querySelector("p.context") || {}).textContent || null}));
})()
"""


# --------------------------------------------------------------------------------------------
# Fonts installed on this machine
# --------------------------------------------------------------------------------------------
class FontCoverage:
    """Which installed fonts exist (by family) and which characters some font can draw."""

    def __init__(self):
        self.families: dict[str, set[str]] = {}   # lower-case family -> files
        self.covered: set[int] = set()
        self.file_cmap: dict[str, set[int]] = {}
        try:
            listing = subprocess.run(["fc-list", "--format", "%{file}\t%{family}\n"],
                                     capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f"browser_check: fc-list failed ({exc}); install fontconfig") from exc
        from fontTools.ttLib import TTCollection, TTFont

        for line in listing.splitlines():
            if "\t" not in line:
                continue
            path, fams = line.split("\t", 1)
            for fam in fams.split(","):
                self.families.setdefault(fam.strip().lower(), set()).add(path)
            if path in self.file_cmap:
                continue
            cmap: set[int] = set()
            try:
                fonts = (TTCollection(path, lazy=True).fonts if path.lower().endswith((".ttc", ".otc"))
                         else [TTFont(path, lazy=True)])
                for f in fonts:
                    best = f.getBestCmap() or {}
                    cmap.update(best.keys())
            except Exception:  # a font fontTools cannot read: ignore it, it cannot prove coverage
                pass
            self.file_cmap[path] = cmap
            self.covered |= cmap

    def family_covers(self, family: str, text: str) -> bool:
        files = self.families.get(family.strip().strip("\"'").lower(), set())
        need = {ord(c) for c in text if JP_TEXT.match(c)}
        return any(need <= self.file_cmap.get(f, set()) for f in files) if need else False

    def missing(self, chars: str) -> list[str]:
        out = []
        for ch in chars:
            if ch in INVISIBLE or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
                continue
            if ord(ch) not in self.covered:
                out.append(ch)
        return sorted(out)


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------
def page_list(root: Path) -> list[str]:
    pages = []
    for p in sorted(root.rglob("*.html")):
        rel = p.relative_to(root).as_posix()
        if rel.split("/", 1)[0] in ("_static", "_sources", "_images", "mathjax", "_downloads"):
            continue
        pages.append(rel)
    return pages


def summarize_events(events, base: str):
    """Problems visible in the DevTools events of one page load."""
    problems, external = [], []
    doc_status = None
    requests = {}
    favicon = base + "favicon.ico"  # asked for by the browser itself, not by the page
    for ev in events:
        m, p = ev["method"], ev.get("params", {})
        if favicon in json.dumps(p):
            continue
        if m == "Network.requestWillBeSent":
            url = p["request"]["url"]
            requests[p["requestId"]] = url
            scheme = urllib.parse.urlsplit(url).scheme
            if scheme in ("http", "https", "ws", "wss") and not url.startswith(base):
                external.append(url)
        elif m == "Network.responseReceived":
            status = p["response"]["status"]
            if p.get("type") == "Document" and doc_status is None:
                doc_status = status
            if status >= 400:
                problems.append(f"HTTP {status} for {p['response']['url']}")
        elif m == "Network.loadingFailed":
            url = requests.get(p["requestId"], "?")
            if url.startswith(base) and not p.get("canceled"):
                problems.append(f"request failed ({p.get('errorText')}): {url}")
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            desc = (d.get("exception") or {}).get("description") or d.get("text")
            first = str(desc).splitlines()[0]
            if not any(k in first for k in KNOWN_HARMLESS):
                problems.append(f"JavaScript exception: {first[:200]}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            problems.append(f"console.error: {args[:200]}")
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            e = p["entry"]
            problems.append(f"console error ({e.get('source')}): {e.get('text', '')[:200]}"
                            + (f" [{e['url']}]" if e.get("url") else ""))
    for url in external:
        problems.append(f"requests a file from another host (breaks offline): {url}")
    return problems, doc_status


def check_links(results: dict, root: Path, base: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    ids_cache: dict[str, set[str]] = {page: set(r.get("ids", [])) for page, r in results.items()}

    def ids_of(rel: str) -> set[str]:
        if rel not in ids_cache:  # a page not opened in the browser: read its static ids
            try:
                html = (root / rel).read_text(encoding="utf8", errors="replace")
            except OSError:
                html = ""
            ids_cache[rel] = set(re.findall(r'\s(?:id|name)="([^"]+)"', html))
        return ids_cache[rel]

    for page, r in results.items():
        seen = set()
        for href in r.get("links", []):
            if not href.startswith(base) or href in seen:
                continue
            seen.add(href)
            parts = urllib.parse.urlsplit(href)
            rel = urllib.parse.unquote(parts.path[len(urllib.parse.urlsplit(base).path):])
            target = root / rel
            if rel == "" or target.is_dir():
                rel = (rel.rstrip("/") + "/index.html").lstrip("/")
                target = root / rel
            if not target.is_file():
                problems.setdefault(page, []).append(f"broken link: {href[len(base) - 1:]} "
                                                     f"({rel} does not exist)")
                continue
            frag = urllib.parse.unquote(parts.fragment)
            if frag and rel.endswith(".html") and frag not in ids_of(rel):
                problems.setdefault(page, []).append(
                    f"broken anchor: {href[len(base) - 1:]} (no id '{frag}' in {rel})")
    return problems


def pages_containing(root: Path, pages: list[str], word: str) -> set[str]:
    """Pages whose article text (tags and math removed) contains ``word``."""
    found = set()
    for page in pages:
        html_text = (root / page).read_text(encoding="utf8", errors="replace")
        m = re.search(r"<main[^>]*>(.*?)</main>", html_text, re.S)
        if not m or page in ("search.html", "genindex.html"):
            continue
        text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", "", m.group(1), flags=re.S)
        if word in re.sub(r"\s+", "", text):
            found.add(page)
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", nargs="?", default="_build/html", help="built book (default _build/html)")
    ap.add_argument("--screenshots", default=None,
                    help="folder for screenshots (default: <html>/../screenshots)")
    ap.add_argument("--shot", action="append", default=None, metavar="PAGE",
                    help=f"page to screenshot, relative to the html folder (repeatable; default "
                         f"{', '.join(DEFAULT_SHOTS)} and the page with the most math)")
    ap.add_argument("--search", action="append", default=None, metavar="WORD",
                    help=f"word that the book's search must find (repeatable; default "
                         f"{', '.join(DEFAULT_SEARCH)})")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"),
                    help="Chromium executable (default: $CHROMIUM or chromium)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per page (default 30)")
    args = ap.parse_args(argv)

    root = Path(args.html).resolve()
    if not (root / "searchindex.js").is_file():
        print(f"browser_check: {root} is not a built Sphinx/Jupyter Book HTML folder "
              "(no searchindex.js); build the book first", file=sys.stderr)
        return 2
    exe = shutil.which(args.chromium)
    if not exe:
        print(f"browser_check: Chromium not found ({args.chromium!r}); install it, e.g. "
              "`apt-get install chromium`, or pass --chromium PATH", file=sys.stderr)
        return 2
    shots_dir = Path(args.screenshots) if args.screenshots else root.parent / "screenshots"
    started = time.monotonic()

    fonts = FontCoverage()
    server, base = serve(root)
    browser = Browser(exe)
    pages = page_list(root)
    shots_dir.mkdir(parents=True, exist_ok=True)
    wanted = list(args.shot or DEFAULT_SHOTS)
    saved = []

    def shoot(page):
        out = shots_dir / (page.replace("/", "__").removesuffix(".html") + ".png")
        tab.screenshot(out)
        saved.append(out)

    results: dict[str, dict] = {}
    problems: dict[str, list[str]] = {}
    try:
        tab = Tab(browser)
        for page in pages:
            url = base + urllib.parse.quote(page)
            source = (root / page).read_text(encoding="utf8", errors="replace")
            refresh = re.search(r'http-equiv="refresh"[^>]*url=([^"\s>]+)', source, re.I)
            if refresh:  # a redirect page (index.html -> intro.html): its target must exist
                target = urllib.parse.urljoin(url, refresh.group(1))
                results[page] = {"links": [target], "redirect": True}
                continue
            loaded, events = tab.navigate(url, args.timeout)
            page_problems = []
            if not loaded:
                page_problems.append(f"no load event within {args.timeout:.0f} s")
                r = {}
            else:
                try:
                    r = tab.evaluate(PAGE_CHECK_JS, timeout=args.timeout)
                except CDPError as exc:
                    page_problems.append(str(exc))
                    r = {}
            ev_problems, status = summarize_events(events + tab.drain(), base)
            if status is not None and status != 200:
                page_problems.append(f"HTTP status {status}")
            page_problems += ev_problems
            results[page] = r
            if r:
                has_math_src = bool(re.search(r'class="math[ "]', source))
                if has_math_src and not r.get("mathjaxSrc"):
                    page_problems.append("page has math but loads no MathJax script")
                if r.get("mathjaxSrc") and not r["mathjaxSrc"].startswith(base):
                    page_problems.append(f"MathJax comes from another host: {r['mathjaxSrc']}")
                if r.get("mathUntypeset"):
                    page_problems.append(f"{len(r['mathUntypeset'])} of {r['mathElements']} math "
                                         f"elements not typeset by MathJax, e.g. "
                                         f"{r['mathUntypeset'][0]!r}")
                if has_math_src and r.get("mathElements", 0) and not r.get("mjxContainers"):
                    page_problems.append("no mjx-container on a page with math")
                for err in r.get("mathErrors", []):
                    page_problems.append(f"MathJax error in a formula: {err}")
                for t in r.get("rawTex", []):
                    page_problems.append(f"raw TeX in the visible text: {t!r}")
                for t in r.get("doubleNumbered", []):
                    page_problems.append(f"heading carries its own number on top of the automatic "
                                         f"one: {t!r} (drop the number from the title)")
                for src in r.get("brokenImages", []):
                    page_problems.append(f"image did not load: {src}")
                for t in r.get("hideInputShown", []):
                    page_problems.append(f"collapsed cell (hide-input/hide-cell) shows its content before it is opened: {t!r}")
                for t in r.get("badAlt", []):
                    page_problems.append(f"figure without a meaningful alt text: {t} (set the "
                                         "cell metadata mystnb.image.alt)")
                for t in r.get("downloadNoAttr", []):
                    page_problems.append(f"download button opens instead of saving: {t}")
                for t in r.get("wideBlocks", [])[:5]:
                    page_problems.append(f"code/output wider than the column: {t}")
                if len(r.get("wideBlocks", [])) > 5:
                    page_problems.append(f"... {len(r['wideBlocks']) - 5} more blocks wider "
                                         "than the column")
                # Phone: no sideways scrolling of the page, figures not shrunk below ~70 %.
                try:
                    tab.cmd("Emulation.setDeviceMetricsOverride",
                            {"width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 1,
                             "mobile": True})
                    ph = tab.evaluate(PHONE_JS, timeout=args.timeout)
                finally:
                    tab.cmd("Emulation.setDeviceMetricsOverride",
                            {"width": tab.b.width, "height": tab.b.height, "deviceScaleFactor": 1,
                             "mobile": False})
                if ph["pageWidth"] > ph["viewport"] + 1:
                    page_problems.append(f"at {PHONE_WIDTH} px the page scrolls sideways "
                                         f"({ph['pageWidth']} px wide)")
                for t in ph["smallFigures"]:
                    page_problems.append(f"at {PHONE_WIDTH} px a figure is shrunk to {t}")
                for t in r.get("dropdownShown", []):
                    page_problems.append(f"dropdown (answer) is open before it is clicked: {t!r}")
                # Fonts.
                stack = [f.strip().strip("\"'") for f in r.get("fontFamily", "").split(",")]
                jp_in_stack = [f for f in stack if fonts.family_covers(f, "日本語のテキスト")]
                if JP_TEXT.search(r.get("chars", "")):
                    if not jp_in_stack:
                        page_problems.append("the CSS font stack names no installed Japanese font: "
                                             + r.get("fontFamily", "?"))
                    if r.get("probeText"):
                        try:
                            doc = tab.cmd("DOM.getDocument", {"depth": 0})
                            node = tab.cmd("DOM.querySelector", {"nodeId": doc["root"]["nodeId"],
                                                                  "selector": "[data-browser-check-jp]"})
                            used = tab.cmd("CSS.getPlatformFontsForNode",
                                           {"nodeId": node["nodeId"]})["fonts"]
                        except CDPError as exc:
                            used = []
                            page_problems.append(f"could not ask which fonts draw the text ({exc})")
                        names = [u["familyName"] for u in used]
                        if used and not any(fonts.family_covers(n, r["probeText"]) for n in names):
                            page_problems.append(f"Japanese text {r['probeText']!r} is drawn with "
                                                 f"{names}, none of which has its glyphs")
                        r["fontsUsed"] = sorted(names, key=lambda n: not fonts.family_covers(
                            n, r["probeText"]))
                missing = fonts.missing(r.get("chars", ""))
                if missing:
                    page_problems.append("characters no installed font can draw (tofu): "
                                         + " ".join(f"{c} (U+{ord(c):04X})" for c in missing[:20]))
            if page_problems:
                problems[page] = page_problems
            if r and page in wanted:
                shoot(page)

        for page, link_problems in check_links(results, root, base).items():
            problems.setdefault(page, []).extend(link_problems)

        # Search (Sphinx's Japanese splitter).
        search_report = []
        if (root / "search.html").is_file():
            for word in args.search or DEFAULT_SEARCH:
                loaded, events = tab.navigate(base + "search.html?q=" + urllib.parse.quote(word),
                                              args.timeout)
                hits = tab.evaluate(SEARCH_JS, timeout=args.timeout) if loaded else []
                found = {urllib.parse.urljoin(base + "search.html", h["href"]).split("#")[0]
                         [len(base):] for h in hits}
                expected = pages_containing(root, pages, word)
                search_report.append(f"{word}: {len(found)} pages (the word is on "
                                     f"{len(expected)})")
                sp = problems.setdefault("search.html", [])
                if not hits:
                    sp.append(f"searching for {word!r} finds no page")
                if expected - found:
                    sp.append(f"searching for {word!r} misses {len(expected - found)} of the "
                              f"{len(expected)} pages that contain it: "
                              f"{', '.join(sorted(expected - found))}")
                for h in hits:
                    if not h["snippet"]:
                        sp.append(f"search {word!r}: no snippet for {h['href']}")
                    elif re.search(r"\\[A-Za-z]+|\\[()\[\]]|\$\$", h["snippet"]):
                        sp.append(f"search {word!r}: raw TeX in the snippet for {h['href']}: "
                                  f"{h['snippet'][:80]!r}")
            # Opened from disk (file://): snippets cannot be fetched; they must still show.
            word = (args.search or DEFAULT_SEARCH)[-1]
            loaded, _ = tab.navigate((root / "search.html").as_uri() + "?q="
                                     + urllib.parse.quote(word), args.timeout)
            hits = tab.evaluate(SEARCH_JS, timeout=args.timeout) if loaded else []
            search_report.append(f"{word} (file://): {len(hits)} pages, "
                                 f"{sum(1 for h in hits if h['snippet'])} snippets")
            if not hits or not all(h["snippet"] for h in hits):
                problems.setdefault("search.html", []).append(
                    f"over file:// searching for {word!r} gives {len(hits)} hits and "
                    f"{sum(1 for h in hits if h['snippet'])} snippets")
            if not problems.get("search.html", True):
                del problems["search.html"]

        # One more screenshot: the page with the most typeset formulas.
        for page in wanted:
            if page not in results:
                print(f"  (screenshot skipped: {page} does not exist)")
        if not args.shot:
            most_math = max(results, key=lambda p: results[p].get("mjxContainers", 0), default=None)
            if most_math and most_math not in wanted and results[most_math].get("mjxContainers"):
                loaded, _ = tab.navigate(base + urllib.parse.quote(most_math), args.timeout)
                if loaded:
                    tab.evaluate(PAGE_CHECK_JS, timeout=args.timeout)  # wait for MathJax, images
                    shoot(most_math)
    finally:
        browser.close()
        server.shutdown()

    # Report.
    for page in pages:
        r = results.get(page, {})
        status = "FAIL" if page in problems else "ok  "
        if r.get("redirect"):
            print(f"{status} {page:40s} redirect to {r['links'][0][len(base) - 1:]}")
            continue
        detail = (f"math {r.get('mathElements', 0) - len(r.get('mathUntypeset', []))}/"
                  f"{r.get('mathElements', 0)}, images {r.get('images', 0)}, "
                  f"links {len(r.get('links', []))}")
        if r.get("fontsUsed"):
            detail += f", JP font {r['fontsUsed'][0]}"
        print(f"{status} {page:40s} {detail}")
    for line in search_report:
        print(f"search  {line}")
    for s in saved:
        print(f"screenshot {s}")
    elapsed = time.monotonic() - started
    if problems:
        n = sum(len(v) for v in problems.values())
        print(f"\nbrowser_check: {n} problem(s) on {len(problems)} page(s) "
              f"({len(pages)} pages checked in {elapsed:.0f} s):", file=sys.stderr)
        for page, ps in problems.items():
            for p in ps:
                print(f"  {page}: {p}", file=sys.stderr)
        return 1
    print(f"\nbrowser_check: all {len(pages)} pages passed ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
