"""Gradient checks: every layer, every activation and every loss against central differences.

All in float64 with ``eps = 1e-6``; the analytic gradient must agree to a relative error
below 1e-7. Inputs are drawn away from kinks (ReLU-like at 0, hard_tanh at ±1,
hard_sigmoid at ±2, the margin of the hinge loss, ties inside a Maxout group), where a
central difference straddling the kink would be meaningless.

The module also tests the checking tools themselves: a deliberately wrong ``backward``
must be caught.
"""

import math

import numpy as np
import pytest

from nnlib import (ACTIVATIONS, HingeLoss, Layer, Linear, MeanSquaredError, Sequential,
                   SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, check_layer, check_loss,
                   check_model, get_activation, mlp, numerical_gradient, one_hot,
                   relative_error)
from nnlib import losses as losses_module

TOL = 1e-7


def away_from(x, kinks, margin=0.1):
    """Move entries closer than ``margin`` to a kink outwards by ``margin``, keeping their side."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        d = x - k
        near = np.abs(d) < margin
        x[near] = k + d[near] + np.where(d[near] >= 0, margin, -margin)
    return x


def maxout_input(rng, n, d, k):
    """(n, d*k) inputs whose k pieces per unit differ by at least 0.25 (no ties)."""
    base = rng.uniform(-2, 2, (n, d, 1))
    ranks = rng.permuted(np.tile(np.arange(k), (n, d, 1)), axis=2)
    return (base + 0.25 * ranks).reshape(n, d * k)


# name, constructor kwargs, kinks of the function (points to stay away from)
ACTIVATION_CASES = [
    ("identity", {}, []),
    ("step", {}, [0.0]),
    ("sigmoid", {}, []),
    ("sigmoid", {"gain": 5.0}, []),
    ("tanh", {}, []),
    ("hard_sigmoid", {}, [-2.0, 2.0]),
    ("hard_tanh", {}, [-1.0, 1.0]),
    ("relu", {}, [0.0]),
    ("leaky_relu", {"alpha": 0.1}, [0.0]),
    ("prelu", {"alpha": 0.2}, [0.0]),
    ("prelu", {"alpha": 0.3, "num_parameters": 5}, [0.0]),
    ("elu", {"alpha": 1.5}, [0.0]),
    ("softplus", {}, []),
    ("swish", {"beta": 1.5}, []),
    ("swish", {"beta": 0.7, "learn_beta": True}, []),
    ("gelu", {"approximate": "none"}, []),
    ("gelu", {"approximate": "tanh"}, []),
    ("softmax", {}, []),
]


def _case_id(case):
    name, kwargs = case[0], case[1]
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("name, kwargs, kinks", ACTIVATION_CASES,
                         ids=[_case_id(c) for c in ACTIVATION_CASES])
def test_activation_backward_matches_numerical_gradient(name, kwargs, kinks):
    rng = np.random.default_rng(1)
    act = get_activation(name, **kwargs)
    x = away_from(rng.uniform(-3, 3, (4, 5)), kinks)
    errors = check_layer(act, x, rng)
    # Learned parameters are checked too: PReLU's alpha, Swish's beta.
    assert set(errors) == {"x", *act.params}
    assert max(errors.values()) < TOL, errors


def test_learned_parameters_are_part_of_the_check():
    assert set(get_activation("prelu").params) == {"alpha"}
    assert set(get_activation("swish", learn_beta=True).params) == {"beta"}
    assert get_activation("swish").params == {}


@pytest.mark.parametrize("k", [2, 3])
def test_maxout_backward_matches_numerical_gradient(k):
    rng = np.random.default_rng(2)
    x = maxout_input(rng, 4, 3, k)
    errors = check_layer(get_activation("maxout", k=k), x, rng)
    assert errors["x"] < TOL


def test_every_activation_is_gradient_checked():
    covered = {c[0] for c in ACTIVATION_CASES} | {"maxout"}
    assert covered == set(ACTIVATIONS)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_linear_backward_matches_numerical_gradient(bias):
    rng = np.random.default_rng(3)
    layer = Linear(4, 3, bias=bias, init="normal", std=1.0, rng=rng)
    if bias:
        layer.params["b"][...] = rng.standard_normal(3)
    errors = check_layer(layer, rng.standard_normal((5, 4)), rng)
    assert set(errors) == ({"x", "W", "b"} if bias else {"x", "W"})
    assert max(errors.values()) < TOL, errors


def test_sequential_as_a_layer_matches_numerical_gradient():
    rng = np.random.default_rng(4)
    model = Sequential(Linear(3, 6, rng=rng), get_activation("maxout", k=2),
                       get_activation("prelu", alpha=0.2), Linear(3, 4, rng=rng),
                       get_activation("swish", learn_beta=True), Linear(4, 3, rng=rng),
                       get_activation("softmax"))
    errors = check_layer(model, rng.standard_normal((5, 3)), rng)
    assert set(errors) == {"x", "0.W", "0.b", "2.alpha", "3.W", "3.b", "4.beta", "5.W", "5.b"}
    assert max(errors.values()) < TOL, errors


# Losses: name, loss, (y, t) builder. Hinge scores keep |1 - t s| > 0.1 (no margin kink).
def _scores(rng, n=6, c=4):
    return rng.standard_normal((n, c)) * 2


def _hinge_data(rng, shape):
    t = rng.choice([-1.0, 1.0], size=6)
    # t * s = margin: three samples inside the margin (active), three beyond it (zero loss)
    margin = rng.permutation(np.concatenate([rng.uniform(-1, 0.9, 3), rng.uniform(1.1, 3, 3)]))
    return (t * margin).reshape(shape), t


LOSS_CASES = {
    "mse-2d": (MeanSquaredError, lambda r: (_scores(r), r.standard_normal((6, 4)))),
    "mse-1d": (MeanSquaredError, lambda r: (r.standard_normal(6), r.standard_normal(6))),
    "softmax_ce-labels": (SoftmaxCrossEntropy, lambda r: (_scores(r), r.integers(0, 4, 6))),
    "softmax_ce-one_hot": (SoftmaxCrossEntropy,
                           lambda r: (_scores(r), one_hot(r.integers(0, 4, 6), 4))),
    "softmax_ce-soft_targets": (SoftmaxCrossEntropy,
                                lambda r: (_scores(r), r.dirichlet(np.ones(4), 6))),
    "sigmoid_bce-column": (SigmoidBinaryCrossEntropy,
                           lambda r: (_scores(r, c=1), r.integers(0, 2, (6, 1)))),
    "sigmoid_bce-flat": (SigmoidBinaryCrossEntropy,
                         lambda r: (_scores(r, c=1).ravel(), r.integers(0, 2, 6))),
    "hinge-column": (HingeLoss, lambda r: _hinge_data(r, (6, 1))),
    "hinge-flat": (HingeLoss, lambda r: _hinge_data(r, (6,))),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_backward_matches_numerical_gradient(case):
    cls, make = LOSS_CASES[case]
    y, t = make(np.random.default_rng(5))
    loss = cls()
    loss.forward(y, t)
    assert loss.backward().shape == y.shape
    assert check_loss(loss, y, t) < TOL


def test_every_loss_is_gradient_checked():
    classes = {getattr(losses_module, n) for n in losses_module.__all__} - {losses_module.Loss}
    assert {c for c, _ in LOSS_CASES.values()} == classes


def test_hinge_data_has_both_active_and_inactive_samples():
    # Otherwise the hinge check would not exercise the zero branch of max(0, 1 - t s).
    y, t = _hinge_data(np.random.default_rng(5), (6,))
    margin = t * y
    assert (margin > 1.1).any() and (margin < 0.9).any()


MODEL_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish",
                     "gelu"]


@pytest.mark.parametrize("activation", MODEL_ACTIVATIONS)
def test_mlp_end_to_end_matches_numerical_gradient(activation):
    rng = np.random.default_rng(6)
    model = mlp([3, 5, 4, 3], activation, rng=rng)
    for layer in model.layers:  # non-zero biases, so their gradients are tested too
        if "b" in layer.params:
            layer.params["b"][...] = 0.1 * rng.standard_normal(layer.params["b"].shape)
    x = rng.standard_normal((7, 3))
    errors = check_model(model, SoftmaxCrossEntropy(), x, rng.integers(0, 3, 7))
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("case", ["mse-2d", "softmax_ce-one_hot", "sigmoid_bce-column",
                                  "hinge-column"])
def test_mlp_with_each_loss_matches_numerical_gradient(case):
    cls, make = LOSS_CASES[case]
    rng = np.random.default_rng(7)
    y, t = make(rng)
    model = mlp([2, 5, y.shape[1]], "tanh", rng=rng)
    errors = check_model(model, cls(), rng.standard_normal((y.shape[0], 2)), t)
    assert max(errors.values()) < TOL, errors


# The tools themselves.

def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    # d/dx sum(x^2) = 2x
    assert numerical_gradient(lambda: float((x ** 2).sum()), x) == pytest.approx(2 * x, abs=1e-8)
    # d/dx sum(sin x) = cos x
    expected = np.array([[math.cos(1.0), math.cos(-2.0)], [math.cos(0.5), math.cos(3.0)]])
    assert numerical_gradient(lambda: float(np.sin(x).sum()), x) == pytest.approx(expected,
                                                                                 abs=1e-8)


def test_numerical_gradient_restores_its_input():
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    numerical_gradient(lambda: float((x ** 3).sum()), x)
    np.testing.assert_array_equal(x, before)


def test_relative_error_values():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    # ||a - (-a)|| / (||a|| + ||a||) = 2||a|| / 2||a|| = 1
    assert relative_error(np.array([3.0, 4.0]), np.array([-3.0, -4.0])) == pytest.approx(1.0)
    # ||(1, 0) - (0, 1)|| / (1 + 1) = sqrt(2) / 2
    assert relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(
        math.sqrt(2) / 2)


class _WrongLinear(Linear):
    """dx is twice what it should be (a typical slip: a stray factor)."""

    def backward(self, dout):
        return 2 * super().backward(dout)


class _NoBiasGradient(Linear):
    """Forgets the bias gradient."""

    def backward(self, dx):
        out = super().backward(dx)
        self.grads["b"][...] = 0
        return out


def test_check_layer_catches_a_wrong_backward():
    rng = np.random.default_rng(8)
    layer = _WrongLinear(3, 2, init="normal", std=1.0, rng=rng)
    errors = check_layer(layer, rng.standard_normal((4, 3)), rng)
    # analytic = 2 * numerical: ||2g - g|| / (||2g|| + ||g||) = 1/3
    assert errors["x"] == pytest.approx(1 / 3, rel=1e-6)
    assert errors["W"] < TOL  # the parameter gradients are still right


def test_check_model_catches_a_missing_gradient():
    rng = np.random.default_rng(9)
    model = Sequential(_NoBiasGradient(2, 3, rng=rng), get_activation("tanh"),
                       Linear(3, 2, rng=rng))
    errors = check_model(model, SoftmaxCrossEntropy(), rng.standard_normal((5, 2)),
                         rng.integers(0, 2, 5))
    # analytic 0 against a non-zero numerical gradient: relative error exactly 1
    assert errors["0.b"] == pytest.approx(1.0)
    assert errors["0.W"] < TOL and errors["2.W"] < TOL


class _WrongMSE(MeanSquaredError):
    def backward(self):
        return super().backward() * self._diff.shape[0]  # forgets the 1/N


def test_check_loss_catches_a_missing_batch_average():
    rng = np.random.default_rng(10)
    y, t = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    # analytic = 4 * numerical: relative error (4 - 1) / (4 + 1) = 0.6
    assert check_loss(_WrongMSE(), y, t) == pytest.approx(0.6, rel=1e-6)


def test_check_layer_leaves_its_input_alone():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 2))
    before = x.copy()
    check_layer(Linear(2, 2, rng=rng), x, rng)
    np.testing.assert_array_equal(x, before)


def test_every_activation_is_a_layer_with_matching_params_and_grads():
    # so that optimizers and the checks above apply to all of them
    for name in ACTIVATIONS:
        act = get_activation(name)
        assert isinstance(act, Layer)
        assert act.params.keys() == act.grads.keys()
