"""Figures: each function returns a Figure with the expected artists, and Japanese text
renders without missing glyphs."""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import nnlib.plotting as nnplt
from nnlib import History, Sigmoid


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def glyph_warnings(fig):
    """Draw ``fig`` and return the messages of missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_japanese_font_is_active():
    assert "IPAexGothic" in matplotlib.rcParams["font.family"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False  # IPAexGothic lacks U+2212


def test_japanese_text_has_no_missing_glyphs():
    fig, ax = plt.subplots()
    ax.set_title("活性化関数とその導関数")
    ax.set_xlabel("入力 $x$")
    ax.set_ylabel("出力 −1 から 1")
    ax.plot([-1, 1], [-1, 1], label="シグモイド関数")
    ax.legend()
    assert glyph_warnings(fig) == []


def test_the_glyph_check_does_detect_missing_glyphs():
    # Control: a character that no installed font has must be reported, or the test above
    # could never fail.
    fig, ax = plt.subplots()
    ax.set_title("\U0001F600")
    assert any("GRINNING FACE" in m for m in glyph_warnings(fig))


def test_plot_function_with_derivative():
    x = np.linspace(-2, 2, 9)
    fig = nnplt.plot_function(np.tanh, x, derivative=lambda v: 1 - np.tanh(v) ** 2,
                              label="tanh", derivative_label="導関数",
                              title="双曲線正接関数")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = lines_by_label(ax)
    np.testing.assert_allclose(lines["tanh"].get_ydata(), np.tanh(x))
    np.testing.assert_allclose(lines["導関数"].get_ydata(), 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(lines["tanh"].get_xdata(), x)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["tanh", "導関数"]
    assert ax.get_title() == "双曲線正接関数"
    assert glyph_warnings(fig) == []


def test_plot_function_without_derivative_draws_one_curve():
    fig = nnplt.plot_function(np.abs)
    labelled = [ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in labelled] == ["f(x)"]
    assert len(labelled[0].get_xdata()) == 401  # default grid on [-5, 5]


def test_plot_activation_draws_function_and_derivative():
    act = Sigmoid(gain=2)
    fig = nnplt.plot_activation(act)
    ax = fig.axes[0]
    lines = lines_by_label(ax)
    x = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), 1 / (1 + np.exp(-2 * x)))
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), act.derivative(x))
    assert ax.get_title() == "Sigmoid(gain=2)"


def test_plot_decision_regions():
    x = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    t = np.array([0, 0, 1, 1])
    fig = nnplt.plot_decision_regions(lambda g: (g[:, 0] * g[:, 1] < 0).astype(int), x, t,
                                      resolution=50, title="XOR の決定境界")
    ax = fig.axes[0]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [s.get_label() for s in scatters] == ["クラス 0", "クラス 1"]
    np.testing.assert_array_equal(scatters[1].get_offsets(), x[t == 1])
    assert ax.get_xlim() == pytest.approx((-1.3, 1.3))  # data range plus the margin 0.3
    assert ax.get_xlabel() == "$x_1$"
    assert glyph_warnings(fig) == []


def test_plot_decision_regions_with_probabilities_draws_the_half_contour():
    x = np.array([[-1.0, 0.0], [1.0, 0.0]])
    fig = nnplt.plot_decision_regions(lambda g: 1 / (1 + np.exp(-5 * g[:, 0])), x,
                                      np.array([0, 1]), proba=True, resolution=40)
    ax = fig.axes[0]
    # a filled contour, the 0.5 contour line and two scatter plots
    contour_levels = [list(c.levels) for c in ax.collections if hasattr(c, "levels")]
    assert [0.5] in contour_levels
    assert sum(isinstance(c, PathCollection) for c in ax.collections) >= 2


def _history(with_test=True):
    h = History(epoch=[1, 2, 3], train_loss=[1.0, 0.5, 0.25], train_acc=[0.5, 0.75, 0.875],
                seconds=[0.1] * 3)
    h.test_loss = [1.1, 0.6, 0.4] if with_test else [None] * 3
    h.test_acc = [0.4, 0.7, 0.8] if with_test else [None] * 3
    return h


def test_plot_history():
    fig = nnplt.plot_history(_history(), title="学習曲線")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "損失" and acc_ax.get_ylabel() == "正解率"
    assert loss_ax.get_xlabel() == "エポック"
    lines = lines_by_label(loss_ax)
    assert set(lines) == {"訓練", "テスト"}
    np.testing.assert_array_equal(lines["訓練"].get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(lines_by_label(acc_ax)["テスト"].get_ydata(), [0.4, 0.7, 0.8])
    assert glyph_warnings(fig) == []


def test_plot_history_without_test_set():
    fig = nnplt.plot_history(_history(with_test=False))
    assert [set(lines_by_label(ax)) for ax in fig.axes] == [{"訓練"}, {"訓練"}]


def test_plot_images():
    images = np.arange(5 * 784, dtype=float).reshape(5, 784)
    fig = nnplt.plot_images(images, np.array([3, 1, 4, 1, 5]), ncols=3)
    assert len(fig.axes) == 6  # 2 rows of 3; the last is empty
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5
    assert [ax.get_title() for ax in shown] == ["3", "1", "4", "1", "5"]
    np.testing.assert_array_equal(shown[2].images[0].get_array(), images[2].reshape(28, 28))
    fig2 = nnplt.plot_images(images[:2], titles=["正解 3", "予測 1"])
    assert len(fig2.axes) == 10  # one row of the default ncols=10
    assert [ax.get_title() for ax in fig2.axes[:2]] == ["正解 3", "予測 1"]
    assert glyph_warnings(fig2) == []


def test_plot_confusion_matrix():
    cm = np.array([[5, 1], [2, 7]])
    fig = nnplt.plot_confusion_matrix(cm, ["白", "赤"], title="混同行列")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["白", "赤"]
    assert ax.get_xlabel() == "予測したクラス" and ax.get_ylabel() == "正解のクラス"
    assert glyph_warnings(fig) == []


def test_drawing_on_given_axes_returns_its_figure():
    fig, (a, b) = plt.subplots(1, 2)
    assert nnplt.plot_activation(Sigmoid(), ax=b) is fig
    assert not a.get_lines() and b.get_lines()
