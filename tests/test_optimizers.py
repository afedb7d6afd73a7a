"""Optimizers: each update against its formula, worked by hand, and in-place behaviour."""

import math

import numpy as np
import pytest

from nnlib import SGD, AdaGrad, Adam, Linear, Momentum, ReLU, Sequential


def params_grads(w, g):
    return {"w": np.array(w, dtype=float)}, {"w": np.array(g, dtype=float)}


def test_sgd_step():
    p, g = params_grads([1.0, 2.0], [0.5, -1.0])
    SGD(lr=0.1).update(p, g)
    # w - lr g = (1 - 0.05, 2 + 0.1)
    np.testing.assert_allclose(p["w"], [0.95, 2.1], rtol=1e-15)


def test_momentum_two_steps():
    p, g = params_grads([1.0, 1.0], [1.0, -2.0])
    opt = Momentum(lr=0.1, momentum=0.9)
    # step 1: v = 0.9*0 - 0.1*g = (-0.1, 0.2);  w = (0.9, 1.2)
    opt.update(p, g)
    np.testing.assert_allclose(p["w"], [0.9, 1.2], rtol=1e-15)
    # step 2 (same g): v = 0.9*(-0.1, 0.2) - 0.1*(1, -2) = (-0.19, 0.38);  w = (0.71, 1.58)
    opt.update(p, g)
    np.testing.assert_allclose(opt.v["w"], [-0.19, 0.38], rtol=1e-14)
    np.testing.assert_allclose(p["w"], [0.71, 1.58], rtol=1e-14)


def test_adagrad_two_steps():
    p, g = params_grads([1.0, 1.0], [1.0, -2.0])
    opt = AdaGrad(lr=0.1)
    # step 1: h = g^2 = (1, 4); w -= 0.1 g / (sqrt h + 1e-7) = 0.1 (1/1, -2/2) -> (0.9, 1.1)
    opt.update(p, g)
    np.testing.assert_allclose(opt.h["w"], [1.0, 4.0])
    np.testing.assert_allclose(p["w"], [1 - 0.1 / (1 + 1e-7), 1 + 0.2 / (2 + 1e-7)], rtol=1e-15)
    # step 2 with g = (3, 0): h = (1 + 9, 4 + 0) = (10, 4);
    # w_1 -= 0.1 * 3 / (sqrt 10 + 1e-7) = 0.0948683...; w_2 unchanged (its gradient is 0)
    w_before = p["w"].copy()
    g["w"][...] = [3.0, 0.0]
    opt.update(p, g)
    np.testing.assert_allclose(opt.h["w"], [10.0, 4.0])
    np.testing.assert_allclose(p["w"], [w_before[0] - 0.3 / (math.sqrt(10) + 1e-7), w_before[1]],
                               rtol=1e-15)


def test_adam_first_and_second_step_with_bias_correction():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p, g = params_grads([1.0, 1.0], [1.0, -2.0])
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)

    # Step 1 (t = 1), g = (1, -2):
    #   m = 0.1 g = (0.1, -0.2);  v = 0.001 g^2 = (0.001, 0.004)
    #   m_hat = m / (1 - 0.9) = (1, -2);  v_hat = v / (1 - 0.999) = (1, 4)
    #   w -= 0.1 * m_hat / (sqrt(v_hat) + eps) = 0.1 * (1/(1+eps), -2/(2+eps)) ~ (0.1, -0.1)
    #   w ~ (0.9, 1.1): the first Adam step has size lr in every coordinate
    opt.update(p, g)
    w1 = [1 - lr * 1 / (1 + eps), 1 - lr * -2 / (2 + eps)]
    np.testing.assert_allclose(p["w"], w1, rtol=1e-15)
    np.testing.assert_allclose(p["w"], [0.9, 1.1], rtol=1e-8)

    # Step 2 (t = 2), g = (0.5, 1.0):
    #   m = 0.9 (0.1, -0.2) + 0.1 (0.5, 1.0) = (0.14, -0.08)
    #   v = 0.999 (0.001, 0.004) + 0.001 (0.25, 1.0) = (0.001249, 0.004996)
    #   1 - 0.9^2 = 0.19;  1 - 0.999^2 = 0.001999
    #   m_hat = (0.736842..., -0.421052...);  v_hat = (0.624812..., 2.499249...)
    #   step = 0.1 m_hat / (sqrt(v_hat) + eps) = (0.0932180..., -0.0266337...)
    g["w"][...] = [0.5, 1.0]
    opt.update(p, g)
    m = [0.9 * 0.1 + 0.1 * 0.5, 0.9 * -0.2 + 0.1 * 1.0]
    v = [0.999 * 0.001 + 0.001 * 0.25, 0.999 * 0.004 + 0.001 * 1.0]
    c1, c2 = 1 - b1 ** 2, 1 - b2 ** 2
    step = [lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps) for i in range(2)]
    np.testing.assert_allclose(opt.m["w"], [0.14, -0.08], rtol=1e-14)
    np.testing.assert_allclose(opt.v["w"], [0.001249, 0.004996], rtol=1e-12)
    np.testing.assert_allclose(step, [0.0932180, -0.0266337], rtol=1e-5)
    np.testing.assert_allclose(p["w"], [w1[0] - step[0], w1[1] - step[1]], rtol=1e-14)
    assert opt.t == 2


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.1), lambda: AdaGrad(0.1),
                                  lambda: Adam(0.1)],
                         ids=["SGD", "Momentum", "AdaGrad", "Adam"])
def test_update_is_in_place_on_the_layer_arrays(make):
    layer = Linear.from_weights([[1.0, 2.0]], [0.0, 0.0])
    model = Sequential(layer, ReLU())
    W, b = layer.params["W"], layer.params["b"]
    layer.grads["W"][...] = [[1.0, -1.0]]
    layer.grads["b"][...] = [0.5, 0.5]
    make().update(model.params, model.grads)
    assert layer.params["W"] is W and layer.params["b"] is b  # same arrays, new values
    # every optimizer moves against the gradient on its first step
    assert W[0, 0] < 1.0 and W[0, 1] > 2.0 and (b < 0).all()


def test_state_is_kept_per_parameter():
    opt = Momentum(lr=1.0, momentum=0.5)
    p = {"a": np.array([0.0]), "b": np.array([0.0])}
    opt.update(p, {"a": np.array([1.0]), "b": np.array([-2.0])})
    # v_a = -1, v_b = 2; then with zero gradients v halves: a = -1 - 0.5, b = 2 + 1
    opt.update(p, {"a": np.array([0.0]), "b": np.array([0.0])})
    np.testing.assert_allclose([p["a"][0], p["b"][0]], [-1.5, 3.0])


@pytest.mark.parametrize("cls", [SGD, Momentum, AdaGrad, Adam])
@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_learning_rate_is_rejected(cls, lr):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected a learning rate lr > 0, "
                                         rf"got {repr(lr)}"):
        cls(lr=lr)


def test_mismatched_keys_change_nothing():
    p = {"w": np.array([1.0]), "b": np.array([2.0])}
    with pytest.raises(KeyError, match=r"SGD.update: params and grads need the same keys, got "
                                       r"\['b', 'w'\] and \['w'\]"):
        SGD(0.1).update(p, {"w": np.array([1.0])})
    np.testing.assert_array_equal(p["w"], [1.0])


def test_repr_and_defaults():
    assert repr(SGD(0.5)) == "SGD(lr=0.5)"
    assert Adam().lr == 0.001 and (Adam().beta1, Adam().beta2) == (0.9, 0.999)
    assert Momentum().momentum == 0.9
