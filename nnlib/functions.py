"""Plain array functions used by layers and losses (no state, no caching)."""

from __future__ import annotations

import numpy as np

from ._validation import check_labels, check_ndim
from .backend import get_array_module

__all__ = ["sigmoid", "softmax", "log_softmax", "one_hot", "logsumexp"]


def sigmoid(x, gain: float = 1.0):
    """Logistic sigmoid ``1 / (1 + exp(-gain * x))``, computed without overflow.

    For negative arguments the equivalent ``exp(z) / (1 + exp(z))`` is used so that
    ``exp`` never sees a large positive number.
    """
    xp = get_array_module(x)
    z = gain * xp.asarray(x)
    e = xp.exp(-xp.abs(z))  # in (0, 1]: never overflows
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(x, axis=-1, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis``, shifted by the maximum so it cannot overflow."""
    xp = get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    out = m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else out.squeeze(axis)


def softmax(x, axis=-1):
    """Softmax along ``axis``; subtracting the maximum first keeps ``exp`` finite.

    Parameters
    ----------
    x : array, shape (N, C) or (C,)
        Scores.

    Returns
    -------
    y : array, same shape
        Non-negative, sums to 1 along ``axis``.
    """
    xp = get_array_module(x)
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed as ``x - logsumexp(x)`` (no ``log(0)``)."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def one_hot(t, n_classes: int, dtype="float64"):
    """One-hot encode integer labels.

    Parameters
    ----------
    t : int array, shape (N,)
        Labels in ``[0, n_classes)``.
    n_classes : int

    Returns
    -------
    T : array, shape (N, n_classes)
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"one_hot: expected n_classes to be a positive integer, got {n_classes!r}")
    xp = get_array_module(t)
    t = xp.asarray(t)
    check_ndim("one_hot", "t", t, 1)
    check_labels("one_hot", t, n_classes)
    out = xp.zeros((t.shape[0], n_classes), dtype=dtype)
    out[xp.arange(t.shape[0]), t] = 1
    return out
