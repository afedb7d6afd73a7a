"""Layers with ``forward``/``backward``, the fully connected ``Linear`` layer, and ``Sequential``.

Convention (used throughout the book): a mini-batch is a matrix whose *rows* are
samples, so a layer computes ``u = x @ W + b`` with ``x`` of shape ``(N, D_in)``,
``W`` of shape ``(D_in, D_out)`` and ``b`` of shape ``(D_out,)``. ``W[i, j]`` is the
weight from input unit ``i`` to output unit ``j``.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import all_finite, check_finite, check_float, check_ndim, check_nonempty
from .backend import get_array_module, to_device

__all__ = ["Layer", "Linear", "Dropout", "Sequential", "eval_mode", "mlp", "INITIALIZERS"]

INITIALIZERS = ("he", "xavier", "normal", "zeros")


class Layer:
    """Base class: ``params`` and ``grads`` are dicts with the same keys.

    ``forward(x)`` caches what ``backward`` needs in underscore attributes;
    ``backward(dout)`` fills ``self.grads`` and returns ``dx`` without modifying ``dout``.

    ``training`` is True in training mode (the default) and False in evaluation mode; only
    layers that behave differently while training (``Dropout``) look at it. Switch a whole
    network with ``Sequential.train()`` / ``Sequential.eval()``.
    """

    training: bool = True

    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def output_width(self, in_features: int) -> int:
        """Width of the output for an input of width ``in_features``."""
        return in_features

    def _check_dout(self, dout, cached, shape=None) -> None:
        """Raise before any work if backward comes before forward or ``dout`` has the wrong shape.

        ``cached`` is what forward stored (None before the first forward); ``shape`` defaults
        to its shape.
        """
        if cached is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        shape = tuple(cached.shape) if shape is None else tuple(shape)
        if tuple(dout.shape) != shape:
            raise ValueError(f"{self!r}: expected dout of shape {shape}, got {tuple(dout.shape)}")

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Fully connected (affine) layer ``u = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
    init : {"he", "xavier", "normal", "zeros"}
        ``"he"``: N(0, 2/in) (for ReLU); ``"xavier"``: N(0, 2/(in+out)) (Glorot normal,
        for sigmoid/tanh); ``"normal"``: N(0, std**2); ``"zeros"``: all weights zero
        (fails by symmetry, kept to show why).
    std : float
        Standard deviation for ``init="normal"``.
    bias : bool
        Whether the layer has a bias ``b``.
    rng : numpy.random.Generator
        Source of randomness; required unless ``init="zeros"``.
    dtype : str or dtype
        ``"float64"`` (default, exact for worked examples and gradient checks) or
        ``"float32"`` (fast training).
    """

    def __init__(self, in_features: int, out_features: int, *, init: str = "he",
                 std: float = 0.01, bias: bool = True, rng=None, dtype="float64"):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Linear: expected {name} to be a positive integer, got {v!r}")
        if init not in INITIALIZERS:
            raise ValueError(f"Linear: unknown init {init!r}; expected one of {INITIALIZERS}")
        if init != "zeros" and not isinstance(rng, np.random.Generator):
            raise TypeError(f"Linear: init={init!r} needs rng=numpy.random.Generator "
                            f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.init = init
        scale = {"he": math.sqrt(2.0 / in_features),
                 "xavier": math.sqrt(2.0 / (in_features + out_features)),
                 "normal": std, "zeros": 0.0}[init]
        if init == "zeros":
            W = np.zeros((in_features, out_features))
        else:
            W = scale * rng.standard_normal((in_features, out_features))
        self.params["W"] = to_device(W, dtype=dtype)
        if bias:
            self.params["b"] = to_device(np.zeros(out_features), dtype=dtype)
        # Gradient buffers are allocated once and overwritten by every backward pass.
        self.grads = {k: get_array_module(v).zeros_like(v) for k, v in self.params.items()}
        self._x = None

    @classmethod
    def from_weights(cls, W, b=None, dtype="float64") -> "Linear":
        """Build a layer with given weights ``W`` (in, out) and optional bias ``b`` (out,)."""
        W = to_device(np.asarray(W, dtype=float) if isinstance(W, (list, tuple)) else W, dtype=dtype)
        check_ndim("Linear.from_weights", "W", W, 2)
        layer = cls(W.shape[0], W.shape[1], init="zeros", bias=b is not None, dtype=dtype)
        layer.params["W"][...] = W
        if b is not None:
            b = to_device(np.asarray(b, dtype=float) if isinstance(b, (list, tuple)) else b, dtype=dtype)
            if b.shape != (W.shape[1],):
                raise ValueError(f"Linear.from_weights: expected b of shape ({W.shape[1]},), "
                                 f"got {tuple(b.shape)}")
            layer.params["b"][...] = b
        return layer

    def forward(self, x):
        if getattr(x, "ndim", None) != 2 or x.shape[1] != self.in_features:
            shape = tuple(getattr(x, "shape", ())) or type(x).__name__
            raise ValueError(f"{self!r}: expected input of shape (N, {self.in_features}), "
                             f"got {shape}")
        if x.dtype.kind != "f":  # (the message, with repr(self), is built only on failure)
            check_float(repr(self), "x", x)
        self._x = x
        u = x @ self.params["W"]
        if "b" in self.params:
            u += self.params["b"]
        return u

    def backward(self, dout, *, input_grad: bool = True):
        """Fill ``grads`` (``dW = x.T @ dout``, ``db = dout.sum(0)``) and return ``dx = dout @ W.T``.

        With ``input_grad=False`` the layer skips ``dx`` and returns ``None``: the first layer
        of a network needs no gradient for the data, and ``dx`` costs as much as ``dW``.
        """
        x = self._x
        if x is None or dout.shape != (x.shape[0], self.out_features):
            self._check_dout(dout, x, (None if x is None else x.shape[0], self.out_features))
        mod = get_array_module(self.params["W"])  # the parameters' device, not the global one
        mod.matmul(x.T, dout, out=self.grads["W"])
        if "b" in self.grads:
            dout.sum(axis=0, out=self.grads["b"])
        return dout @ self.params["W"].T if input_grad else None

    def output_width(self, in_features: int) -> int:
        return self.out_features

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"



class Dropout(Layer):
    """Inverted dropout: in training, each input is set to 0 with probability ``p``.

    In training mode the kept inputs are scaled by ``1 / (1 - p)``, so the expected
    output equals the input and nothing needs rescaling at test time: in evaluation
    mode (``training = False``, e.g. inside ``predict`` and ``evaluate``) the layer is the
    identity. ``backward`` multiplies ``dout`` by the same mask as the last forward.

    Parameters
    ----------
    p : float
        Probability of dropping an input, 0 ≤ p < 1.
    rng : numpy.random.Generator
        Source of the random masks (one new mask per forward in training mode).
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer,
                                                                  np.floating)) \
                or not 0 <= float(p) < 1:
            raise ValueError(f"Dropout: expected a drop probability 0 <= p < 1, got {p!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout: expected rng=numpy.random.Generator "
                            f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}")
        self.p = float(p)
        self.rng = rng
        self._x = None
        self._mask = None

    def _new_mask(self, x):
        """0 with probability p, else 1/(1-p); drawn on the CPU with ``rng``, same shape as x."""
        keep = self.rng.random(x.shape) >= self.p
        return to_device(keep / (1.0 - self.p), dtype=x.dtype)

    def forward(self, x):
        if not hasattr(x, "shape") or not hasattr(x, "dtype"):
            raise TypeError(f"{self!r}: expected an array, got {type(x).__name__}")
        if not self.training or self.p == 0.0:
            self._x, self._mask = x, None
            return x
        mask = self._new_mask(x)
        self._x, self._mask = x, mask
        return x * mask

    def backward(self, dout):
        self._check_dout(dout, self._x)
        return dout if self._mask is None else dout * self._mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"


class Sequential(Layer):
    """A chain of layers applied in order, like PyTorch's ``nn.Sequential``.

    ``params``/``grads`` are flat dicts keyed ``"<index>.<name>"`` (e.g. ``"0.W"``) whose
    values are the layers' own arrays, so an optimizer updating them in place trains
    the model.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: expected Layer objects, got {type(layer).__name__} "
                                f"at position {i}")
        seen = {}
        for i, layer in enumerate(_leaves(layers)):
            if id(layer) in seen:
                raise ValueError(
                    f"Sequential: the same layer object {layer!r} appears twice (positions "
                    f"{seen[id(layer)]} and {i} among the layers); its forward cache would be "
                    f"overwritten and its gradients would be wrong. Create a new layer for "
                    f"each position (weights can be shared explicitly by copying arrays).")
            seen[id(layer)] = i
        self.layers = list(layers)

    @property
    def params(self):
        return {f"{i}.{k}": v for i, l in enumerate(self.layers) for k, v in l.params.items()}

    @params.setter
    def params(self, value):  # set by Layer.__init__; Sequential derives its own
        pass

    @property
    def grads(self):
        return {f"{i}.{k}": v for i, l in enumerate(self.layers) for k, v in l.grads.items()}

    @grads.setter
    def grads(self, value):
        pass

    def _share_storage(self) -> None:
        """Move all parameters into one flat array, and all gradients into another.

        Every layer's ``params[k]`` (and ``grads[k]``) becomes a view into the flat array,
        with the same values, so nothing changes for the layers; but an optimizer can now
        update every parameter at once (``Optimizer._apply_flat``, used by ``fit``). Only
        :func:`mlp` calls this, on layers it has just made: no one else can hold the
        old arrays yet (which would silently stop being the model's).
        """
        items = [(layer, k) for layer in _leaves(self.layers) for k in layer.params]
        arrays = [layer.params[k] for layer, k in items]
        if not arrays or len({(type(a), a.dtype) for a in arrays}) != 1:
            return  # nothing to share, or mixed dtypes/devices: keep the separate arrays
        xp = get_array_module(arrays[0])
        flat_p = xp.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype)
        flat_g = xp.zeros_like(flat_p)
        views, o = [], 0
        for (layer, k), a in zip(items, arrays):
            p, g = flat_p[o:o + a.size].reshape(a.shape), flat_g[o:o + a.size].reshape(a.shape)
            p[...] = a
            layer.params[k], layer.grads[k] = p, g
            views.append((p, g))
            o += a.size
        self._storage = (flat_p, flat_g, views)

    def _flat_buffers(self, params, grads):
        """``(flat_p, flat_g)`` if ``params``/``grads`` (this model's dicts) are still exactly
        the views of ``_share_storage``, else ``None``.

        Not so after a layer's array was replaced, a layer added or removed, or a copy of
        the model made (``copy.deepcopy`` copies the views into arrays of their own).
        """
        storage = getattr(self, "_storage", None)
        if storage is None or len(params) != len(storage[2]):
            return None
        flat_p, flat_g, views = storage
        for p, g, (vp, vg) in zip(params.values(), grads.values(), views):
            if p is not vp or g is not vg or vp.base is not flat_p or vg.base is not flat_g:
                return None
        return flat_p, flat_g

    @property
    def in_features(self):
        for layer in self.layers:
            if isinstance(layer, Linear):
                return layer.in_features
        return None

    def train(self) -> "Sequential":
        """Training mode for every layer (``Dropout`` drops); returns the model."""
        self._set_mode(True)
        return self

    def eval(self) -> "Sequential":
        """Evaluation mode for every layer (``Dropout`` is the identity); returns the model."""
        self._set_mode(False)
        return self

    def _set_mode(self, training: bool) -> None:
        self.training = training
        for layer in self.layers:
            if isinstance(layer, Sequential):
                layer._set_mode(training)
            else:
                layer.training = training

    def _modes(self) -> list:
        return [self.training] + [l._modes() if isinstance(l, Sequential) else l.training
                                  for l in self.layers]

    def _restore_modes(self, modes) -> None:
        self.training = modes[0]
        for layer, m in zip(self.layers, modes[1:]):
            if isinstance(layer, Sequential):
                layer._restore_modes(m)
            else:
                layer.training = m

    def forward(self, x):
        """Apply every layer in order; ``x`` must be a finite 2-D array (N, D) or a list."""
        if isinstance(x, (list, tuple)):  # a list goes where the parameters are (GPU or CPU)
            x = to_device(np.asarray(x, dtype=float))
        check_ndim("Sequential", "x", x, 2)
        if x.dtype.kind == "f" and not _all_finite(x):
            check_finite("Sequential.forward", "x", x)  # raises with the counts
        return self._forward(x)

    def _forward(self, x):
        """``forward`` without the input checks (``fit`` checks the whole data set once)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout, *, input_grad: bool = True):
        """Backpropagate ``dout`` through every layer; return ``dL/dx`` for the input.

        ``input_grad=False`` (used by ``fit``) lets a first ``Linear`` layer skip the
        gradient for the input data, a third of its matrix products (``None`` is returned
        when it was skipped).
        """
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, Linear):
                return layer.backward(dout, input_grad=False)
            dout = layer.backward(dout)
        return dout

    def predict(self, x, batch_size: int = 10000):
        """Outputs (scores) for ``x`` of shape (N, D), computed in chunks; checks for NaN."""
        if isinstance(x, (list, tuple)):  # a list goes where the parameters are (GPU or CPU)
            x = to_device(np.asarray(x, dtype=float))
        check_ndim("Sequential.predict", "x", x, 2)
        check_nonempty("Sequential.predict", "x", x)
        check_float("Sequential.predict", "x", x)
        check_finite("Sequential.predict", "x", x)
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"Sequential.predict: expected a positive integer batch_size, "
                             f"got {batch_size!r}")
        # x was checked above; the chunks need no second check (unless a subclass has its own
        # forward, which then runs).
        fwd = self._forward if type(self).forward is Sequential.forward else self.forward
        with eval_mode(self):
            outs = [fwd(x[s:s + batch_size]) for s in range(0, x.shape[0], batch_size)]
        out = outs[0] if len(outs) == 1 else get_array_module(outs[0]).concatenate(outs)
        if not _all_finite(out):  # finite inputs, so the parameters must be at fault
            bad = [k for k, p in self.params.items() if not _all_finite(p)]
            raise FloatingPointError(
                f"Sequential.predict: the outputs contain NaN or inf although x is finite; "
                + (f"the parameters {bad} contain NaN or inf (a diverged training run?)" if bad
                   else "the values overflowed (parameters or inputs too large)"))
        return out

    def output_width(self, in_features: int) -> int:
        for layer in self.layers:
            in_features = layer.output_width(in_features)
        return in_features

    def summary(self, in_features: int | None = None) -> str:
        """A table of layers, output shapes and parameter counts (N = batch size)."""
        width = in_features or self.in_features
        rows = [("#", "Layer", "Output shape", "Params")]
        for i, layer in enumerate(self.layers):
            width = layer.output_width(width) if width is not None else None
            shape = f"(N, {width})" if width is not None else "?"
            rows.append((str(i), repr(layer), shape, f"{layer.n_params:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        fmt = lambda r: "  ".join(r[c].ljust(widths[c]) if c < 3 else r[c].rjust(widths[c])  # noqa: E731
                                  for c in range(4))
        line = "-" * len(fmt(rows[0]))
        body = [fmt(rows[0]), line] + [fmt(r) for r in rows[1:]] + [line]
        body.append(f"Total params: {self.n_params:,}")
        return "\n".join(body)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(l) for l in self.layers) + ")"


def _leaves(layers):
    """The non-Sequential layers inside ``layers``, depth first."""
    for layer in layers:
        if isinstance(layer, Sequential):
            yield from _leaves(layer.layers)
        else:
            yield layer


_all_finite = all_finite  # one cheap reduction; see nnlib._validation.all_finite


class eval_mode:
    """Context manager: evaluation mode inside, the previous modes restored on exit.

    ``with eval_mode(model): ...`` is what ``predict`` and ``evaluate`` use, so that
    ``Dropout`` never drops while measuring. Works for any layer (a no-op for layers
    without a training mode).
    """

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        m = self.model
        if isinstance(m, Sequential):
            self._saved = m._modes()
            m.eval()
        else:
            self._saved = getattr(m, "training", True)
            m.training = False
        return m

    def __exit__(self, *exc):
        m = self.model
        if isinstance(m, Sequential):
            m._restore_modes(self._saved)
        else:
            m.training = self._saved
        return False


def mlp(sizes, activation="relu", *, init=None, rng=None, dtype="float64", **act_kwargs) -> Sequential:
    """Build a fully connected network, e.g. ``mlp([784, 128, 64, 10], "relu", rng=rng)``.

    An activation follows every ``Linear`` except the last (the output layer returns
    scores; the loss applies softmax or sigmoid). ``init`` defaults to ``"he"`` for
    ReLU-like activations and ``"xavier"`` otherwise.

    All parameters of the network live in one flat array (each layer's ``W`` and ``b`` are
    views into it, with their own shapes), and all gradients in another, so that ``fit``
    can update every parameter in a few NumPy calls. Nothing else changes: an array taken
    from a layer stays the model's, and a layer's array may still be replaced by a new
    one (training then updates the arrays one by one).
    """
    from .activations import get_activation

    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: expected at least two sizes (input and output), got {sizes}")
    if init is None:
        init = "he" if activation in ("relu", "leaky_relu", "prelu", "elu") else "xavier"
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(get_activation(activation, **act_kwargs))
    model = Sequential(*layers)
    model._share_storage()  # all parameters in one array, for fast updates (see there)
    return model
