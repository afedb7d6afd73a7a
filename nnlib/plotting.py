"""Figures of the book. Importing this module sets a Japanese font (IPAexGothic via
``matplotlib-fontja``) so Japanese labels never render as boxes. Every function returns
the ``matplotlib.figure.Figure`` it drew on."""

from __future__ import annotations

import numpy as np

import matplotlib

try:
    import matplotlib_fontja  # noqa: F401  (sets the Japanese font family on import)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("nnlib.plotting needs matplotlib-fontja for Japanese labels: "
                      "pip install matplotlib-fontja") from exc
import matplotlib.pyplot as plt

from .backend import to_cpu, to_device

matplotlib.rcParams["axes.unicode_minus"] = False  # IPAexGothic has no U+2212 glyph

__all__ = ["plot_function", "plot_activation", "plot_decision_regions", "plot_history",
           "plot_images", "plot_confusion_matrix", "COLORS"]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")


def _axes(ax, figsize=(5, 3.5)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


def plot_function(f, x=None, *, derivative=None, ax=None, label="f(x)",
                  derivative_label="f'(x)", title=None):
    """Plot ``f(x)`` and, if given, its ``derivative`` in a second colour.

    ``f`` and ``derivative`` receive ``x`` on the selected back-end (``to_device``), as an
    nnlib activation whose parameters live there needs; their results are drawn from the
    host (``to_cpu``).
    """
    x = np.linspace(-5, 5, 401) if x is None else to_cpu(x)
    xd = to_device(x)
    fig, ax = _axes(ax)
    ax.plot(x, to_cpu(f(xd)), color=COLORS[0], lw=2, label=label)
    if derivative is not None:
        ax.plot(x, to_cpu(derivative(xd)), color=COLORS[1], lw=1.5, ls="--",
                label=derivative_label)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("$x$")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return fig


def plot_activation(act, x=None, *, ax=None, title=None):
    """An activation object's function and derivative (e.g. ``plot_activation(Sigmoid(gain=2))``)."""
    return plot_function(act.function, x, derivative=act.derivative, ax=ax,
                         title=title if title is not None else repr(act))


def plot_decision_regions(predict, x, t, *, ax=None, resolution: int = 200, margin: float = 0.3,
                          xlim=None, ylim=None, title=None, proba: bool = False):
    """Colour the plane by the class ``predict`` gives, and scatter the samples on top.

    ``predict`` maps an (M, 2) array to M class labels, or to probabilities of class 1
    when ``proba=True`` (drawn as a continuous colour with the 0.5 contour). The grid is
    passed on the selected back-end (``to_device``, so a model there can take it, e.g.
    ``lambda g: model.predict(g).argmax(axis=1)``); the result is brought back with ``to_cpu``.
    ``x`` and ``t`` may be NumPy or device arrays.
    """
    x, t = to_cpu(x), to_cpu(t)
    fig, ax = _axes(ax, (4.5, 4))
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    xlim = xlim or (lo[0], hi[0])
    ylim = ylim or (lo[1], hi[1])
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    z = to_cpu(predict(to_device(grid))).reshape(gx.shape)
    if proba:
        ax.contourf(gx, gy, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
        ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1.5)
    else:
        k = int(max(z.max(), t.max())) + 1
        ax.contourf(gx, gy, z, levels=np.arange(k + 1) - 0.5,
                    colors=[COLORS[i % len(COLORS)] for i in range(k)], alpha=0.25)
    for c in np.unique(t):
        m = t == c
        ax.scatter(x[m, 0], x[m, 1], s=18, color=COLORS[int(c) % len(COLORS)],
                   edgecolor="k", linewidth=0.4, label=f"クラス {int(c)}")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_history(history, *, title=None):
    """Loss and accuracy per epoch (training and, if recorded, test) side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    e = history.epoch
    for ax, key, name in ((axes[0], "loss", "損失"), (axes[1], "acc", "正解率")):
        for part, label, color in (("train", "訓練", COLORS[0]), ("test", "テスト", COLORS[1])):
            values = getattr(history, f"{part}_{key}")
            if values and values[0] is not None:
                ax.plot(e, values, "o-", ms=3, color=color, label=label)
        ax.set_xlabel("エポック")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_images(images, labels=None, *, ncols: int = 10, titles=None, cmap="gray_r",
                size: float = 1.0, shape=(28, 28)):
    """A grid of images (rows of length 784, or 2-D arrays) with optional titles."""
    images = to_cpu(images)
    n = images.shape[0]
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i].reshape(shape) if images[i].ndim == 1 else images[i]
        ax.imshow(img, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
        elif labels is not None:
            ax.set_title(str(int(to_cpu(labels)[i])), fontsize=9)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm, class_names=None, *, ax=None, title=None):
    """A confusion matrix (rows: true class, columns: predicted) with counts in the cells."""
    cm = to_cpu(cm)
    k = cm.shape[0]
    fig, ax = _axes(ax, (0.45 * k + 2.5, 0.45 * k + 2))
    ax.imshow(cm, cmap="Blues")
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("予測したクラス")
    ax.set_ylabel("正解のクラス")
    thresh = cm.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > thresh else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
