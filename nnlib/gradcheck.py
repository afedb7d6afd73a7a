"""Numerical gradients by central differences, to check every ``backward``.

Use float64: with ``eps = 1e-6`` the central difference has truncation error
``O(eps^2)`` and rounding error ``O(1e-16 / eps)``, so agreement to about ``1e-8``
relative error is expected for smooth functions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .backend import get_array_module, to_cpu

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_loss", "check_model"]


def numerical_gradient(f, x, eps: float = 1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place one entry at a
    time and restored afterwards (also when ``f`` raises). Any memory layout works
    (C or Fortran order, slices and other non-contiguous views): entries are addressed by
    their index, never through a flattened copy.

    ``x`` must be a floating-point array: integers cannot hold ``x + eps`` (a ``TypeError``
    says so; convert with ``x.astype(float)`` and let ``f`` read the new array). float32
    is accepted with a ``UserWarning``: its resolution (about 1e-7 relative) makes the
    difference quotient inaccurate; use float64 for gradient checks.

    Returns
    -------
    grad : array, same shape as ``x``, float64
    """
    who = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{who}: expected f to be a function without arguments, "
                        f"got {type(f).__name__}")
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{who}: expected x to be an array that f reads, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: expected x as floating point (float64), got dtype {x.dtype}; "
                        f"an integer array cannot hold x + eps. Use x = x.astype(float) and "
                        f"let f read the new array")
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) \
            or not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"{who}: expected a step eps > 0, got {eps!r}")
    if x.dtype != np.float64:
        warnings.warn(f"{who}: x has dtype {x.dtype}; with eps={eps:g} the central difference "
                      f"is inaccurate below float64 (use x.astype(np.float64) for checks)",
                      UserWarning, stacklevel=2)
    xp = get_array_module(x)
    grad = xp.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):  # works for every layout, unlike x.reshape(-1)
        old = x[idx].item()
        try:
            x[idx] = old + eps
            fp = float(f())
            x[idx] = old - eps
            fm = float(f())
        finally:
            x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (0 when both are zero); ``a`` and ``b`` of equal shape."""
    a = to_cpu(a).astype(float)
    b = to_cpu(b).astype(float)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: expected a and b of the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def check_layer(layer, x, rng, eps: float = 1e-6) -> dict:
    """Relative errors of a layer's ``backward`` against numerical gradients.

    The scalar checked is ``sum(forward(x) * r)`` with a fixed random ``r``, so every
    output contributes. Returns ``{"x": err, "<param>": err, ...}``.
    """
    x = x.copy()
    out = layer.forward(x)
    r = get_array_module(out).asarray(rng.standard_normal(out.shape))

    def f():
        return float((layer.forward(x) * r).sum())

    layer.forward(x)
    dx = layer.backward(r)
    analytic = {"x": dx.copy(), **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {"x": relative_error(analytic["x"], numerical_gradient(f, x, eps))}
    for k, p in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(f, p, eps))
    return errors


def check_loss(loss, y, t, eps: float = 1e-6) -> float:
    """Relative error of ``loss.backward()`` against the numerical gradient in ``y``."""
    y = y.copy()
    loss.forward(y, t)
    analytic = loss.backward().copy()
    return relative_error(analytic, numerical_gradient(lambda: loss.forward(y, t), y, eps))


def check_model(model, loss, x, t, eps: float = 1e-6) -> dict:
    """Relative error per parameter of a whole model plus loss (backpropagation end to end)."""
    loss.forward(model.forward(x), t)
    model.backward(loss.backward())
    analytic = {k: g.copy() for k, g in model.grads.items()}

    def f():
        return loss.forward(model.forward(x), t)

    return {k: relative_error(analytic[k], numerical_gradient(f, p, eps))
            for k, p in model.params.items()}
