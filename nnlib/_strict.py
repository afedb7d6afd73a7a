"""A CuPy-like array module on the CPU, for tests: NumPy behind arrays that refuse NumPy.

No GPU is needed to find most code paths that would break on one. CuPy's arrays live in
GPU memory, and CuPy refuses every *implicit* move to the host. This module keeps the data
in NumPy arrays but wraps them in :class:`ndarray`, which behaves like ``cupy.ndarray``
where it matters:

* ``numpy.asarray(a)`` (and every NumPy or matplotlib path that converts with it) raises
  ``TypeError`` with CuPy's message, because ``__array__`` raises, as in CuPy;
* mixing with NumPy arrays raises ``TypeError`` (``a + np_array``, ``strict.exp(np_array)``,
  ``a[...] = np_array``), as CuPy does: data must be moved explicitly;
* the explicit ways work: ``asarray``/``array`` of host data (a copy, as to a GPU),
  ``a.get()``, ``asnumpy(a)``, ``nnlib.to_cpu(a)``, ``float(a)``, ``int(a)``, ``a.item()``,
  ``a.tolist()``, ``bool(a)`` for one element, formatting, ``repr``;
* reductions and scalar indexing return 0-d arrays, not NumPy scalars (``a.sum()``,
  ``a[0]`` on a 1-D array), as in CuPy;
* NumPy functions called on these arrays dispatch to this module (``np.sum(a)``), as
  ``cupy.ndarray.__array_function__`` does, and NumPy ufuncs likewise (``np.exp(a)``);
* a few differences of CuPy's API are enforced: ``take`` has no ``mode`` argument, 0-d
  arrays have no ``__index__`` (use ``int(a)``), and ``errstate``/``seterr`` do not exist.

Select it with ``nnlib.set_backend("strict")`` or ``NNLIB_BACKEND=strict``; it is a test
tool, not a back-end to compute with (every operation pays a small wrapping cost). What it
cannot find: CuPy functions that NumPy has and CuPy lacks (beyond those listed above),
numerical differences of GPU kernels, and performance.
"""

from __future__ import annotations

import sys
import types
import weakref

import numpy as _np

from . import backend as _backend

__all__ = ["ndarray", "asnumpy", "get_array_module", "special_erf"]

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")
# Functions that copy host data onto the "device": the only ones that accept NumPy arrays.
_TRANSFER = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})
# NumPy names that CuPy's top-level module does not have.
_MISSING = frozenset({"errstate", "seterr", "geterr", "seterrcall", "geterrcall"})


def _mixing_error(who: str, value) -> TypeError:
    return TypeError(f"{who}: unsupported type {type(value).__module__}.{type(value).__name__} "
                     "(a NumPy array mixed with device arrays; CuPy raises here too: move it "
                     "explicitly with xp.asarray(...) or to_device(...))")


def _unwrap(value, who: str, allow_host: bool = False):
    """The NumPy array behind ``value``; NumPy arrays are refused unless ``allow_host``."""
    kind = type(value)
    if kind is ndarray:
        return value._a
    if kind is _np.ndarray:
        if allow_host:
            return value
        raise _mixing_error(who, value)
    if kind is list or kind is tuple:
        return kind(_unwrap(v, who, allow_host) for v in value)
    return value


# id of a NumPy array that owns its memory -> the strict array made first on it (while that
# one lives), so that ``view.base is original`` holds as for cupy.ndarray.
_ROOTS = weakref.WeakValueDictionary()


def _wrap(value):
    """Device arrays for NumPy results: arrays and NumPy scalars (0-d, as in CuPy)."""
    kind = type(value)
    if kind is _np.ndarray:
        return ndarray(value)
    if isinstance(value, _np.generic):
        return ndarray(_np.asarray(value))
    if kind is tuple or kind is list:
        return kind(_wrap(v) for v in value)
    return value


def _check_take(who: str, kwargs) -> None:
    if "mode" in kwargs:
        raise TypeError(f"{who}() got an unexpected keyword argument 'mode' (cupy.take(a, "
                        "indices, axis=None, out=None) has no mode: CuPy wraps indices around)")


def _wrap_function(name: str, func):
    allow_host = name in _TRANSFER
    who = f"strict.{name}"

    def call(*args, **kwargs):
        if name == "take":
            _check_take(who, kwargs)
        args = tuple(_unwrap(a, who, allow_host) for a in args)
        kwargs = {k: _unwrap(v, who, allow_host) for k, v in kwargs.items()}
        if allow_host and args and type(args[0]) is _np.ndarray:
            # Host → device is a copy on a GPU: the result must not share the host's memory.
            kwargs.pop("copy", None)
            return ndarray(_np.array(args[0], *args[1:], **kwargs))
        return _wrap(func(*args, **kwargs))

    call.__name__ = name
    call.__qualname__ = name
    call.__doc__ = f"``numpy.{name}`` on strict arrays (NumPy arrays refused)."
    return call


class _Ufunc:
    """A NumPy ufunc that takes and returns strict arrays (methods ``reduce``, ``at``... too)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self._call = _wrap_function(ufunc.__name__, ufunc)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __getattr__(self, attr):
        value = getattr(self._ufunc, attr)
        return _wrap_function(f"{self.__name__}.{attr}", value) if callable(value) else value

    def __repr__(self):
        return f"<strict ufunc {self.__name__!r}>"


class _Namespace(types.SimpleNamespace):
    """A NumPy submodule (``linalg``, ``random``, ``fft``) whose functions take strict arrays."""

    def __init__(self, module, prefix):
        super().__init__()
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, attr):
        value = getattr(self._module, attr)
        if isinstance(value, type) or not callable(value):
            return value
        return _wrap_function(f"{self._prefix}.{attr}", value)


def _lookup(name: str):
    """The strict version of ``numpy.<name>``: wrapped functions, types and constants as they are."""
    if name in _MISSING:
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (nnlib strict back-end; "
                             "use numpy.errstate, which does not apply to device arrays)")
    value = getattr(_np, name)  # AttributeError for names NumPy lacks, as for a module
    if isinstance(value, _np.ufunc):
        return _Ufunc(value)
    if isinstance(value, types.ModuleType):
        return _Namespace(value, name)
    if isinstance(value, type) or not callable(value):
        return value  # dtypes (float32, ...), finfo, constants (pi, inf, newaxis)
    return _wrap_function(name, value)


def __getattr__(name: str):  # PEP 562: strict.zeros, strict.exp, ... built on first use
    if name.startswith("__"):
        raise AttributeError(name)
    value = _lookup(name)
    globals()[name] = value  # cached: the next access is a plain module attribute
    return value


def asnumpy(a):
    """Copy to a NumPy array (``cupy.asnumpy``): the explicit device → host transfer."""
    return a.get() if type(a) is ndarray else _np.asarray(a)


def get_array_module(*arrays):
    """This module if any argument is a strict array, else NumPy (``cupy.get_array_module``)."""
    return sys.modules[__name__] if any(type(a) is ndarray for a in arrays) else _np


def special_erf(x):
    """The error function on a strict array (``cupyx.scipy.special.erf``)."""
    from scipy.special import erf

    return ndarray(_np.asarray(erf(_unwrap(x, "strict.special_erf"))))


def _binary(op):
    who = f"strict.ndarray.{op.__name__}"

    def method(self, other):
        if type(other) is ndarray:
            return _wrap(op(self._a, other._a))
        if type(other) is _np.ndarray or isinstance(other, (list, tuple)):
            raise _mixing_error(who, other)
        return _wrap(op(self._a, other))

    method.__name__ = op.__name__
    return method


def _reflected(op):
    who = f"strict.ndarray.{op.__name__}"

    def method(self, other):
        if type(other) is _np.ndarray or isinstance(other, (list, tuple)):
            raise _mixing_error(who, other)
        return _wrap(op(other, self._a))

    return method


def _inplace(op):
    who = f"strict.ndarray.{op.__name__}"

    def method(self, other):
        if type(other) is ndarray:
            op(self._a, other._a)
        elif type(other) is _np.ndarray or isinstance(other, (list, tuple)):
            raise _mixing_error(who, other)
        else:
            op(self._a, other)
        return self

    return method


class ndarray:
    """A NumPy array standing in for a ``cupy.ndarray`` (see the module docstring).

    Parameters
    ----------
    a : numpy.ndarray
        The data; the strict array is a view of it (no copy).
    """

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, a):
        if type(a) is not _np.ndarray:
            raise TypeError(f"strict.ndarray: expected a numpy.ndarray, got {type(a).__name__}")
        self._a = a
        if a.base is None:  # the first strict array made on this memory, for ``base``
            _ROOTS.setdefault(id(a), self)

    # ---- the NumPy protocols: no implicit conversion, NumPy calls come back here ----------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        who = f"numpy.{ufunc.__name__}"
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o, who) for o in kwargs["out"])
        inputs = tuple(_unwrap(x, who) for x in inputs)
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        name = func.__name__
        if name == "take":
            _check_take("numpy.take", kwargs)
        who = f"numpy.{name}"
        return _wrap(func(*_unwrap(tuple(args), who), **{k: _unwrap(v, who)
                                                           for k, v in kwargs.items()}))

    # ---- explicit conversions (allowed, as in CuPy) ------------------------------------
    def get(self):
        """A NumPy copy of the data (``cupy.ndarray.get``)."""
        return self._a.copy()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __index__(self):
        raise TypeError("strict.ndarray cannot be used as an index or a size (cupy.ndarray "
                        "defines no __index__): convert explicitly with int(a)")

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a if self._a.ndim else self._a[()], spec)

    def __reduce__(self):
        return (ndarray, (self._a.copy(),))

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    # ---- container -----------------------------------------------------------------------
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __getitem__(self, key):
        # Index arrays may come from the host (CuPy copies them over); values may not.
        return _wrap(self._a[_unwrap(key, "strict.ndarray.__getitem__", allow_host=True)])

    def __setitem__(self, key, value):
        key = _unwrap(key, "strict.ndarray.__setitem__", allow_host=True)
        if type(value) is _np.ndarray:
            # CuPy's one host path: a[:] = host array of the same shape and dtype.
            if not (type(key) is slice and key == slice(None) and value.shape == self._a.shape
                    and value.dtype == self._a.dtype):
                raise _mixing_error("strict.ndarray.__setitem__", value)
        self._a[key] = _unwrap(value, "strict.ndarray.__setitem__", allow_host=True)

    # ---- attributes ------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))

    @property
    def base(self):
        # As in CuPy, the very array the view was made from (views of views included).
        root = self._a.base
        if root is None:
            return None
        owner = _ROOTS.get(id(root))
        return owner if owner is not None and owner._a is root else ndarray(_np.asarray(root))

    def take(self, indices, axis=None, out=None, **kwargs):
        _check_take("strict.ndarray.take", kwargs)
        return _wrap(self._a.take(_unwrap(indices, "strict.ndarray.take"), axis=axis,
                                  out=None if out is None else _unwrap(out, "strict.ndarray.take")))

    def __getattr__(self, attr):
        # Methods (sum, max, argmax, reshape, astype, copy, fill, ...) take strict arrays and
        # return strict arrays; item() and tolist() return Python values, as in CuPy.
        # Never forward NumPy's own protocols (__array_interface__, __array_struct__, ...):
        # NumPy would read the host data through them, bypassing __array__. And "_a" is
        # missing only while the object is being built (no recursion then).
        if attr.startswith("__") or attr == "_a":
            raise AttributeError(f"'strict.ndarray' object has no attribute {attr!r}")
        value = getattr(self._a, attr)
        if not callable(value):
            return _wrap(value)
        who = f"strict.ndarray.{attr}"

        def method(*args, **kwargs):
            args = tuple(_unwrap(a, who) for a in args)
            kwargs = {k: _unwrap(v, who) for k, v in kwargs.items()}
            return _wrap(value(*args, **kwargs))

        return method

    # ---- operators --------------------------------------------------------------------------
    import operator as _op

    __add__, __radd__, __iadd__ = _binary(_op.add), _reflected(_op.add), _inplace(_op.iadd)
    __sub__, __rsub__, __isub__ = _binary(_op.sub), _reflected(_op.sub), _inplace(_op.isub)
    __mul__, __rmul__, __imul__ = _binary(_op.mul), _reflected(_op.mul), _inplace(_op.imul)
    __truediv__, __rtruediv__, __itruediv__ = (_binary(_op.truediv), _reflected(_op.truediv),
                                               _inplace(_op.itruediv))
    __floordiv__, __rfloordiv__, __ifloordiv__ = (_binary(_op.floordiv), _reflected(_op.floordiv),
                                                  _inplace(_op.ifloordiv))
    __mod__, __rmod__, __imod__ = _binary(_op.mod), _reflected(_op.mod), _inplace(_op.imod)
    __pow__, __rpow__, __ipow__ = _binary(_op.pow), _reflected(_op.pow), _inplace(_op.ipow)
    __matmul__, __rmatmul__ = _binary(_op.matmul), _reflected(_op.matmul)
    __and__, __rand__, __iand__ = _binary(_op.and_), _reflected(_op.and_), _inplace(_op.iand)
    __or__, __ror__, __ior__ = _binary(_op.or_), _reflected(_op.or_), _inplace(_op.ior)
    __xor__, __rxor__, __ixor__ = _binary(_op.xor), _reflected(_op.xor), _inplace(_op.ixor)
    __lt__, __le__, __gt__, __ge__ = (_binary(_op.lt), _binary(_op.le), _binary(_op.gt),
                                      _binary(_op.ge))
    __eq__, __ne__ = _binary(_op.eq), _binary(_op.ne)

    def __neg__(self):
        return _wrap(-self._a)

    def __pos__(self):
        return self

    def __abs__(self):
        return _wrap(abs(self._a))

    def __invert__(self):
        return _wrap(~self._a)

    del _op


_backend._register_array_type(ndarray, sys.modules[__name__])
