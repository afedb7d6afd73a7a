"""A small "TensorFlow Playground": train a network on a 2-D toy data set live (chapter 6).

:func:`train_playground` does the work (plain NumPy through ``nnlib``; tested in pytest);
:class:`Playground` puts controls on it and draws the loss curve and the decision region.
A few hundred steps on 200 points take well under a second on one CPU core.

The playground always computes on NumPy, whatever back-end :func:`nnlib.set_backend`
selected: its data, its drawings and its JavaScript mirror (the live view, which repeats
the same steps bit for bit) all live on the host, and a network of a few dozen units is far
too small to gain anything from a GPU. :func:`playground_model` and
:func:`train_playground` select the NumPy back-end for their duration (see
:func:`numpy_backend`) and restore the previous one afterwards.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..activations import get_activation
from ..backend import get_backend, set_backend
from ..datasets import TOY_DATASETS, make_dataset
from ..layers import Linear, Sequential
from ..losses import SoftmaxCrossEntropy
from ..optimizers import SGD, Adam, Momentum
from ._base import Explorer, b64_array

__all__ = ["train_playground", "Playground", "DATA_SEED", "N_SAMPLES", "OPTIMIZERS",
           "initial_normals", "BatchOrder", "playground_model", "N_NORMALS", "SEEDS",
           "numpy_backend"]

#: The data sets are drawn once with this seed, so only the network's seed varies.
DATA_SEED = 2024
#: Number of training points of every data set.
N_SAMPLES = 200
OPTIMIZERS = {"adam": Adam, "momentum": Momentum, "sgd": SGD}
#: Seeds offered by the explorer (the live view ships the initial weights of each).
SEEDS = range(10)
#: Largest hidden width and depth the explorer offers.
MAX_HIDDEN, MAX_LAYERS = 32, 3
#: Standard normal numbers drawn per seed: enough for the largest network.
N_NORMALS = 2 * MAX_HIDDEN + (MAX_LAYERS - 1) * MAX_HIDDEN * MAX_HIDDEN + MAX_HIDDEN * 2
#: Grid of the decision region: points per axis and margin around the data.
RESOLUTION, MARGIN = 60, 0.3


@contextlib.contextmanager
def numpy_backend():
    """Select nnlib's NumPy back-end inside the ``with`` block; restore the previous one after.

    The playground's models are built and trained inside it, so that they hold NumPy
    arrays (like the data and the drawings) even when a GPU back-end is selected globally.
    """
    previous = get_backend()
    if previous == "numpy":
        yield
        return
    set_backend("numpy")
    try:
        yield
    finally:
        set_backend(previous)


def initial_normals(seed: int) -> np.ndarray:
    """The standard normal numbers the initial weights of seed ``seed`` are made of.

    ``numpy.random.default_rng(seed).standard_normal(N_NORMALS)`` rounded to float32, so
    the live view can ship them exactly (float64 arrays holding float32 values).
    """
    z = np.random.default_rng(seed).standard_normal(N_NORMALS)
    return z.astype(np.float32).astype(np.float64)


def playground_model(hidden: int, layers: int, activation: str, seed: int) -> Sequential:
    """``2 → hidden (× layers) → 2`` with ``activation``; He (ReLU) or Xavier initialisation.

    The weight matrices take consecutive numbers of :func:`initial_normals` (row-major,
    layer by layer) times the initialiser's scale (``sqrt(2 / in)`` for He,
    ``sqrt(2 / (in + out))`` for Xavier, as :class:`nnlib.Linear`); biases start at 0.
    The model is built on NumPy whatever back-end is selected (module docstring).
    """
    with numpy_backend():
        return _playground_model(hidden, layers, activation, seed)


def _playground_model(hidden, layers, activation, seed):
    z = initial_normals(seed)
    sizes = [2] + [int(hidden)] * int(layers) + [2]
    he = activation in ("relu", "leaky_relu", "prelu", "elu")
    mods, o = [], 0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = math.sqrt(2.0 / a) if he else math.sqrt(2.0 / (a + b))
        w = scale * z[o:o + a * b].reshape(a, b)
        o += a * b
        mods.append(Linear.from_weights(w, np.zeros(b)))
        if i < len(sizes) - 2:
            mods.append(get_activation(activation))
    return Sequential(*mods)


class BatchOrder:
    """The shuffling of the playground: a Fisher–Yates permutation per epoch, driven by
    xorshift32 (a generator the live view's JavaScript repeats exactly).

    ``permutation(n)``: for ``i = n-1 .. 1`` draw the next state ``s`` and swap ``i`` with
    ``s mod (i + 1)``. The state starts at ``(seed + 1) * 2654435761 mod 2**32``.
    """

    def __init__(self, seed: int):
        self.state = ((int(seed) + 1) * 2654435761) % 2 ** 32 or 1

    def next(self) -> int:
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def permutation(self, n: int) -> np.ndarray:
        p = np.arange(n)
        for i in range(n - 1, 0, -1):
            j = self.next() % (i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def _grid(x, resolution, margin=MARGIN):
    # The same grid as nnlib.plotting.plot_decision_regions builds for these limits.
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    xlim, ylim = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    return gx, gy, xlim, ylim


def train_playground(dataset="xor", hidden=8, layers=1, activation="tanh", lr=0.03,
                     batch_size=10, steps=300, optimizer="adam", seed=0, *, n=N_SAMPLES,
                     resolution=RESOLUTION) -> dict:
    """Train ``[2] + [hidden] * layers + [2]`` (``activation``) with softmax cross-entropy.

    The data set ``dataset`` (one of ``xor``, ``circles``, ``moons``, ``spirals``) is drawn
    with :data:`DATA_SEED`; ``seed`` sets the initial weights (:func:`playground_model`)
    and the shuffling (:class:`BatchOrder`). Training runs ``steps`` mini-batch updates of
    size ``batch_size`` (epochs follow one another, each reshuffled). The live view's
    JavaScript runs the same steps on the same numbers (checked by tools/explorer_check.py).

    Returns
    -------
    dict with
        ``x`` (n, 2), ``t`` (n,) : the training data;
        ``loss_steps``, ``loss_history`` : arrays of equal length, step numbers
        ``0, k, 2k, ..., steps`` (``k = max(1, steps // 100)``) and the loss on the whole
        training set after that many steps;
        ``accuracy`` : float, training accuracy at the end;
        ``epochs`` : float, ``steps * batch_size / n`` (passes over the data);
        ``grid_x``, ``grid_y``, ``proba`` : arrays (resolution, resolution), the grid and the
        predicted probability of class 1 on it; ``xlim``, ``ylim`` : the grid's extent;
        ``model`` : the trained ``Sequential``.

    Every array, the model's parameters included, is a NumPy array: the training runs on
    NumPy whatever back-end is selected (module docstring).
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"train_playground: unknown data set {dataset!r}; expected one of "
                         f"{', '.join(TOY_DATASETS)}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"train_playground: unknown optimizer {optimizer!r}; expected one of "
                         f"{', '.join(OPTIMIZERS)}")
    for name, v, hi in (("hidden", hidden, MAX_HIDDEN), ("layers", layers, MAX_LAYERS),
                        ("batch_size", batch_size, None)):
        if int(v) < 1 or (hi is not None and int(v) > hi):
            raise ValueError(f"train_playground: expected {name} in [1, {hi or 'N'}], got {v!r}")
    if int(steps) < 0:
        raise ValueError(f"train_playground: expected steps >= 0, got {steps!r}")
    with numpy_backend():
        return _train(dataset, hidden, layers, activation, lr, batch_size, steps, optimizer,
                      seed, n, resolution)


def _train(dataset, hidden, layers, activation, lr, batch_size, steps, optimizer, seed, n,
           resolution):
    x, t = make_dataset(dataset, n, rng=np.random.default_rng(DATA_SEED))
    model = _playground_model(hidden, layers, activation, seed)
    order = BatchOrder(seed)
    loss = SoftmaxCrossEntropy()
    opt = OPTIMIZERS[optimizer](float(lr))
    # The curve shows the loss on the whole training set (smooth enough to read even when
    # single mini-batches are noisy), measured at about 100 points to keep updates fast.
    every = max(1, int(steps) // 100)
    loss_steps, history = [0], [loss.forward(model.forward(x), t)]
    done, bs = 0, int(batch_size)
    while done < steps:
        perm = order.permutation(n)
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            loss.forward(model.forward(x[idx]), t[idx])
            model.backward(loss.backward())
            opt.update(model.params, model.grads)
            done += 1
            if done % every == 0 or done == steps:
                loss_steps.append(done)
                history.append(loss.forward(model.forward(x), t))
            if done == steps:
                break
    scores = model.forward(x)
    acc = float((scores.argmax(axis=1) == t).mean())
    gx, gy, xlim, ylim = _grid(x, resolution)
    s = model.forward(np.column_stack([gx.ravel(), gy.ravel()]))
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    proba = (p[:, 1] / p.sum(axis=1)).reshape(gx.shape)
    return {"x": x, "t": t, "loss_steps": np.array(loss_steps), "loss_history": np.array(history),
            "accuracy": acc,
            "epochs": steps * int(batch_size) / n, "grid_x": gx, "grid_y": gy, "proba": proba,
            "xlim": xlim, "ylim": ylim, "model": model}


class Playground(Explorer):
    """Data set, network, learning rate and batch size; trains on every change.

    Left axes: the training loss against the step. Right axes: the decision region
    (probability of class 1, the 0.5 contour in black) with the training points.
    """

    tight_bbox = False  # draw() fixes the margins

    figsize = (9, 3.8)
    title = "プレイグラウンド"
    live_kind = "playground"

    def __init__(self, **initial):
        defaults = {"dataset": "xor", "hidden": 8, "layers": 1, "activation": "tanh",
                    "lr": 0.03, "batch_size": 10, "steps": 300, "optimizer": "adam", "seed": 0}
        unknown = set(initial) - set(defaults)
        if unknown:
            raise KeyError(f"Playground: unknown settings {sorted(unknown)}; expected some of "
                           f"{sorted(defaults)}")
        self._initial = {**defaults, **initial}
        super().__init__()

    def _make_controls(self, w):
        v = self._initial
        style = {"description_width": "initial"}
        kw = {"style": style, "continuous_update": False}
        return {
            "dataset": w.Dropdown(options=[("XOR", "xor"), ("同心円 (circles)", "circles"),
                                           ("三日月 (moons)", "moons"),
                                           ("渦巻き (spirals)", "spirals")],
                                  value=v["dataset"], description="データ", style=style),
            "hidden": w.IntSlider(value=v["hidden"], min=1, max=32, description="中間層のユニット数",
                                  **kw),
            "layers": w.IntSlider(value=v["layers"], min=1, max=3, description="中間層の数", **kw),
            "activation": w.Dropdown(options=[("tanh", "tanh"), ("ReLU", "relu"),
                                              ("シグモイド", "sigmoid")],
                                     value=v["activation"], description="活性化関数", style=style),
            "lr": w.FloatLogSlider(value=v["lr"], base=10, min=-3, max=0, step=0.1,
                                   description="学習率 η", readout_format=".3f", **kw),
            "batch_size": w.Dropdown(options=[("1", 1), ("10", 10), ("50", 50),
                                              (f"{N_SAMPLES}（全データ）", N_SAMPLES)],
                                     value=v["batch_size"], description="バッチサイズ",
                                     style=style),
            "steps": w.IntSlider(value=v["steps"], min=50, max=1000, step=50,
                                 description="ステップ数", **kw),
            "optimizer": w.Dropdown(options=[("Adam", "adam"), ("モーメンタム", "momentum"),
                                             ("SGD", "sgd")],
                                    value=v["optimizer"], description="最適化", style=style),
            "seed": w.IntSlider(value=v["seed"], min=0, max=9, description="乱数の種", **kw),
        }

    def compute(self, **values):
        return train_playground(**values)

    def live_payload(self) -> dict:
        sets = {}
        for name in TOY_DATASETS:
            x, t = make_dataset(name, N_SAMPLES, rng=np.random.default_rng(DATA_SEED))
            sets[name] = {"x": b64_array(x, "float64"), "t": b64_array(t, "uint8")}
        opts = {k: [[str(label), _plain(v)] for label, v in c.options]
                for k, c in self.controls.items() if hasattr(c, "options")}
        ranges = {k: {"min": c.min, "max": c.max, "step": c.step,
                      **({"base": c.base} if hasattr(c, "base") else {})}
                  for k, c in self.controls.items() if not hasattr(c, "options")}
        return {"n": N_SAMPLES, "datasets": sets, "n_normals": N_NORMALS,
                "normals": {str(s): b64_array(initial_normals(s), "float32") for s in SEEDS},
                "resolution": RESOLUTION, "margin": MARGIN, "options": opts, "ranges": ranges,
                "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, "momentum": 0.9}

    def draw(self, fig, state):
        from ..plotting import plot_decision_regions

        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        h = state["loss_history"]
        ax.plot(state["loss_steps"], h, color="#1f77b4", lw=1.5)
        ax.set_xlabel("ステップ（パラメータの更新回数）")
        ax.set_ylabel("訓練データの損失")
        ax.set_ylim(0, max(float(h.max()) * 1.05, 0.1))
        ax.set_title(f"{state['epochs']:g} エポック", fontsize=10)
        ax.grid(alpha=0.3)

        shape = state["grid_x"].shape

        def predict(grid):
            # plot_decision_regions asks for the grid that compute already evaluated.
            if grid.shape[0] != state["proba"].size:
                raise ValueError("Playground.draw: grid size differs from the computed one")
            return state["proba"].ravel()

        plot_decision_regions(predict, state["x"], state["t"], ax=ax2, resolution=shape[0],
                              xlim=state["xlim"], ylim=state["ylim"], proba=True,
                              title=f"訓練データの正解率 {100 * state['accuracy']:.1f} %")
        ax2.title.set_fontsize(10)
        # Fixed margins instead of tight_layout, which would lay out every label once more
        # (a third of the drawing time).
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.25)

    def describe(self, state):
        h = state["loss_history"]  # noqa
        return (f"<p>損失 {h[0]:.3f} → {h[-1]:.3f}、訓練データの正解率 "
                f"{100 * state['accuracy']:.1f} %（{state['loss_steps'][-1]} ステップ = "
                f"{state['epochs']:g} エポック）</p>")


def _plain(v):
    return v.item() if hasattr(v, "item") else v
