"""Array back-end: NumPy on the CPU by default, CuPy on a GPU on request.

Every array operation in ``nnlib`` asks this module for the array module
(``xp``) instead of calling ``numpy`` directly, so the same code runs on
both back-ends (the pattern of CuPy's ``get_array_module``).

Choose the back-end with :func:`set_backend` or, before importing
``nnlib``, with the environment variable ``NNLIB_BACKEND=cupy``.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "BackendUnavailableError",
    "get_backend",
    "set_backend",
    "xp",
    "get_array_module",
    "gpu_available",
    "to_device",
    "to_cpu",
    "erf",
]

_BACKENDS = ("numpy", "cupy")
_state = {"name": "numpy", "module": np}


class BackendUnavailableError(ImportError):
    """Raised when a back-end is requested whose package or device is missing."""


def _import_cupy():
    try:
        import cupy  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise BackendUnavailableError(
            "nnlib backend 'cupy' needs the package 'cupy', which is not installed "
            f"({exc}). Install it with `pip install -e .[gpu]` (CuPy for CUDA 12) "
            "on a machine with an NVIDIA GPU, or keep the default backend 'numpy'."
        ) from exc
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # pragma: no cover - depends on the machine
        raise BackendUnavailableError(
            f"nnlib backend 'cupy': CuPy is installed but no CUDA device is usable ({exc}). "
            "Keep the default backend 'numpy' on this machine."
        ) from exc
    if n < 1:  # pragma: no cover
        raise BackendUnavailableError("nnlib backend 'cupy': CuPy found 0 CUDA devices.")
    return cupy


def gpu_available() -> bool:
    """Return True when CuPy is installed and at least one CUDA device works."""
    try:
        _import_cupy()
    except BackendUnavailableError:
        return False
    return True


def set_backend(name: str) -> None:
    """Select the array back-end: ``"numpy"`` (CPU) or ``"cupy"`` (GPU).

    Raises
    ------
    ValueError
        If ``name`` is not one of the known back-ends.
    BackendUnavailableError
        If ``"cupy"`` is requested and CuPy or a CUDA device is missing;
        the current back-end is then left unchanged.
    """
    if name not in _BACKENDS:
        raise ValueError(f"set_backend: expected one of {_BACKENDS}, got {name!r}")
    module = np if name == "numpy" else _import_cupy()
    _state["name"], _state["module"] = name, module


def get_backend() -> str:
    """Return the name of the current back-end (``"numpy"`` or ``"cupy"``)."""
    return _state["name"]


def xp():
    """Return the array module of the current back-end (``numpy`` or ``cupy``)."""
    return _state["module"]


def get_array_module(*arrays):
    """Return the array module that owns ``arrays`` (``cupy`` if any is a CuPy array)."""
    for a in arrays:
        mod = type(a).__module__
        if mod.startswith("cupy"):
            import cupy

            return cupy
    return np


def to_device(x, dtype=None):
    """Move ``x`` to the current back-end (a no-op copy-free call on NumPy)."""
    mod = xp()
    if mod is np:
        return np.asarray(to_cpu(x), dtype=dtype)
    return mod.asarray(x, dtype=dtype)


def to_cpu(x):
    """Return ``x`` as a NumPy array (copying from the GPU when needed)."""
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)


def erf(x):
    """The error function, element-wise, on the back-end that owns ``x``."""
    if get_array_module(x) is np:
        from scipy.special import erf as _erf
    else:  # pragma: no cover - GPU only
        from cupyx.scipy.special import erf as _erf
    return _erf(x)


_env = os.environ.get("NNLIB_BACKEND")
if _env:
    set_backend(_env.strip().lower())
