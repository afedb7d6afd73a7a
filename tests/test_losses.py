"""Losses: values and gradients against closed forms, stability, and input errors.

The backward passes are also gradient-checked in ``test_gradcheck.py``.
"""

import math
import warnings

import numpy as np
import pytest

from nnlib import (HingeLoss, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy,
                   one_hot)

LN2, LN3 = math.log(2), math.log(3)


def test_mse_worked_example():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = np.array([[0.0, 2.0], [3.0, 0.0]])
    loss = MeanSquaredError()
    # squared differences 1, 0, 0, 16; mean over all N*K = 4 elements: 17/4
    assert loss.forward(y, t) == 4.25
    # 2 (y - t) / (N K)
    np.testing.assert_array_equal(loss.backward(), [[0.5, 0.0], [0.0, 2.0]])
    half = MeanSquaredError(half=True)
    # half of it: 17/8, gradient (y - t) / (N K)
    assert half.forward(y, t) == 2.125
    np.testing.assert_array_equal(half.backward(), [[0.25, 0.0], [0.0, 1.0]])


def test_mse_matches_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    r = np.random.default_rng(3)
    y, t = r.standard_normal((7, 3)), r.standard_normal((7, 3))
    assert MeanSquaredError().forward(y, t) == pytest.approx(
        sklearn_metrics.mean_squared_error(t, y), rel=1e-14)
    assert MeanSquaredError(half=True).forward(y, t) == pytest.approx(
        sklearn_metrics.mean_squared_error(t, y) / 2, rel=1e-14)


def test_mse_on_flat_targets():
    # (1 + 4 + 9) / 3 = 14/3; the 1/2 version is (1/N) sum 1/2 (y - t)^2 = 7/3
    y = np.array([1.0, 2.0, 3.0])
    assert MeanSquaredError().forward(y, np.zeros(3)) == pytest.approx(14 / 3)
    assert MeanSquaredError(half=True).forward(y, np.zeros(3)) == pytest.approx(7 / 3)
    # lists of targets are accepted
    assert MeanSquaredError()(np.array([[1.0]]), [[3.0]]) == 4.0
    assert MeanSquaredError(half=True)(np.array([[1.0]]), [[3.0]]) == 2.0


@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize("shape", [(6,), (6, 1), (6, 4)])
def test_mse_backward_matches_the_numerical_gradient(half, shape):
    from nnlib import check_loss

    r = np.random.default_rng(1)
    y, t = r.standard_normal(shape), r.standard_normal(shape)
    assert check_loss(MeanSquaredError(half=half), y, t) < 1e-8


def test_mse_half_must_be_a_bool():
    with pytest.raises(TypeError, match=r"MeanSquaredError: expected half to be True or False, got 'yes'"):
        MeanSquaredError(half="yes")


def test_softmax_cross_entropy_worked_example():
    # row 1: softmax(0, ln 2, ln 3) = (1, 2, 3)/6, label 2 -> -ln(3/6) = ln 2
    # row 2: softmax(0, 0, 0) = (1, 1, 1)/3,       label 1 -> -ln(1/3) = ln 3
    y = np.array([[0.0, LN2, LN3], [0.0, 0.0, 0.0]])
    loss = SoftmaxCrossEntropy()
    assert loss.forward(y, np.array([2, 1])) == pytest.approx((LN2 + LN3) / 2, rel=1e-14)
    np.testing.assert_allclose(loss.probabilities, [[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]])
    # (softmax - T) / N with N = 2
    expected = np.array([[1 / 6, 2 / 6, 3 / 6 - 1], [1 / 3, 1 / 3 - 1, 1 / 3]]) / 2
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-14)
    # one-hot targets give the same loss and gradient
    assert loss.forward(y, one_hot(np.array([2, 1]), 3)) == pytest.approx((LN2 + LN3) / 2)
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-14)


def test_softmax_cross_entropy_soft_targets():
    # -(1/2 ln(1/6) + 1/2 ln(2/6)) = (ln 6 + ln 3) / 2
    y = np.array([[0.0, LN2, LN3]])
    value = SoftmaxCrossEntropy().forward(y, np.array([[0.5, 0.5, 0.0]]))
    assert value == pytest.approx((math.log(6) + LN3) / 2)


def test_softmax_cross_entropy_is_finite_for_huge_scores():
    y = np.array([[1e4, 0.0], [-1e4, 1e4]])
    loss = SoftmaxCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # row 1, label 1: -log softmax = 1e4 - 0 = 1e4; row 2, label 0: 2e4
        assert loss.forward(y, np.array([1, 0])) == pytest.approx((1e4 + 2e4) / 2)
        assert loss.forward(y, np.array([0, 1])) == 0.0
        assert np.isfinite(loss.backward()).all()


def test_softmax_cross_entropy_predict():
    np.testing.assert_array_equal(SoftmaxCrossEntropy.predict(np.array([[0.1, 2.0], [3.0, -1]])),
                                  [1, 0])


def test_sigmoid_binary_cross_entropy_worked_example():
    loss = SigmoidBinaryCrossEntropy()
    assert loss.forward(np.array([[0.0]]), np.array([1])) == pytest.approx(LN2)
    z, t = np.array([[2.0], [-1.0]]), np.array([1, 0])
    s = [1 / (1 + math.exp(-2)), 1 / (1 + math.exp(1))]
    # -[t log s + (1 - t) log(1 - s)], averaged: (-log s1 - log(1 - s2)) / 2
    assert loss.forward(z, t) == pytest.approx((-math.log(s[0]) - math.log(1 - s[1])) / 2)
    np.testing.assert_allclose(loss.backward(), [[(s[0] - 1) / 2], [(s[1] - 0) / 2]])
    np.testing.assert_array_equal(loss.predict(z), [1, 0])


def test_sigmoid_binary_cross_entropy_is_finite_for_huge_scores():
    loss = SigmoidBinaryCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # softplus(1e4) - 0 = 1e4;  softplus(-1e4) + 1e4 = 1e4
        assert loss.forward(np.array([1e4, -1e4]), np.array([0, 1])) == pytest.approx(1e4)
        assert loss.forward(np.array([1e4, -1e4]), np.array([1, 0])) == 0.0


def test_hinge_loss_worked_example():
    loss = HingeLoss()
    s = np.array([[2.0], [0.5], [-1.0]])
    # max(0, 1 - 2) = 0, max(0, 1 - 0.5) = 0.5, max(0, 1 + 1) = 2; mean 2.5 / 3
    assert loss.forward(s, np.array([1, 1, 1])) == pytest.approx(2.5 / 3)
    # -t / N where the margin t s < 1, else 0
    np.testing.assert_allclose(loss.backward(), [[0.0], [-1 / 3], [-1 / 3]])
    assert loss.forward(s, np.array([-1, -1, -1])) == pytest.approx((3 + 1.5 + 0) / 3)
    np.testing.assert_array_equal(loss.predict(s), [1, 1, -1])


def test_classifier_flags():
    assert not MeanSquaredError.is_classifier
    assert SoftmaxCrossEntropy.is_classifier and SigmoidBinaryCrossEntropy.is_classifier
    assert HingeLoss.is_classifier


def _valid(kind):
    return {
        "mse": (MeanSquaredError, np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros((2, 2))),
        "softmax_ce": (SoftmaxCrossEntropy, np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]),
                       np.array([0, 2])),
        "sigmoid_bce": (SigmoidBinaryCrossEntropy, np.array([[1.0], [-2.0]]), np.array([1, 0])),
        "hinge": (HingeLoss, np.array([[0.5], [-2.0]]), np.array([1, 1])),
    }[kind]


nan_y = np.array([[np.nan, 1.0, 0.0], [0.0, np.inf, 0.0]])
BAD = [
    ("mse", np.ones((2, 3)), np.ones((2, 2)), ValueError,
     r"MeanSquaredError: expected t of the same shape as y \(2, 3\), got \(2, 2\)"),
    ("mse", np.ones((3, 1)), np.ones(3), ValueError,
     r"expected t of the same shape as y \(3, 1\), got \(3,\)"),
    ("mse", np.array([[np.nan], [1.0]]), np.ones((2, 1)), ValueError,
     r"MeanSquaredError: expected finite values in y, got 1 NaN and 0 inf among 2 entries"),
    ("mse", np.ones((2, 1)), np.array([[np.inf], [1.0]]), ValueError,
     r"MeanSquaredError: expected finite values in t, got 0 NaN and 1 inf"),
    ("mse", np.ones((0, 2)), np.ones((0, 2)), ValueError,
     r"MeanSquaredError: expected at least one sample in y, got an empty batch of shape \(0, 2\)"),
    ("softmax_ce", np.ones((2, 3)), np.array([0, 3]), ValueError,
     r"SoftmaxCrossEntropy: expected labels in \[0, 3\), got values from 0 to 3"),
    ("softmax_ce", np.ones((2, 3)), np.array([-1, 0]), ValueError,
     r"expected labels in \[0, 3\), got values from -1 to 0"),
    ("softmax_ce", np.ones((2, 3)), np.array([0, 1, 2]), ValueError,
     r"SoftmaxCrossEntropy: expected 2 labels, got 3"),
    ("softmax_ce", np.ones((2, 3)), np.array([0.0, 1.0]), TypeError,
     r"SoftmaxCrossEntropy: expected integer class labels, got dtype float64; use t.astype"),
    ("softmax_ce", np.ones((2, 3)), np.ones((2, 2)), ValueError,
     r"SoftmaxCrossEntropy: expected labels \(N,\) or one-hot \(2, 3\), got \(2, 2\)"),
    ("softmax_ce", nan_y, np.array([0, 1]), ValueError,
     r"SoftmaxCrossEntropy: expected finite values in y, got 1 NaN and 1 inf among 6 entries"),
    ("softmax_ce", np.ones(3), np.array([0]), ValueError,
     r"SoftmaxCrossEntropy: expected y to be 2-D, got shape \(3,\)"),
    ("softmax_ce", np.ones((0, 3)), np.zeros(0, dtype=int), ValueError,
     r"SoftmaxCrossEntropy: expected at least one sample in y"),
    ("sigmoid_bce", np.ones((2, 1)), np.array([0, 2]), ValueError,
     r"SigmoidBinaryCrossEntropy: expected targets in \[0, 1\], got values from 0 to 2"),
    ("sigmoid_bce", np.ones((2, 1)), np.array([np.nan, 1.0]), ValueError,
     r"SigmoidBinaryCrossEntropy: expected targets in \[0, 1\]"),
    ("sigmoid_bce", np.ones((2, 2)), np.array([0, 1]), ValueError,
     r"SigmoidBinaryCrossEntropy: expected one score per sample, shape \(N,\) or \(N, 1\), "
     r"got \(2, 2\)"),
    ("sigmoid_bce", np.ones((2, 1)), np.array([0, 1, 1]), ValueError,
     r"SigmoidBinaryCrossEntropy: expected 2 targets, got shape \(3,\)"),
    ("sigmoid_bce", np.array([[np.inf], [0.0]]), np.array([0, 1]), ValueError,
     r"SigmoidBinaryCrossEntropy: expected finite values in y"),
    ("hinge", np.ones((2, 1)), np.array([0, 1]), ValueError,
     r"HingeLoss: expected targets -1 or \+1, got values \[0.0, 1.0\]"),
    ("hinge", np.ones((3, 1)), np.array([1, -1]), ValueError,
     r"HingeLoss: expected 3 targets, got shape \(2,\)"),
]


@pytest.mark.parametrize("kind, y, t, exc, message", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_rejected_and_changes_nothing(kind, y, t, exc, message):
    cls, y_ok, t_ok = _valid(kind)
    loss = cls()
    value = loss.forward(y_ok, t_ok)
    grad = loss.backward().copy()
    with pytest.raises(exc, match=message):
        loss.forward(y, t)
    # The failed call left the loss as it was: backward still gives the last valid gradient.
    np.testing.assert_array_equal(loss.backward(), grad)
    assert loss.forward(y_ok, t_ok) == value


def test_softmax_cross_entropy_failed_call_keeps_probabilities():
    loss = SoftmaxCrossEntropy()
    loss.forward(np.array([[0.0, LN2, LN3]]), np.array([2]))
    with pytest.raises(ValueError, match="expected labels in"):
        loss.forward(np.array([[5.0, 0.0, 0.0]]), np.array([7]))
    np.testing.assert_allclose(loss.probabilities, [[1 / 6, 2 / 6, 3 / 6]])


@pytest.mark.parametrize("kind", ["mse", "softmax_ce", "sigmoid_bce", "hinge"])
def test_forward_returns_a_python_float_and_backward_has_the_shape_of_y(kind):
    cls, y, t = _valid(kind)
    loss = cls()
    assert type(loss(y, t)) is float
    assert loss.backward().shape == y.shape
    assert repr(loss) == f"{cls.__name__}()"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_equals_the_textbook_formula_exactly(dtype):
    """The fast path (row maxima from the transposed copy, exp in place, cached row
    numbers) gives the very numbers of the direct formula, for labels and one-hot rows."""
    rng = np.random.default_rng(5)
    y = (rng.standard_normal((37, 7)) * 30).astype(dtype)
    labels = rng.integers(0, 7, 37)
    z = y - y.max(axis=1, keepdims=True)
    s = np.exp(z).sum(axis=1, keepdims=True)
    prob = np.exp(z) / s
    expected = float((np.log(s).sum() - z[np.arange(37), labels].sum()) / 37)
    loss = SoftmaxCrossEntropy()
    y_before = y.copy()
    assert loss.forward(y, labels) == expected
    np.testing.assert_array_equal(y, y_before)  # the scores are not overwritten
    np.testing.assert_array_equal(loss.probabilities, prob)
    onehot = np.eye(7, dtype=dtype)[labels]
    assert loss.forward(y, onehot) == pytest.approx(expected, rel=1e-6)
    np.testing.assert_array_equal(loss.probabilities, prob)
    # a batch of another size after this one: the cached row numbers follow
    assert loss.forward(y[:5], labels[:5]) == pytest.approx(
        float((np.log(s[:5]).sum() - z[np.arange(5), labels[:5]].sum()) / 5))
