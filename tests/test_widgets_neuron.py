"""NeuronExplorer (chapter 1): presets give the right truth tables, the drawing follows the
controls, and ``compute`` is a pure function of the control values."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from nnlib import Linear, Sequential, Sigmoid, logic_gate  # noqa: E402
from nnlib.widgets import NeuronExplorer  # noqa: E402
from nnlib.widgets.neuron import NEURON_PRESETS, boundary_line  # noqa: E402


@pytest.fixture
def explorer():
    return NeuronExplorer()


def test_initial_state_is_and(explorer):
    assert explorer.values["preset"] == "AND"
    np.testing.assert_array_equal(explorer.state["table"], [0, 0, 0, 1])
    assert explorer.state["matches"] == 4


@pytest.mark.parametrize("preset, table", [
    ("AND", [0, 0, 0, 1]),
    ("OR", [0, 1, 1, 1]),
    ("NAND", [1, 1, 1, 0]),
])
def test_presets_give_truth_tables(explorer, preset, table):
    explorer.set(preset=preset)
    np.testing.assert_array_equal(explorer.state["table"], table)
    np.testing.assert_array_equal(explorer.state["target"], table)
    assert explorer.state["matches"] == 4
    # the preset moved the sliders to its weights
    for k, v in NEURON_PRESETS[preset][1].items():
        assert explorer.controls[k].value == pytest.approx(v)


@pytest.mark.parametrize("preset", list(NEURON_PRESETS))
def test_choosing_a_preset_in_the_dropdown_moves_the_sliders(preset):
    explorer = NeuronExplorer(preset="XOR (試行)" if preset != "XOR (試行)" else "AND")
    explorer.controls["preset"].value = preset  # as a reader would, through the widget
    assert explorer.state["preset"] == preset
    for k, v in NEURON_PRESETS[preset][1].items():
        assert explorer.controls[k].value == pytest.approx(v)
        assert explorer.state[k] == pytest.approx(v)


def test_xor_attempt_gets_at_most_three_rows(explorer):
    explorer.set(preset="XOR (試行)")
    np.testing.assert_array_equal(explorer.state["target"], logic_gate("XOR")[1])
    assert explorer.state["matches"] == 3
    # no setting of the sliders on their grid does better (XOR is not linearly separable)
    best = 0
    for w1 in np.arange(-3, 3.01, 1.0):
        for w2 in np.arange(-3, 3.01, 1.0):
            for b in np.arange(-3, 3.01, 1.0):
                s = explorer.compute(preset="XOR (試行)", w1=w1, w2=w2, b=b, gain=5.0)
                best = max(best, s["matches"])
    assert best == 3


def test_outputs_are_the_nnlib_neuron(explorer):
    explorer.set(w1=0.7, w2=-1.3, b=0.2, gain=3.0)
    x, _ = logic_gate("AND")
    model = Sequential(Linear.from_weights([[0.7], [-1.3]], [0.2]), Sigmoid(gain=3.0))
    np.testing.assert_allclose(explorer.state["outputs"], model.forward(x).ravel(), rtol=1e-12)
    # worked by hand: u = x1*0.7 + x2*(-1.3) + 0.2 for the inputs 00, 01, 10, 11
    np.testing.assert_allclose(explorer.state["u"], [0.2, -1.1, 0.9, -0.4], atol=1e-12)
    np.testing.assert_array_equal(explorer.state["table"], [1, 0, 1, 0])


def test_gain_changes_outputs_and_image_but_not_table(explorer):
    img0 = explorer.figure.axes[0].images[0].get_array().copy()
    y0 = explorer.state["outputs"].copy()
    explorer.controls["gain"].value = 15.0
    img1 = explorer.figure.axes[0].images[0].get_array()
    y1 = explorer.state["outputs"]
    assert not np.allclose(img0, img1)
    assert not np.allclose(y0, y1)
    # a larger gain pushes every output towards 0 or 1
    assert np.all(np.abs(y1 - 0.5) > np.abs(y0 - 0.5))
    # the sign of u, hence the truth table, does not depend on the gain
    np.testing.assert_array_equal(explorer.state["table"], [0, 0, 0, 1])


def test_w1_moves_the_boundary_line(explorer):
    line = explorer.figure.axes[0].lines[0]
    xs0, ys0 = np.array(line.get_xdata()), np.array(line.get_ydata())
    # AND: x1 + x2 - 1.5 = 0, so x2 = 1.5 - x1 along the line
    np.testing.assert_allclose(ys0, 1.5 - xs0)
    explorer.controls["w1"].value = 2.0
    line = explorer.figure.axes[0].lines[0]
    xs1, ys1 = np.array(line.get_xdata()), np.array(line.get_ydata())
    assert not (np.allclose(xs0, xs1) and np.allclose(ys0, ys1))
    # every plotted point lies on 2 x1 + x2 - 1.5 = 0
    np.testing.assert_allclose(2.0 * xs1 + ys1 - 1.5, 0, atol=1e-12)


def test_boundary_line_vertical_and_absent():
    xs, ys = boundary_line(2.0, 0.0, -1.0)
    np.testing.assert_allclose(xs, 0.5)  # 2 x1 - 1 = 0
    xs, ys = boundary_line(0.0, 0.0, 1.0)
    assert xs.size == 0 and ys.size == 0


def test_compute_is_pure(explorer):
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in explorer.state.items()}
    values = explorer.values
    a = explorer.compute(preset="OR", w1=-2.0, w2=0.5, b=0.3, gain=7.0)
    b = explorer.compute(preset="OR", w1=-2.0, w2=0.5, b=0.3, gain=7.0)
    for k in a:
        if k == "line":
            for p, q in zip(a[k], b[k]):
                np.testing.assert_array_equal(p, q)
        else:
            np.testing.assert_array_equal(a[k], b[k])
    # computing changed neither the controls nor the shown state
    assert explorer.values == values
    for k, v in before.items():
        if k != "line":
            np.testing.assert_array_equal(explorer.state[k], v)


def test_describe_is_a_truth_table(explorer):
    html = explorer.output_text.value
    assert html.startswith("<p>目標 AND: 4/4")
    assert html.count("<tr>") == 5  # header and four rows


def test_bad_preset_is_rejected(explorer):
    with pytest.raises(ValueError, match="unknown preset"):
        explorer.set(preset="XNOR")
    with pytest.raises(ValueError, match="unknown preset"):
        NeuronExplorer(preset="nope")


def test_repr_has_png_and_fixed_text(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "image/png" in bundle
    assert bundle["text/plain"].startswith("<NeuronExplorer:")
