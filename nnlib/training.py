"""Mini-batches, the training loop ``fit``, and evaluation metrics."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_finite, check_float, check_labels, check_ndim, check_nonempty
from .backend import get_array_module, to_cpu
from .layers import Linear, Sequential

__all__ = ["minibatches", "fit", "evaluate", "accuracy", "confusion_matrix", "History",
           "progress_default"]


def progress_default() -> bool:
    """Progress bars are on, except under CI (``CI`` set) or with ``NNLIB_PROGRESS=0``."""
    if os.environ.get("NNLIB_PROGRESS", "").strip() in ("0", "false", "no"):
        return False
    ci = os.environ.get("CI", "").strip().lower()
    return ci in ("", "0", "false", "no")


def _check_batching(x, t, batch_size, rng, shuffle):
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"minibatches: expected a positive integer batch_size, got {batch_size!r}")
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"minibatches: x has {x.shape[0]} samples but t has {t.shape[0]}")
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("minibatches: shuffle=True needs rng=numpy.random.Generator, got "
                        f"{type(rng).__name__}")


def minibatches(x, t, batch_size: int, rng=None, shuffle: bool = True):
    """Yield ``(x_batch, t_batch)`` covering the data once (one epoch).

    With ``shuffle=True`` the data are permuted once with ``rng`` (one permutation and one
    copy per epoch) and then cut into consecutive slices, which are views: no new array
    per step. The last batch may be smaller.
    """
    _check_batching(x, t, batch_size, rng, shuffle)
    n = x.shape[0]
    if shuffle:
        perm = get_array_module(x).asarray(rng.permutation(n))
        x, t = x[perm], t[perm]
    for start in range(0, n, batch_size):
        yield x[start:start + batch_size], t[start:start + batch_size]


def _shuffled_batches(x, t, batch_size: int, rng):
    """The batches of ``minibatches(x, t, batch_size, rng)``, gathered into reused buffers.

    Same permutation, same batches, but instead of copying the whole permuted data set
    every epoch (188 MB for MNIST in float32, a fresh allocation that the OS must page in),
    each batch is gathered with ``take(..., out=)`` into one buffer that stays in the cache.
    Only for ``fit``: every yielded batch is overwritten by the next one.
    """
    _check_batching(x, t, batch_size, rng, True)
    xp = get_array_module(x)
    n = x.shape[0]
    perm = xp.asarray(rng.permutation(n))
    xb = xp.empty((min(batch_size, n),) + x.shape[1:], dtype=x.dtype)
    tb = xp.empty((min(batch_size, n),) + t.shape[1:], dtype=t.dtype)
    for start in range(0, n, batch_size):
        idx = perm[start:start + batch_size]
        m = idx.shape[0]  # the last batch may be smaller: use the front of the buffers
        xp.take(x, idx, axis=0, out=xb[:m])
        xp.take(t, idx, axis=0, out=tb[:m])
        yield xb[:m], tb[:m]


def accuracy(model, x, t, loss=None) -> float:
    """Fraction of samples whose predicted class equals ``t`` (labels or one-hot rows)."""
    from .losses import SoftmaxCrossEntropy

    predict = (loss or SoftmaxCrossEntropy()).predict
    y = predict(model.predict(x))
    if t.ndim == 2 and t.shape[1] > 1:
        t = t.argmax(axis=1)
    return float((y == t.reshape(-1)).mean())


def evaluate(model, loss, x, t, batch_size: int = 10000):
    """Mean loss and accuracy (``None`` for regression losses) over ``(x, t)``."""
    n = x.shape[0]
    total, correct = 0.0, 0
    for s in range(0, n, batch_size):
        xb, tb = x[s:s + batch_size], t[s:s + batch_size]
        y = model.forward(xb)
        total += loss.forward(y, tb) * xb.shape[0]
        if loss.is_classifier:
            tl = tb.argmax(axis=1) if (tb.ndim == 2 and tb.shape[1] > 1) else tb.reshape(-1)
            correct += int((loss.predict(y) == tl).sum())
    return total / n, (correct / n if loss.is_classifier else None)


def confusion_matrix(t, y, n_classes: int | None = None):
    """Counts ``C[i, j]`` of samples with true class ``i`` predicted as ``j`` (NumPy array)."""
    t, y = to_cpu(t).reshape(-1), to_cpu(y).reshape(-1)
    if t.shape != y.shape:
        raise ValueError(f"confusion_matrix: expected t and y of equal length, got {t.size} and {y.size}")
    k = n_classes or int(max(t.max(), y.max())) + 1
    check_labels("confusion_matrix", t, k)
    check_labels("confusion_matrix", y, k)
    return np.bincount(t * k + y, minlength=k * k).reshape(k, k)


@dataclass
class History:
    """What ``fit`` records per epoch (lists of equal length; test entries ``None`` if no test set)."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def _check_data(who, model, loss, x, t, name):
    check_ndim(who, f"x_{name}", x, 2)
    check_nonempty(who, f"x_{name}", x)
    check_float(who, f"x_{name}", x)
    check_finite(who, f"x_{name}", x)
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: x_{name} has {x.shape[0]} samples but t_{name} has {t.shape[0]}")
    in_features = getattr(model, "in_features", None)
    if in_features is not None and x.shape[1] != in_features:
        raise ValueError(f"{who}: the model expects {in_features} features per sample, "
                         f"x_{name} has {x.shape[1]}")
    from .losses import SoftmaxCrossEntropy

    if isinstance(loss, SoftmaxCrossEntropy) and t.ndim == 1 and in_features is not None:
        check_labels(who, t, model.output_width(in_features))


def fit(model, loss, optimizer, x_train, t_train, *, epochs: int, batch_size: int, rng,
        x_test=None, t_test=None, progress: bool | None = None, eval_train: bool = True,
        callback=None) -> History:
    """Train ``model`` by mini-batch gradient descent and return a :class:`History`.

    Each epoch shuffles the training data with ``rng``, then for every mini-batch runs
    forward, the loss, backward and ``optimizer.update``. After the epoch it records the
    loss and accuracy on the whole training set (if ``eval_train``) and on the test set.

    If the loss of a mini-batch is NaN or infinite, ``fit`` raises ``FloatingPointError``
    *before* that step's update, so the parameters keep their last finite values.

    Parameters
    ----------
    model : Sequential
    loss : Loss
    optimizer : Optimizer
    x_train : array
        Inputs, float, shape (N, D).
    t_train : array
        Integer labels, shape (N,), or one-hot rows, shape (N, C).
    epochs, batch_size : int
    rng : numpy.random.Generator
    x_test, t_test : array, optional
        Data for evaluation after each epoch.
    progress : bool or None
        Show a tqdm progress bar; ``None`` = on, except under CI (see :func:`progress_default`).
    callback : callable or None
        Called as ``callback(epoch, history)`` after each epoch (e.g. to update a plot).
    """
    who = "fit"
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: expected a positive integer epochs, got {epochs!r}")
    _check_data(who, model, loss, x_train, t_train, "train")
    if (x_test is None) != (t_test is None):
        raise ValueError("fit: give both x_test and t_test, or neither")
    if x_test is not None:
        _check_data(who, model, loss, x_test, t_test, "test")
    if progress is None:
        progress = progress_default()

    n = x_train.shape[0]
    steps = math.ceil(n / batch_size) if isinstance(batch_size, (int, np.integer)) and batch_size > 0 else 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps, desc="学習", unit="step", leave=True)
    history = History()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            for step, (xb, tb) in enumerate(_shuffled_batches(x_train, t_train, batch_size, rng), 1):
                # A diverging run is reported once, below, rather than as overflow warnings.
                with np.errstate(over="ignore", invalid="ignore"):
                    y = model.forward(xb)
                    finite = bool(get_array_module(y).isfinite(y).all())
                    value = loss.forward(y, tb) if finite else math.nan
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"fit: the {'loss' if finite else 'network output'} became "
                        f"{'NaN or inf' if not finite else value} at epoch {epoch}, step {step}; the "
                        f"parameters keep their values from before this step. Try a smaller "
                        f"learning rate (now {getattr(optimizer, 'lr', '?')}) or check the inputs.")
                # The data need no gradient: the first layer may skip dL/dx.
                if isinstance(model, (Sequential, Linear)):
                    model.backward(loss.backward(), input_grad=False)
                else:
                    model.backward(loss.backward())
                optimizer.update(model.params, model.grads)
                if bar is not None:
                    bar.update(1)
            history.seconds.append(time.perf_counter() - start)
            history.epoch.append(epoch)
            tr = evaluate(model, loss, x_train, t_train) if eval_train else (None, None)
            te = evaluate(model, loss, x_test, t_test) if x_test is not None else (None, None)
            history.train_loss.append(tr[0])
            history.train_acc.append(tr[1])
            history.test_loss.append(te[0])
            history.test_acc.append(te[1])
            if bar is not None and te[1] is not None:
                bar.set_postfix(test_acc=f"{te[1]:.4f}")
            if callback is not None:
                callback(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    return history
