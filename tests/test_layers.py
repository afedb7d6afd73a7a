"""Linear, Sequential and mlp: values, initialisation, summary and input errors.

The backward passes are gradient-checked in ``test_gradcheck.py``.
"""

import math

import numpy as np
import pytest

from nnlib import (Linear, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh,
                   get_activation, mlp)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_linear_forward_worked_example():
    # u = x W + b with x = (1, 2), W = [[1, 2, 3], [4, 5, 6]], b = (0.5, 0, -1):
    #   u_1 = 1*1 + 2*4 + 0.5 = 9.5;  u_2 = 1*2 + 2*5 + 0 = 12;  u_3 = 1*3 + 2*6 - 1 = 14
    layer = Linear.from_weights([[1, 2, 3], [4, 5, 6]], [0.5, 0, -1])
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 2.0]])), [[9.5, 12.0, 14.0]])


def test_linear_backward_worked_example():
    # dW = x^T dout, db = sum of dout over the batch, dx = dout W^T
    layer = Linear.from_weights([[1.0, 2.0], [3.0, 4.0]], [0.0, 0.0])
    layer.forward(np.array([[1.0, 0.0], [2.0, 1.0]]))
    dx = layer.backward(np.array([[1.0, -1.0], [0.5, 2.0]]))
    # dW[i, j] = sum_n x[n, i] dout[n, j]: [[1*1 + 2*0.5, 1*(-1) + 2*2], [0 + 1*0.5, 0 + 1*2]]
    np.testing.assert_array_equal(layer.grads["W"], [[2.0, 3.0], [0.5, 2.0]])
    np.testing.assert_array_equal(layer.grads["b"], [1.5, 1.0])
    # dx[0] = (1*1 + (-1)*2, 1*3 + (-1)*4) = (-1, -1); dx[1] = (0.5 + 4, 1.5 + 8) = (4.5, 9.5)
    np.testing.assert_array_equal(dx, [[-1.0, -1.0], [4.5, 9.5]])


def test_from_weights_copies_and_can_omit_the_bias():
    W = np.array([[1.0], [2.0]])
    layer = Linear.from_weights(W)
    assert set(layer.params) == {"W"} and set(layer.grads) == {"W"}
    layer.params["W"][0, 0] = 99.0
    assert W[0, 0] == 1.0  # the caller's array is not shared
    assert repr(layer) == "Linear(2→1)"


def test_from_weights_errors():
    with pytest.raises(ValueError, match=r"Linear.from_weights: expected b of shape \(3,\), "
                                         r"got \(2,\)"):
        Linear.from_weights(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"Linear.from_weights: expected W to be 2-D, "
                                         r"got shape \(3,\)"):
        Linear.from_weights(np.zeros(3))


def test_params_and_grads_have_the_same_keys_and_shapes(rng):
    layer = Linear(5, 3, rng=rng)
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    assert layer.params["W"].shape == (5, 3) and layer.params["b"].shape == (3,)
    assert all(layer.grads[k].shape == p.shape for k, p in layer.params.items())
    assert layer.n_params == 5 * 3 + 3
    np.testing.assert_array_equal(layer.params["b"], 0.0)


@pytest.mark.parametrize("init, expected_std", [
    ("he", math.sqrt(2 / 400)),             # N(0, 2 / fan_in)
    ("xavier", math.sqrt(2 / (400 + 300))),  # N(0, 2 / (fan_in + fan_out))
    ("normal", 0.05),                        # N(0, std^2) with std=0.05
])
def test_initialisation_scale(init, expected_std):
    W = Linear(400, 300, init=init, std=0.05, rng=np.random.default_rng(1)).params["W"]
    # 120,000 draws: the sample std is within 1 % of the true one with overwhelming probability
    assert W.std() == pytest.approx(expected_std, rel=0.01)
    assert abs(W.mean()) < 5 * expected_std / math.sqrt(W.size)  # five standard errors


def test_zero_initialisation_needs_no_rng():
    layer = Linear(3, 2, init="zeros")
    np.testing.assert_array_equal(layer.params["W"], np.zeros((3, 2)))


def test_initialisation_is_reproducible_from_the_seed():
    a = Linear(4, 3, rng=np.random.default_rng(7)).params["W"]
    b = Linear(4, 3, rng=np.random.default_rng(7)).params["W"]
    c = Linear(4, 3, rng=np.random.default_rng(8)).params["W"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dtype_float32(rng):
    layer = Linear(3, 2, rng=rng, dtype="float32")
    assert layer.params["W"].dtype == np.float32 and layer.grads["b"].dtype == np.float32
    assert layer.forward(np.ones((1, 3), dtype=np.float32)).dtype == np.float32


def test_unknown_init_names_the_choices(rng):
    with pytest.raises(ValueError, match=r"Linear: unknown init 'glorot'; expected one of "
                                         r"\('he', 'xavier', 'normal', 'zeros'\)"):
        Linear(3, 2, init="glorot", rng=rng)


def test_missing_rng_says_what_to_pass():
    with pytest.raises(TypeError, match=r"Linear: init='he' needs rng=numpy.random.Generator "
                                        r"\(e.g. np.random.default_rng\(0\)\), got NoneType"):
        Linear(3, 2)
    with pytest.raises(TypeError, match=r"got int"):
        Linear(3, 2, rng=0)


@pytest.mark.parametrize("n_in, n_out", [(0, 2), (3, -1), (2.5, 2)])
def test_bad_sizes(n_in, n_out, rng):
    with pytest.raises(ValueError, match=r"Linear: expected (in|out)_features to be a positive "
                                         r"integer, got"):
        Linear(n_in, n_out, rng=rng)


def _snapshot(layer):
    return {k: v.copy() for k, v in layer.params.items()}, layer._x


@pytest.mark.parametrize("x, message", [
    (np.ones((5, 4)), r"Linear\(3→2\): expected input of shape \(N, 3\), got \(5, 4\)"),
    (np.ones(3), r"Linear\(3→2\): expected input of shape \(N, 3\), got \(3,\)"),
    (np.ones((2, 3), dtype=np.uint8),
     r"Linear\(3→2\): expected x as floating point \(float32 or float64\), got dtype uint8; "
     r"convert it first, e.g. x.astype\(np.float32\) / 255"),
    ([[1.0, 2.0, 3.0]], r"expected input of shape \(N, 3\), got list"),
])
def test_linear_rejects_bad_input_without_changing_state(x, message, rng):
    layer = Linear(3, 2, rng=rng)
    good = np.ones((1, 3))
    layer.forward(good)
    params, cached = _snapshot(layer)
    with pytest.raises((ValueError, TypeError), match=message):
        layer.forward(x)
    assert layer._x is cached
    for k in params:
        np.testing.assert_array_equal(layer.params[k], params[k])


def test_linear_backward_errors(rng):
    layer = Linear(3, 2, rng=rng)
    with pytest.raises(RuntimeError, match=r"Linear\(3→2\): backward called before forward"):
        layer.backward(np.ones((1, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"expected dout of shape \(4, 2\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_linear_backward_does_not_modify_dout(rng):
    layer = Linear(3, 2, rng=rng)
    layer.forward(np.ones((4, 3)))
    dout = np.arange(8.0).reshape(4, 2)
    layer.backward(dout)
    np.testing.assert_array_equal(dout, np.arange(8.0).reshape(4, 2))


def test_gradient_buffers_are_reused(rng):
    # backward overwrites the same arrays, so references held by an optimizer stay valid
    layer = Linear(3, 2, rng=rng)
    gW = layer.grads["W"]
    layer.forward(np.ones((1, 3)))
    layer.backward(np.ones((1, 2)))
    assert layer.grads["W"] is gW
    np.testing.assert_array_equal(gW, np.ones((3, 2)))


# Sequential

def test_sequential_params_are_the_layers_own_arrays(rng):
    model = Sequential(Linear(2, 3, rng=rng), ReLU(), Linear(3, 1, bias=False, rng=rng))
    assert list(model.params) == ["0.W", "0.b", "2.W"]
    assert model.params.keys() == model.grads.keys()
    assert model.params["2.W"] is model[2].params["W"]
    assert model.grads["0.b"] is model[0].grads["b"]
    assert len(model) == 3 and model.n_params == 2 * 3 + 3 + 3


def test_sequential_forward_composes_layers():
    # x = (1, -2): u = x W1 = (1, -2) [[1, 0], [0, 1]] = (1, -2); ReLU -> (1, 0); y = 1*2 + 0*3 = 2
    model = Sequential(Linear.from_weights(np.eye(2)), ReLU(), Linear.from_weights([[2.0], [3.0]]))
    np.testing.assert_array_equal(model.forward(np.array([[1.0, -2.0]])), [[2.0]])
    np.testing.assert_array_equal(model.predict([[1.0, -2.0]]), [[2.0]])  # lists are accepted


def test_sequential_accepts_a_list_and_rejects_non_layers(rng):
    assert len(Sequential([Linear(2, 2, rng=rng), Tanh()])) == 2
    with pytest.raises(TypeError, match=r"Sequential: expected Layer objects, got ufunc at "
                                        r"position 1"):
        Sequential(Linear(2, 2, rng=rng), np.tanh)


def test_predict_in_chunks_equals_forward(rng):
    model = mlp([3, 4, 2], "tanh", rng=rng)
    x = rng.standard_normal((23, 3))
    np.testing.assert_allclose(model.predict(x, batch_size=5), model.forward(x), rtol=1e-14)


@pytest.mark.parametrize("bad, exc, message", [
    (np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 0.0]]), ValueError,
     r"Sequential.predict: expected finite values in x, got 1 NaN and 1 inf among 6 entries"),
    (np.zeros((0, 3)), ValueError,
     r"Sequential.predict: expected at least one sample in x, got an empty batch of shape "
     r"\(0, 3\)"),
    (np.zeros((2, 3), dtype=np.uint8), TypeError,
     r"Sequential.predict: expected x as floating point .* got dtype uint8"),
    (np.zeros(3), ValueError, r"Sequential.predict: expected x to be 2-D, got shape \(3,\)"),
    (np.zeros((2, 5)), ValueError, r"Linear\(3→4\): expected input of shape \(N, 3\), "
                                   r"got \(2, 5\)"),
])
def test_predict_rejects_bad_input(bad, exc, message, rng):
    model = mlp([3, 4, 2], "relu", rng=rng)
    model.predict(np.ones((2, 3)))
    before = {k: v.copy() for k, v in model.params.items()}
    cached = [layer._x for layer in model.layers]
    with pytest.raises(exc, match=message):
        model.predict(bad)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])
    # rejected before any layer stored its input: the caches are those of the good call
    assert all(layer._x is c for layer, c in zip(model.layers, cached))


def test_summary_of_the_mnist_network(rng):
    model = mlp([784, 128, 64, 10], "relu", rng=rng, dtype="float32")
    text = model.summary()
    # 784*128 + 128 = 100,480;  128*64 + 64 = 8,256;  64*10 + 10 = 650
    # total 100,480 + 8,256 + 650 = 109,386
    assert model.n_params == 109_386
    assert text.splitlines()[-1] == "Total params: 109,386"
    lines = text.splitlines()
    assert lines[0].split() == ["#", "Layer", "Output", "shape", "Params"]
    expected_rows = [
        ["0", "Linear(784→128)", "(N,", "128)", "100,480"],
        ["1", "ReLU()", "(N,", "128)", "0"],
        ["2", "Linear(128→64)", "(N,", "64)", "8,256"],
        ["3", "ReLU()", "(N,", "64)", "0"],
        ["4", "Linear(64→10)", "(N,", "10)", "650"],
    ]
    assert [line.split() for line in lines[2:7]] == expected_rows


def test_summary_follows_maxout_width(rng):
    model = Sequential(Linear(4, 6, rng=rng), get_activation("maxout", k=3), Linear(2, 1, rng=rng))
    assert "(N, 2)" in model.summary().splitlines()[3]  # 6 pieces / k=3 -> 2 units
    assert model.output_width(4) == 1


def test_mlp_structure_and_default_init(rng):
    model = mlp([5, 4, 3, 2], "sigmoid", rng=rng)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]  # none after the output
    assert model[0].init == "xavier" and mlp([5, 2], "relu", rng=rng)[0].init == "he"
    assert mlp([5, 3, 2], "sigmoid", rng=rng, gain=4)[1].gain == 4.0  # kwargs reach activations
    assert isinstance(mlp([2, 3, 1], Sigmoid(), rng=rng)[1], Sigmoid)


def test_mlp_needs_two_sizes(rng):
    with pytest.raises(ValueError, match=r"mlp: expected at least two sizes \(input and output\), "
                                         r"got \[3\]"):
        mlp([3], rng=rng)


def test_backward_without_input_gradient_gives_the_same_parameter_gradients(rng):
    model = mlp([3, 4, 2], "tanh", rng=rng)
    loss = SoftmaxCrossEntropy()
    x, t = rng.standard_normal((5, 3)), np.array([0, 1, 1, 0, 1])
    loss.forward(model.forward(x), t)
    model.backward(loss.backward())
    full = {k: g.copy() for k, g in model.grads.items()}
    loss.forward(model.forward(x), t)
    assert model.backward(loss.backward(), input_grad=False) is None  # dL/dx skipped
    for k, g in model.grads.items():
        np.testing.assert_array_equal(g, full[k])


def test_sequential_backward_returns_input_gradient(rng):
    model = mlp([3, 4, 2], "tanh", rng=rng)
    loss = SoftmaxCrossEntropy()
    x = rng.standard_normal((5, 3))
    loss.forward(model.forward(x), np.array([0, 1, 1, 0, 1]))
    dx = model.backward(loss.backward())
    assert dx.shape == x.shape


# Dropout and training / evaluation mode

def test_dropout_worked_example():
    from nnlib import Dropout

    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.arange(1.0, 9.0).reshape(2, 4)
    y = layer.forward(x)
    mask = layer._mask
    # each entry is dropped (0) or kept and scaled by 1 / (1 - 0.5) = 2
    assert set(np.unique(mask).tolist()) <= {0.0, 2.0} and 0 < (mask == 0).sum() < 8
    np.testing.assert_array_equal(y, x * mask)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), mask)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x), x)  # identity in evaluation mode
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))


def test_dropout_keeps_the_expected_value():
    from nnlib import Dropout

    y = Dropout(0.3, rng=np.random.default_rng(1)).forward(np.ones((200, 500)))
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout: E[y] = x


def test_dropout_gradient_check_with_a_fixed_mask(rng):
    from nnlib import Dropout, check_layer

    layer = Dropout(0.4, rng=np.random.default_rng(2))
    fixed = layer._new_mask(np.empty((5, 6)))
    layer._new_mask = lambda x: fixed  # the same mask for every forward of the check
    errors = check_layer(layer, rng.standard_normal((5, 6)), rng)
    assert errors["x"] < 1e-8
    assert (fixed == 0).any()


@pytest.mark.parametrize("p, rng_arg, exc, message", [
    (1.0, np.random.default_rng(0), ValueError, r"Dropout: expected a drop probability 0 <= p < 1, got 1.0"),
    (-0.1, np.random.default_rng(0), ValueError, r"Dropout: expected a drop probability 0 <= p < 1, got -0.1"),
    (True, np.random.default_rng(0), ValueError, r"got True"),
    (0.5, None, TypeError, r"Dropout: expected rng=numpy.random.Generator"),
], ids=["p=1", "negative", "bool", "no-rng"])
def test_dropout_errors(p, rng_arg, exc, message):
    from nnlib import Dropout

    with pytest.raises(exc, match=message):
        Dropout(p, rng=rng_arg)


def test_train_eval_switch_every_layer_and_predict_restores_the_mode(rng):
    from nnlib import Dropout

    inner = Sequential(Linear(3, 3, rng=rng), Dropout(0.5, rng=rng))
    model = Sequential(Linear(4, 3, rng=rng), Dropout(0.5, rng=rng), inner)
    assert model.eval() is model
    assert not model.training and not model[1].training and not inner[1].training
    assert model.train() is model
    assert model[1].training and inner[1].training
    x = rng.standard_normal((6, 4))
    # predict runs in evaluation mode (deterministic: no dropout) and leaves training mode on
    p1, p2 = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(p1, p2)
    assert model[1].training and inner[1].training
    model.eval()
    np.testing.assert_array_equal(model.forward(x), p1)
    model.predict(x)
    assert not model[1].training


def test_the_same_layer_twice_is_rejected(rng):
    relu = ReLU()
    lin = Linear(2, 2, rng=rng)
    with pytest.raises(ValueError, match=r"Sequential: the same layer object ReLU\(\) appears twice "
                                         r"\(positions 1 and 3 among the layers\)"):
        Sequential(lin, relu, Linear(2, 2, rng=rng), relu)
    with pytest.raises(ValueError, match=r"the same layer object Linear\(2→2\) appears twice"):
        Sequential(lin, Sequential(ReLU(), lin))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_forward_rejects_non_finite_input_like_predict(value, rng):
    model = Sequential(Linear(2, 2, rng=rng))
    x = np.ones((3, 2))
    x[1, 0] = value
    with pytest.raises(ValueError, match=r"Sequential.forward: expected finite values in x, got "):
        model.forward(x)
