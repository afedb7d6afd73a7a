"""DigitExplorer: pick a test image and see what a trained classifier makes of it (chapter 7).

The explorer shows the chosen image (28×28 grey levels) beside the model's predicted
probabilities for the ten classes as a bar chart: the softmax of the model's scores,
``softmax(model.predict(x[index:index + 1]))``.
"""

from __future__ import annotations

import html

import numpy as np

from .. import plotting as _plotting  # noqa: F401  (sets the Japanese font)
from ..backend import to_cpu
from ..functions import softmax
from ..plotting import COLORS
from ._base import Explorer

__all__ = ["DigitExplorer"]


class DigitExplorer(Explorer):
    """A slider for the index of a test image; the image and the model's class probabilities.

    ``state`` (see :meth:`compute`) holds the index, the image (side × side), the true
    class, the scores, the probabilities (summing to 1), the predicted class and whether
    it is correct. ``misclassified`` lists the indices of every image the model gets wrong.

    Parameters
    ----------
    model : Sequential
        A trained classifier (anything with ``predict``) whose outputs are scores before
        softmax, shape (N, C).
    x : array
        Images as rows, shape (N, D), e.g. 784 grey levels in [0, 1]; ``D`` must be a
        square number.
    t : array
        The true classes, integers of shape (N,).
    index : int
        The image shown first.
    """

    figsize = (8, 3.2)
    title = "数字エクスプローラ"

    def __init__(self, model, x, t, index: int = 0):
        who = "DigitExplorer"
        x_cpu, t_cpu = to_cpu(x), to_cpu(t)
        if x_cpu.ndim != 2 or x_cpu.shape[0] == 0:
            raise ValueError(f"{who}: expected images x as rows, shape (N, D), got {x_cpu.shape}")
        side = int(round(np.sqrt(x_cpu.shape[1])))
        if side * side != x_cpu.shape[1]:
            raise ValueError(f"{who}: expected a square number of pixels per image (e.g. 784 = 28×28), "
                             f"got {x_cpu.shape[1]}")
        if t_cpu.shape != (x_cpu.shape[0],) or t_cpu.dtype.kind not in "iu":
            raise ValueError(f"{who}: expected integer labels t of shape ({x_cpu.shape[0]},), "
                             f"got {t_cpu.dtype} {t_cpu.shape}")
        if not (isinstance(index, (int, np.integer)) and 0 <= index < x_cpu.shape[0]):
            raise ValueError(f"{who}: expected index in [0, {x_cpu.shape[0] - 1}], got {index!r}")
        self.model, self.x, self.t = model, x, t_cpu
        self.side = side
        predicted = to_cpu(model.predict(x)).argmax(axis=1)
        self.misclassified = np.flatnonzero(predicted != t_cpu)
        self._index = int(index)
        super().__init__()

    def _make_controls(self, w):
        return {"index": w.IntSlider(value=self._index, min=0, max=self.t.shape[0] - 1,
                                     description="画像の番号", continuous_update=False,
                                     style={"description_width": "initial"},
                                     layout=w.Layout(width="420px"))}

    def compute(self, index) -> dict:
        """The image ``index`` and the model's probabilities for it."""
        index = int(index)
        scores = to_cpu(self.model.predict(self.x[index:index + 1]))[0]
        prob = to_cpu(softmax(scores[None, :]))[0]
        predicted = int(prob.argmax())
        label = int(self.t[index])
        return {
            "index": index,
            "image": to_cpu(self.x[index]).reshape(self.side, self.side),
            "label": label,
            "scores": scores,
            "probabilities": prob,
            "predicted": predicted,
            "correct": predicted == label,
        }

    def draw(self, fig, state) -> None:
        grid = fig.add_gridspec(1, 2, width_ratios=(1, 2.2), wspace=0.25)
        ax_img = fig.add_subplot(grid[0])
        ax_img.imshow(state["image"], cmap="gray_r", vmin=0, vmax=max(1.0, float(state["image"].max())))
        ax_img.set_title(f"画像 {state['index']}（正解 {state['label']}）", fontsize=10)
        ax_img.set_xticks([])
        ax_img.set_yticks([])

        ax = fig.add_subplot(grid[1])
        prob = state["probabilities"]
        k = prob.shape[0]
        colors = ["0.7"] * k
        colors[state["predicted"]] = COLORS[2] if state["correct"] else COLORS[1]
        bars = ax.bar(np.arange(k), prob, color=colors, edgecolor="0.3", linewidth=0.5)
        bars[state["label"]].set_edgecolor("black")  # the true class: a bold outline
        bars[state["label"]].set_linewidth(2.0)
        ax.set_xticks(np.arange(k))
        ax.set_ylim(0, 1.08)
        ax.set_xlabel("クラス（数字）")
        ax.set_ylabel("予測確率")
        p = prob[state["predicted"]]
        verdict = "正しい" if state["correct"] else "誤り"
        ax.set_title(f"予測 {state['predicted']}（確率 {p:.3f}）：{verdict}", fontsize=10)
        ax.text(state["predicted"], min(p + 0.02, 1.0), f"{p:.2f}", ha="center", va="bottom", fontsize=8)
        ax.grid(axis="y", alpha=0.3)

    def describe(self, state) -> str:
        p = state["probabilities"][state["predicted"]]
        verdict = "正しく分類しています" if state["correct"] else "誤分類です"
        n_wrong = self.misclassified.size
        return (f"<p>画像 {state['index']}: 正解 {state['label']}、予測 "
                f"<b>{state['predicted']}</b>（確率 {p:.3f}）。{html.escape(verdict)}。"
                f"このモデルは {self.t.shape[0]:,} 枚中 {n_wrong:,} 枚を誤分類します。</p>")
