"""The explorer base: the logic is plain Python (testable without a browser); the
display is ipywidgets controls plus a PNG image that is redrawn on every change.

In Jupyter the live widget shows. In the HTML book, where no kernel runs, the output
also carries ``image/png`` of the explorer's current figure, which the book shows instead
of the widget (see ``nb_mime_priority_overrides`` in ``_config.yml``), so readers see the
initial state rather than an empty box.
"""

from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
    hint = ("操作するには、このノートブックを JupyterLab で開いてセルを実行してください。"
            "HTML 版では初期状態の図を表示しています。")

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
        w = _ipywidgets()
        box = w.VBox([w.HBox(list(self.controls.values()),
                             layout=w.Layout(flex_flow="row wrap")),
                      self.image, self.output_text])
        return box

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        # A fixed text keeps nbval's comparison exact (widget model ids change per run).
        bundle["text/plain"] = f"<{type(self).__name__}: {self.hint}>"
        return bundle
