"""Activation functions, each usable two ways.

* as plain functions of an array: ``act.function(x)`` and its derivative ``act.derivative(x)``
  (element-wise, for plots and for the book's formulas);
* as layers: ``act.forward(x)`` / ``act.backward(dout)`` inside a network.

``get_activation(name, **params)`` builds one by name; :data:`ACTIVATIONS` lists the names.
Learned parameters (PReLU's slope, Swish's beta when ``learn_beta=True``) live in
``params`` with gradients in ``grads`` like any other layer.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_ndim
from .backend import erf, get_array_module, to_device
from .functions import sigmoid as _sigmoid
from .functions import softmax as _softmax
from .layers import Layer

__all__ = [
    "Activation", "Identity", "Step", "Sigmoid", "Tanh", "HardSigmoid", "HardTanh", "ReLU",
    "LeakyReLU", "PReLU", "ELU", "Softplus", "Swish", "GELU", "Maxout", "Softmax",
    "ACTIVATIONS", "get_activation",
]


class Activation(Layer):
    """Element-wise activation: subclasses define ``function`` and ``derivative``."""

    def __init__(self):
        super().__init__()
        self._x = None

    def function(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def derivative(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        self._x = x
        return self.function(x)

    def backward(self, dout):
        self._check_dout(dout, self._x)
        return dout * self.derivative(self._x)

    def _args(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._args()})"


class Identity(Activation):
    """``f(x) = x``; the output of a regression network."""

    def function(self, x):
        return x

    def derivative(self, x):
        return get_array_module(x).ones_like(x)


class Step(Activation):
    """Heaviside step ``f(x) = 1 if x > 0 else 0``; derivative 0 (undefined at 0)."""

    def function(self, x):
        return (x > 0).astype(x.dtype)

    def derivative(self, x):
        return get_array_module(x).zeros_like(x)


class Sigmoid(Activation):
    """Logistic sigmoid with gain ``a``: ``f(x) = 1 / (1 + exp(-a x))``, ``f' = a f (1 - f)``.

    Large ``gain`` makes it approach the step function.
    """

    def __init__(self, gain: float = 1.0):
        super().__init__()
        if not gain > 0:
            raise ValueError(f"Sigmoid: expected gain > 0, got {gain!r}")
        self.gain = float(gain)

    def function(self, x):
        return _sigmoid(x, self.gain)

    def derivative(self, x):
        y = _sigmoid(x, self.gain)
        return self.gain * y * (1 - y)

    def forward(self, x):
        # The layer's hot path: y = 1 / (1 + exp(-a x)) in four in-place array operations
        # (``function`` takes about ten, to be exact in the far tails). Where exp(-a x)
        # overflows (a x < -88.7 in float32, < -709 in float64) this gives 1 / inf = 0,
        # while the true value is below 1e-38 (float32) or 1e-308 (float64): only that
        # overflow warning is silenced.
        xp = get_array_module(x)
        with np.errstate(over="ignore"):
            y = xp.multiply(x, -self.gain)
            xp.exp(y, out=y)
        y += 1
        xp.reciprocal(y, out=y)
        # Keep the output: backward needs f' = a y (1 - y), not a second sigmoid of x.
        self._x, self._y = x, y
        return y

    def backward(self, dout):
        if self._x is None or dout.shape != self._x.shape:
            self._check_dout(dout, self._x)  # raises, naming what was expected
        y = self._y
        if self.gain == 1:
            return dout * (y * (1 - y))
        return dout * (self.gain * y * (1 - y))

    def _args(self):
        return "" if self.gain == 1 else f"gain={self.gain:g}"


class Tanh(Activation):
    """``f(x) = tanh(x)``, ``f' = 1 - tanh(x)^2``; range (-1, 1), centred on 0."""

    def function(self, x):
        return get_array_module(x).tanh(x)

    def derivative(self, x):
        return 1 - get_array_module(x).tanh(x) ** 2


class HardSigmoid(Activation):
    """``f(x) = clip(x/4 + 1/2, 0, 1)``: the sigmoid's tangent at 0, clipped to [0, 1]."""

    def function(self, x):
        return get_array_module(x).clip(0.25 * x + 0.5, 0, 1)

    def derivative(self, x):
        return ((x > -2) & (x < 2)).astype(x.dtype) * 0.25


class HardTanh(Activation):
    """``f(x) = clip(x, -1, 1)``; derivative 1 on (-1, 1), else 0."""

    def function(self, x):
        return get_array_module(x).clip(x, -1, 1)

    def derivative(self, x):
        return ((x > -1) & (x < 1)).astype(x.dtype)


class ReLU(Activation):
    """``f(x) = max(0, x)``; derivative 1 for x > 0, 0 otherwise (0 is used at x = 0)."""

    def function(self, x):
        return get_array_module(x).maximum(x, 0)

    def derivative(self, x):
        return (x > 0).astype(x.dtype)

    def forward(self, x):
        # Keep only the mask: backward needs no more than where x > 0.
        self._x = x
        self._mask = x > 0
        return x * self._mask

    def backward(self, dout):
        if self._x is None or dout.shape != self._x.shape:
            self._check_dout(dout, self._x)  # raises, naming what was expected
        return dout * self._mask


class LeakyReLU(Activation):
    """``f(x) = x if x > 0 else alpha x`` with a fixed small slope ``alpha``."""

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        self.alpha = float(alpha)

    def function(self, x):
        return get_array_module(x).where(x > 0, x, self.alpha * x)

    def derivative(self, x):
        return get_array_module(x).where(x > 0, 1.0, self.alpha).astype(x.dtype)

    def _args(self):
        return f"alpha={self.alpha:g}"


class PReLU(Activation):
    """Leaky ReLU whose slope ``alpha`` is learned (``params["alpha"]``, one per channel or shared)."""

    def __init__(self, alpha: float = 0.25, num_parameters: int = 1, dtype="float64"):
        super().__init__()
        self.params["alpha"] = to_device(np.full((num_parameters,), float(alpha)), dtype=dtype)
        self.grads["alpha"] = get_array_module(self.params["alpha"]).zeros_like(self.params["alpha"])

    @property
    def alpha(self):
        return self.params["alpha"]

    def function(self, x):
        return get_array_module(x).where(x > 0, x, self.alpha * x)

    def derivative(self, x):
        xp = get_array_module(x)
        return xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x) + self.alpha)

    def backward(self, dout):
        dx = super().backward(dout)
        x = self._x
        xp = get_array_module(x)
        contrib = dout * xp.where(x > 0, 0, x)  # d f / d alpha = x where x <= 0
        n = self.params["alpha"].size
        if n == 1:
            self.grads["alpha"][...] = contrib.sum()
        else:
            self.grads["alpha"][...] = contrib.reshape(-1, n).sum(axis=0)
        return dx

    def _args(self):
        a = self.params["alpha"]
        return f"alpha={float(a[0]):g}" if a.size == 1 else f"num_parameters={a.size}"


class ELU(Activation):
    """``f(x) = x if x > 0 else alpha (exp(x) - 1)``; smooth, negative values down to -alpha."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def function(self, x):
        xp = get_array_module(x)
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0)))

    def derivative(self, x):
        xp = get_array_module(x)
        return xp.where(x > 0, 1.0, self.alpha * xp.exp(xp.minimum(x, 0))).astype(x.dtype)

    def _args(self):
        return f"alpha={self.alpha:g}"


class Softplus(Activation):
    """``f(x) = log(1 + exp(x))``, a smooth ReLU; ``f'(x) = sigmoid(x)``."""

    def function(self, x):
        return get_array_module(x).logaddexp(0, x)

    def derivative(self, x):
        return _sigmoid(x)


class Swish(Activation):
    """``f(x) = x sigmoid(beta x)``; ``beta`` fixed, or learned with ``learn_beta=True``.

    ``f'(x) = s + beta x s (1 - s)`` with ``s = sigmoid(beta x)``;
    ``df/dbeta = x^2 s (1 - s)``.
    """

    def __init__(self, beta: float = 1.0, learn_beta: bool = False, dtype="float64"):
        super().__init__()
        self.learn_beta = learn_beta
        if learn_beta:
            self.params["beta"] = to_device([float(beta)], dtype=dtype)
            self.grads["beta"] = get_array_module(self.params["beta"]).zeros_like(self.params["beta"])
        else:
            self._beta = float(beta)

    @property
    def beta(self):
        return self.params["beta"][0] if self.learn_beta else self._beta

    def function(self, x):
        return x * _sigmoid(self.beta * x)

    def derivative(self, x):
        s = _sigmoid(self.beta * x)
        return s + self.beta * x * s * (1 - s)

    def backward(self, dout):
        dx = super().backward(dout)
        if self.learn_beta:
            x = self._x
            s = _sigmoid(self.beta * x)
            self.grads["beta"][...] = (dout * x * x * s * (1 - s)).sum()
        return dx

    def _args(self):
        b = float(self.beta)
        return f"beta={b:g}" + (", learn_beta=True" if self.learn_beta else "")


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELU(Activation):
    """Gaussian error linear unit ``f(x) = x Phi(x)``.

    ``approximate="none"``: exact, ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``;
    ``approximate="tanh"``: ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: expected approximate 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def function(self, x):
        if self.approximate == "tanh":
            xp = get_array_module(x)
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + erf(x / math.sqrt(2.0)))

    def derivative(self, x):
        xp = get_array_module(x)
        if self.approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            th = xp.tanh(inner)
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x ** 2)
            return 0.5 * (1 + th) + 0.5 * x * (1 - th ** 2) * dinner
        cdf = 0.5 * (1 + erf(x / math.sqrt(2.0)))
        pdf = xp.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
        return cdf + x * pdf

    def _args(self):
        return "" if self.approximate == "none" else "approximate='tanh'"


class Maxout(Layer):
    """Maxout with ``k`` pieces: input width ``D * k`` → output width ``D``.

    Input features are taken in consecutive groups of ``k`` (the ``k`` linear pieces of
    one unit, computed by the preceding ``Linear``); each output is the group's maximum.
    The gradient flows to the piece that was the maximum.
    """

    def __init__(self, k: int = 2):
        super().__init__()
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"Maxout: expected k to be a positive integer, got {k!r}")
        self.k = k
        self._argmax = None

    def function(self, x):
        check_ndim(repr(self), "x", x, 2)
        if x.shape[1] % self.k:
            raise ValueError(f"{self!r}: expected input width divisible by k={self.k}, "
                             f"got {x.shape[1]}")
        return x.reshape(x.shape[0], -1, self.k).max(axis=2)

    def forward(self, x):
        y = self.function(x)
        self._shape = x.shape
        self._argmax = x.reshape(x.shape[0], -1, self.k).argmax(axis=2)
        return y

    def backward(self, dout):
        self._check_dout(dout, self._argmax)
        xp = get_array_module(dout)
        n, d = dout.shape
        dx = xp.zeros((n, d, self.k), dtype=dout.dtype)
        xp.put_along_axis(dx, self._argmax[..., None], dout[..., None], axis=2)
        return dx.reshape(self._shape)

    @staticmethod
    def piecewise(x, slopes, intercepts):
        """A scalar maxout unit ``max_i (slopes[i] x + intercepts[i])`` for plots (1-D input)."""
        xp = get_array_module(x)
        w = xp.asarray(slopes, dtype=float)[:, None]
        c = xp.asarray(intercepts, dtype=float)[:, None]
        return (w * xp.asarray(x)[None, :] + c).max(axis=0)

    def output_width(self, in_features: int) -> int:
        return in_features // self.k

    def __repr__(self):
        return f"Maxout(k={self.k})"


class Softmax(Layer):
    """Softmax over the last axis as a layer.

    ``backward`` applies the Jacobian: ``dx = y * (dout - sum(dout * y))``. For training a
    classifier use :class:`nnlib.losses.SoftmaxCrossEntropy`, whose fused backward is simply
    ``(y - t) / N``.
    """

    _y = None

    def forward(self, x):
        self._y = _softmax(x, axis=-1)
        return self._y

    def backward(self, dout):
        y = self._y
        self._check_dout(dout, y)
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))

    def function(self, x):
        return _softmax(x, axis=-1)

    def __repr__(self):
        return "Softmax()"


#: The activations by name (the names :func:`get_activation` accepts), mapped to their classes.
ACTIVATIONS = {
    "identity": Identity, "step": Step, "sigmoid": Sigmoid, "tanh": Tanh,
    "hard_sigmoid": HardSigmoid, "hard_tanh": HardTanh, "relu": ReLU,
    "leaky_relu": LeakyReLU, "prelu": PReLU, "elu": ELU, "softplus": Softplus,
    "swish": Swish, "gelu": GELU, "maxout": Maxout, "softmax": Softmax,
}


def get_activation(name: str, **params) -> Layer:
    """Build an activation by name, e.g. ``get_activation("sigmoid", gain=5)``.

    Raises ValueError naming the known activations when ``name`` is unknown.
    """
    if isinstance(name, Layer):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"get_activation: unknown activation {name!r}; expected one of "
                         f"{', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[key](**params)
