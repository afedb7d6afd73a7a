"""The book's side of the live explorers: a MyST-NB mime renderer and a Sphinx extension.

* :class:`LiveMimeRenderer` (entry point ``myst_nb.mime_renderers: nnlib_live``, see
  ``pyproject.toml``) renders an explorer's payload (:data:`~nnlib.widgets._base.LIVE_MIME`)
  as ``<div class="nnlib-live">`` with the payload as JSON inside, and puts the explorer's
  PNG of the same output inside as the fallback (shown where JavaScript is off, hidden by
  the script once it has drawn the explorer). Its priority overrides make the HTML builders
  choose the payload over the widget view and the PNG.
* :func:`setup` (Sphinx extension ``nnlib.widgets._myst``, listed in ``_config.yml``) copies
  ``nnlib-live.js`` and ``nnlib-live.css`` into ``_static`` and links them only from pages
  that show an explorer.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from docutils import nodes

from ._base import LIVE_CSS, LIVE_JS, LIVE_MIME, STATIC_DIR

__all__ = ["LiveMimeRenderer", "setup"]

_HTML_BUILDERS = ("html", "dirhtml", "singlehtml")
# Fallback containers waiting for the PNG of their output, and PNGs waiting for their payload
# (the order of the types inside an output is not fixed), by (document, cell, output).
_PENDING_FALLBACK: dict = {}
_PENDING_PNG: dict = {}


def _key(renderer, data):
    doc = getattr(getattr(renderer, "renderer", None), "document", None)
    source = doc.get("source", "") if doc is not None else ""
    return (id(doc), source, data.cell_index, data.output_index)


def _image_nodes(renderer, data, title):
    out = renderer.render_image(data)
    for node in out:
        if isinstance(node, nodes.image) and not node.get("alt"):
            node["alt"] = f"{title}の初期状態の図（JavaScript が使えないときに表示します）"
    return out


class LiveMimeRenderer:
    """MyST-NB mime renderer plugin for the explorers' live payload."""

    # Applied in order: other builders (LaTeX, text) never choose the payload (they show the
    # PNG); the HTML builders choose it first, over the widget view and the PNG.
    mime_priority_overrides = (
        [("*", LIVE_MIME, None)]
        + [(b, LIVE_MIME, 1) for b in _HTML_BUILDERS]
        + [(b, "application/vnd.jupyter.widget-view+json", None) for b in _HTML_BUILDERS]
    )

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type == "image/png" and not inline:
            key = _key(renderer, data)
            pending = _PENDING_FALLBACK.pop(key, None)
            if pending is not None:
                fallback, title = pending
                fallback.extend(_image_nodes(renderer, data, title))
            else:
                _PENDING_PNG[key] = data
            return None  # the PNG's own rendering goes on as usual
        if data.mime_type != LIVE_MIME:
            return None
        bundle = data.content
        if isinstance(bundle, str):
            bundle = json.loads(bundle)
        title = str(bundle.get("title", "エクスプローラ"))
        text = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))
        text = text.replace("</", "<\\/")  # nothing inside may close the <script>
        head = (f'<div class="nnlib-live" data-kind="{html.escape(str(bundle.get("kind")))}">'
                f'<div class="nnlib-live-view" aria-label="{html.escape(title)}"></div>'
                f'<script type="application/json" class="nnlib-live-data">{text}</script>')
        fallback = nodes.container(classes=["nnlib-live-fallback"])
        key = _key(renderer, data)
        png = _PENDING_PNG.pop(key, None)
        if png is not None:
            fallback.extend(_image_nodes(renderer, png, title))
        else:
            _PENDING_FALLBACK[key] = (fallback, title)
        box = nodes.container(classes=["nnlib-live-output"], nnlib_live=True)
        box += nodes.raw("", head, format="html")
        box += fallback
        box += nodes.raw("", "</div>", format="html")
        return [box]


def _add_static(app):
    if str(STATIC_DIR) not in [str(Path(app.confdir, p)) for p in app.config.html_static_path]:
        app.config.html_static_path.append(str(STATIC_DIR))


def _page_context(app, pagename, templatename, context, doctree):
    if doctree is None:
        return
    if any(node.get("nnlib_live") for node in doctree.findall(nodes.container)):
        app.add_js_file(LIVE_JS.name)
        app.add_css_file(LIVE_CSS.name)
        # The saved state of the notebook's widgets (the JupyterLab view, with the script and
        # the payload once more) would be embedded in the page for a widget manager the book
        # does not load (nb_ipywidgets_js is empty): drop it. Runs before MyST-NB's handler.
        try:
            from myst_nb.sphinx_ import NbMetadataCollector
            NbMetadataCollector.get_js_files(app.env, pagename).pop("ipywidgets_state", None)
        except (ImportError, KeyError, AttributeError):  # pragma: no cover - other MyST-NB versions
            pass


def setup(app):
    app.connect("builder-inited", _add_static)
    app.connect("html-page-context", _page_context, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
