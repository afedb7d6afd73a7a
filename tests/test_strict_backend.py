"""nnlib on the strict back-end: CuPy-like arrays on the CPU (``nnlib._strict``).

The strict arrays refuse implicit conversion to NumPy and mixing with NumPy arrays, as
``cupy.ndarray`` does, so every nnlib code path run here would also run on a GPU as far as
data movement is concerned. Each path is compared with the same computation on NumPy:
same numbers, and every result an array of the back-end (not a NumPy array).
"""

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import nnlib
from nnlib import (ACTIVATIONS, SGD, AdaGrad, Adam, HingeLoss, Linear, MeanSquaredError,
                   Momentum, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, accuracy,
                   check_layer, check_loss, check_model, confusion_matrix, evaluate, fit,
                   get_activation, get_array_module, get_backend, log_softmax, minibatches,
                   mlp, one_hot, set_backend, sigmoid, softmax, to_cpu, to_device)
from nnlib import _strict as strict
from nnlib import backend

IMPLICIT = r"Implicit conversion to a NumPy array is not allowed"
MIXING = r"unsupported type numpy\.ndarray \(a NumPy array mixed with device arrays"


@pytest.fixture
def on_strict():
    before = get_backend()
    set_backend("strict")
    yield strict
    set_backend(before)


@pytest.fixture(autouse=True)
def restore_backend():
    # Restore the back-end the run started with, not NumPy: under NNLIB_BACKEND=cupy every
    # later test module must still run on CuPy.
    before = get_backend()
    yield
    set_backend(before)


def both(fn):
    """Run ``fn()`` on NumPy, then on the strict back-end; return both results on the host.

    ``fn`` builds its model and moves its data with ``to_device``, so the two runs differ
    only in the array module. Every array it returns must belong to the back-end it ran on.
    """
    out, before = {}, get_backend()
    for name in ("numpy", "strict"):
        set_backend(name)
        try:
            result = fn()
        finally:
            set_backend(before)
        expected = np.ndarray if name == "numpy" else strict.ndarray
        out[name] = _host(result, expected)
    return out["numpy"], out["strict"]


def _host(value, expected_type):
    if isinstance(value, dict):
        return {k: _host(v, expected_type) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_host(v, expected_type) for v in value)
    if isinstance(value, (np.ndarray, strict.ndarray)):
        assert type(value) is expected_type, f"a {type(value).__name__} on the {expected_type}"
        return to_cpu(value)
    return value


def assert_same(a, b, rtol=1e-12):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k], rtol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_same(u, v, rtol)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-15)


def data(n=40, d=4, c=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, c, n)


# ----------------------------------------------------------------------------------------
# The strict arrays behave like CuPy's
# ----------------------------------------------------------------------------------------
def test_implicit_conversion_to_numpy_is_refused_with_cupys_message(on_strict):
    a = strict.asarray(np.arange(6.0).reshape(2, 3))
    for convert in (np.asarray, np.array, lambda v: np.testing.assert_allclose(v, 0)):
        with pytest.raises(TypeError, match=IMPLICIT):
            convert(a)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        with pytest.raises(TypeError, match=IMPLICIT):
            ax.plot(a[0])
    finally:
        plt.close(fig)


def test_mixing_with_numpy_arrays_is_refused(on_strict):
    a = strict.asarray(np.arange(3.0))
    host = np.ones(3)
    for mix in (lambda: a + host, lambda: host + a, lambda: a * host, lambda: strict.exp(host),
                lambda: np.concatenate([a, host]), lambda: a.__setitem__(slice(0, 2), host[:2])):
        with pytest.raises(TypeError, match=MIXING):
            mix()
    with pytest.raises(TypeError, match=MIXING):
        a -= host
    np.testing.assert_array_equal(a.get(), [0.0, 1.0, 2.0])  # a failed call changed nothing


def test_explicit_transfers_and_scalars_work(on_strict):
    host = np.arange(4.0)
    a = strict.asarray(host)
    host[0] = 99.0  # host → device is a copy, as on a GPU
    assert type(a) is strict.ndarray and float(a[0]) == 0.0
    back = a.get()
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert to_cpu(a).tolist() == strict.asnumpy(a).tolist() == a.tolist() == [0, 1, 2, 3]
    s = a.sum()
    assert type(s) is strict.ndarray and s.ndim == 0  # reductions stay on the device
    assert type(np.sum(a)) is strict.ndarray and type(a[1]) is strict.ndarray
    assert float(s) == 6.0 and int(a.max()) == 3 and s.item() == 6.0 and f"{s:.1f}" == "6.0"
    assert bool(a[1] > 0.5) and not bool((a > 5).any())
    a[:] = np.full(4, 2.0)  # CuPy's one host path: whole array, same shape and dtype
    assert a.tolist() == [2.0] * 4
    assert pickle.loads(pickle.dumps(a)).tolist() == copy.deepcopy(a).tolist() == [2.0] * 4
    assert type(np.exp(a)) is strict.ndarray and type(np.float32(2) * a) is strict.ndarray


def test_cupy_api_differences_are_enforced(on_strict):
    x = strict.asarray(np.arange(6.0).reshape(3, 2))
    idx = strict.asarray(np.array([2, 0]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'mode'"):
        strict.take(x, idx, axis=0, mode="clip")
    with pytest.raises(TypeError, match="unexpected keyword argument 'mode'"):
        x.take(idx, axis=0, mode="clip")
    out = strict.empty((2, 2))
    assert strict.take(x, idx, axis=0, out=out) is not None
    assert out.tolist() == [[4.0, 5.0], [0.0, 1.0]]
    with pytest.raises(TypeError, match="defines no __index__"):
        range(strict.asarray(3))
    with pytest.raises(AttributeError, match="no attribute 'errstate'"):
        strict.errstate


def test_backend_functions_know_the_strict_arrays(on_strict):
    assert get_backend() == "strict" and backend.xp() is strict
    a = to_device(np.arange(3), dtype="float32")
    assert type(a) is strict.ndarray and a.dtype == np.float32
    assert get_array_module(a) is strict and get_array_module(np.ones(2)) is np
    assert get_array_module(np.ones(2), a) is strict
    np.testing.assert_allclose(to_cpu(backend.erf(a)), [0.0, 0.8427007929, 0.995322265], rtol=1e-6)
    set_backend("numpy")
    assert type(to_device(a)) is np.ndarray  # back to the CPU explicitly


def test_strict_is_a_test_backend_not_a_public_choice():
    with pytest.raises(ValueError, match=r"expected one of \('numpy', 'cupy'\), got 'gpu'"):
        set_backend("gpu")
    code = "import nnlib; print(nnlib.get_backend(), type(nnlib.to_device([1.0])).__module__)"
    env = dict(os.environ, NNLIB_BACKEND="strict")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["strict", "nnlib._strict"]


# ----------------------------------------------------------------------------------------
# nnlib's code paths on the strict back-end: same results as on NumPy
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layers_forward_backward_function_derivative(name):
    x, _ = data(6, 6)

    def run():
        act = get_activation(name)
        xd = to_device(x)
        y = act.forward(xd)
        dx = act.backward(to_device(np.random.default_rng(1).standard_normal(y.shape)))
        out = {"y": y, "dx": dx, "grads": dict(act.grads)}
        if name not in ("maxout", "softmax"):
            out["f"], out["df"] = act.function(xd), act.derivative(xd)
        return out

    assert_same(*both(run))


@pytest.mark.parametrize("loss_name", ["softmax_labels", "softmax_onehot", "mse", "sigmoid_bce",
                                       "hinge"])
def test_losses_forward_backward_predict(loss_name):
    x, t = data(8, 3)

    def run():
        y = to_device(x)
        if loss_name == "softmax_labels":
            loss, target = SoftmaxCrossEntropy(), to_device(t)
        elif loss_name == "softmax_onehot":
            loss, target = SoftmaxCrossEntropy(), one_hot(to_device(t), 3)
        elif loss_name == "mse":
            loss, target = MeanSquaredError(), to_device(x[::-1].copy())
        else:
            y = y[:, :1]
            signs = np.where(t % 2 == 0, 1, -1 if loss_name == "hinge" else 0)
            loss, target = (HingeLoss() if loss_name == "hinge" else SigmoidBinaryCrossEntropy(),
                            to_device(signs))
        value = loss.forward(y, target)
        assert isinstance(value, float)
        out = {"value": value, "dy": loss.backward()}
        if loss.is_classifier:
            out["pred"] = loss.predict(y)
        return out

    assert_same(*both(run))


@pytest.mark.parametrize("opt", [SGD, Momentum, AdaGrad, Adam])
def test_optimizers_update_in_place(opt):
    x, t = data()

    def run():
        model = mlp([4, 6, 3], "relu", rng=np.random.default_rng(0))
        loss, o = SoftmaxCrossEntropy(), opt(0.05)
        for _ in range(3):
            loss.forward(model.forward(to_device(x)), to_device(t))
            model.backward(loss.backward())
            o.update(model.params, model.grads)
        return model.params

    assert_same(*both(run), rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_evaluate_accuracy_predict_confusion(dtype):
    x, t = data(50)
    xt, tt = data(20, seed=1)

    def run():
        model = mlp([4, 8, 3], "tanh", rng=np.random.default_rng(0), dtype=dtype)
        xs, xts = to_device(x, dtype=dtype), to_device(xt, dtype=dtype)
        ts, tts = to_device(t), to_device(tt)
        h = fit(model, SoftmaxCrossEntropy(), Adam(0.01), xs, ts, epochs=3, batch_size=16,
                rng=np.random.default_rng(2), x_test=xts, t_test=tts, progress=False)
        assert h.epoch == [1, 2, 3]
        for v in h.train_loss + h.train_acc + h.test_loss + h.test_acc:
            assert type(v) is float
        loss_value, acc = evaluate(model, SoftmaxCrossEntropy(), xts, tts, batch_size=7)
        cm = confusion_matrix(tts, SoftmaxCrossEntropy.predict(model.predict(xts)))
        assert type(cm) is np.ndarray  # documented: a NumPy array of counts
        return {"hist": [h.train_loss, h.train_acc, h.test_loss, h.test_acc],
                "eval": [loss_value, acc, accuracy(model, xts, tts)], "cm": cm.tolist(),
                "params": model.params, "predict": model.predict(xts, batch_size=8)}

    rtol = 1e-12 if dtype == "float64" else 1e-5
    assert_same(*both(run), rtol=rtol)


def test_list_inputs_go_to_the_device():
    # A learner passes Python lists: forward, predict (in chunks), fit, evaluate and accuracy
    # must move them to where the parameters are instead of mixing NumPy with device arrays.
    x = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.5, 0.5]]
    t = [1, 1, 0, 0, 1]

    def run():
        model = mlp([2, 4, 2], "tanh", rng=np.random.default_rng(0), dtype="float64")
        y = model.forward(x)
        p = model.predict(x, batch_size=2)
        h = fit(model, SoftmaxCrossEntropy(), SGD(0.1), x, t, epochs=2, batch_size=2,
                rng=np.random.default_rng(1), progress=False)
        return {"forward": y, "predict": p, "loss": h.train_loss,
                "eval": list(evaluate(model, SoftmaxCrossEntropy(), x, t)),
                "acc": accuracy(model, x, t), "params": model.params}

    assert_same(*both(run), rtol=1e-12)


def test_fit_reports_divergence_on_the_device():
    x, t = data()

    def run():
        model = mlp([4, 6, 3], "relu", rng=np.random.default_rng(0))
        with pytest.raises(FloatingPointError, match=r"^fit: "):
            fit(model, SoftmaxCrossEntropy(), SGD(1e6), to_device(x * 1e6), to_device(t),
                epochs=5, batch_size=8, rng=np.random.default_rng(0), progress=False,
                eval_train=False)
        return model.params

    assert_same(*both(run))


def test_minibatches_on_the_device():
    x, t = data(10)

    def run():
        return [list(b) for b in minibatches(to_device(x), to_device(t), 4,
                                             rng=np.random.default_rng(3))]

    assert_same(*both(run))


def test_functions_on_the_device():
    x, t = data(5, 3)

    def run():
        xd = to_device(x)
        return [softmax(xd), log_softmax(xd), sigmoid(xd, 2.0), one_hot(to_device(t), 3)]

    assert_same(*both(run))


def test_gradient_checks_on_the_device():
    x, t = data(5, 3)

    def run():
        rng = np.random.default_rng(0)
        layer = Linear(3, 2, rng=rng)
        model = mlp([3, 4, 3], "sigmoid", rng=rng)
        errors = {"layer": check_layer(layer, to_device(x), np.random.default_rng(1)),
                  "model": check_model(model, SoftmaxCrossEntropy(), to_device(x), to_device(t)),
                  "loss": check_loss(SoftmaxCrossEntropy(), to_device(x), to_device(t))}
        for e in [*errors["layer"].values(), *errors["model"].values(), errors["loss"]]:
            assert type(e) is float and e < 1e-6
        return errors

    assert_same(*both(run), rtol=1e-3)


def test_from_weights_and_summary_on_the_device(on_strict):
    layer = Linear.from_weights([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5])
    assert type(layer.params["W"]) is strict.ndarray
    y = layer.forward(strict.asarray(np.array([[1.0, 1.0]])))
    assert y.tolist() == [[4.5, 5.5]]
    model = mlp([2, 3, 2], "relu", rng=np.random.default_rng(0))
    assert "Total params: 17" in model.summary()


# ----------------------------------------------------------------------------------------
# Explorers (their compute and drawing paths) with the strict back-end selected
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", ["activation", "descent", "neuron"])
def test_explorers_compute_and_draw(on_strict, make):
    from nnlib.widgets import activation, descent, neuron

    explorer = {"activation": lambda: activation.ActivationExplorer("gelu"),
                "descent": lambda: descent.GradientDescentExplorer(lr=0.01, steps=5),
                "neuron": lambda: neuron.NeuronExplorer("AND")}[make]()
    assert explorer.png()[:8] == b"\x89PNG\r\n\x1a\n"


def host_runs(fn):
    """``fn()`` on NumPy, then on the strict back-end; both results as returned (host data)."""
    out, before = [], get_backend()
    for name in ("numpy", "strict"):
        set_backend(name)
        try:
            out.append(fn())
        finally:
            set_backend(before)
    return out


def test_playground_trains_on_numpy_whatever_the_backend(on_strict):
    # The playground's data, drawings and JavaScript mirror are on the host: it builds and
    # trains on NumPy under any back-end, with results identical to a NumPy run, and it
    # restores the selected back-end afterwards.
    from nnlib.widgets import playground

    result = playground.train_playground("moons", 6, 2, "relu", 0.05, 10, 40, "adam", 1)
    assert get_backend() == "strict"
    model = playground.playground_model(4, 1, "prelu", 0)
    assert get_backend() == "strict"
    assert all(type(p) is np.ndarray for p in model.params.values())
    assert all(type(p) is np.ndarray for p in result["model"].params.values())
    set_backend("numpy")
    expected = playground.train_playground("moons", 6, 2, "relu", 0.05, 10, 40, "adam", 1)
    for key in ("x", "t", "loss_steps", "loss_history", "grid_x", "grid_y", "proba"):
        assert type(result[key]) is np.ndarray
        np.testing.assert_array_equal(result[key], expected[key])  # bit for bit
    assert result["accuracy"] == expected["accuracy"]
    assert [p.tolist() for p in result["model"].params.values()] == \
        [p.tolist() for p in expected["model"].params.values()]


def test_playground_restores_the_backend_after_a_failure(on_strict):
    from nnlib.widgets import playground

    with pytest.raises(ValueError, match="train_playground: unknown data set 'iris'"):
        playground.train_playground("iris")
    with pytest.raises(ValueError):
        playground.playground_model(4, 1, "no_such_activation", 0)
    assert get_backend() == "strict"


@pytest.mark.parametrize("name", ["prelu", "swish", "maxout", "sigmoid"])
def test_activation_explorer_on_a_device_backend_matches_numpy(name):
    from nnlib.widgets import activation

    def run():
        explorer = activation.ActivationExplorer(name)
        state = explorer.compute(name=name, gain=2.0, alpha=0.2, beta=1.5, k=4)
        assert explorer.png()[:4] == b"\x89PNG"
        for key in ("x", "y", "dy"):
            assert type(state[key]) is np.ndarray  # drawn from the host
        return {key: state[key] for key in ("x", "y", "dy")}

    numpy_run, strict_run = host_runs(run)
    for key in numpy_run:
        np.testing.assert_array_equal(strict_run[key], numpy_run[key])


# ----------------------------------------------------------------------------------------
# Plotting with the strict back-end selected: device models, NumPy grids
# ----------------------------------------------------------------------------------------
def _figure_data(fig):
    """What a figure draws: the arrays of its lines, filled contours and scatter points."""
    import matplotlib.pyplot as plt

    out = []
    for ax in fig.axes:
        out += [np.asarray(line.get_xydata()) for line in ax.get_lines()]
        out += [np.asarray(c.get_offsets()) for c in ax.collections]
        out += [np.concatenate([np.asarray(p.vertices) for p in c.get_paths()] or [np.zeros(0)],
                               axis=None) for c in ax.collections if hasattr(c, "get_paths")]
    plt.close(fig)
    return out


@pytest.mark.parametrize("proba", [False, True])
def test_plot_decision_regions_with_a_device_model(proba):
    from nnlib.plotting import plot_decision_regions

    x, t = data(30, 2, 2)

    def run():
        model = mlp([2, 5, 2], "tanh", rng=np.random.default_rng(0))
        seen = []

        def predict(grid):
            seen.append(type(grid))
            scores = model.predict(grid)
            return softmax(scores)[:, 1] if proba else scores.argmax(axis=1)

        fig = plot_decision_regions(predict, x, t, resolution=25, proba=proba)
        assert seen == [type(to_device(np.zeros(1)))]  # the grid came on the back-end
        return _figure_data(fig)

    numpy_run, strict_run = host_runs(run)
    assert len(numpy_run) == len(strict_run) > 0
    for a, b in zip(numpy_run, strict_run):
        np.testing.assert_array_equal(b, a)


def test_plot_decision_regions_takes_device_data(on_strict):
    from nnlib.plotting import plot_decision_regions

    x, t = data(20, 2, 2)
    model = mlp([2, 4, 2], "relu", rng=np.random.default_rng(0))
    fig = plot_decision_regions(lambda g: model.predict(g).argmax(axis=1), to_device(x),
                                to_device(t), resolution=10)
    assert len(_figure_data(fig)) > 0


def test_plot_activation_and_plot_function_with_device_parameters():
    from nnlib.plotting import plot_activation, plot_function

    def run():
        act = get_activation("prelu", alpha=0.3)
        figs = [plot_activation(act),
                plot_function(lambda v: v * act.function(v), [-1.0, 0.5, 2.0])]
        return [a for fig in figs for a in _figure_data(fig)]

    numpy_run, strict_run = host_runs(run)
    assert len(numpy_run) == len(strict_run) > 0
    for a, b in zip(numpy_run, strict_run):
        np.testing.assert_array_equal(b, a)


def test_digit_explorer_with_a_device_model_and_numpy_images():
    from nnlib.widgets import digits

    images = np.random.default_rng(0).uniform(0, 1, (12, 784))
    labels = np.arange(12) % 10

    def run():
        explorer = digits.DigitExplorer(digits.load_bundled_model(), images, labels, index=3)
        state = explorer.compute(index=5)
        assert explorer.png()[:4] == b"\x89PNG"
        return {"misclassified": explorer.misclassified, "scores": state["scores"],
                "probabilities": state["probabilities"], "predicted": state["predicted"]}

    numpy_run, strict_run = host_runs(run)
    for key in numpy_run:
        np.testing.assert_array_equal(strict_run[key], numpy_run[key])


def test_views_know_the_array_they_were_made_from(on_strict):
    import nnlib.backend as B

    xp = B.get_array_module(to_device(np.zeros(1)))
    flat = xp.zeros(10)
    view = flat[2:8].reshape(2, 3)
    assert view.base is flat and flat[1:3].base is flat  # as cupy.ndarray.base
    assert flat.base is None


@pytest.mark.parametrize("make_opt", [lambda: SGD(0.1), lambda: Adam(0.01)])
def test_fit_uses_the_whole_buffer_update_on_the_device(make_opt):
    """mlp's flat storage and fit's whole-buffer update work on device arrays, and give
    NumPy's numbers."""
    x, t = data(50)

    def run():
        model = mlp([4, 8, 3], "relu", rng=np.random.default_rng(0), dtype="float64")
        assert model._flat_buffers(model.params, model.grads) is not None
        opt = make_opt()
        fit(model, SoftmaxCrossEntropy(), opt, to_device(x), to_device(t), epochs=2,
            batch_size=16, rng=np.random.default_rng(2), progress=False, eval_train=False)
        state = {k: v for name in opt._state_names for k, v in getattr(opt, name).items()}
        return {"params": model.params, "grads": model.grads, "state": state}

    assert_same(*both(run), rtol=1e-12)
