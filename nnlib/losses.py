"""Loss functions: ``forward(y, t)`` returns a Python float, ``backward()`` returns ``dL/dy``.

Every loss averages over the ``N`` samples of the batch, so each backward divides by ``N``.
Classification losses also have ``predict(y)``, turning outputs into class labels.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_finite, check_labels, check_ndim, check_nonempty
from .backend import get_array_module
from .functions import sigmoid

__all__ = ["Loss", "MeanSquaredError", "SoftmaxCrossEntropy", "SigmoidBinaryCrossEntropy",
           "HingeLoss"]


class Loss:
    """Base class. ``is_classifier`` tells ``fit`` whether accuracy is meaningful.

    ``forward`` checks its input and then calls ``_compute(y, t)``, which does the
    arithmetic only; ``fit`` checks the whole data set once and calls ``_compute``
    directly in its loop (the same numbers, without re-checking every mini-batch).
    """

    is_classifier = False

    def _compute(self, y, t):  # pragma: no cover - subclasses that opt in define it
        return self.forward(y, t)

    def __call__(self, y, t):
        return self.forward(y, t)

    def _check(self, y):
        name = type(self).__name__
        check_nonempty(name, "y", y)
        check_finite(name, "y", y)

    def _check_forward(self, cached):
        if cached is None:
            raise RuntimeError(f"{type(self).__name__}.backward: called before forward; "
                               "call forward(y, t) first")

    def __repr__(self):
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """Mean squared error, the mean over **all** elements of ``(y - t)^2``.

    * ``MeanSquaredError()`` (standard): ``L = (1/(N K)) sum_{n,k} (y_nk - t_nk)^2`` for ``y``
      of shape (N, K) (``K = 1`` for shape (N,)). This is ``sklearn.metrics.mean_squared_error``
      and PyTorch's ``torch.nn.MSELoss()`` (``reduction="mean"``). ``backward`` returns
      ``2 (y - t) / (N K)``.
    * ``MeanSquaredError(half=True)`` (the "1/2 付き二乗誤差"): ``L = (1/(2 N K)) sum (y - t)^2``,
      half of the standard value, so that the 2 of the derivative cancels: ``backward``
      returns ``(y - t) / (N K)``. Textbooks that derive backpropagation by hand (Bishop's
      *Pattern Recognition and Machine Learning*, Nielsen's *Neural Networks and Deep
      Learning*, 斎藤康毅『ゼロから作る Deep Learning』) use this form. For one output per
      sample (``K = 1``) it is exactly ``(1/N) sum_n 1/2 (y_n - t_n)^2``.

    Both have their minimum at the same place; only the scale of ``L`` and of its gradient
    (a factor 2, equivalent to a factor 2 in the learning rate) differ. ``y`` and ``t``
    must have the same shape, (N,) or (N, K).

    Parameters
    ----------
    half : bool
        Use the 1/2 version (default False: the standard mean squared error).
    """

    def __init__(self, half: bool = False):
        if not isinstance(half, (bool, np.bool_)):
            raise TypeError(f"MeanSquaredError: expected half to be True or False, got {half!r}")
        self.half = bool(half)
        self._diff = None

    def forward(self, y, t):
        who = "MeanSquaredError"
        check_ndim(who, "y", y, (1, 2))
        xp = get_array_module(y)
        t = xp.asarray(t, dtype=y.dtype)
        if y.shape != t.shape:
            raise ValueError(f"{who}: expected t of the same shape as y "
                             f"{tuple(y.shape)}, got {tuple(t.shape)}")
        self._check(y)
        check_finite(who, "t", t)
        return self._compute(y, t)

    def _compute(self, y, t):
        """The loss without input checks (``fit`` checks its data once, up front)."""
        self._diff = y - t
        m = self._diff.size  # N * K: the mean runs over all elements
        sq = (self._diff ** 2).sum()
        return float(0.5 * sq / m) if self.half else float(sq / m)

    def backward(self):
        self._check_forward(self._diff)
        m = self._diff.size
        return self._diff / m if self.half else 2 * self._diff / m

    def __repr__(self):
        return "MeanSquaredError(half=True)" if self.half else "MeanSquaredError()"


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: ``L = -(1/N) sum_n log y_{n, t_n}``.

    Computed as ``-log_softmax`` so no ``log(0)`` can occur even for huge scores.
    ``t`` is either integer labels of shape (N,) or one-hot / probability rows (N, C).
    ``backward`` returns ``(softmax(y) - T) / N``.
    """

    is_classifier = True

    _prob = None

    def forward(self, y, t):
        who = "SoftmaxCrossEntropy"
        check_ndim(who, "y", y, 2)
        self._check(y)
        xp = get_array_module(y)
        t = xp.asarray(t)  # labels may come as a list
        n, c = y.shape
        # Checks first: state is set only after every check has passed (a failed call
        # changes nothing).
        if t.ndim == 1:
            if t.shape[0] != n:
                raise ValueError(f"{who}: expected {n} labels, got {t.shape[0]}")
            check_labels(who, t, c)
        elif t.shape != y.shape:
            raise ValueError(f"{who}: expected labels (N,) or one-hot {tuple(y.shape)}, "
                             f"got {tuple(t.shape)}")
        else:
            check_finite(who, "t", t)
        return self._compute(y, t)

    def _compute(self, y, t):
        """The loss without input checks (``fit`` checks its data once, up front)."""
        xp = get_array_module(y)
        n = y.shape[0]
        # One exp for both outputs: with z = y - max(y) (so exp(z) <= 1 cannot overflow),
        # softmax = exp(z) / s and log softmax = z - log s, where s = sum exp(z) >= 1.
        # The row maxima are taken down the columns of the transposed copy: the same
        # numbers, but for a few classes NumPy is several times faster that way than
        # along the short rows (y.max(axis=1)).
        z = y - y.T.copy().max(axis=0)[:, None]
        if t.ndim == 1:
            # -(1/N) sum_n log p_{n,t_n} = (1/N) sum_n (log s_n - z_{n,t_n}): z_{n,t_n} is
            # read first, then exp may overwrite z with the softmax numerators.
            z_t = z[self._rows(xp, n), t].sum()
            prob = xp.exp(z, out=z)
        else:
            prob = xp.exp(z)
        s = prob.sum(axis=1, keepdims=True)
        prob /= s
        log_s = xp.log(s)
        if t.ndim == 1:
            self._prob, self._labels, self._T = prob, t, None
            return float((log_s.sum() - z_t) / n)
        self._prob, self._labels, self._T = prob, None, t
        return float(-(t * (z - log_s)).sum() / n)

    def _rows(self, xp, n):
        """``xp.arange(n)``, the row numbers for picking ``z[n, t_n]``; made once per size."""
        cached = self.__dict__.get("_rows_cache")  # (name of the array module, rows)
        if cached is None or cached[0] != xp.__name__ or cached[1].shape[0] != n:
            cached = self._rows_cache = (xp.__name__, xp.arange(n))
        return cached[1]

    @property
    def probabilities(self):
        """Softmax of the last forward's scores, shape (N, C)."""
        return self._prob

    def backward(self):
        self._check_forward(self._prob)
        n = self._prob.shape[0]
        dx = self._prob.copy()
        if self._T is None:
            dx[self._rows(get_array_module(dx), n), self._labels] -= 1
        else:
            dx -= self._T
        dx /= n
        return dx

    @staticmethod
    def predict(y):
        return y.argmax(axis=1)


def _flat_binary(who, y, t):
    check_ndim(who, "y", y, (1, 2))
    if y.ndim == 2 and y.shape[1] != 1:
        raise ValueError(f"{who}: expected one score per sample, shape (N,) or (N, 1), "
                         f"got {tuple(y.shape)}")
    xp = get_array_module(y)
    t = xp.asarray(t)
    if t.size != y.shape[0]:
        raise ValueError(f"{who}: expected {y.shape[0]} targets, got shape {tuple(t.shape)}")
    return y.reshape(-1), t.reshape(-1).astype(y.dtype)


class SigmoidBinaryCrossEntropy(Loss):
    """Sigmoid then binary cross-entropy on raw scores ``z`` (logistic regression).

    ``L = (1/N) sum_n [softplus(z_n) - t_n z_n]``, which equals
    ``-(1/N) sum [t log s + (1 - t) log(1 - s)]`` with ``s = sigmoid(z)`` but never takes
    ``log(0)``. ``t`` in {0, 1}. ``backward`` returns ``(sigmoid(z) - t) / N``.
    """

    is_classifier = True

    def forward(self, y, t):
        who = "SigmoidBinaryCrossEntropy"
        self._check(y)
        z, tt = _flat_binary(who, y, t)
        xp = get_array_module(z)
        if not bool(((tt >= 0) & (tt <= 1)).all()):  # also catches NaN targets
            raise ValueError(f"{who}: expected targets in [0, 1], got values from "
                             f"{float(tt.min()):g} to {float(tt.max()):g}")
        self._shape, self._z, self._t = y.shape, z, tt
        return float((xp.logaddexp(0, z) - tt * z).mean())

    _z = None

    def backward(self):
        self._check_forward(self._z)
        return ((sigmoid(self._z) - self._t) / self._z.shape[0]).reshape(self._shape)

    @staticmethod
    def predict(y):
        return (y.reshape(-1) > 0).astype(int)


class HingeLoss(Loss):
    """Binary SVM hinge loss ``L = (1/N) sum_n max(0, 1 - t_n s_n)`` with ``t`` in {-1, +1}.

    ``backward`` returns ``-t / N`` where the margin ``t s`` is below 1, else 0.
    """

    is_classifier = True

    def forward(self, y, t):
        who = "HingeLoss"
        self._check(y)
        s, tt = _flat_binary(who, y, t)
        xp = get_array_module(s)
        if not bool(((tt == 1) | (tt == -1)).all()):
            raise ValueError(f"{who}: expected targets -1 or +1, got values "
                             f"{sorted(set(xp.unique(tt).tolist()))[:5]}")
        self._shape, self._t = y.shape, tt
        self._active = (1 - tt * s) > 0
        return float(xp.maximum(0, 1 - tt * s).mean())

    _active = None

    def backward(self):
        self._check_forward(self._active)
        return (-self._t * self._active / self._t.shape[0]).reshape(self._shape)

    @staticmethod
    def predict(y):
        return (y.reshape(-1) >= 0).astype(int) * 2 - 1
