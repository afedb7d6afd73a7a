"""Playground: a network trained live on a 2-D toy data set (chapter 6)."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from nnlib import make_dataset
from nnlib.widgets.playground import DATA_SEED, N_SAMPLES, Playground, train_playground


@pytest.fixture
def playground():
    # A fresh explorer per test: the tests must not depend on their order (pytest-randomly).
    pytest.importorskip("ipywidgets")
    return Playground()


def _scatter_points(fig):
    ax = fig.axes[1]
    pts = [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    return np.concatenate(pts)


def test_xor_tanh_8_units_learns(playground):
    playground.set(dataset="xor", activation="tanh", hidden=8, layers=1, optimizer="adam",
                   lr=0.03, batch_size=10, steps=300, seed=0)
    assert playground.state["accuracy"] >= 0.95


def test_loss_history_decreases_overall():
    s = train_playground("xor", 8, 1, "tanh", 0.03, 10, 300, "adam", 0)
    h = s["loss_history"]
    assert s["loss_steps"][0] == 0 and s["loss_steps"][-1] == 300
    assert h.shape == s["loss_steps"].shape
    assert h[0] == pytest.approx(np.log(2), abs=0.1)  # near-random start: about log 2
    assert h[-1] < 0.5 * h[0]
    assert h[-10:].mean() < h[:10].mean()


def test_deterministic_for_a_fixed_seed():
    a = train_playground("moons", 6, 2, "relu", 0.05, 50, 120, "sgd", 3)
    b = train_playground("moons", 6, 2, "relu", 0.05, 50, 120, "sgd", 3)
    np.testing.assert_array_equal(a["loss_history"], b["loss_history"])
    np.testing.assert_array_equal(a["proba"], b["proba"])
    c = train_playground("moons", 6, 2, "relu", 0.05, 50, 120, "sgd", 4)
    assert not np.array_equal(a["loss_history"], c["loss_history"])
    np.testing.assert_array_equal(a["x"], c["x"])  # the seed changes the net, not the data


def test_same_state_twice_in_the_widget(playground):
    settings = dict(dataset="circles", activation="relu", hidden=5, steps=100, seed=2)
    playground.set(**settings)
    first = {k: playground.state[k].copy() for k in ("loss_history", "proba")}
    playground.set(dataset="xor")
    playground.set(**settings)
    for k, v in first.items():
        np.testing.assert_array_equal(playground.state[k], v)


def test_changing_the_data_set_changes_the_drawn_data(playground):
    playground.set(dataset="xor", steps=50)
    xor_pts = _scatter_points(playground.figure)
    playground.set(dataset="spirals")
    spiral_pts = _scatter_points(playground.figure)
    assert xor_pts.shape == spiral_pts.shape == (N_SAMPLES, 2)
    assert not np.allclose(np.sort(xor_pts, axis=0), np.sort(spiral_pts, axis=0))
    x, _ = make_dataset("spirals", N_SAMPLES, rng=np.random.default_rng(DATA_SEED))
    np.testing.assert_allclose(np.sort(spiral_pts, axis=0), np.sort(x, axis=0))


def test_drawn_loss_curve_and_region_match_state(playground):
    playground.set(dataset="moons", steps=200, batch_size=50)
    s = playground.state
    line = playground.figure.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), s["loss_steps"])
    np.testing.assert_array_equal(line.get_ydata(), s["loss_history"])
    assert s["epochs"] == pytest.approx(200 * 50 / N_SAMPLES)
    assert s["proba"].shape == s["grid_x"].shape
    assert np.all((s["proba"] >= 0) & (s["proba"] <= 1))
    assert "正解率" in playground.figure.axes[1].get_title()


def test_grid_prediction_agrees_with_training_accuracy():
    # 600 steps: the circles need more than the XOR (300 steps reach 87 % with seed 0)
    s = train_playground("circles", 8, 1, "tanh", 0.03, 10, 600, "adam", 0)
    p = s["model"].predict(s["x"])
    pred = p.argmax(axis=1)
    assert s["accuracy"] == pytest.approx(float((pred == s["t"]).mean()))
    assert s["accuracy"] >= 0.95


def test_sgd_and_batch_size_one_also_train():
    s = train_playground("xor", 8, 1, "tanh", 0.1, 1, 400, "sgd", 0)
    assert s["loss_history"][-1] < s["loss_history"][0]
    assert s["epochs"] == pytest.approx(400 / N_SAMPLES)


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="data set"):
        train_playground("iris")
    with pytest.raises(ValueError, match="optimizer"):
        train_playground(optimizer="rmsprop")
    with pytest.raises(KeyError, match="unknown settings"):
        Playground(colour="red")
