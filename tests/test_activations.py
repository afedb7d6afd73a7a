"""Activations: values against closed forms, derivatives, layer behaviour and errors.

The backward passes are gradient-checked in ``test_gradcheck.py``; here ``derivative``
(used by the book's plots) is compared with a central difference of ``function``.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from nnlib import (ACTIVATIONS, ELU, GELU, HardSigmoid, HardTanh, Identity, LeakyReLU, Maxout,
                   PReLU, ReLU, Sigmoid, Softmax, Softplus, Step, Swish, Tanh, get_activation)

ELEMENTWISE = [n for n in ACTIVATIONS if n not in ("maxout", "softmax")]
KINKS = {"step": [0.0], "relu": [0.0], "leaky_relu": [0.0], "prelu": [0.0], "elu": [0.0],
         "hard_tanh": [-1.0, 1.0], "hard_sigmoid": [-2.0, 2.0]}


def grid_away_from_kinks(name):
    x = np.linspace(-4, 4, 161)
    for k in KINKS.get(name, []):
        x = x[np.abs(x - k) > 0.1]
    return x


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference_of_function(name):
    act = get_activation(name)
    x = grid_away_from_kinks(name)
    eps = 1e-6
    numeric = (act.function(x + eps) - act.function(x - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(x), numeric, rtol=1e-6, atol=1e-8)


# Forward values against closed forms.

def test_identity_and_step():
    x = np.array([-2.0, 0.0, 0.5])
    np.testing.assert_array_equal(Identity().function(x), x)
    np.testing.assert_array_equal(Identity().derivative(x), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(Step().function(x), [0.0, 0.0, 1.0])  # 0 at x = 0
    np.testing.assert_array_equal(Step().derivative(x), [0.0, 0.0, 0.0])


def test_sigmoid_closed_form_and_gain():
    assert Sigmoid().function(np.array([0.0]))[0] == 0.5
    assert Sigmoid().derivative(np.array([0.0]))[0] == 0.25  # s(1 - s) = 1/4 at 0
    # gain a: 1 / (1 + exp(-a x)), derivative a s (1 - s): 2 * 1/4 = 1/2 at 0
    assert Sigmoid(gain=2).function(np.array([1.0]))[0] == pytest.approx(1 / (1 + math.exp(-2)))
    assert Sigmoid(gain=2).derivative(np.array([0.0]))[0] == pytest.approx(0.5)
    assert Sigmoid().function(np.array([1.0]))[0] == pytest.approx(0.7310585786300049)


def test_sigmoid_with_large_gain_approaches_the_step_function():
    x = np.array([-0.5, -0.1, 0.1, 0.5])
    np.testing.assert_allclose(Sigmoid(gain=1000).function(x), Step().function(x), atol=1e-40)


def test_sigmoid_is_finite_without_warnings_for_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = Sigmoid().function(np.array([-1e4, -800.0, 800.0, 1e4]))
    np.testing.assert_array_equal(y, [0.0, 0.0, 1.0, 1.0])


@settings(max_examples=50, deadline=None, database=None)
@given(arrays(np.float64, 8, elements=st.floats(-50, 50)))
def test_sigmoid_symmetry_and_range(x):
    s = Sigmoid().function(x)
    assert ((s >= 0) & (s <= 1)).all()
    np.testing.assert_allclose(Sigmoid().function(-x), 1 - s, atol=1e-15)


def test_sigmoid_rejects_non_positive_gain():
    with pytest.raises(ValueError, match=r"Sigmoid: expected gain > 0, got 0"):
        Sigmoid(gain=0)


def test_tanh_closed_form():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(Tanh().function(x), [math.tanh(-1), 0.0, math.tanh(2)])
    np.testing.assert_allclose(Tanh().derivative(x), [1 - math.tanh(-1) ** 2, 1.0,
                                                     1 - math.tanh(2) ** 2])


def test_hard_sigmoid_and_hard_tanh_values():
    x = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    # clip(x/4 + 1/2, 0, 1)
    np.testing.assert_allclose(HardSigmoid().function(x), [0, 0, 0.25, 0.5, 0.75, 1, 1])
    np.testing.assert_allclose(HardSigmoid().derivative(np.array([-3.0, 0.0, 1.5, 3.0])),
                               [0, 0.25, 0.25, 0])
    np.testing.assert_allclose(HardTanh().function(x), [-1, -1, -1, 0, 1, 1, 1])
    np.testing.assert_allclose(HardTanh().derivative(np.array([-1.5, -0.5, 0.5, 1.5])),
                               [0, 1, 1, 0])


def test_relu_family_values():
    x = np.array([-2.0, -0.5, 0.0, 3.0])
    np.testing.assert_array_equal(ReLU().function(x), [0, 0, 0, 3])
    np.testing.assert_array_equal(ReLU().derivative(x), [0, 0, 0, 1])  # 0 is used at x = 0
    np.testing.assert_allclose(LeakyReLU(alpha=0.1).function(x), [-0.2, -0.05, 0, 3])
    np.testing.assert_allclose(LeakyReLU(alpha=0.1).derivative(x), [0.1, 0.1, 0.1, 1])
    np.testing.assert_allclose(PReLU(alpha=0.25).function(x), [-0.5, -0.125, 0, 3])


def test_elu_closed_form():
    x = np.array([-1.0, -10.0, 2.0])
    # alpha (exp(x) - 1) for x <= 0, x otherwise
    np.testing.assert_allclose(ELU(alpha=2.0).function(x),
                               [2 * (math.exp(-1) - 1), 2 * (math.exp(-10) - 1), 2.0])
    np.testing.assert_allclose(ELU(alpha=2.0).derivative(x),
                               [2 * math.exp(-1), 2 * math.exp(-10), 1.0])


def test_elu_does_not_overflow_for_large_positive_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ELU().function(np.array([1000.0]))[0] == 1000.0


def test_softplus_is_log1p_exp_and_stable():
    x = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    np.testing.assert_allclose(Softplus().function(x), [math.log1p(math.exp(v)) for v in x])
    assert Softplus().function(np.array([0.0]))[0] == pytest.approx(math.log(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = Softplus().function(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(y, [0.0, 1000.0])


def test_swish_closed_form():
    # x sigmoid(beta x): at x = 1, beta = 2 that is 1 / (1 + e^-2)
    assert Swish(beta=2.0).function(np.array([1.0]))[0] == pytest.approx(1 / (1 + math.exp(-2)))
    assert Swish().function(np.array([0.0]))[0] == 0.0
    learned = Swish(beta=2.0, learn_beta=True)
    assert learned.function(np.array([1.0]))[0] == pytest.approx(1 / (1 + math.exp(-2)))
    assert learned.params["beta"].shape == (1,)


def test_gelu_exact_matches_normal_cdf_and_erf():
    x = np.linspace(-4, 4, 33)
    np.testing.assert_allclose(GELU().function(x), x * norm.cdf(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(GELU().function(x),
                               [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x],
                               rtol=1e-12, atol=1e-15)
    # derivative Phi(x) + x phi(x)
    np.testing.assert_allclose(GELU().derivative(x), norm.cdf(x) + x * norm.pdf(x), rtol=1e-12,
                               atol=1e-15)


def test_gelu_tanh_approximation_is_close_to_exact():
    x = np.linspace(-3, 3, 601)
    diff = np.abs(GELU(approximate="tanh").function(x) - GELU().function(x))
    assert diff.max() < 1e-3
    assert diff.max() > 1e-6  # it is an approximation, not the exact function again


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match=r"GELU: expected approximate 'none' or 'tanh', "
                                         r"got 'sigmoid'"):
        GELU(approximate="sigmoid")


def test_maxout_picks_the_maximum_of_each_group():
    x = np.array([[1.0, 5.0, -2.0, -7.0, 0.5, 3.0]])
    np.testing.assert_array_equal(Maxout(k=2).forward(x), [[5.0, -2.0, 3.0]])
    np.testing.assert_array_equal(Maxout(k=3).forward(x), [[5.0, 3.0]])


def test_maxout_backward_routes_the_gradient_to_the_maximum():
    layer = Maxout(k=3)
    layer.forward(np.array([[1.0, 5.0, -2.0, -7.0, 0.5, 3.0]]))
    dx = layer.backward(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(dx, [[0, 10, 0, 0, 0, 20]])


def test_maxout_piecewise_is_the_upper_envelope():
    x = np.array([-2.0, 0.0, 2.0])
    # max(-x, x, 0.5): 2, 0.5, 2
    np.testing.assert_allclose(Maxout.piecewise(x, [-1, 1, 0], [0, 0, 0.5]), [2.0, 0.5, 2.0])


def test_maxout_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"Maxout: expected k to be a positive integer, got 0"):
        Maxout(k=0)
    with pytest.raises(ValueError, match=r"expected input width divisible by k=2, got 5"):
        Maxout(k=2).forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"expected x to be 2-D, got shape \(6,\)"):
        Maxout(k=2).forward(np.zeros(6))
    assert Maxout(k=3).output_width(12) == 4


@settings(max_examples=50, deadline=None, database=None)
@given(arrays(np.float64, (3, 4), elements=st.floats(-100, 100)))
def test_softmax_layer_rows_are_distributions(x):
    y = Softmax().forward(x)
    assert (y >= 0).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_layer_backward_applies_the_jacobian():
    # For one row, J = diag(y) - y^T y; dx = dout J
    x = np.array([[0.0, math.log(2), math.log(3)]])  # softmax = (1, 2, 3) / 6
    y = np.array([1, 2, 3]) / 6
    layer = Softmax()
    np.testing.assert_allclose(layer.forward(x), [y])
    dout = np.array([[1.0, 0.0, -1.0]])
    jac = np.diag(y) - np.outer(y, y)
    np.testing.assert_allclose(layer.backward(dout), dout @ jac)


def test_prelu_gradient_per_channel():
    layer = PReLU(alpha=0.5, num_parameters=2)
    layer.forward(np.array([[-1.0, 2.0], [-3.0, -4.0]]))
    dx = layer.backward(np.array([[1.0, 1.0], [2.0, 0.5]]))
    # dL/dalpha_c = sum over rows of dout * x where x <= 0: channel 0: 1*(-1) + 2*(-3) = -7;
    # channel 1: 0.5 * (-4) = -2
    np.testing.assert_allclose(layer.grads["alpha"], [-7.0, -2.0])
    np.testing.assert_allclose(dx, [[0.5, 1.0], [1.0, 0.25]])


def test_swish_beta_gradient():
    layer = Swish(beta=1.0, learn_beta=True)
    layer.forward(np.array([[2.0]]))
    layer.backward(np.array([[1.0]]))
    s = 1 / (1 + math.exp(-2))
    # df/dbeta = x^2 s (1 - s) = 4 s (1 - s)
    assert layer.grads["beta"][0] == pytest.approx(4 * s * (1 - s))


def test_get_activation_by_name_with_parameters():
    act = get_activation("sigmoid", gain=5)
    assert isinstance(act, Sigmoid) and act.gain == 5.0
    assert isinstance(get_activation("Leaky-ReLU", alpha=0.2), LeakyReLU)
    relu = ReLU()
    assert get_activation(relu) is relu
    assert repr(get_activation("gelu", approximate="tanh")) == "GELU(approximate='tanh')"


def test_get_activation_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmoidd'; expected one of "
                                         r"elu, gelu, hard_sigmoid"):
        get_activation("sigmoidd")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_before_forward_and_wrong_dout_shape(name):
    act = get_activation(name)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        act.backward(np.ones((2, 4)))
    x = np.linspace(-1, 1, 8).reshape(2, 4)
    y = act.forward(x)
    n, d = y.shape
    with pytest.raises(ValueError, match=rf"expected dout of shape \({n}, {d}\), got \(3, 4\)"):
        act.backward(np.ones((3, 4)))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_does_not_modify_dout(name):
    act = get_activation(name)
    x = np.linspace(-2, 2, 8).reshape(2, 4)
    y = act.forward(x)
    dout = np.linspace(0.5, 1.5, y.size).reshape(y.shape)
    before = dout.copy()
    act.backward(dout)
    np.testing.assert_array_equal(dout, before)
