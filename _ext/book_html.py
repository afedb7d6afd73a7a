"""Sphinx extension: the HTML book for readers (phones, downloads, Japanese search).

- **No thebe**: Jupyter Book 1.x always loads sphinx-thebe, whose inline configuration script
  Sphinx 7.4 emits twice (``SyntaxError: Identifier 'THEBE_JS_URL' has already been
  declared`` on every page). The book has no live-code button, so its scripts are dropped.
- **Downloads**: the ``.ipynb``/``.md`` buttons get a ``download`` attribute (a file is saved,
  not shown as text in a tab, whatever charset a server sends).
- **Figures on a phone**: every image gets its natural width as a CSS variable, so that
  ``_static/custom.css`` can keep it at >= 70 % of its size on a narrow screen (the figure
  scrolls inside its own box instead of shrinking its labels below legibility).
- **Search**: ``NgramSplitter`` indexes every run of Japanese text also by its character
  bigrams, and ``_static/ja-search.js`` cuts a query the same way, so a compound such as
  逆伝播 finds every page that contains it whatever TinySegmenter made of the page.
  ``_static/search-pages.js`` holds each page's text (math as its TeX-free reading) so that
  search snippets need no ``fetch`` (which fails when the book is opened from disk).
"""

from __future__ import annotations

import html
import json
import re
import struct
from pathlib import Path

from sphinx.search.ja import BaseSplitter, DefaultSplitter
from sphinx.util import logging

logger = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30fc]{2,}")


class NgramSplitter(BaseSplitter):
    """TinySegmenter's words plus every character bigram of each Japanese run."""

    def __init__(self, options):
        super().__init__(options)
        self._words = DefaultSplitter(options)

    def split(self, input: str) -> list[str]:
        words = self._words.split(input)
        for run in _CJK_RUN.findall(input):
            words.extend(run[i:i + 2] for i in range(len(run) - 1))
        return words


def drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    keep = []
    for js in scripts:
        name = str(getattr(js, "filename", js) or "")
        body = (getattr(js, "attributes", None) or {}).get("body", "")
        if "sphinx-thebe" in name or "THEBE_JS_URL" in body or "thebe@" in name:
            continue
        keep.append(js)
    scripts[:] = keep


def _png_width(path: Path) -> int | None:
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">I", head[16:20])[0]
    return None


_DOWNLOAD = re.compile(r'<a href="([^"]*_sources/[^"]+)" target="_blank"(\s+class="btn btn-sm '
                       r'btn-download-(?:notebook|source)-button)')
_IMG = re.compile(r'<img ([^>]*?)src="([^"]+)"([^>]*)>')
_MAIN = re.compile(r'<main[^>]*>(.*?)</main>', re.S)


def _search_html(main: str) -> str:
    """The main content as Sphinx's snippet code reads it, with TeX-free math."""
    main = re.sub(r"<script.*?</script>|<style.*?</style>", "", main, flags=re.S)
    main = re.sub(r"<img [^>]*>", "", main)

    def math(m):
        tex = html.unescape(m.group(3)).strip()
        for start, end in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$")):
            if tex.startswith(start) and tex.endswith(end):
                tex = tex[len(start):-len(end)]
        tex = re.sub(r"\\(?:mathbf|mathrm|boldsymbol|text|operatorname)\{([^{}]*)\}", r"\1", tex)
        tex = re.sub(r"\\(?:left|right|displaystyle|quad|qquad)\b|\\[,;!]", " ", tex)
        tex = re.sub(r"\\([A-Za-z]+)", r"\1", tex)
        tex = re.sub(r"[{}$^_&]|\\\\", " ", tex)
        tex = html.escape(re.sub(r"\s+", " ", tex).strip())
        return f"{m.group(1)}{tex}</{m.group(2)}>"

    main = re.sub(r'(<(span|div) class="math[^"]*"[^>]*>)(.*?)</(?:span|div)>', math, main,
                  flags=re.S)
    main = re.sub(r'\s(?:class|style|alt|title|href|aria-[\w-]+|data-[\w-]+)="[^"]*"', "", main)
    return re.sub(r"\s+", " ", main)


def finish_html(app, exception):
    if exception or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = {}
    for page in sorted(out.rglob("*.html")):
        rel = page.relative_to(out).as_posix()
        if rel.startswith(("_static/", "_sources/", "mathjax/")):
            continue
        text = page.read_text(encoding="utf-8")
        new = _DOWNLOAD.sub(lambda m: f'<a href="{m.group(1)}" download{m.group(2)}', text)

        def img(m):
            attrs = m.group(1) + m.group(3)
            if "style=" in attrs or "_images/" not in m.group(2):
                return m.group(0)
            w = _png_width((page.parent / m.group(2)).resolve())
            if not w:
                return m.group(0)
            return f'<img {m.group(1)}src="{m.group(2)}" style="--natural-width: {w}px"{m.group(3)}>'

        new = _IMG.sub(img, new)
        if new != text:
            page.write_text(new, encoding="utf-8")
        main = _MAIN.search(new)
        if main and rel not in ("search.html", "genindex.html"):
            pages[rel] = _search_html(main.group(1))
    (out / "_static" / "search-pages.js").write_text(
        "// Text of every page for search snippets (written by _ext/book_html.py).\n"
        "window.BOOK_SEARCH_PAGES = " + json.dumps(pages, ensure_ascii=False) + ";\n",
        encoding="utf-8")


def setup(app):
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("build-finished", finish_html)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
