"""ActivationExplorer: pick an activation and its parameter, see the function and its derivative.

The function and the derivative come from the activation objects of
:mod:`nnlib.activations` (``function`` and ``derivative``). Maxout, which is a layer over
``k`` linear pieces rather than an element-wise function, is shown as a scalar unit whose
pieces are the tangents of the convex curve ``x**2 / 4`` at ``k`` evenly spaced points; its
derivative is the slope of the piece that is the maximum, obtained from ``Maxout.backward``.

The activation objects live on the selected back-end (PReLU's ``alpha`` is a device array
under CuPy), so the explorer moves its grid there with ``to_device`` and the results back
with ``to_cpu``: the drawing is NumPy and matplotlib, on the host.
"""

from __future__ import annotations

import numpy as np

from .. import plotting as _plotting  # noqa: F401  (sets the Japanese font for the figure)
from ..activations import ACTIVATIONS, Maxout, get_activation
from ..backend import to_cpu, to_device
from ._base import Explorer

__all__ = ["ActivationExplorer", "EXPLORER_ACTIVATIONS", "PARAMETER_OF", "maxout_pieces"]

#: Activations offered by the explorer (softmax is not element-wise, so it is left out).
EXPLORER_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")

#: Which control sets each activation's parameter (activations not listed have none).
PARAMETER_OF = {"sigmoid": "gain", "leaky_relu": "alpha", "prelu": "alpha", "elu": "alpha",
                "swish": "beta", "maxout": "k"}

_LABELS = {
    "identity": "恒等関数 (identity)", "step": "ステップ関数 (step)",
    "sigmoid": "シグモイド (sigmoid)", "tanh": "tanh", "hard_sigmoid": "hard sigmoid",
    "hard_tanh": "hard tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU", "prelu": "PReLU",
    "elu": "ELU", "softplus": "ソフトプラス (softplus)", "swish": "Swish", "gelu": "GELU",
    "maxout": "Maxout",
}


def maxout_pieces(k: int):
    """Slopes and intercepts of ``k`` tangents of ``x**2 / 4`` at points evenly spaced in [-4, 4].

    Their maximum is a convex piecewise-linear function that approaches ``x**2 / 4`` as ``k``
    grows. For ``k = 1`` the single piece is the tangent at 0 (the constant 0).
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"maxout_pieces: expected a positive integer k, got {k!r}")
    c = np.zeros(1) if k == 1 else np.linspace(-4.0, 4.0, int(k))
    return c / 2, -(c ** 2) / 4


class ActivationExplorer(Explorer):
    """Choose an activation (dropdown) and its parameter (gain, alpha, beta or k).

    ``state`` holds ``name``, ``parameter`` (the control that applies, or ``None``),
    ``value`` (the parameter value used, or ``None``), ``x``, ``y`` = f(x), ``dy`` = f'(x)
    and ``label``. The figure has two axes: f(x) on the left, f'(x) on the right.
    """

    figsize = (8, 3.2)
    title = "活性化関数"
    live_kind = "activation"

    def __init__(self, name: str = "sigmoid", x=None):
        self._x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
        self._initial = name
        super().__init__()

    def _make_controls(self, widgets):
        if self._initial not in EXPLORER_ACTIVATIONS:
            raise ValueError(f"ActivationExplorer: unknown activation {self._initial!r}; expected "
                             f"one of {', '.join(EXPLORER_ACTIVATIONS)}")
        style = {"description_width": "initial"}
        return {
            "name": widgets.Dropdown(options=[(_LABELS[n], n) for n in EXPLORER_ACTIVATIONS],
                                     value=self._initial, description="活性化関数", style=style),
            "gain": widgets.FloatSlider(value=1.0, min=0.1, max=10.0, step=0.1,
                                        description="ゲイン a", style=style),
            "alpha": widgets.FloatSlider(value=0.1, min=0.0, max=2.0, step=0.01,
                                         description="α", style=style),
            "beta": widgets.FloatSlider(value=1.0, min=0.0, max=10.0, step=0.1,
                                        description="β", style=style),
            "k": widgets.IntSlider(value=3, min=1, max=8, description="k (片の数)", style=style),
        }

    def live_payload(self) -> dict:
        x = self._x
        uniform = x.size > 1 and np.allclose(np.diff(x), (x[-1] - x[0]) / (x.size - 1))
        ranges = {k: {"min": c.min, "max": c.max, "step": c.step}
                  for k, c in self.controls.items() if k != "name"}
        return {"names": list(EXPLORER_ACTIVATIONS), "labels": {n: _LABELS[n] for n in EXPLORER_ACTIVATIONS},
                "parameter_of": PARAMETER_OF, "ranges": ranges,
                "x": {"start": float(x[0]), "stop": float(x[-1]), "num": int(x.size)} if uniform
                else {"values": x.tolist()}}

    def update(self):
        # Only the slider that means something for the chosen activation is enabled.
        used = PARAMETER_OF.get(self.controls["name"].value)
        for key in ("gain", "alpha", "beta", "k"):
            self.controls[key].disabled = key != used
        super().update()

    def compute(self, name="sigmoid", gain=1.0, alpha=0.1, beta=1.0, k=3):
        if name not in EXPLORER_ACTIVATIONS:
            raise ValueError(f"ActivationExplorer: unknown activation {name!r}; expected one of "
                             f"{', '.join(EXPLORER_ACTIVATIONS)}")
        x = self._x
        parameter = PARAMETER_OF.get(name)
        value = {"gain": gain, "alpha": alpha, "beta": beta, "k": k}.get(parameter)
        if name == "maxout":
            k = int(k)
            slopes, intercepts = maxout_pieces(k)
            pieces = x[:, None] * slopes[None, :] + intercepts[None, :]  # (n, k): one unit
            layer = Maxout(k)
            y = to_cpu(layer.forward(to_device(pieces)))[:, 0]
            # d max / d piece is 1 for the winning piece; d piece / dx is its slope.
            dy = to_cpu(layer.backward(to_device(np.ones((x.size, 1))))) @ slopes
            label = f"Maxout(k={k})"
        else:
            act = get_activation(name, **({parameter: value} if parameter else {}))
            xd = to_device(x)
            y = np.asarray(to_cpu(act.function(xd)), dtype=float)
            dy = np.asarray(to_cpu(act.derivative(xd)), dtype=float)
            label = repr(act)
        return {"name": name, "parameter": parameter, "value": value, "x": x, "y": y,
                "dy": dy, "label": label}

    def draw(self, fig, state):
        from ..plotting import COLORS

        ax_f, ax_d = fig.subplots(1, 2)
        ax_f.plot(state["x"], state["y"], color=COLORS[0], lw=2)
        ax_d.plot(state["x"], state["dy"], color=COLORS[1], lw=1.8, ls="--")
        for ax, ylabel, title in ((ax_f, "$f(x)$", "関数"), (ax_d, "$f'(x)$", "導関数")):
            ax.axhline(0, color="0.7", lw=0.8)
            ax.axvline(0, color="0.7", lw=0.8)
            ax.set_xlabel("$x$")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.grid(alpha=0.3)
        if state["name"] == "maxout":
            ax_f.plot(state["x"], state["x"] ** 2 / 4, color="0.5", lw=1, ls=":",
                      label="$x^2/4$")
            ax_f.legend(loc="upper center", fontsize=8)
        fig.suptitle(state["label"])
        # Fixed margins instead of tight_layout: each redraw then renders only once (for the PNG).
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.82, wspace=0.3)

    def describe(self, state):
        i0 = int(np.argmin(np.abs(state["x"])))
        return (f"<p>f(0) = {state['y'][i0]:.4f}、 f'(0) = {state['dy'][i0]:.4f}、 "
                f"描画範囲での f' の最大値 = {state['dy'].max():.4f}</p>")
