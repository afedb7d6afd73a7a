"""Optimizers with ``update(params, grads)``; both are dicts with the same keys.

Updates are in place (``p -= ...``), so the arrays inside the layers change; state such as
velocities is kept per key and created on the first update.
"""

from __future__ import annotations

import math

from .backend import get_array_module

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "Adam"]


class Optimizer:
    """Base class: ``update(params, grads)`` changes ``params`` in place; ``lr`` is the learning rate."""

    def __init__(self, lr: float):
        if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: expected a learning rate lr > 0, got {lr!r}")
        self.lr = float(lr)

    def _check(self, params, grads):
        if params.keys() != grads.keys():
            raise KeyError(f"{type(self).__name__}.update: params and grads need the same keys, "
                           f"got {sorted(params)} and {sorted(grads)}")

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``w <- w - lr * dL/dw``."""

    def __init__(self, lr: float = 0.01):
        super().__init__(lr)

    def update(self, params, grads):
        self._check(params, grads)
        for k, p in params.items():
            p -= self.lr * grads[k]


class Momentum(Optimizer):
    """Momentum SGD: ``v <- momentum * v - lr * g``; ``w <- w + v``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = float(momentum)
        self.v = {}

    def update(self, params, grads):
        self._check(params, grads)
        for k, p in params.items():
            if k not in self.v:
                self.v[k] = get_array_module(p).zeros_like(p)
            v = self.v[k]
            v *= self.momentum
            v -= self.lr * grads[k]
            p += v


class AdaGrad(Optimizer):
    """AdaGrad: ``h <- h + g^2``; ``w <- w - lr * g / (sqrt(h) + eps)``."""

    def __init__(self, lr: float = 0.01, eps: float = 1e-7):
        super().__init__(lr)
        self.eps = float(eps)
        self.h = {}

    def update(self, params, grads):
        self._check(params, grads)
        for k, p in params.items():
            xp = get_array_module(p)
            if k not in self.h:
                self.h[k] = xp.zeros_like(p)
            g = grads[k]
            self.h[k] += g * g
            p -= self.lr * g / (xp.sqrt(self.h[k]) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``w <- w - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m, self.v = {}, {}
        self._scratch = {}

    def update(self, params, grads):
        self._check(params, grads)
        self.t += 1
        c1 = 1 - self.beta1 ** self.t
        c2 = 1 - self.beta2 ** self.t
        for k, p in params.items():
            xp = get_array_module(p)
            if k not in self.m:
                self.m[k] = xp.zeros_like(p)
                self.v[k] = xp.zeros_like(p)
                self._scratch[k] = (xp.empty_like(p), xp.empty_like(p))
            g = grads[k]
            m, v = self.m[k], self.v[k]
            # The formulas above, written with out= into two scratch arrays kept per
            # parameter, so a step allocates no temporary arrays (same operations, same order,
            # same results as the one-line version).
            a, b = self._scratch[k]
            m *= self.beta1
            xp.multiply(g, 1 - self.beta1, out=a)
            m += a                                  # m = b1 m + (1 - b1) g
            v *= self.beta2
            xp.multiply(g, g, out=a)
            a *= 1 - self.beta2
            v += a                                  # v = b2 v + (1 - b2) g^2
            xp.multiply(m, self.lr / c1, out=a)     # a = (lr / c1) m
            xp.divide(v, c2, out=b)
            xp.sqrt(b, out=b)
            b += self.eps                           # b = sqrt(v / c2) + eps
            a /= b
            p -= a
