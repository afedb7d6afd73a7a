"""NeuronExplorer: one neuron with two inputs on the four corners of [0, 1]^2 (chapter 1).

The neuron computes ``y = sigmoid(gain * (w1 x1 + w2 x2 + b))`` with nnlib's ``Linear`` and
``Sigmoid``. Its decision boundary is the line ``w1 x1 + w2 x2 + b = 0``; an input counts as
1 when ``y > 0.5`` (that is, when the total input is positive). Presets set the weights
for AND, OR, NAND, and the best a single neuron can do for XOR (three rows of four).
"""

from __future__ import annotations

import html

import numpy as np

from .. import plotting as _plotting  # noqa: F401  (sets the Japanese font)
from ..activations import Sigmoid
from ..backend import to_cpu, to_device
from ..datasets import logic_gate
from ..layers import Linear, Sequential
from ._base import Explorer  # noqa: F401

__all__ = ["NeuronExplorer", "NEURON_PRESETS"]

#: Preset name -> (gate whose truth table is the target, weights w1, w2 and bias b).
#: For XOR no line separates the classes; these weights cut off the corner (0, 1) alone,
#: which gets three of the four rows right, the most any single neuron can.
NEURON_PRESETS = {
    "AND": ("AND", {"w1": 1.0, "w2": 1.0, "b": -1.5}),
    "OR": ("OR", {"w1": 1.0, "w2": 1.0, "b": -0.5}),
    "NAND": ("NAND", {"w1": -1.0, "w2": -1.0, "b": 1.5}),
    "XOR (試行)": ("XOR", {"w1": -1.0, "w2": 1.0, "b": -0.5}),
}

_LIM = (-0.15, 1.15)  # the plotted square: [0, 1]^2 with a margin so the corners show
_RES = 121


def neuron(w1: float, w2: float, b: float, gain: float) -> Sequential:
    """The explorer's neuron as an nnlib model: ``Linear(2→1)`` then ``Sigmoid(gain)``."""
    return Sequential(Linear.from_weights([[w1], [w2]], [b]), Sigmoid(gain=gain))


def boundary_line(w1: float, w2: float, b: float, lim=_LIM, n: int = 2):
    """Points ``(x1, x2)`` on the line ``w1 x1 + w2 x2 + b = 0`` across the square ``lim``.

    Solved for the coordinate with the larger weight, so steep lines are exact; if
    ``w1 = w2 = 0`` there is no line and both arrays are empty.
    """
    s = np.linspace(lim[0], lim[1], n)
    if w1 == 0 and w2 == 0:
        return np.array([]), np.array([])
    if abs(w2) >= abs(w1):
        return s, -(w1 * s + b) / w2
    return -(w2 * s + b) / w1, s


class NeuronExplorer(Explorer):
    """Sliders for ``w1``, ``w2``, ``b`` and the gain ``a`` of one sigmoid neuron, and a
    preset selector (AND, OR, NAND, XOR attempt) that sets the sliders.

    ``state`` (see :meth:`compute`) holds the four inputs, the total inputs ``u``, the
    outputs ``y``, the truth table ``(y > 0.5)``, the preset's target table and how many
    rows match.
    """

    figsize = (8.6, 3.6)
    title = "ニューロン・エクスプローラ"
    presets = NEURON_PRESETS
    live_kind = "neuron"

    def __init__(self, preset: str = "AND", gain: float = 5.0):
        if preset not in self.presets:
            raise ValueError(f"NeuronExplorer: unknown preset {preset!r}; expected one of "
                             f"{list(self.presets)}")
        self._initial = (preset, float(gain))
        super().__init__()

    def _make_controls(self, w):
        preset, gain = self._initial
        weights = self.presets[preset][1]
        style = {"description_width": "initial"}

        def slider(name, value, lo, hi, step):
            return w.FloatSlider(value=value, min=lo, max=hi, step=step, description=name,
                                 continuous_update=False, readout_format=".1f", style=style)

        return {
            "preset": w.Dropdown(options=list(self.presets), value=preset, description="プリセット",
                                 style=style),
            "w1": slider("w1", weights["w1"], -3.0, 3.0, 0.1),
            "w2": slider("w2", weights["w2"], -3.0, 3.0, 0.1),
            "b": slider("b", weights["b"], -3.0, 3.0, 0.1),
            "gain": slider("ゲイン a", gain, 0.5, 20.0, 0.5),
        }

    # Choosing a preset moves the weight sliders; moving a slider keeps the preset (its
    # truth table stays the target to compare with).
    def _on_change(self, change=None):
        if change is not None and change.get("owner") is self.controls["preset"]:
            self.set(preset=change["new"])
        else:
            self.update()

    def set(self, **values):
        """Set controls at once; ``preset=`` also sets ``w1, w2, b`` unless they are given."""
        if "preset" in values:
            name = values["preset"]
            if name not in self.presets:
                raise ValueError(f"NeuronExplorer.set: unknown preset {name!r}; expected one of "
                                 f"{list(self.presets)}")
            values = {**self.presets[name][1], **values}
        super().set(**values)

    def live_payload(self) -> dict:
        ranges = {k: {"min": c.min, "max": c.max, "step": c.step}
                  for k, c in self.controls.items() if k != "preset"}
        return {"presets": {name: {"gate": gate, **w} for name, (gate, w) in self.presets.items()},
                "targets": {name: [int(v) for v in logic_gate(gate)[1]]
                            for name, (gate, _) in self.presets.items()},
                "inputs": logic_gate("AND")[0].tolist(), "lim": list(_LIM), "resolution": _RES,
                "ranges": ranges}

    def compute(self, preset="AND", w1=1.0, w2=1.0, b=-1.5, gain=5.0) -> dict:
        """The neuron's response on the four inputs and over the plotted square (pure)."""
        gate = self.presets[preset][0]
        inputs, target = logic_gate(gate)
        model = neuron(w1, w2, b, gain)
        u = to_cpu(model[0].forward(to_device(inputs))).ravel()
        y = to_cpu(model.forward(to_device(inputs))).ravel()
        table = (y > 0.5).astype(int)
        g = np.linspace(_LIM[0], _LIM[1], _RES)
        gx, gy = np.meshgrid(g, g)
        grid = to_cpu(model.forward(to_device(np.column_stack([gx.ravel(), gy.ravel()]))))
        return {
            "preset": preset, "gate": gate, "w1": float(w1), "w2": float(w2), "b": float(b),
            "gain": float(gain), "inputs": inputs, "u": u, "outputs": y, "table": table,
            "target": np.asarray(target), "matches": int((table == target).sum()),
            "line": boundary_line(w1, w2, b), "image": grid.reshape(gx.shape),
        }

    def draw(self, fig, state):
        gs = fig.add_gridspec(1, 2, width_ratios=[1.25, 1], wspace=0.35)
        ax = fig.add_subplot(gs[0])
        im = ax.imshow(state["image"], origin="lower", extent=(*_LIM, *_LIM), cmap="RdBu_r",
                       vmin=0, vmax=1, alpha=0.75, aspect="equal")
        xs, ys = state["line"]
        ax.plot(xs, ys, color="k", lw=2, label="$w_1x_1+w_2x_2+b=0$")
        x, y = state["inputs"], state["outputs"]
        ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, s=110,
                   edgecolors="k", linewidths=1.2, zorder=3)
        for (p, q), v in zip(x, y):
            ax.annotate(f"{v:.2f}", (p, q), textcoords="offset points", xytext=(0, 10),
                        ha="center", fontsize=9, zorder=4)
        ax.set_xlim(_LIM)
        ax.set_ylim(_LIM)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        # plain text, not mathtext: parsing TeX on every redraw would slow the sliders down
        ax.set_title(f"{state['preset']}: w1={state['w1']:.1f}, w2={state['w2']:.1f}, "
                     f"b={state['b']:.1f}, a={state['gain']:.1f}", fontsize=10)
        ax.legend(loc="lower left", fontsize=7, framealpha=0.8)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="出力 $y$")

        tab = fig.add_subplot(gs[1])
        tab.axis("off")
        rows = [[f"{int(p)} {int(q)}", f"{uu:+.2f}", f"{v:.3f}", str(o), str(t),
                 "○" if o == t else "×"]
                for (p, q), uu, v, o, t in zip(x, state["u"], y, state["table"], state["target"])]
        table = tab.table(cellText=rows, colLabels=["x1 x2", "u", "y", "判定", "目標", "一致"],
                          cellLoc="center", bbox=[0.0, 0.22, 1.0, 0.62])
        table.auto_set_font_size(False)
        table.set_fontsize(9)
        tab.set_title(f"真理値表（目標 {state['gate']}）: {state['matches']}/4 行が一致", fontsize=10,
                      y=0.88)

    def describe(self, state):
        head = "".join(f"<th>{h}</th>" for h in ("x1", "x2", "u", "y", "判定 (y&gt;0.5)", "目標", "一致"))
        body = "".join(
            f"<tr><td>{int(p)}</td><td>{int(q)}</td><td>{uu:+.3f}</td><td>{v:.3f}</td>"
            f"<td>{o}</td><td>{t}</td><td>{'○' if o == t else '×'}</td></tr>"
            for (p, q), uu, v, o, t in zip(state["inputs"], state["u"], state["outputs"],
                                           state["table"], state["target"]))
        return (f"<p>目標 {html.escape(state['gate'])}: {state['matches']}/4 行が一致</p>"
                f"<table><tr>{head}</tr>{body}</table>")
