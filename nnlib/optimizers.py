"""Optimizers with ``update(params, grads)``; both are dicts with the same keys.

Updates are in place (``p -= ...``), so the arrays inside the layers change; state such as
velocities is kept per key and created on the first update.

Every optimizer checks everything before it writes anything: the keys, shapes and dtypes of
the gradients, that they are finite, and its hyperparameters (also when you assign one
later, e.g. ``opt.lr = 0.5``). A failed ``update`` leaves every parameter and the
optimizer's state as they were.

**Weight decay (L2 regularisation).** Every optimizer takes ``weight_decay`` (λ, default 0). It adds ``λ W`` to the gradient of
every *weight matrix*, the parameters whose name is ``"W"`` (``"W"`` in a layer, ``"0.W"``,
``"2.W"``... in a ``Sequential``); biases and other parameters (``"b"``, PReLU's ``"alpha"``)
are not decayed. This is the gradient of ``L + (λ/2) sum W^2``. For SGD the step becomes
``w <- (1 - lr λ) w - lr g``: before each step every weight forgets a fraction ``lr λ`` of
its value ("gradual forgetting"). For Momentum, AdaGrad and Adam the decayed gradient
``g + λ W`` goes into the usual formulas (L2 regularisation as in PyTorch's
``weight_decay``; not the "decoupled" AdamW).

**Learning-rate schedules.** :class:`StepDecay` and :class:`CosineDecay` map an epoch number (1, 2, ...) to a learning
rate; pass one to ``fit(..., lr_schedule=...)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import all_finite
from .backend import get_array_module

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "Adam", "StepDecay", "CosineDecay",
           "l2_penalty"]


def _real(who: str, name: str, value) -> float:
    """``value`` as a Python float; accepts ints, floats and NumPy scalars, rejects bool."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: expected {name} to be a real number, got {value!r} "
                        f"({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{who}: expected a finite {name}, got {value!r}")
    return value


def _in_range(who: str, name: str, value, lo: float, hi: float | None, lo_open: bool,
              text: str) -> float:
    v = _real(who, name, value)
    if (v <= lo if lo_open else v < lo) or (hi is not None and v >= hi):
        raise ValueError(f"{who}: expected {text}, got {name}={value!r}")
    return v


class _Hyper:
    """A hyperparameter attribute that is checked on every assignment (``opt.lr = 0.5``)."""

    def __init__(self, lo: float, hi: float | None, lo_open: bool, text: str):
        self.lo, self.hi, self.lo_open, self.text = lo, hi, lo_open, text
        self.__doc__ = f"Hyperparameter, checked on every assignment ({text})."

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(f"{type(obj).__name__} has no {self.name} yet (set it in "
                                 f"__init__, e.g. by calling super().__init__)") from None

    def __set__(self, obj, value):
        obj.__dict__[self.name] = _in_range(type(obj).__name__, self.name, value, self.lo,
                                            self.hi, self.lo_open, self.text)


_ALL = object()  # the key of "all parameters at once" in _apply_flat


def _is_weight(key: str) -> bool:
    """Weight matrices are named ``"W"`` (``"<i>.W"`` inside a Sequential)."""
    return key == "W" or key.endswith(".W")


def l2_penalty(params, weight_decay: float) -> float:
    """The L2 term ``(λ/2) sum W^2`` over the weight matrices (keys ``"W"`` / ``"<i>.W"``).

    Its gradient ``λ W`` is exactly what ``weight_decay=λ`` adds in every optimizer, so
    ``loss + l2_penalty(model.params, λ)`` is the objective those optimizers minimise.

    Parameters
    ----------
    params : dict
        Name → array, e.g. ``model.params``.
    weight_decay : float
        λ ≥ 0.
    """
    lam = _in_range("l2_penalty", "weight_decay", weight_decay, 0.0, None, False,
                    "weight_decay >= 0")
    if not isinstance(params, dict):
        raise TypeError(f"l2_penalty: expected params as a dict of arrays, got "
                        f"{type(params).__name__}")
    total = 0.0
    for k, p in params.items():
        if _is_weight(k):
            total += float(get_array_module(p).vdot(p, p))
    return 0.5 * lam * total


class Optimizer:
    """Base class: ``update(params, grads)`` changes ``params`` in place.

    Parameters
    ----------
    lr : float
        Learning rate, > 0 (Python or NumPy number, e.g. ``np.float32(0.01)``).
    weight_decay : float
        L2 coefficient λ ≥ 0 for the weight matrices (see the module docstring).
    """

    lr = _Hyper(0.0, None, True, "a learning rate lr > 0")
    weight_decay = _Hyper(0.0, None, False, "weight_decay >= 0")
    _state_names: tuple = ()  # per-key state dicts (e.g. "v"), for snapshots
    _hyper_names: tuple = ("lr", "weight_decay")

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = lr
        self.weight_decay = weight_decay
        self._buf = {}  # scratch arrays, one per parameter, reused by every step
        self._all = {}  # the flat state arrays of _apply_flat (see there)

    # -- checks -------------------------------------------------------------------------
    def _validate(self, params, grads) -> None:
        """Check keys, shapes, dtypes and finiteness of all gradients; write nothing."""
        who = f"{type(self).__name__}.update"
        if not isinstance(params, dict) or not isinstance(grads, dict):
            raise TypeError(f"{who}: expected params and grads as dicts of arrays, got "
                            f"{type(params).__name__} and {type(grads).__name__}")
        if params.keys() != grads.keys():
            raise KeyError(f"{who}: params and grads need the same keys, "
                           f"got {sorted(params)} and {sorted(grads)}")
        for k, p in params.items():
            g = grads[k]
            for name, a in (("parameter", p), ("gradient", g)):
                if not hasattr(a, "dtype") or not hasattr(a, "shape"):
                    raise TypeError(f"{who}: expected the {name} {k!r} to be an array, "
                                    f"got {type(a).__name__}")
                if a.dtype.kind != "f":
                    raise TypeError(f"{who}: expected the {name} {k!r} as floating point, "
                                    f"got dtype {a.dtype}")
            if g.shape != p.shape:
                raise ValueError(f"{who}: expected the gradient {k!r} of shape "
                                 f"{tuple(p.shape)} (like the parameter), got {tuple(g.shape)}")
            if g.dtype != p.dtype:
                raise TypeError(f"{who}: expected the gradient {k!r} of dtype {p.dtype} "
                                f"(like the parameter), got {g.dtype}")
        for name in self._state_names:  # e.g. Adam's m and v from an earlier model
            for k, v in getattr(self, name).items():
                if k in params and (v.shape != params[k].shape or v.dtype != params[k].dtype):
                    raise ValueError(
                        f"{who}: the optimizer's state {name}[{k!r}] has shape "
                        f"{tuple(v.shape)} and dtype {v.dtype}, but the parameter has "
                        f"{tuple(params[k].shape)} and {params[k].dtype}: this optimizer was "
                        f"used for another model. Create a new optimizer for each model.")
        bad = self.nonfinite_keys(grads)
        if bad:
            raise FloatingPointError(f"{who}: expected finite gradients, got NaN or inf in "
                                     f"{bad}; no parameter was changed")

    @staticmethod
    def nonfinite_keys(grads) -> list:
        """Keys of the gradients that contain NaN or inf (one cheap reduction each)."""
        return [k for k, g in grads.items() if not all_finite(g)]

    # -- the update -----------------------------------------------------------------------
    def update(self, params, grads) -> None:
        """Check everything, then update every parameter in place."""
        self._validate(params, grads)
        self._apply(params, grads)

    def _apply(self, params, grads) -> None:
        """The update itself, without checks (``fit`` validates once and calls this).

        The hyperparameters are read once per update into ``h`` (a plain dict), not once
        per parameter and formula: each ``self.lr`` goes through the checking attribute.
        """
        self._begin_step()
        h = {name: getattr(self, name) for name in self._hyper_names}
        wd = h["weight_decay"]
        for k, p in params.items():
            xp, a, b = self._scratch(k, p)
            g = grads[k]
            if wd != 0.0 and _is_weight(k):
                # L2 weight decay: the gradient g + wd * W, written into the scratch array b
                xp.multiply(p, wd, out=b)
                b += g
                g = b
            self._step(k, p, g, xp, a, h)

    def _begin_step(self) -> None:
        """Called once per update, before any parameter changes (Adam counts time steps)."""

    def _step(self, k, p, g, xp, a, h, g_free=False):  # pragma: no cover - abstract
        """Update ``p`` in place from ``g``; ``a`` is a scratch array, ``h`` the hyperparameters.

        ``g_free=True`` (only from ``fit``, see ``_apply_flat``) allows overwriting ``g``
        once it has been read, instead of a scratch array: same operations, same results.
        """
        raise NotImplementedError

    def _state(self, name, k, p):
        """The state array ``name`` (e.g. ``"v"``) of parameter ``k``; zeros on first use."""
        if k is _ALL:
            return self._all[name]
        state = getattr(self, name)
        if k not in state:
            state[k] = get_array_module(p).zeros_like(p)
        return state[k]

    def _scratch(self, k, p):
        """Scratch arrays ``(xp, a, b)`` shaped like ``p``, made once and reused."""
        if k not in self._buf or self._buf[k][1].shape != p.shape:
            xp = get_array_module(p)
            self._buf[k] = (xp, xp.empty_like(p), xp.empty_like(p))
        return self._buf[k]

    # -- the whole-buffer update (used by fit) ----------------------------------------------
    def _apply_flat(self, flat_p, flat_g, params, grads, g_free=False) -> None:
        """The same update as ``_apply``, done on all parameters at once.

        ``fit`` calls this when the model keeps every parameter in one flat array
        ``flat_p`` (and every gradient in ``flat_g``), the layers' arrays being views into
        it: networks built by :func:`~nnlib.layers.mlp` do. The formulas are element-wise,
        so applying them to the whole vector gives exactly the per-parameter results, in
        a few NumPy calls instead of a few per parameter -- for a small network most of
        the time of an update is the cost of the calls, not the arithmetic. The state
        (e.g. Adam's ``m`` and ``v``) is then one flat array too, and ``self.m[k]`` etc.
        are views into it, so it reads and snapshots as usual.

        ``g_free=True`` lets the update overwrite the gradients once it has read them (fit
        passes it for every step but the last of an epoch, as the next backward refills
        them). It computes the same numbers, but in the gradient's own array where it
        would otherwise write a scratch array as large as all the parameters: one array
        fewer passing through the processor's cache every step, which for a small network
        is worth several per cent of a training step. (After the epoch's last step the
        gradients are intact, as after ``update``.)

        Falls back to ``_apply`` when weight decay is on (it applies to the weight matrices
        only) or when per-parameter state already exists from ``update`` calls.
        """
        if self.weight_decay != 0.0 or not self._flat_state(flat_p, params):
            self._apply(params, grads)
            return
        self._begin_step()
        h = {name: getattr(self, name) for name in self._hyper_names}
        xp, a, _ = self._scratch(_ALL, flat_p)
        self._step(_ALL, flat_p, flat_g, xp, a, h, g_free)

    def _flat_state(self, flat_p, params) -> bool:
        """Make (once) or check the flat state arrays; False if the state is per parameter."""
        if not self._state_names:
            return True  # (SGD keeps no state)
        views = self._all.get("views")
        if views is not None and views[0] is flat_p and all(
                getattr(self, name).get(k) is v
                for name in self._state_names for k, v in views[1][name].items()):
            return True
        if any(getattr(self, name) for name in self._state_names):
            return False  # state made by update(): keep updating it per parameter
        xp = get_array_module(flat_p)
        per_name = {}
        for name in self._state_names:
            buf = xp.zeros_like(flat_p)
            self._all[name], per_name[name], o = buf, {}, 0
            for k, p in params.items():
                per_name[name][k] = buf[o:o + p.size].reshape(p.shape)
                o += p.size
            getattr(self, name).update(per_name[name])
        self._all["views"] = (flat_p, per_name)
        return True

    # -- snapshots (used by fit to undo a diverged epoch) ------------------------------------
    def _snapshot(self) -> dict:
        snap = {name: {k: v.copy() for k, v in getattr(self, name).items()}
                for name in self._state_names}
        snap["t"] = getattr(self, "t", None)
        snap["lr"] = self.lr
        return snap

    def _restore(self, snap: dict) -> None:
        for name in self._state_names:
            state = getattr(self, name)
            for k in list(state):
                if k not in snap[name]:
                    del state[k]
                    self._all.clear()  # the flat state (if any) no longer backs the dicts
            for k, v in snap[name].items():
                if k in state and state[k].shape == v.shape:
                    state[k][...] = v
                else:
                    state[k] = v.copy()
        if snap["t"] is not None:
            self.t = snap["t"]
        self.lr = snap["lr"]

    def _hyper_repr(self) -> str:
        return ""

    def __repr__(self):
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"{type(self).__name__}(lr={self.lr:g}{self._hyper_repr()}{wd})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``w <- w - lr * dL/dw``.

    With ``weight_decay = λ``: ``w <- (1 - lr λ) w - lr g`` for weight matrices.
    """

    def __init__(self, lr: float = 0.01, *, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)

    def _step(self, k, p, g, xp, a, h, g_free=False):
        # p -= lr * g, with lr * g written into a scratch array kept per parameter (or into
        # g itself when allowed) instead of a new temporary array every step.
        step = g if g_free else a
        xp.multiply(g, h["lr"], out=step)
        p -= step


class Momentum(Optimizer):
    """Momentum SGD: ``v <- momentum * v - lr * g``; ``w <- w + v`` (0 ≤ momentum < 1)."""

    momentum = _Hyper(0.0, 1.0, False, "0 <= momentum < 1")
    _state_names = ("v",)
    _hyper_names = ("lr", "weight_decay", "momentum")

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, *, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.momentum = momentum
        self.v = {}

    def _step(self, k, p, g, xp, a, h, g_free=False):
        v = self._state("v", k, p)
        v *= h["momentum"]
        step = g if g_free else a
        xp.multiply(g, h["lr"], out=step)
        v -= step                               # v = momentum v - lr g
        p += v

    def _hyper_repr(self):
        return f", momentum={self.momentum:g}"


class AdaGrad(Optimizer):
    """AdaGrad: ``h <- h + g^2``; ``w <- w - lr * g / (sqrt(h) + eps)`` (eps > 0)."""

    eps = _Hyper(0.0, None, True, "eps > 0 (it keeps g / (sqrt(h) + eps) finite when h = 0)")
    _state_names = ("h",)
    _hyper_names = ("lr", "weight_decay", "eps")

    def __init__(self, lr: float = 0.01, eps: float = 1e-7, *, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.eps = eps
        self.h = {}
        self._buf2 = {}

    def _step(self, k, p, g, xp, a, h, g_free=False):
        hk = self._state("h", k, p)
        xp.multiply(g, g, out=a)
        hk += a                                 # h = h + g^2
        if g_free:
            b, step = a, g
        else:
            b = self._buf2.get(k)
            if b is None or b.shape != p.shape:
                b = self._buf2[k] = xp.empty_like(p)
            step = a
        xp.sqrt(hk, out=b)
        b += h["eps"]                           # b = sqrt(h) + eps  (> 0)
        xp.multiply(g, h["lr"], out=step)
        step /= b                               # lr g / (sqrt(h) + eps)
        p -= step


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``w <- w - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``. Needs 0 ≤ beta1, beta2 < 1 and eps > 0.
    """

    beta1 = _Hyper(0.0, 1.0, False, "0 <= beta1 < 1")
    beta2 = _Hyper(0.0, 1.0, False, "0 <= beta2 < 1 (beta2 = 1 divides by 1 - beta2^t = 0)")
    eps = _Hyper(0.0, None, True, "eps > 0 (it keeps m / (sqrt(v) + eps) finite when v = 0)")
    _state_names = ("m", "v")
    _hyper_names = ("lr", "weight_decay", "beta1", "beta2", "eps")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, *, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}
        self._buf2 = {}

    def _begin_step(self):
        self.t += 1  # one time step for all parameters

    def _step(self, k, p, g, xp, a, h, g_free=False):
        m, v = self._state("m", k, p), self._state("v", k, p)
        b1, b2 = h["beta1"], h["beta2"]
        c1 = 1 - b1 ** self.t
        c2 = 1 - b2 ** self.t
        # The formulas above, written with out= into scratch arrays kept per parameter, so
        # a step allocates no temporary arrays (same operations, same results as the
        # one-line version). v comes first because g is last needed by m's update: after
        # it, g may serve as a scratch array (g_free, see Optimizer._apply_flat).
        v *= b2
        xp.multiply(g, g, out=a)
        a *= 1 - b2
        v += a                                  # v = b2 v + (1 - b2) g^2
        m *= b1
        xp.multiply(g, 1 - b1, out=a)
        m += a                                  # m = b1 m + (1 - b1) g
        if g_free:
            num, den = g, a
        else:
            num, den = a, self._buf2.get(k)
            if den is None or den.shape != p.shape:
                den = self._buf2[k] = xp.empty_like(p)
        xp.multiply(m, h["lr"] / c1, out=num)   # (lr / c1) m
        xp.divide(v, c2, out=den)
        xp.sqrt(den, out=den)
        den += h["eps"]                         # sqrt(v / c2) + eps  (> 0)
        num /= den
        p -= num

    def _hyper_repr(self):
        return f", beta1={self.beta1:g}, beta2={self.beta2:g}"


class StepDecay:
    """Learning rate divided in steps: ``lr * drop ** ((epoch - 1) // every)``.

    ``StepDecay(0.1, drop=0.5, every=10)`` gives 0.1 for epochs 1-10, 0.05 for 11-20, ...

    Parameters
    ----------
    lr : float
        Learning rate of the first epoch, > 0.
    drop : float
        Factor applied every ``every`` epochs, 0 < drop ≤ 1.
    every : int
        Number of epochs between drops, ≥ 1.
    """

    def __init__(self, lr: float, drop: float = 0.5, every: int = 10):
        self.lr = _in_range("StepDecay", "lr", lr, 0.0, None, True, "lr > 0")
        self.drop = _in_range("StepDecay", "drop", drop, 0.0, None, True, "0 < drop <= 1")
        if self.drop > 1:
            raise ValueError(f"StepDecay: expected 0 < drop <= 1, got drop={drop!r}")
        if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, np.integer)) \
                or every < 1:
            raise ValueError(f"StepDecay: expected every to be a positive integer, got {every!r}")
        self.every = int(every)

    def __call__(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (counted from 1)."""
        return self.lr * self.drop ** ((_epoch("StepDecay", epoch) - 1) // self.every)

    def __repr__(self):
        return f"StepDecay(lr={self.lr:g}, drop={self.drop:g}, every={self.every})"


class CosineDecay:
    """Cosine annealing from ``lr`` (epoch 1) down to ``lr_min`` (epoch ``epochs``).

    ``lr(e) = lr_min + (lr - lr_min) (1 + cos(pi (e - 1) / (epochs - 1))) / 2``; after
    ``epochs`` it stays at ``lr_min``. ``lr_min`` must be > 0 if the last epoch should
    still train (a learning rate of 0 is rejected by the optimizers, so ``fit`` then keeps
    the epoch's rate at a tiny positive value, see ``__call__``).

    Parameters
    ----------
    lr : float
        Learning rate of the first epoch, > 0.
    epochs : int
        Number of epochs of the schedule, ≥ 1.
    lr_min : float
        Final learning rate, 0 ≤ lr_min ≤ lr.
    """

    def __init__(self, lr: float, epochs: int, lr_min: float = 0.0):
        self.lr = _in_range("CosineDecay", "lr", lr, 0.0, None, True, "lr > 0")
        if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, (int, np.integer)) \
                or epochs < 1:
            raise ValueError(f"CosineDecay: expected epochs to be a positive integer, "
                             f"got {epochs!r}")
        self.epochs = int(epochs)
        self.lr_min = _in_range("CosineDecay", "lr_min", lr_min, 0.0, None, False,
                                "0 <= lr_min <= lr")
        if self.lr_min > self.lr:
            raise ValueError(f"CosineDecay: expected 0 <= lr_min <= lr, got lr_min={lr_min!r} "
                             f"and lr={lr!r}")

    def __call__(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (counted from 1).

        Where the formula gives exactly 0 (``lr_min = 0`` at the last epoch), the result is
        ``lr * 1e-6`` instead, because a learning rate must be positive.
        """
        e = min(_epoch("CosineDecay", epoch), self.epochs)
        frac = 0.0 if self.epochs == 1 else (e - 1) / (self.epochs - 1)
        value = self.lr_min + (self.lr - self.lr_min) * (1 + math.cos(math.pi * frac)) / 2
        return value if value > 0 else self.lr * 1e-6

    def __repr__(self):
        return f"CosineDecay(lr={self.lr:g}, epochs={self.epochs}, lr_min={self.lr_min:g})"


def _epoch(who, epoch) -> int:
    if isinstance(epoch, (bool, np.bool_)) or not isinstance(epoch, (int, np.integer)) or epoch < 1:
        raise ValueError(f"{who}: expected an epoch number >= 1, got {epoch!r}")
    return int(epoch)
