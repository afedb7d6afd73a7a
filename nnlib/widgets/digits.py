"""DigitExplorer: pick a test image and see what a trained classifier makes of it (chapter 7).

The explorer shows the chosen image (28×28 grey levels) beside the model's predicted
probabilities for the ten classes as a bar chart: the softmax of the model's scores,
``softmax(model.predict(x[index:index + 1]))``.

:meth:`DigitExplorer.from_bundled` needs no training: it loads the small network that
``tools/train_digits_model.py`` trained with nnlib and stored, int8-quantized and
checksummed, in ``data/models/`` (784-100-10, ReLU). In the HTML book and in JupyterLab the
live view (``nnlib-live.js``) also lets the reader draw a digit; the drawing is
preprocessed like MNIST (:func:`preprocess_drawing` is the reference of that step).
"""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from pathlib import Path

import numpy as np

from .. import plotting as _plotting  # noqa: F401  (sets the Japanese font)
from ..backend import to_cpu, to_device
from ..functions import softmax
from ..plotting import COLORS
from ._base import Explorer, b64_array

__all__ = ["DigitExplorer", "load_bundled_model", "BUNDLED_MODEL", "BUNDLED_SHA256",
           "live_network"]

#: The bundled classifier (see ``data/models/README.md``).
BUNDLED_MODEL = Path(__file__).resolve().parent.parent.parent / "data" / "models" / "digits_784_100_10.npz"
#: SHA-256 of :data:`BUNDLED_MODEL`, checked on every load.
BUNDLED_SHA256 = "563f8e354a71ecf53eb91aca57d0979849a94a02334aae77c5aa2f63c3782fb2"

#: Images shipped to the live view: the first ``_N_FIRST`` test images and up to
#: ``_N_WRONG`` misclassified ones after them.
_N_FIRST, _N_WRONG = 150, 50


def load_bundled_model(path=None, *, verify: bool = True):
    """The bundled digit classifier as an nnlib ``Sequential`` (float64, dequantized weights).

    Parameters
    ----------
    path : str or Path, optional
        The ``.npz`` file; default :data:`BUNDLED_MODEL`.
    verify : bool
        Check the file's SHA-256 against :data:`BUNDLED_SHA256` first.

    Raises
    ------
    FileNotFoundError, ValueError
        The file is missing, or its checksum or content is not what was expected.
    """
    from ..activations import ReLU
    from ..layers import Linear, Sequential

    path = Path(BUNDLED_MODEL if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"load_bundled_model: {path} is missing; restore it with "
                                f"`git checkout -- data/models` or run tools/train_digits_model.py")
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if verify and digest != BUNDLED_SHA256:
        raise ValueError(f"load_bundled_model: {path} has SHA-256 {digest[:16]}…, expected "
                         f"{BUNDLED_SHA256[:16]}…; restore it with `git checkout -- data/models`")
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    layers = []
    for i in (1, 2):
        q, scale = a[f"W{i}_q"], float(a[f"W{i}_scale"].reshape(-1)[0])
        lin = Linear.from_weights(q.astype(np.float64) * scale, a[f"b{i}"].astype(np.float64))
        lin.int8_weights = (q, scale)  # the live view ships these (W = scale * q)
        layers.append(lin)
        if i == 1:
            layers.append(ReLU())
    return Sequential(*layers)


def live_network(model) -> list:
    """The layers of ``model`` for the live view: ``[{"type": "linear", "W": ..., "b": ...},
    {"type": "relu"}, ...]`` with weights as base64 float64 (float32 models: float32).

    Raises ValueError if the model has a layer the live view cannot mirror.
    """
    from ..activations import Identity, ReLU, Sigmoid, Tanh
    from ..layers import Linear

    out = []
    for layer in getattr(model, "layers", None) or list(model):
        if isinstance(layer, Linear):
            w, b = to_cpu(layer.params["W"]), to_cpu(layer.params["b"])
            dt = "float32" if w.dtype == np.float32 else "float64"
            q = getattr(layer, "int8_weights", None)
            if q is not None and np.array_equal(q[0].astype(np.float64) * q[1], w):
                # int8-quantized weights: W = scale * q, exactly as load_bundled_model built it
                out.append({"type": "linear", "shape": list(w.shape), "W": b64_array(q[0], "int8"),
                            "scale": q[1], "b": b64_array(b, dt), "dtype": "int8", "bdtype": dt})
            else:
                out.append({"type": "linear", "shape": list(w.shape), "W": b64_array(w, dt),
                            "b": b64_array(b, dt), "dtype": dt})
        elif isinstance(layer, (ReLU, Tanh, Identity)):
            out.append({"type": type(layer).__name__.lower()})
        elif isinstance(layer, Sigmoid):
            out.append({"type": "sigmoid", "gain": layer.gain})
        else:
            raise ValueError(f"live_network: cannot mirror layer {layer!r} in the live view; "
                             f"expected Linear, ReLU, Sigmoid, Tanh or Identity")
    return out


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

    See Also
    --------
    DigitExplorer.from_bundled : the explorer with the bundled trained network (no training).
    """

    figsize = (8, 3.2)
    title = "数字エクスプローラ"
    live_kind = "digits"

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
        # The model lives on the selected back-end; the images go there explicitly.
        predicted = to_cpu(model.predict(to_device(x))).argmax(axis=1)
        self.misclassified = np.flatnonzero(predicted != t_cpu)
        self._index = int(index)
        super().__init__()

    @classmethod
    def from_bundled(cls, index: int = 0):
        """The explorer with the bundled trained 784-100-10 network and the MNIST test set.

        Usable at once: nothing is trained (the weights come from ``data/models/``,
        checksummed like MNIST).
        """
        from ..datasets import load_mnist

        _, (x_test, t_test) = load_mnist(dtype="float64")
        return cls(load_bundled_model(), x_test, t_test, index=index)

    def _make_controls(self, w):
        return {"index": w.IntSlider(value=self._index, min=0, max=self.t.shape[0] - 1,
                                     description="画像の番号", continuous_update=False,
                                     style={"description_width": "initial"},
                                     layout=w.Layout(width="420px"))}

    def compute(self, index) -> dict:
        """The image ``index`` and the model's probabilities for it."""
        index = int(index)
        scores = to_cpu(self.model.predict(to_device(self.x[index:index + 1])))[0]
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

    def live_indices(self) -> np.ndarray:
        """Indices of the images shipped to the live view (sorted): the first 150 and up to
        50 misclassified ones beyond them."""
        first = np.arange(min(_N_FIRST, self.t.shape[0]))
        wrong = self.misclassified[self.misclassified >= first.size][:_N_WRONG]
        return np.concatenate([first, wrong]).astype(int)

    def live_payload(self) -> dict:
        idx = self.live_indices()
        x = to_cpu(self.x)[idx]
        grey = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
        exact = bool(np.array_equal(grey.astype(np.float64) / 255, x.astype(np.float64)) or
                     np.allclose(grey / 255, x, atol=1e-7))
        return {"side": self.side, "n_total": int(self.t.shape[0]),
                "n_wrong_total": int(self.misclassified.size),
                "indices": idx.tolist(), "labels": self.t[idx].tolist(),
                "images": b64_array(grey, "uint8"), "images_exact": exact,
                "network": live_network(self.model), "index": self._index_value()}

    def _index_value(self) -> int:
        return int(self.controls["index"].value) if hasattr(self, "controls") else self._index

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


def preprocess_drawing(ink, side: int = 28, box: int = 20):
    """MNIST-like preprocessing of a drawing (the reference of the live view's JavaScript).

    ``ink`` (H, W) in [0, 1] is cropped to its bounding box, scaled (bilinear, aspect kept)
    so its longer side is ``box`` pixels, and placed in a ``side × side`` image so that its
    centre of mass is at the centre (LeCun et al. 1998). Returns ``(side * side,)``.
    """
    ink = np.asarray(ink, dtype=float)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0), np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        return np.zeros(side * side)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    s = box / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    ys = (np.arange(nh) + 0.5) / s - 0.5
    xs = (np.arange(nw) + 0.5) / s - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy = np.clip(ys - y0, 0, 1)[:, None]
    fx = np.clip(xs - x0, 0, 1)[None, :]
    small = (crop[y0][:, x0] * (1 - fy) * (1 - fx) + crop[y1][:, x0] * fy * (1 - fx)
             + crop[y0][:, x1] * (1 - fy) * fx + crop[y1][:, x1] * fy * fx)
    total = small.sum()
    cy = (small.sum(axis=1) * np.arange(nh)).sum() / total
    cx = (small.sum(axis=0) * np.arange(nw)).sum() / total
    oy, ox = int(round(side / 2 - 0.5 - cy)), int(round(side / 2 - 0.5 - cx))
    out = np.zeros((side, side))
    for i in range(nh):
        for j in range(nw):
            r, c = i + oy, j + ox
            if 0 <= r < side and 0 <= c < side:
                out[r, c] = small[i, j]
    return np.clip(out, 0, 1).ravel()
