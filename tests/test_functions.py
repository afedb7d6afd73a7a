"""Plain array functions: sigmoid, softmax, log_softmax, logsumexp, one_hot."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import log_softmax, one_hot, sigmoid, softmax
from nnlib.functions import logsumexp

HYPO = settings(max_examples=60, deadline=None, database=None)
rows = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
              elements=st.floats(-1e3, 1e3))


def test_sigmoid_values():
    assert sigmoid(np.array(0.0)) == 0.5
    assert sigmoid(np.array(1.0)) == pytest.approx(1 / (1 + math.exp(-1)))
    assert sigmoid(np.array(1.0), gain=3) == pytest.approx(1 / (1 + math.exp(-3)))
    assert sigmoid(np.array(-2.0)) == pytest.approx(1 / (1 + math.exp(2)))


def test_sigmoid_of_extreme_inputs_has_no_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(np.array([-1e308, -1e4, 1e4, 1e308]))
    np.testing.assert_array_equal(y, [0.0, 0.0, 1.0, 1.0])


def test_softmax_known_value():
    # exp(0) : exp(ln 2) : exp(ln 3) = 1 : 2 : 3
    np.testing.assert_allclose(softmax(np.array([0.0, math.log(2), math.log(3)])),
                               [1 / 6, 2 / 6, 3 / 6], rtol=1e-14)
    np.testing.assert_allclose(softmax(np.array([[5.0, 5.0]])), [[0.5, 0.5]])


@HYPO
@given(rows)
def test_softmax_rows_sum_to_one(x):
    y = softmax(x)
    assert y.shape == x.shape
    assert (y >= 0).all() and (y <= 1).all()
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-12)


@HYPO
@given(rows, st.floats(-1e4, 1e4))
def test_softmax_is_shift_invariant(x, c):
    np.testing.assert_allclose(softmax(x + c), softmax(x), atol=1e-9)  # x + c rounds


def test_softmax_is_stable_for_huge_inputs():
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(x)
    np.testing.assert_allclose(y, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_softmax_along_another_axis():
    x = np.array([[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(softmax(x, axis=0), [[0.5, 0.5], [0.5, 0.5]])


def test_log_softmax_has_no_minus_infinity():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = log_softmax(np.array([[0.0, -1e4], [1e4, 0.0]]))
    assert np.isfinite(y).all()
    # log(e^0 / (e^0 + e^-10000)) = -log(1 + e^-10000) = 0 in float64; the other is -10000
    np.testing.assert_allclose(y, [[0.0, -1e4], [0.0, -1e4]])


@HYPO
@given(arrays(np.float64, (3, 4), elements=st.floats(-30, 30)))
def test_log_softmax_is_log_of_softmax(x):
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-10, atol=1e-12)


def test_logsumexp_does_not_overflow():
    # log(e^10000 + e^10000) = 10000 + log 2
    assert logsumexp(np.array([1e4, 1e4])) == pytest.approx(1e4 + math.log(2), rel=1e-15)
    assert logsumexp(np.array([[0.0, 0.0, 0.0]]), keepdims=True).shape == (1, 1)
    assert logsumexp(np.array([[0.0, 0.0, 0.0]]))[0] == pytest.approx(math.log(3))


def test_one_hot_values_and_dtype():
    T = one_hot(np.array([2, 0, 1]), 4)
    np.testing.assert_array_equal(T, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert T.dtype == np.float64
    assert one_hot(np.array([1]), 2, dtype="float32").dtype == np.float32


def test_one_hot_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"one_hot: expected labels in \[0, 3\), got values "
                                         r"from 0 to 3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"got values from -1 to 1"):
        one_hot(np.array([-1, 1]), 3)


def test_one_hot_rejects_float_labels_and_matrices():
    with pytest.raises(TypeError, match=r"one_hot: expected integer class labels, got dtype "
                                        r"float64; use t.astype\(int\)"):
        one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match=r"one_hot: expected t to be 1-D, got shape \(2, 2\)"):
        one_hot(np.array([[0, 1], [1, 0]]), 2)
