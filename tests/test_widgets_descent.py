"""GradientDescentExplorer and the one-parameter least-squares helpers (chapter 6)."""

import numpy as np
import pytest

from nnlib import numerical_gradient
from nnlib.widgets.descent import (A0, DATA_X, DATA_Y, GradientDescentExplorer, closed_form,
                                   contraction, critical_rate, gradient, gradient_descent, loss)


@pytest.fixture
def explorer():
    # A fresh explorer per test: test_explorer_initial_state must not depend on the order in
    # which pytest-randomly runs the tests that move the sliders.
    pytest.importorskip("ipywidgets")
    return GradientDescentExplorer()


def test_worked_example_first_step():
    # x = (1, 2, 3, 4), y = (2.1, 3.9, 6.2, 7.9): sum x y = 2.1 + 7.8 + 18.6 + 31.6 = 60.1,
    # sum x^2 = 1 + 4 + 9 + 16 = 30, so dL/da at a = 0 is -2 * 60.1 = -120.2 and one step
    # with lr = 0.01 gives a_1 = 0 + 0.01 * 120.2 = 1.202.
    assert gradient(0.0) == pytest.approx(-120.2)
    assert gradient_descent(0.01, 1, a0=0.0)["path"][1] == pytest.approx(1.202)
    assert closed_form() == pytest.approx(60.1 / 30)
    assert critical_rate() == pytest.approx(1 / 30)
    # L(0) = sum y^2 = 4.41 + 15.21 + 38.44 + 62.41 = 120.47
    assert loss(0.0) == pytest.approx(120.47)


def test_closed_form_is_least_squares_solution():
    a_lstsq = np.linalg.lstsq(DATA_X[:, None], DATA_Y, rcond=None)[0][0]
    assert closed_form() == pytest.approx(a_lstsq, rel=1e-12)
    assert gradient(closed_form()) == pytest.approx(0.0, abs=1e-12)


def test_gradient_matches_numerical_derivative():
    for a in (-1.0, 0.0, 0.7, 2.0, 3.5):
        p = np.array([a])
        num = numerical_gradient(lambda: float(loss(p[0])), p)[0]
        assert gradient(a) == pytest.approx(num, rel=1e-6, abs=1e-6)


def test_loss_and_gradient_accept_arrays():
    a = np.linspace(-1, 4, 7)
    assert loss(a).shape == (7,)
    np.testing.assert_allclose(loss(a), [loss(v) for v in a])
    np.testing.assert_allclose(gradient(a), [gradient(v) for v in a])


def test_error_contracts_by_the_predicted_factor():
    for lr in (0.002, 0.01, 0.03, 0.04):
        s = gradient_descent(lr, 8)
        err = s["path"] - s["a_star"]
        np.testing.assert_allclose(err[1:], contraction(lr) * err[:-1], rtol=1e-9, atol=1e-12)


def test_small_rate_converges_to_closed_form():
    s = gradient_descent(0.005, 50)
    assert s["converged"] and not s["diverged"]
    assert s["path"][-1] == pytest.approx(closed_form(), abs=1e-6)
    assert np.all(np.diff(s["losses"]) < 0)  # 0 < r < 1: every step lowers the loss
    assert not s["oscillating"]


def test_rate_just_below_critical_oscillates_but_converges():
    s = gradient_descent(0.95 * critical_rate(), 400)
    assert s["oscillating"] and s["converged"]
    err = s["path"][:6] - s["a_star"]
    assert np.all(err[1:] * err[:-1] < 0)  # the sign alternates


def test_rate_above_critical_diverges():
    s = gradient_descent(1.2 * critical_rate(), 30)
    assert s["diverged"] and not s["converged"]
    assert np.all(np.diff(np.abs(s["path"][5:])) > 0)  # |a| grows
    assert abs(s["path"][-1]) > 100


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="learning rate"):
        gradient_descent(0.0, 5)
    with pytest.raises(ValueError, match="steps"):
        gradient_descent(0.01, -1)


def test_explorer_initial_state(explorer):
    s = explorer.state
    assert explorer.values == {"lr": pytest.approx(0.01), "steps": 10, "a0": A0}
    assert s["path"].shape == (11,) and s["converged"]


def test_explorer_draws_steps_plus_one_points(explorer):
    for steps in (1, 7, 25):
        explorer.set(lr=0.01, steps=steps)
        path_line = explorer.figure.axes[0].lines[1]
        assert len(path_line.get_xdata()) == steps + 1
        np.testing.assert_allclose(path_line.get_xdata(), explorer.state["path"])
        np.testing.assert_allclose(path_line.get_ydata(), loss(explorer.state["path"]))


def test_explorer_large_rate_diverges_and_says_so(explorer):
    explorer.set(lr=0.05, steps=20)
    assert explorer.state["diverged"]
    assert "発散" in explorer.describe(explorer.state)
    xs = explorer.figure.axes[0].lines[1].get_xdata()
    assert abs(xs[-1]) > abs(xs[1]) > 0
    explorer.set(lr=0.001, steps=50)
    assert not explorer.state["diverged"]
    assert "発散" not in explorer.describe(explorer.state)


def test_explorer_slider_change_recomputes(explorer):
    explorer.set(lr=0.01, steps=5)
    before = explorer.state["path"].copy()
    explorer.controls["a0"].value = 4.0
    assert explorer.state["path"][0] == 4.0
    assert not np.allclose(before, explorer.state["path"])
    assert explorer.png().startswith(b"\x89PNG")
