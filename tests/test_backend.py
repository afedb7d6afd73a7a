"""Array back-ends: NumPy always; CuPy where a GPU is present (skipped elsewhere)."""

import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import nnlib
from nnlib import (BackendUnavailableError, SoftmaxCrossEntropy, get_array_module, get_backend,
                   gpu_available, mlp, set_backend, to_cpu, to_device)
from nnlib import backend

HAS_GPU = gpu_available()
needs_gpu = pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA device; "
                                                   "this machine has none")


@pytest.fixture(autouse=True)
def restore_backend():
    # Restore the back-end the run started with, not NumPy: under NNLIB_BACKEND=cupy (or
    # strict) every later test module must still run on that back-end.
    before = get_backend()
    yield
    set_backend(before)


def test_numpy_is_the_default_backend():
    # In a fresh process without NNLIB_BACKEND, so that it holds in a run on any back-end.
    env = {k: v for k, v in os.environ.items() if k != "NNLIB_BACKEND"}
    code = ("import numpy, nnlib; from nnlib import backend; "
            "print(nnlib.get_backend(), backend.xp() is numpy)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "True"]


def test_set_backend_numpy():
    set_backend("numpy")
    assert get_backend() == "numpy" and backend.xp() is np


def test_unknown_backend_names_the_choices_and_changes_nothing():
    before, module = get_backend(), backend.xp()
    with pytest.raises(ValueError, match=r"set_backend: expected one of \('numpy', 'cupy'\), "
                                         r"got 'jax'"):
        set_backend("jax")
    assert get_backend() == before and backend.xp() is module


def test_cupy_missing_gives_a_clear_error(monkeypatch):
    before, module = get_backend(), backend.xp()
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(BackendUnavailableError,
                       match=r"nnlib backend 'cupy' needs the package 'cupy', which is not "
                             r"installed .*`pip install -e \.\[gpu-cuda12\]` or "
                             r"`pip install -e \.\[gpu-cuda13\]`"):
        set_backend("cupy")
    assert get_backend() == before and backend.xp() is module
    assert gpu_available() is False
    assert issubclass(BackendUnavailableError, ImportError)


def _fake_cupy(device_count):
    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=runtime)
    return module


def test_cupy_without_a_device_gives_a_clear_error(monkeypatch):
    before = get_backend()
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(RuntimeError("no CUDA driver")))
    with pytest.raises(BackendUnavailableError, match=r"nnlib backend 'cupy': CuPy is installed "
                                                      r"but no CUDA device is usable \(no CUDA "
                                                      r"driver\)"):
        set_backend("cupy")
    assert get_backend() == before
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(0))
    with pytest.raises(BackendUnavailableError, match=r"CuPy found 0 CUDA devices"):
        set_backend("cupy")
    assert get_backend() == before
    assert gpu_available() is False


def test_backend_variable_at_import_time():
    # NNLIB_BACKEND=numpy selects NumPy; an unknown name fails at import with the same message.
    code = "import nnlib; print(nnlib.get_backend())"
    env = dict(os.environ, NNLIB_BACKEND="NumPy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy"
    env["NNLIB_BACKEND"] = "torch"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "ValueError: set_backend: expected one of ('numpy', 'cupy'), got 'torch'" in out.stderr
    assert "environment variable NNLIB_BACKEND='torch'; unset it or set NNLIB_BACKEND=numpy" in out.stderr


@pytest.mark.skipif(HAS_GPU, reason="CuPy and a GPU are present: NNLIB_BACKEND=cupy works here")
def test_backend_variable_naming_a_missing_backend_fails_at_import_without_fallback():
    # No silent fallback to NumPy: a run that asked for the GPU must not measure the CPU.
    code = "import nnlib"
    env = dict(os.environ, NNLIB_BACKEND="cupy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "nnlib.backend.BackendUnavailableError: nnlib backend 'cupy'" in out.stderr
    assert "(requested by the environment variable NNLIB_BACKEND='cupy'; unset it" in out.stderr


def test_to_device_and_to_cpu_on_numpy():
    set_backend("numpy")  # (the fixture restores the run's back-end)
    a = np.arange(3.0)
    assert to_device(a) is a  # no copy on NumPy
    b = to_device([1, 2], dtype="float32")
    assert isinstance(b, np.ndarray) and b.dtype == np.float32
    np.testing.assert_array_equal(b, [1.0, 2.0])
    c = to_cpu([[1, 2]])
    assert isinstance(c, np.ndarray) and c.shape == (1, 2)
    assert to_cpu(a) is a


def test_get_array_module_for_numpy_arrays():
    assert get_array_module(np.zeros(2)) is np
    assert get_array_module(np.zeros(2), 3.0, [1]) is np
    assert get_array_module() is np


def test_erf_matches_math_erf():
    x = np.array([-2.0, -0.5, 0.0, 0.3, 1.7])
    np.testing.assert_allclose(backend.erf(x), [math.erf(v) for v in x], rtol=1e-14, atol=1e-16)


def test_public_names():
    for name in ("set_backend", "get_backend", "gpu_available", "to_device", "to_cpu",
                 "get_array_module", "BackendUnavailableError"):
        assert name in nnlib.__all__


@needs_gpu
def test_cupy_backend_round_trip():  # pragma: no cover - GPU only
    import cupy

    set_backend("cupy")
    assert get_backend() == "cupy" and backend.xp() is cupy
    a = to_device(np.arange(4.0), dtype="float32")
    assert isinstance(a, cupy.ndarray) and a.dtype == cupy.float32
    assert get_array_module(a) is cupy
    back = to_cpu(a)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, [0, 1, 2, 3])


@needs_gpu
def test_forward_and_backward_on_cupy_match_numpy():  # pragma: no cover - GPU only
    import cupy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5))
    t = rng.integers(0, 3, 8)
    results = {}
    for name in ("numpy", "cupy"):
        set_backend(name)
        model = mlp([5, 7, 3], "relu", rng=np.random.default_rng(1))
        loss = SoftmaxCrossEntropy()
        xd, td = to_device(x), to_device(t)
        value = loss.forward(model.forward(xd), td)
        model.backward(loss.backward())
        if name == "cupy":
            assert isinstance(model.params["0.W"], cupy.ndarray)
        results[name] = (value, {k: to_cpu(g) for k, g in model.grads.items()})
    assert results["cupy"][0] == pytest.approx(results["numpy"][0], rel=1e-10)
    for k, g in results["numpy"][1].items():
        np.testing.assert_allclose(results["cupy"][1][k], g, rtol=1e-8, atol=1e-12)
