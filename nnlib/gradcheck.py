"""Numerical gradients by central differences, to check every ``backward``.

Use float64: with ``eps = 1e-6`` the central difference has truncation error
``O(eps^2)`` and rounding error ``O(1e-16 / eps)``, so agreement to about ``1e-8``
relative error is expected for smooth functions.
"""

from __future__ import annotations

import numpy as np

from .backend import get_array_module, to_cpu

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_loss", "check_model"]


def numerical_gradient(f, x, eps: float = 1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place one entry at a
    time and restored afterwards.

    Returns
    -------
    grad : array, same shape as ``x``
    """
    xp = get_array_module(x)
    grad = xp.zeros_like(x, dtype=float)
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i].item()
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (0 when both are zero)."""
    a = to_cpu(a).astype(float)
    b = to_cpu(b).astype(float)
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
