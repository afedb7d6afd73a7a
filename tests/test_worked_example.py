"""The hand-worked wine example of chapter 4 as a regression test.

Network (no biases, row-vector convention ``u = x @ W``)::

    x = (x1, x2, x3) = (2, 3, 1)
    weights into hidden unit 1: (3, 1, 2)      -> column 0 of W1
    weights into hidden unit 2: (-2, -3, -1)   -> column 1 of W1
    h = ReLU(u)
    y = 3 h1 + 2 h2  (identity output)          -> W2 = [[3], [2]]
    L = 1/2 (y - t)^2 with t = 20        (MeanSquaredError(half=True) with N = 1)

Every number below is worked out by hand in the comments and written as a literal;
the test asserts that nnlib's forward, backward and SGD step reproduce each one, and
that numerical differentiation agrees with the hand-derived gradients.
"""

import numpy as np
import pytest

from nnlib import (SGD, Linear, MeanSquaredError, ReLU, Sequential, check_model,
                   numerical_gradient)

X = np.array([[2.0, 3.0, 1.0]])
T = np.array([[20.0]])
W1 = np.array([[3.0, -2.0],
               [1.0, -3.0],
               [2.0, -1.0]])   # W1[i, j]: weight from input i to hidden unit j
W2 = np.array([[3.0],
               [2.0]])
LR = 0.01

# Forward pass, by hand:
#   u1 = 2*3 + 3*1 + 1*2        = 6 + 3 + 2   = 11
#   u2 = 2*(-2) + 3*(-3) + 1*(-1) = -4 - 9 - 1 = -14
#   h1 = ReLU(11) = 11,  h2 = ReLU(-14) = 0
#   y  = 3*11 + 2*0 = 33
#   L  = 1/2 (33 - 20)^2 = 1/2 * 169 = 84.5
U = [11.0, -14.0]
H = [11.0, 0.0]
Y = 33.0
L0 = 84.5

# Backward pass, by hand (chain rule):
#   dL/dy = y - t = 33 - 20 = 13                        (N = 1, the 1/2 cancels the 2)
#   weight h1 -> y:  dL/dw(h1->y) = dL/dy * h1 = 13 * 11 = 143
#   weight h2 -> y:  dL/dw(h2->y) = dL/dy * h2 = 13 * 0  = 0
#   dL/dh  = dL/dy * (3, 2) = (39, 26)
#   ReLU'(u) = (1, 0) because u1 = 11 > 0 and u2 = -14 < 0
#   delta = dL/du = (39 * 1, 26 * 0) = (39, 0)
#   weight x1 -> unit 1:  dL/dw(x1->1) = x1 * delta1 = 2 * 39 = 78
#   full matrix dL/dW1 = x^T delta = [[2*39, 2*0], [3*39, 3*0], [1*39, 1*0]]
#                                  = [[78, 0], [117, 0], [39, 0]]
#   full matrix dL/dW2 = h^T dL/dy = [[11*13], [0*13]] = [[143], [0]]
#   dL/dx = delta W1^T = 39 * (3, 1, 2) + 0 * (-2, -3, -1) = (117, 39, 78)
DL_DY = 13.0
DW1 = [[78.0, 0.0], [117.0, 0.0], [39.0, 0.0]]
DW2 = [[143.0], [0.0]]
DX = [[117.0, 39.0, 78.0]]

# One SGD step, w <- w - 0.01 * dL/dw:
#   W1: 3 - 0.78 = 2.22,  1 - 1.17 = -0.17,  2 - 0.39 = 1.61; the column of unit 2 is
#       unchanged (its gradient is 0: the dead ReLU passes no gradient)
#   W2: 3 - 1.43 = 1.57,  2 - 0 = 2
W1_NEW = [[2.22, -2.0], [-0.17, -3.0], [1.61, -1.0]]
W2_NEW = [[1.57], [2.0]]

# The loss after the step:
#   u1 = 2*2.22 + 3*(-0.17) + 1*1.61 = 4.44 - 0.51 + 1.61 = 5.54;  u2 = -14 still
#   y  = 1.57 * 5.54 + 2 * 0 = 8.6978
#   L  = 1/2 (8.6978 - 20)^2 = 1/2 * 11.3022^2 = 1/2 * 127.73972484 = 63.86986242
# (The step overshoots, from y = 33 to y = 8.6978 past t = 20, but the loss still falls.)
Y_NEW = 8.6978
L_NEW = 63.86986242


def build():
    net = Sequential(Linear.from_weights(W1, None), ReLU(), Linear.from_weights(W2))
    return net, MeanSquaredError(half=True)


def test_network_has_no_biases_and_the_given_weights():
    net, _ = build()
    assert sorted(net.params) == ["0.W", "2.W"]
    assert net.params["0.W"] == pytest.approx(W1)
    assert net.params["2.W"] == pytest.approx(W2)


def test_forward_pass_matches_hand_computation():
    net, loss = build()
    u = net[0].forward(X)
    assert u[0] == pytest.approx(U)
    h = net[1].forward(u)
    assert h[0] == pytest.approx(H)
    y = net[2].forward(h)
    assert y[0, 0] == pytest.approx(Y)
    assert net.forward(X)[0, 0] == pytest.approx(Y)
    assert loss.forward(net.forward(X), T) == pytest.approx(L0)


def test_backward_pass_matches_hand_computation():
    net, loss = build()
    loss.forward(net.forward(X), T)
    dy = loss.backward()
    assert dy == pytest.approx(np.array([[DL_DY]]))
    dx = net.backward(dy)
    g = net.grads
    assert g["2.W"][0, 0] == pytest.approx(143.0)  # weight h1 -> y
    assert g["0.W"][0, 0] == pytest.approx(78.0)   # weight x1 -> hidden unit 1
    assert g["0.W"] == pytest.approx(np.array(DW1))
    assert g["2.W"] == pytest.approx(np.array(DW2))
    assert dx == pytest.approx(np.array(DX))


def test_hand_gradients_agree_with_numerical_differentiation():
    net, loss = build()

    def f():
        return loss.forward(net.forward(X), T)

    assert numerical_gradient(f, net.params["0.W"]) == pytest.approx(np.array(DW1), abs=1e-6)
    assert numerical_gradient(f, net.params["2.W"]) == pytest.approx(np.array(DW2), abs=1e-6)
    errors = check_model(net, loss, X, T)
    assert set(errors) == {"0.W", "2.W"}
    assert max(errors.values()) < 1e-7


def test_one_sgd_step_gives_the_hand_computed_weights_and_loss():
    net, loss = build()
    loss.forward(net.forward(X), T)
    net.backward(loss.backward())
    SGD(LR).update(net.params, net.grads)
    assert net[0].params["W"] == pytest.approx(np.array(W1_NEW), abs=1e-12)
    assert net[2].params["W"] == pytest.approx(np.array(W2_NEW), abs=1e-12)
    y = net.forward(X)
    assert y[0, 0] == pytest.approx(Y_NEW, abs=1e-12)
    new_loss = loss.forward(y, T)
    assert new_loss == pytest.approx(L_NEW, abs=1e-10)
    assert new_loss < L0


# The same example in the standard convention, L = (y - t)^2 (mean squared error as
# scikit-learn's mean_squared_error and PyTorch's MSELoss compute it; N = 1):
#   L      = (33 - 20)^2 = 169
#   dL/dy  = 2 (y - t) = 2 * 13 = 26                    (twice the 1/2-convention value)
#   weight h1 -> y:  26 * h1 = 26 * 11 = 286
#   delta  = (26 * 3 * 1, 26 * 2 * 0) = (78, 0)
#   weight x1 -> unit 1:  x1 * delta1 = 2 * 78 = 156;  column of unit 1: (156, 234, 78)
# One SGD step with lr = 0.01:
#   W2: 3 - 2.86 = 0.14, 2 - 0 = 2
#   W1 column 0: 3 - 1.56 = 1.44, 1 - 2.34 = -1.34, 2 - 0.78 = 1.22
#   u1 = 2*1.44 + 3*(-1.34) + 1*1.22 = 2.88 - 4.02 + 1.22 = 0.08;  u2 = -14 still
#   y  = 0.14 * 0.08 = 0.0112
#   L  = (0.0112 - 20)^2 = 19.9888^2 = 400 - 0.448 + 0.00012544 = 399.55212544
# The doubled gradient doubles the step: it overshoots far past t and the loss rises.
L0_STD = 169.0
DL_DY_STD = 26.0
DW1_STD = [[156.0, 0.0], [234.0, 0.0], [78.0, 0.0]]
DW2_STD = [[286.0], [0.0]]
W1_NEW_STD = [[1.44, -2.0], [-1.34, -3.0], [1.22, -1.0]]
W2_NEW_STD = [[0.14], [2.0]]
Y_NEW_STD = 0.0112
L_NEW_STD = 399.55212544


def test_standard_convention_step_matches_hand_computation_and_sklearn():
    from sklearn.metrics import mean_squared_error

    net, _ = build()
    loss = MeanSquaredError()
    y = net.forward(X)
    assert loss.forward(y, T) == pytest.approx(L0_STD)
    assert mean_squared_error(T, y) == pytest.approx(L0_STD)
    assert loss.backward() == pytest.approx(np.array([[DL_DY_STD]]))
    net.backward(loss.backward())
    assert net.grads["0.W"] == pytest.approx(np.array(DW1_STD))
    assert net.grads["2.W"] == pytest.approx(np.array(DW2_STD))
    SGD(LR).update(net.params, net.grads)
    assert net[0].params["W"] == pytest.approx(np.array(W1_NEW_STD), abs=1e-12)
    assert net[2].params["W"] == pytest.approx(np.array(W2_NEW_STD), abs=1e-12)
    y = net.forward(X)
    assert y[0, 0] == pytest.approx(Y_NEW_STD, abs=1e-12)
    new_loss = loss.forward(y, T)
    assert new_loss == pytest.approx(L_NEW_STD, abs=1e-9)
    assert mean_squared_error(T, y) == pytest.approx(L_NEW_STD, abs=1e-9)
    assert new_loss > L0_STD


def test_standard_step_equals_half_convention_step_with_twice_the_rate():
    net_std, _ = build()
    net_half, half = build()
    std = MeanSquaredError()
    std.forward(net_std.forward(X), T)
    net_std.backward(std.backward())
    SGD(LR).update(net_std.params, net_std.grads)
    half.forward(net_half.forward(X), T)
    net_half.backward(half.backward())
    SGD(2 * LR).update(net_half.params, net_half.grads)
    for key in net_std.params:
        assert net_std.params[key] == pytest.approx(net_half.params[key], abs=1e-12)
