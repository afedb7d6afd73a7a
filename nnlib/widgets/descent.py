"""Gradient descent on the one-parameter least-squares loss (chapter 6).

The model is ``y = a x`` fitted to the small fixed data set ``DATA_X``, ``DATA_Y`` with the
*summed* squared error

    L(a) = sum_n (y_n - a x_n)^2,   dL/da = -2 sum_n x_n (y_n - a x_n).

Gradient descent ``a <- a - lr * dL/da`` satisfies
``a_{k+1} - a* = (1 - 2 lr sum x^2) (a_k - a*)``, so it converges exactly when
``0 < lr < 1 / sum x^2`` (:func:`critical_rate`). The helpers are plain functions so that
the chapter imports them instead of writing them again.
"""

from __future__ import annotations


import numpy as np

from ._base import Explorer

__all__ = ["DATA_X", "DATA_Y", "A0", "loss", "gradient", "closed_form", "critical_rate",
           "contraction", "gradient_descent", "GradientDescentExplorer"]

#: Inputs and targets of the one-parameter problem (roughly ``y = 2 x``).
DATA_X = np.array([1.0, 2.0, 3.0, 4.0])
DATA_Y = np.array([2.1, 3.9, 6.2, 7.9])
#: Default starting value of the parameter ``a``.
A0 = 0.0


def loss(a, x=DATA_X, y=DATA_Y):
    """``L(a) = sum_n (y_n - a x_n)^2`` for a scalar ``a`` or an array of values of ``a``."""
    a = np.asarray(a, dtype=float)
    r = y - a[..., None] * x
    return (r * r).sum(axis=-1)


def gradient(a, x=DATA_X, y=DATA_Y):
    """``dL/da = -2 sum_n x_n (y_n - a x_n)`` (scalar or array ``a``)."""
    a = np.asarray(a, dtype=float)
    return -2.0 * (x * (y - a[..., None] * x)).sum(axis=-1)


def closed_form(x=DATA_X, y=DATA_Y) -> float:
    """The minimiser ``a* = sum x y / sum x^2`` (where ``dL/da = 0``)."""
    return float((x * y).sum() / (x * x).sum())


def critical_rate(x=DATA_X) -> float:
    """The learning rate ``1 / sum x^2`` above which gradient descent diverges."""
    return float(1.0 / (x * x).sum())


def contraction(lr, x=DATA_X) -> float:
    """The factor ``r = 1 - 2 lr sum x^2`` with ``a_{k+1} - a* = r (a_k - a*)``."""
    return float(1.0 - 2.0 * lr * (x * x).sum())


def gradient_descent(lr, steps, a0=A0, x=DATA_X, y=DATA_Y, tol=1e-3) -> dict:
    """Run ``steps`` steps of ``a <- a - lr * dL/da`` from ``a0``.

    Returns
    -------
    dict with
        ``lr`` : float, the learning rate used;
        ``path`` : array (steps + 1,), the values ``a_0 .. a_steps``;
        ``losses`` : array (steps + 1,), ``L(a_k)``;
        ``a_star``, ``critical_rate``, ``contraction`` : floats;
        ``converged`` : bool, ``|a_steps - a*| < tol``;
        ``diverged`` : bool, the error grew: ``|a_steps - a*| > |a_0 - a*|``;
        ``oscillating`` : bool, ``contraction < 0`` (the sign of ``a_k - a*`` alternates).
    """
    if not lr > 0:
        raise ValueError(f"gradient_descent: expected a learning rate lr > 0, got {lr!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"gradient_descent: expected steps to be an integer >= 0, got {steps!r}")
    path = np.empty(steps + 1)
    path[0] = a = float(a0)
    for k in range(1, steps + 1):
        a = a - lr * float(gradient(a, x, y))
        path[k] = a
    a_star = closed_form(x, y)
    err0, err = abs(path[0] - a_star), abs(path[-1] - a_star)
    r = contraction(lr, x)
    return {"lr": float(lr), "path": path, "losses": loss(path, x, y), "a_star": a_star,
            "critical_rate": critical_rate(x), "contraction": r,
            "converged": bool(err < tol), "diverged": bool(err > err0),
            "oscillating": bool(r < 0)}


class GradientDescentExplorer(Explorer):
    """Learning rate and number of steps of gradient descent on ``L(a)``.

    Left: the curve ``L(a)`` with the points ``a_0 .. a_K`` joined in order (the first line
    of the axes is the curve, the second the path). Right: ``|a_k - a*|`` against ``k`` on a
    log scale, with the critical learning rate in the title.
    """

    tight_bbox = False  # draw() fixes the margins

    figsize = (9, 3.6)
    title = "勾配降下法と学習率"
    live_kind = "descent"

    def __init__(self, lr: float = 0.01, steps: int = 10, a0: float = A0):
        self._initial = {"lr": lr, "steps": steps, "a0": a0}
        super().__init__()

    def _make_controls(self, w):
        style = {"description_width": "initial"}
        return {
            "lr": w.FloatLogSlider(value=self._initial["lr"], base=10, min=-4, max=-1, step=0.05,
                                   description="学習率 η", readout_format=".4f", style=style,
                                   continuous_update=False),
            "steps": w.IntSlider(value=self._initial["steps"], min=1, max=50,
                                 description="ステップ数", style=style, continuous_update=False),
            "a0": w.FloatSlider(value=self._initial["a0"], min=-2.0, max=5.0, step=0.1,
                                description="初期値 a₀", style=style, continuous_update=False),
        }

    def live_payload(self) -> dict:
        ranges = {k: {"min": c.min, "max": c.max, "step": c.step,
                      **({"base": c.base} if hasattr(c, "base") else {})}
                  for k, c in self.controls.items()}
        return {"x": DATA_X.tolist(), "y": DATA_Y.tolist(), "tol": 1e-3, "ranges": ranges}

    def compute(self, lr, steps, a0):
        return gradient_descent(lr, int(steps), a0)

    def draw(self, fig, state):
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        path, a_star = state["path"], state["a_star"]
        # The view follows the path but stops widening at 6x the starting distance, so a
        # diverging run still shows the parabola (its far points leave the frame).
        err0 = max(abs(path[0] - a_star), 0.5)
        half = min(max(np.abs(path - a_star).max(), err0) * 1.15, 6 * err0)
        grid = np.linspace(a_star - half, a_star + half, 400)
        ax.plot(grid, loss(grid), color="0.45", lw=1.5, label="$L(a)$")
        color = "#d62728" if state["diverged"] else "#1f77b4"
        ax.plot(path, state["losses"], "o-", color=color, ms=4, lw=1, label="$a_k$ の軌跡")
        ax.plot([path[0]], [state["losses"][0]], "s", color="k", ms=6, label="出発点 $a_0$")
        ax.axvline(a_star, color="#2ca02c", ls="--", lw=1, label=f"最小点 $a^*$={a_star:.3f}")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(-0.05 * loss(grid).max(), loss(grid).max() * 1.05)
        ax.set_xlabel("パラメータ $a$")
        ax.set_ylabel("損失 $L(a)$")
        ax.legend(fontsize=8, loc="best", framealpha=0.9)
        ax.grid(alpha=0.3)
        err = np.abs(path - a_star)
        ax2.semilogy(np.arange(path.size), np.maximum(err, 1e-16), "o-", color=color, ms=3)
        ax2.set_xlabel("ステップ $k$")
        ax2.set_ylabel("$|a_k - a^*|$")
        ax2.set_title(f"η = {state['lr']:.4g}（臨界値 {state['critical_rate']:.4g}）",
                      fontsize=10)
        ax2.grid(alpha=0.3)
        # Fixed margins instead of tight_layout, and one rendering in png(): a slider
        # move should redraw quickly.
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.28)

    def describe(self, state):
        if state["converged"]:
            verdict = "収束しました"
        elif state["diverged"]:
            verdict = "発散しています（|a − a*| が増えています）"
        else:
            verdict = "まだ収束していません"
        osc = "（r < 0 なので a は a* の左右を行き来します）" if state["oscillating"] else ""
        return (f"<p>{len(state['path']) - 1} ステップ後: a = {state['path'][-1]:.4g}, "
                f"L(a) = {state['losses'][-1]:.4g}。{verdict}。"
                f"1 ステップごとに a − a* は r = 1 − 2ηΣx² = {state['contraction']:.3f} 倍に"
                f"なります{osc}。</p>")
