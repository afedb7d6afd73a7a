"""The explorer base: the logic is plain Python (testable without a browser); the
display is drawn in the browser by the book's own script ``static/nnlib-live.js``.

An explorer's output bundle carries three views of the same explorer:

* ``application/vnd.nnlib.live+json`` (:data:`LIVE_MIME`): the *payload*, the data the
  script needs (data sets, weights, constants, control values), all produced by nnlib.
  The HTML book renders it with the MyST-NB plugin :mod:`nnlib.widgets._myst`, so every
  explorer is live in the static book, offline, also from ``file://``;
* ``application/vnd.jupyter.widget-view+json``: an anywidget whose front end is the same
  script, so in JupyterLab every change is answered in the browser at once; the Python
  state (``values``, ``state``, ``figure``) follows the controls for tests and code;
* ``image/png``: the explorer's figure, the fallback where JavaScript is off.

The ipywidgets controls in ``controls`` hold the values (they are what ``set`` and the
tests change); they are not displayed any more.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


#: The output type of the live payload.
LIVE_MIME = "application/vnd.nnlib.live+json"
#: Version of the payload format (the script checks it).
LIVE_VERSION = 1
STATIC_DIR = Path(__file__).resolve().parent / "static"
LIVE_JS = STATIC_DIR / "nnlib-live.js"
LIVE_CSS = STATIC_DIR / "nnlib-live.css"


def b64_array(a, dtype: str) -> str:
    """``a`` as base64 of its little-endian bytes in ``dtype`` (C order), for the payload."""
    arr = np.ascontiguousarray(np.asarray(a), dtype=np.dtype(dtype).newbyteorder("<"))
    return base64.b64encode(arr.tobytes()).decode("ascii")


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


_WIDGET_CLASS = None


def _live_widget_class():
    """The anywidget class of the JupyterLab view (built once; its module is nnlib-live.js)."""
    global _WIDGET_CLASS
    if _WIDGET_CLASS is None:
        import anywidget
        import traitlets

        esm = LIVE_JS.read_text(encoding="utf-8") + """
export default {
  render({ model, el }) {
    const send = (values) => { model.set("values", values); model.save_changes(); };
    const view = NNLibLive.render(el, model.get("payload"), { onChange: send });
    model.on("change:values", () => view && view.setValues && view.setValues(model.get("values")));
    return () => { if (view && view.destroy) view.destroy(); };
  }
};
"""

        class LiveWidget(anywidget.AnyWidget):
            _esm = esm
            _css = LIVE_CSS.read_text(encoding="utf-8")
            payload = traitlets.Dict().tag(sync=True)
            values = traitlets.Dict().tag(sync=True)

        _WIDGET_CLASS = LiveWidget
    return _WIDGET_CLASS


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("nnlib.widgets needs ipywidgets 8: pip install 'ipywidgets>=8'") from exc
    return ipywidgets


class Explorer:
    """Base class for interactive explorers.

    Subclasses implement

    * ``_make_controls(self, widgets) -> dict[str, Widget]``: the controls, by name;
    * ``compute(self, **values) -> dict``: the state for the given control values
      (pure logic, used by tests);
    * ``draw(self, fig, state)``: draw ``state`` on the empty figure ``fig``.

    After any control changes, ``self.state`` holds the new state and ``self.figure`` the
    new drawing.
    """

    figsize = (8, 3.6)
    tight_bbox = True
    title = "explorer"
    # The text/plain of the output (nbval compares it; JupyterLab shows the live widget, the
    # book the live payload).
    hint = ("このエクスプローラはブラウザの中で動きます（HTML 版でも JupyterLab でも、"
            "その場で操作できます）。")

    def __init__(self):
        w = _ipywidgets()
        self.figure = Figure(figsize=self.figsize, dpi=100)
        FigureCanvasAgg(self.figure)
        self.controls = self._make_controls(w)
        self.image = w.Image(format="png")
        self.output_text = w.HTML()
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.state = None
        self._live = None
        self._syncing = False
        self.update()

    # -- to implement -----------------------------------------------------------------
    def _make_controls(self, widgets) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self, **values) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, fig, state) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, state) -> str:
        """Optional HTML shown under the figure (e.g. a truth table)."""
        return ""

    #: Which explorer of nnlib-live.js draws the payload.
    live_kind = None

    def live_payload(self) -> dict:
        """The data the live view needs besides the control values (JSON-able)."""
        return {}

    def live_bundle(self) -> dict:
        """The content of the live output (``LIVE_MIME``), with kind, version, data and values."""
        return {"kind": self.live_kind, "version": LIVE_VERSION, "title": self.title,
                "values": {k: _jsonable(v) for k, v in self.values.items()},
                "data": self.live_payload()}

    # -- machinery ----------------------------------------------------------------------
    @property
    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def _on_change(self, change=None):
        self.update()

    def update(self):
        self.state = self.compute(**self.values)
        self.figure.clear()
        self.draw(self.figure, self.state)
        self.image.value = self.png()
        self.output_text.value = self.describe(self.state)
        if self._live is not None and not self._syncing:
            # Python changed the controls: the live view follows.
            self._live.values = {k: _jsonable(v) for k, v in self.values.items()}

    def _from_view(self, change):
        # The reader changed a control in the live view: the Python state follows.
        values = {k: v for k, v in change["new"].items()
                  if k in self.controls and v != self.controls[k].value}
        if not values:
            return
        self._syncing = True
        try:
            self.set(**values)
        finally:
            self._syncing = False

    def png(self) -> bytes:
        buf = io.BytesIO()
        # bbox_inches="tight" draws the figure twice; explorers whose draw() fixes the
        # margins (subplots_adjust) set tight_bbox = False to redraw faster.
        self.figure.savefig(buf, format="png", bbox_inches="tight" if self.tight_bbox else None)
        return buf.getvalue()

    def set(self, **values):
        """Set several controls at once, recomputing once at the end."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise KeyError(f"{type(self).__name__}.set: unknown controls {sorted(unknown)}; "
                           f"expected some of {sorted(self.controls)}")
        for c in self.controls.values():
            c.unobserve(self._on_change, names="value")
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            for c in self.controls.values():
                c.observe(self._on_change, names="value")
        self.update()

    @property
    def widget(self):
        """The live view, an anywidget created once.

        The browser draws the explorer and answers every control at once; the Python state
        (``values``, ``state``, ``figure``) follows through the widget's ``values`` trait.
        """
        if self._live is None:
            self._live = _live_widget_class()(payload=self.live_bundle())
            self._live.values = self._live.payload["values"]
            self._live.observe(self._from_view, names="values")
        return self._live

    @property
    def classic_widget(self):
        """The former view, drawn by the kernel.

        The ipywidgets controls and the PNG that Python redraws on every change.
        """
        w = _ipywidgets()
        return w.VBox([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")),
                       self.image, self.output_text])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle[LIVE_MIME] = json.loads(json.dumps(self.live_bundle()))
        bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        # A fixed text keeps nbval's comparison exact (widget model ids change per run).
        bundle["text/plain"] = f"<{type(self).__name__}: {self.hint}>"
        return bundle
