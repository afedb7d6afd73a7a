"""Mini-batches, the training loop ``fit``, and evaluation metrics."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_finite, check_float, check_labels, check_ndim, check_nonempty
from .backend import get_array_module, to_cpu, to_device
from .layers import Layer, Linear, Sequential, _all_finite, eval_mode

__all__ = ["minibatches", "fit", "evaluate", "accuracy", "confusion_matrix", "History",
           "TrainingDivergedError", "EXPLOSION_FACTOR", "progress_default"]


def progress_default() -> bool:
    """Progress bars are on, except under CI (``CI`` set) or with ``NNLIB_PROGRESS=0``."""
    if os.environ.get("NNLIB_PROGRESS", "").strip() in ("0", "false", "no"):
        return False
    ci = os.environ.get("CI", "").strip().lower()
    return ci in ("", "0", "false", "no")


def _check_batching(x, t, batch_size, rng, shuffle):
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
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
        # mode="clip" only tells NumPy not to check the indices (they come from a
        # permutation, so they are valid); with the default mode="raise" NumPy first
        # gathers into a hidden temporary and then copies it into out, twice the work.
        # (CuPy's take has no mode argument and never checks.)
        if xp is np:  # (the methods, not np.take: one Python wrapper call fewer each)
            x.take(idx, axis=0, out=xb[:m], mode="clip")
            t.take(idx, axis=0, out=tb[:m], mode="clip")
        else:  # pragma: no cover - GPU only
            xp.take(x, idx, axis=0, out=xb[:m])
            xp.take(t, idx, axis=0, out=tb[:m])
        yield xb[:m], tb[:m]


def _as_array(x, dtype=None):
    """Lists and tuples become arrays of the current back-end; arrays are returned unchanged."""
    if isinstance(x, (list, tuple)):
        return to_device(np.asarray(x, dtype=dtype))
    return x


def _check_positive_int(who, name, v, allow_none=False):
    if allow_none and v is None:
        return
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{who}: expected a positive integer {name}, got {v!r}")


def _class_labels(t):
    """Integer labels from labels (N,) / (N, 1) or one-hot rows (N, C)."""
    if t.ndim == 2 and t.shape[1] > 1:
        return t.argmax(axis=1)
    return t.reshape(-1)


def accuracy(model, x, t, loss=None) -> float:
    """Fraction of samples whose predicted class equals ``t``.

    Parameters
    ----------
    model : Sequential
    x : array or list, shape (N, D)
    t : array or list
        Labels (N,) or one-hot rows (N, C); exactly one target per sample.
    loss : Loss, optional
        Decides how outputs become classes (``loss.predict``); default softmax (argmax).
    """
    from .losses import SoftmaxCrossEntropy

    who = "accuracy"
    x, t = _as_array(x, float), _as_array(t)
    check_ndim(who, "x", x, 2)
    check_nonempty(who, "x", x)
    if not hasattr(t, "ndim"):
        raise TypeError(f"{who}: expected t to be an array or a list, got {type(t).__name__}")
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: expected one target per sample ({x.shape[0]}), got t of "
                         f"shape {tuple(t.shape)}")
    predict = (loss or SoftmaxCrossEntropy()).predict
    y = predict(model.predict(x))
    tl = _class_labels(t)
    if tl.shape[0] != y.shape[0]:
        raise ValueError(f"{who}: expected one target per sample ({y.shape[0]}), got t of "
                         f"shape {tuple(t.shape)}")
    return float((y == tl).mean())


def _check_eval_data(who, model, x, t, batch_size):
    x, t = _as_array(x, float), _as_array(t)
    check_ndim(who, "x", x, 2)
    check_nonempty(who, "x", x)
    check_float(who, "x", x)
    if not _all_finite(x):
        check_finite(who, "x", x)
    if not hasattr(t, "shape") or t.ndim == 0 or t.shape[0] != x.shape[0]:
        got = tuple(t.shape) if hasattr(t, "shape") else type(t).__name__
        raise ValueError(f"{who}: expected one target per sample ({x.shape[0]}), got t of "
                         f"shape {got}")
    _check_positive_int(who, "batch_size", batch_size)
    return x, t


def evaluate(model, loss, x, t, batch_size: int = 10000):
    """Mean loss and accuracy (``None`` for regression losses) over ``(x, t)``.

    Runs in evaluation mode (``Dropout`` off) and restores the model's mode afterwards.
    ``x`` and ``t`` may be lists.
    """
    x, t = _check_eval_data("evaluate", model, x, t, batch_size)
    return _evaluate(model, loss, x, t, batch_size, checked=False)


def _evaluate(model, loss, x, t, batch_size: int = 10000, checked: bool = True):
    """``evaluate`` without its input checks; ``checked=True`` skips the loss's checks too."""
    n = x.shape[0]
    total, correct = 0.0, 0
    forward = model._forward if _fast(model, "_forward", "forward") else model.forward
    compute = loss._compute if checked and _fast(loss, "_compute", "forward") else loss.forward
    with eval_mode(model):
        for s in range(0, n, batch_size):
            xb, tb = x[s:s + batch_size], t[s:s + batch_size]
            y = forward(xb)
            total += compute(y, tb) * xb.shape[0]
            if loss.is_classifier:
                correct += int((loss.predict(y) == _class_labels(tb)).sum())
    return total / n, (correct / n if loss.is_classifier else None)


def confusion_matrix(t, y, n_classes: int | None = None):
    """Counts ``C[i, j]`` of samples with true class ``i`` predicted as ``j`` (NumPy array).

    ``t`` and ``y`` are integer labels (arrays or lists) of equal, non-zero length;
    ``n_classes`` (≥ 1) defaults to the largest label + 1.
    """
    who = "confusion_matrix"
    t, y = to_cpu(_as_array(t)).reshape(-1), to_cpu(_as_array(y)).reshape(-1)
    if t.shape != y.shape:
        raise ValueError(f"{who}: expected t and y of equal length, got {t.size} and {y.size}")
    if t.size == 0:
        raise ValueError(f"{who}: expected at least one label, got empty t and y")
    if n_classes is not None:
        _check_positive_int(who, "n_classes", n_classes)
    check_labels(who, t, 2 ** 62)  # integer dtype and no negative labels first
    check_labels(who, y, 2 ** 62)
    k = int(n_classes) if n_classes is not None else int(max(t.max(), y.max())) + 1
    check_labels(who, t, k)
    check_labels(who, y, k)
    return np.bincount(t * k + y, minlength=k * k).reshape(k, k)


@dataclass
class History:
    """What ``fit`` records per epoch (lists of equal length).

    ``val_*`` and ``test_*`` entries are ``None`` without validation / test data,
    ``train_*`` entries ``None`` with ``eval_train=False``. ``lr`` is the learning rate
    used in each epoch. ``best_epoch`` is the epoch with the lowest validation loss (None
    without validation data); ``stopped_epoch`` the epoch after which early stopping ended
    training (None if all epochs ran).
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None


class TrainingDivergedError(FloatingPointError):
    """``fit`` stopped because the loss or the gradients became NaN/inf or exploded.

    Attributes
    ----------
    history : History
        The epochs that finished before the failure.
    epoch : int
        The epoch in which it happened (counted from 1).
    step : int
        The mini-batch step within that epoch (counted from 1).
    """

    def __init__(self, message, history, epoch, step):
        super().__init__(message)
        self.history, self.epoch, self.step = history, epoch, step


#: ``fit`` stops when a mini-batch loss exceeds this many times the first mini-batch's loss
#: (or this value itself, when the first loss is below 1).
EXPLOSION_FACTOR = 1e3


def _check_data(who, model, loss, x, t, name):
    """Check one data set once; return it with lists turned into arrays."""
    x, t = _as_array(x, float), _as_array(t)
    check_ndim(who, f"x_{name}", x, 2)
    check_nonempty(who, f"x_{name}", x)
    check_float(who, f"x_{name}", x)
    # One reduction instead of an isfinite() array as large as the data (47 MB for MNIST).
    if not _all_finite(x):
        check_finite(who, f"x_{name}", x)
    if not hasattr(t, "shape"):
        raise TypeError(f"{who}: expected t_{name} to be an array or a list, "
                        f"got {type(t).__name__}")
    check_ndim(who, f"t_{name}", t, (1, 2))
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: x_{name} has {x.shape[0]} samples but t_{name} has {t.shape[0]}")
    if t.dtype.kind == "f" and not _all_finite(t):
        check_finite(who, f"t_{name}", t)
    in_features = getattr(model, "in_features", None)
    if in_features is not None and x.shape[1] != in_features:
        raise ValueError(f"{who}: the model expects {in_features} features per sample, "
                         f"x_{name} has {x.shape[1]}")
    from .losses import SoftmaxCrossEntropy

    if isinstance(loss, SoftmaxCrossEntropy) and t.ndim == 1 and in_features is not None:
        check_labels(who, t, model.output_width(in_features))
    return x, t


def _fast(obj, fast: str, public: str) -> bool:
    """Whether ``obj.<fast>`` (the unchecked method) may stand in for ``obj.<public>``.

    True unless a subclass overrides the public method below the class that defines the
    fast one (then the subclass's own method must run).
    """
    def owner(name):
        return next((c for c in type(obj).__mro__ if name in c.__dict__), None)

    f, p = owner(fast), owner(public)
    return f is not None and p is not None and issubclass(f, p)


def _snapshot(params):
    return {k: p.copy() for k, p in params.items()}


def _restore(params, snap):
    for k, p in params.items():
        p[...] = snap[k]  # in place: the layers keep their own arrays


def fit(model, loss, optimizer, x_train, t_train, *, epochs: int, batch_size: int, rng,
        x_val=None, t_val=None, x_test=None, t_test=None, progress: bool | None = None,
        eval_train: bool | int = True, early_stopping: int | None = None,
        lr_schedule=None, callback=None,
        explosion_factor: float | None = EXPLOSION_FACTOR) -> History:
    """Train ``model`` by mini-batch gradient descent and return a :class:`History`.

    Each epoch shuffles the training data with ``rng``, then for every mini-batch runs
    forward, the loss, backward and ``optimizer.update`` (in training mode, so ``Dropout``
    drops). After the epoch it records loss and accuracy on the training data (see
    ``eval_train``), the validation data and the test data, in evaluation mode.

    All inputs are checked once, before anything changes. In the loop, ``fit`` stops with
    :class:`TrainingDivergedError` (a ``FloatingPointError``) when a mini-batch loss or a
    gradient is NaN or infinite, or when the loss explodes (more than
    ``explosion_factor`` = 1000 times the loss of the first mini-batch, or more than 1000
    when that loss is below 1). It then restores
    the parameters and the optimizer state of the end of the last finished epoch (the
    initial values if it fails in epoch 1) and attaches the finished epochs' history as
    ``err.history``.

    Within an epoch the optimizer may use the gradient arrays (``model.grads``) as scratch
    space once it has read them, since the next backward pass refills them; after ``fit``
    returns they hold the gradients of the last mini-batch, as after a plain ``update``.

    Parameters
    ----------
    model : Sequential
    loss : Loss
    optimizer : Optimizer
    x_train : array or list, shape (N, D)
        Inputs, floating point.
    t_train : array or list
        Integer labels, shape (N,), or one-hot rows / targets, shape (N, C).
    epochs, batch_size : int
    rng : numpy.random.Generator
        Shuffles the data every epoch.
    x_val, t_val : array, optional
        Validation data, evaluated after each epoch (``History.val_loss``/``val_acc``);
        used for early stopping.
    x_test, t_test : array, optional
        Test data, evaluated after each epoch (``History.test_loss``/``test_acc``).
    progress : bool or None
        Show a tqdm progress bar; ``None`` = on, except under CI (see :func:`progress_default`).
    eval_train : bool or int
        ``True``: evaluate loss/accuracy on the whole training set after each epoch;
        ``False``: skip it (``None`` in the history); an int ``k``: evaluate on the first
        ``k`` training samples (a fixed subset, the same every epoch and independent of
        ``rng``), which costs about ``k / N`` of the full evaluation.
    early_stopping : int or None
        Patience in epochs: stop when the validation loss has not improved for this many
        epochs, and restore the parameters of the best epoch (``History.best_epoch``,
        ``History.stopped_epoch``). Needs ``x_val``/``t_val``.
    lr_schedule : callable or None
        ``lr_schedule(epoch) -> lr`` (epochs counted from 1), e.g.
        :class:`~nnlib.optimizers.StepDecay` or :class:`~nnlib.optimizers.CosineDecay`; sets ``optimizer.lr`` before each epoch. ``History.lr`` records
        the rate of every epoch.
    callback : callable or None
        Called as ``callback(epoch, history)`` after each epoch (e.g. to update a plot).
    explosion_factor : float or None
        A mini-batch loss above ``explosion_factor * max(first mini-batch loss, 1)`` stops
        training as diverged (default 1000). ``None`` switches this check off, e.g. to watch
        what a diverging run does; NaN or infinite losses and gradients always stop it.

    Raises
    ------
    TrainingDivergedError
        When training diverges (see above); the message suggests a smaller learning rate.
    """
    who = "fit"
    # --- Every check happens here, once, before any parameter changes. -------------------
    from .losses import Loss
    from .optimizers import Optimizer

    _check_positive_int(who, "epochs", epochs)
    if not isinstance(model, Layer):
        raise TypeError(f"{who}: expected model to be a Layer (e.g. Sequential), "
                        f"got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"{who}: expected loss to be a Loss (e.g. SoftmaxCrossEntropy()), "
                        f"got {type(loss).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: expected optimizer to be an Optimizer (e.g. SGD(0.1)), "
                        f"got {type(optimizer).__name__}")
    x_train, t_train = _check_data(who, model, loss, x_train, t_train, "train")
    _check_batching(x_train, t_train, batch_size, rng, True)
    extra = {}
    for name, x, t in (("val", x_val, t_val), ("test", x_test, t_test)):
        if (x is None) != (t is None):
            raise ValueError(f"{who}: give both x_{name} and t_{name}, or neither")
        if x is not None:
            extra[name] = _check_data(who, model, loss, x, t, name)
    if isinstance(eval_train, (bool, np.bool_)):
        n_eval = x_train.shape[0] if eval_train else 0
    elif isinstance(eval_train, (int, np.integer)) and eval_train >= 1:
        n_eval = min(int(eval_train), x_train.shape[0])
    else:
        raise ValueError(f"{who}: expected eval_train to be True, False or a positive number "
                         f"of samples, got {eval_train!r}")
    _check_positive_int(who, "early_stopping", early_stopping, allow_none=True)
    if early_stopping is not None and "val" not in extra:
        raise ValueError(f"{who}: early_stopping={early_stopping} needs validation data "
                         "(x_val and t_val)")
    if explosion_factor is not None:
        if isinstance(explosion_factor, (bool, np.bool_)) \
                or not isinstance(explosion_factor, (int, float, np.integer, np.floating)) \
                or not explosion_factor > 1:
            raise ValueError(f"{who}: expected explosion_factor > 1 or None, "
                             f"got {explosion_factor!r}")
    for name, f in (("lr_schedule", lr_schedule), ("callback", callback)):
        if f is not None and not callable(f):
            raise TypeError(f"{who}: expected {name} to be callable or None, "
                            f"got {type(f).__name__}")
    # The dicts of the layers' own arrays, built once (not once per step).
    params, grads = model.params, model.grads
    optimizer._validate(params, grads)  # keys, shapes and dtypes, once
    grad_list = list(grads.values())
    vdot = get_array_module(*grad_list).vdot  # NumPy's or CuPy's, where the gradients live
    if progress is None:
        progress = progress_default()

    # --- Training. -------------------------------------------------------------------------
    n = x_train.shape[0]
    steps = math.ceil(n / batch_size)
    x_eval, t_eval = x_train[:n_eval], t_train[:n_eval]  # views: no copy
    # In the loop the data are known to be valid, so the unchecked forward and loss are
    # used (same arithmetic); the first step of all uses the checked ones, which also
    # verify that the targets fit the network's output.
    # (A subclass that overrides forward, the loss's forward or update keeps its own.)
    forward = model._forward if _fast(model, "_forward", "forward") else model.forward
    compute = loss._compute if _fast(loss, "_compute", "forward") else loss.forward
    # A model built by mlp() keeps all its parameters in one flat array (and the gradients
    # in another): then the optimizer updates everything at once, and one vdot checks all
    # gradients (see Sequential._share_storage and Optimizer._apply_flat).
    flat = model._flat_buffers(params, grads) if isinstance(model, Sequential) else None
    if flat is not None and _fast(optimizer, "_apply_flat", "update") \
            and _fast(optimizer, "_apply", "update"):
        flat_p, flat_g = flat
        grad_list = [flat_g]

        def apply(params, grads, last=False):
            # Within an epoch the gradients may serve as scratch space for the update (the
            # next backward refills them); not at its last step, so that after fit the
            # gradients of the last mini-batch are intact (see Optimizer._apply_flat).
            optimizer._apply_flat(flat_p, flat_g, params, grads, g_free=not last)
    elif _fast(optimizer, "_apply", "update"):
        def apply(params, grads, last=False):
            optimizer._apply(params, grads)
    else:
        def apply(params, grads, last=False):
            optimizer.update(params, grads)
    skip_dx = isinstance(model, (Sequential, Linear))  # the data need no gradient
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps, desc="学習", unit="step", leave=True)
    history = History()
    modes = model._modes() if isinstance(model, Sequential) else None
    if isinstance(model, Sequential):
        model.train()
    first_loss = None
    best_loss, best_params, since_best = math.inf, None, 0
    try:
        for epoch in range(1, epochs + 1):
            if lr_schedule is not None:
                rate = lr_schedule(epoch)
                try:
                    optimizer.lr = rate  # checked by the optimizer (lr > 0)
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"fit: lr_schedule({epoch}) returned an invalid learning "
                                    f"rate {rate!r} ({exc})") from exc
            good_params, good_state = _snapshot(params), optimizer._snapshot()
            start = time.perf_counter()
            # A diverging run is reported once, below, rather than as overflow warnings.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for step, (xb, tb) in enumerate(
                        _shuffled_batches(x_train, t_train, batch_size, rng), 1):
                    if first_loss is None:
                        y = model.forward(xb)
                        value = loss.forward(y, tb) if _all_finite(y) else math.nan
                        first_loss = value
                        # Far above the starting loss means divergence (the floor of 1 keeps
                        # a loss that starts near 0 from tripping on normal noise).
                        limit = (math.inf if explosion_factor is None
                                 else explosion_factor * max(first_loss, 1.0))
                    else:
                        y = forward(xb)
                        value = compute(y, tb)
                    problem = None
                    if not math.isfinite(value):
                        problem = (f"the loss became {value}" if _all_finite(y) else
                                   "the network output became NaN or inf")
                    elif value > limit:
                        problem = (f"the loss exploded to {value:.3g}, above {limit:.3g} = "
                                   f"{explosion_factor:g} x max(first mini-batch's loss "
                                   f"{first_loss:.3g}, 1)")
                    else:
                        if skip_dx:
                            model.backward(loss.backward(), input_grad=False)
                        else:
                            model.backward(loss.backward())
                        # Finite gradients? One vdot (sum of squares) per gradient, added
                        # up: NaN or inf anywhere makes the total non-finite. Only then (or
                        # if the total overflowed) are the gradients examined one by one.
                        if not math.isfinite(sum([vdot(g, g) for g in grad_list])):
                            bad = optimizer.nonfinite_keys(grads)
                            if bad:
                                problem = f"the gradients of {bad} contain NaN or inf"
                    if problem is not None:
                        _restore(params, good_params)
                        optimizer._restore(good_state)
                        where = (f"the end of epoch {epoch - 1}" if epoch > 1
                                 else "their values before training")
                        raise TrainingDivergedError(
                            f"fit: training diverged at epoch {epoch}, step {step}: {problem}. "
                            f"The parameters and the optimizer state were restored to {where}; "
                            f"the finished epochs are in err.history. Try a smaller learning "
                            f"rate (now {optimizer.lr:g}) or check the inputs.",
                            history, epoch, step)
                    apply(params, grads, step == steps)
                    if bar is not None:
                        bar.update(1)
            history.seconds.append(time.perf_counter() - start)
            history.epoch.append(epoch)
            history.lr.append(optimizer.lr)
            tr = _evaluate(model, loss, x_eval, t_eval) if n_eval else (None, None)
            va = _evaluate(model, loss, *extra["val"]) if "val" in extra else (None, None)
            te = _evaluate(model, loss, *extra["test"]) if "test" in extra else (None, None)
            for name, (lo, ac) in (("train", tr), ("val", va), ("test", te)):
                getattr(history, f"{name}_loss").append(lo)
                getattr(history, f"{name}_acc").append(ac)
            if bar is not None and (te[1] is not None or va[1] is not None):
                bar.set_postfix({"val_acc" if va[1] is not None else "test_acc":
                                 f"{(va[1] if va[1] is not None else te[1]):.4f}"})
            if va[0] is not None:
                if va[0] < best_loss:
                    best_loss, since_best = va[0], 0
                    history.best_epoch = epoch
                    if early_stopping is not None:
                        best_params = _snapshot(params)
                else:
                    since_best += 1
            if callback is not None:
                callback(epoch, history)
            if early_stopping is not None and since_best >= early_stopping:
                history.stopped_epoch = epoch
                break
        if best_params is not None:
            _restore(params, best_params)  # early stopping: the best epoch's parameters
    finally:
        if bar is not None:
            bar.close()
        if modes is not None:
            model._restore_modes(modes)
    return history
