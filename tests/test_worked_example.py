"""The hand-worked wine example of chapter 4 as a regression test.

Network (no biases, row-vector convention ``u = x @ W``)::

    x = (x1, x2, x3) = (2, 3, 1)
    weights into hidden unit 1: (3, 1, 2)      -> column 0 of W1
    weights into hidden unit 2: (-2, -3, -1)   -> column 1 of W1
    h = ReLU(u)
    y = 3 h1 + 2 h2  (identity output)          -> W2 = [[3], [2]]
    L = 1/2 (y - t)^2 with t = 20               (MeanSquaredError with N = 1)

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
    return net, MeanSquaredError()


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
