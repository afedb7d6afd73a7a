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
@pytest.mark.parametrize("lr, exc, message", [
    (0, ValueError, r"expected a learning rate lr > 0, got lr=0"),
    (-0.1, ValueError, r"expected a learning rate lr > 0, got lr=-0.1"),
    (float("nan"), ValueError, r"expected a finite lr, got nan"),
    (float("inf"), ValueError, r"expected a finite lr, got inf"),
    ("0.1", TypeError, r"expected lr to be a real number, got '0.1' \(str\)"),
    (None, TypeError, r"expected lr to be a real number, got None \(NoneType\)"),
    (True, TypeError, r"expected lr to be a real number, got True \(bool\)"),
], ids=["zero", "negative", "nan", "inf", "str", "None", "bool"])
def test_bad_learning_rate_is_rejected(cls, lr, exc, message):
    with pytest.raises(exc, match=rf"{cls.__name__}: {message}"):
        cls(lr=lr)


@pytest.mark.parametrize("cls", [SGD, Momentum, AdaGrad, Adam])
def test_numpy_scalars_are_accepted_as_learning_rate(cls):
    opt = cls(lr=np.float32(0.5))
    assert opt.lr == float(np.float32(0.5)) and type(opt.lr) is float
    assert cls(lr=np.int64(1)).lr == 1.0


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


# Weight decay (L2) and learning-rate schedules

def test_sgd_weight_decay_is_gradual_forgetting():
    # w <- (1 - lr λ) w - lr g for weights; the bias is not decayed
    p = {"0.W": np.array([2.0, -4.0]), "0.b": np.array([2.0])}
    g = {"0.W": np.array([1.0, 0.0]), "0.b": np.array([1.0])}
    SGD(lr=0.1, weight_decay=0.5).update(p, g)
    # (1 - 0.05) * (2, -4) - 0.1 * (1, 0) = (1.8, -3.8);  b: 2 - 0.1 = 1.9
    np.testing.assert_allclose(p["0.W"], [1.8, -3.8], rtol=1e-15)
    np.testing.assert_allclose(p["0.b"], [1.9], rtol=1e-15)


@pytest.mark.parametrize("cls", [Momentum, AdaGrad, Adam])
def test_weight_decay_adds_lambda_w_to_the_gradient(cls):
    # With decay λ, the update equals the update without decay for the gradient g + λ W.
    w0, g0, lam = np.array([[1.0, -2.0]]), np.array([[0.3, 0.1]]), 0.2
    p1, p2 = {"W": w0.copy(), "b": np.array([1.0])}, {"W": w0.copy(), "b": np.array([1.0])}
    cls(lr=0.1, weight_decay=lam).update(p1, {"W": g0.copy(), "b": np.array([0.5])})
    cls(lr=0.1).update(p2, {"W": g0 + lam * w0, "b": np.array([0.5])})
    np.testing.assert_allclose(p1["W"], p2["W"], rtol=1e-14)
    np.testing.assert_array_equal(p1["b"], p2["b"])


def test_weight_decay_shrinks_weights_in_training():
    from nnlib import SoftmaxCrossEntropy, fit, make_moons, mlp

    x, t = make_moons(200, noise=0.2, rng=np.random.default_rng(0))
    norms = {}
    for lam in (0.0, 0.1):
        model = mlp([2, 16, 2], rng=np.random.default_rng(1))
        fit(model, SoftmaxCrossEntropy(), SGD(0.2, weight_decay=lam), x, t, epochs=20,
            batch_size=20, rng=np.random.default_rng(2), progress=False)
        norms[lam] = sum(float((p ** 2).sum()) for k, p in model.params.items() if k.endswith("W"))
    assert norms[0.1] < 0.8 * norms[0.0]


def test_step_decay_values():
    from nnlib import StepDecay

    s = StepDecay(0.1, drop=0.5, every=2)
    assert [s(e) for e in range(1, 7)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_cosine_decay_values():
    from nnlib import CosineDecay

    s = CosineDecay(0.1, epochs=5, lr_min=0.01)
    # lr_min + (lr - lr_min) (1 + cos(pi (e - 1) / 4)) / 2
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(5)]
    np.testing.assert_allclose([s(e) for e in range(1, 6)], expected, rtol=1e-15)
    assert s(1) == 0.1 and s(9) == pytest.approx(0.01)
    # with lr_min = 0 the last epoch keeps a tiny positive rate (the optimizers need lr > 0)
    assert CosineDecay(0.1, epochs=3)(3) == pytest.approx(1e-7)


@pytest.mark.parametrize("make, exc, message", [
    (lambda: __import__("nnlib").StepDecay(0.1, drop=0), ValueError, r"StepDecay: expected 0 < drop <= 1"),
    (lambda: __import__("nnlib").StepDecay(0.1, drop=1.5), ValueError, r"StepDecay: expected 0 < drop <= 1"),
    (lambda: __import__("nnlib").StepDecay(0.1, every=0), ValueError, r"StepDecay: expected every to be a positive integer"),
    (lambda: __import__("nnlib").CosineDecay(0.1, epochs=0), ValueError, r"CosineDecay: expected epochs to be a positive integer"),
    (lambda: __import__("nnlib").CosineDecay(0.1, epochs=5, lr_min=0.2), ValueError, r"CosineDecay: expected 0 <= lr_min <= lr"),
    (lambda: __import__("nnlib").StepDecay(0.1)(0), ValueError, r"StepDecay: expected an epoch number >= 1, got 0"),
], ids=["drop-0", "drop-1.5", "every-0", "epochs-0", "lr_min>lr", "epoch-0"])
def test_schedule_errors(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_l2_penalty_is_the_term_whose_gradient_weight_decay_adds():
    from nnlib import l2_penalty, numerical_gradient

    params = {"0.W": np.array([[1.0, -2.0]]), "0.b": np.array([3.0]), "2.W": np.array([[0.5]])}
    # (λ/2) (1 + 4 + 0.25) with λ = 0.2; the bias does not count
    assert l2_penalty(params, 0.2) == pytest.approx(0.1 * 5.25, rel=1e-15)
    for k in ("0.W", "2.W"):
        g = numerical_gradient(lambda: l2_penalty(params, 0.2), params[k])
        np.testing.assert_allclose(g, 0.2 * params[k], rtol=1e-8)
    with pytest.raises(ValueError, match=r"l2_penalty: expected weight_decay >= 0, got weight_decay=-1"):
        l2_penalty(params, -1)
