"""Array back-end: NumPy on the CPU by default, CuPy on a GPU on request.

Every array operation in ``nnlib`` asks this module for the array module
(``xp``) instead of calling ``numpy`` directly, so the same code runs on
both back-ends (the pattern of CuPy's ``get_array_module``).

Choose the back-end with :func:`set_backend` or, before importing
``nnlib``, with the environment variable ``NNLIB_BACKEND=cupy``.

For tests there is a third back-end, ``"strict"`` (module ``nnlib._strict``): NumPy
on the CPU behind arrays that behave like CuPy's where it matters (no implicit conversion
to NumPy, no mixing with NumPy arrays, reductions returning 0-d arrays), so that the CPU
test suite finds every code path that would break on a GPU.
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

_BACKENDS = ("numpy", "cupy")        # the public choices, named in error messages
_TEST_BACKENDS = ("strict",)         # nnlib._strict: CuPy-like arrays on the CPU, for tests
_state = {"name": "numpy", "module": np}
# Array types other than NumPy's and CuPy's, mapped to their array module (the strict
# test back-end registers itself here when it is imported).
_ARRAY_TYPES: dict = {}


def _register_array_type(array_type, module) -> None:
    """Let :func:`get_array_module`, :func:`to_cpu` and :func:`erf` recognise ``array_type``.

    ``module`` is the array module of that type; its arrays must have ``get()`` returning a
    NumPy copy (as CuPy's do). Used by ``nnlib._strict``.
    """
    _ARRAY_TYPES[array_type] = module


class BackendUnavailableError(ImportError):
    """Raised when a back-end is requested whose package or device is missing."""


def _import_cupy():
    try:
        import cupy  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise BackendUnavailableError(
            "nnlib backend 'cupy' needs the package 'cupy', which is not installed "
            f"({exc}). Install it on a machine with an NVIDIA GPU with "
            "`pip install -e .[gpu-cuda12]` or `pip install -e .[gpu-cuda13]` (the CUDA "
            "version that `nvidia-smi` shows), or keep the default backend 'numpy'."
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

    ``"strict"`` selects the CuPy-like test back-end ``nnlib._strict`` (CPU only).

    Raises
    ------
    ValueError
        If ``name`` is not one of the known back-ends.
    BackendUnavailableError
        If ``"cupy"`` is requested and CuPy or a CUDA device is missing;
        the current back-end is then left unchanged.
    """
    if name not in _BACKENDS + _TEST_BACKENDS:
        raise ValueError(f"set_backend: expected one of {_BACKENDS}, got {name!r}")
    if name == "numpy":
        module = np
    elif name == "cupy":
        module = _import_cupy()
    else:
        from . import _strict as module
    _state["name"], _state["module"] = name, module


def get_backend() -> str:
    """Return the name of the current back-end (``"numpy"``, ``"cupy"`` or ``"strict"``)."""
    return _state["name"]


def xp():
    """Return the array module of the current back-end (``numpy`` or ``cupy``)."""
    return _state["module"]


def get_array_module(*arrays):
    """Return the array module that owns ``arrays`` (``cupy`` if any is a CuPy array)."""
    for a in arrays:
        kind = type(a)
        if kind.__module__.startswith("cupy"):
            import cupy

            return cupy
        module = _ARRAY_TYPES.get(kind)
        if module is not None:
            return module
    return np


def to_device(x, dtype=None):
    """Move ``x`` to the current back-end (a no-op copy-free call on NumPy)."""
    mod = xp()
    if mod is np:
        return np.asarray(to_cpu(x), dtype=dtype)
    return mod.asarray(x, dtype=dtype)


def to_cpu(x):
    """Return ``x`` as a NumPy array (copying from the GPU when needed)."""
    if type(x).__module__.startswith("cupy") or type(x) in _ARRAY_TYPES:
        return x.get()
    return np.asarray(x)


def erf(x):
    """The error function, element-wise, on the back-end that owns ``x``."""
    mod = get_array_module(x)
    if mod is np:
        from scipy.special import erf as _erf
    elif hasattr(mod, "special_erf"):  # the strict test back-end
        _erf = mod.special_erf
    else:  # pragma: no cover - GPU only
        from cupyx.scipy.special import erf as _erf
    return _erf(x)


def _backend_from_environment() -> None:
    """Apply ``NNLIB_BACKEND`` at import; a failure names the variable and the way out.

    There is no silent fallback to NumPy: a run that asked for the GPU must not quietly
    measure the CPU. The error keeps its type (``ValueError`` for an unknown name,
    :class:`BackendUnavailableError` for a missing package or device).
    """
    raw = os.environ.get("NNLIB_BACKEND", "")
    if not raw.strip():
        return
    try:
        set_backend(raw.strip().lower())
    except (ValueError, BackendUnavailableError) as exc:
        raise type(exc)(f"{exc} (requested by the environment variable NNLIB_BACKEND={raw!r}; "
                        "unset it or set NNLIB_BACKEND=numpy to run on the CPU)") from exc


_backend_from_environment()
