"""ActivationExplorer: driven by setting its controls, checked on its state and its drawing."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
from traitlets import TraitError  # noqa: E402  (ipywidgets depends on traitlets)

from nnlib import ACTIVATIONS, Maxout, ReLU, Sigmoid, Swish  # noqa: E402
from nnlib.widgets import ActivationExplorer  # noqa: E402
from nnlib.widgets.activation import EXPLORER_ACTIVATIONS, PARAMETER_OF, maxout_pieces  # noqa: E402


@pytest.fixture
def explorer():
    return ActivationExplorer()


@pytest.fixture(scope="module")
def shared():
    # For tests of ``compute`` alone (pure logic): one explorer, no redrawing per test.
    return ActivationExplorer()


def _ydata(explorer, axis):
    return np.asarray(explorer.figure.axes[axis].lines[0].get_ydata(), dtype=float)


def test_sigmoid_gain_one_values(explorer):
    explorer.set(name="sigmoid", gain=1.0)
    s = explorer.state
    i0 = int(np.argmin(np.abs(s["x"])))
    assert s["x"][i0] == 0.0
    # sigma(0) = 1 / (1 + e^0) = 1/2;  sigma'(0) = sigma(0) (1 - sigma(0)) = 1/4, the maximum.
    assert s["y"][i0] == pytest.approx(0.5, abs=1e-12)
    assert s["dy"].max() == pytest.approx(0.25, abs=1e-12)
    assert int(np.argmax(s["dy"])) == i0
    assert s["parameter"] == "gain" and s["value"] == 1.0
    # What is drawn is what was computed.
    np.testing.assert_allclose(_ydata(explorer, 0), s["y"])
    np.testing.assert_allclose(_ydata(explorer, 1), s["dy"])


def test_changing_gain_changes_the_drawn_curve(explorer):
    explorer.set(name="sigmoid", gain=1.0)
    before_f, before_d = _ydata(explorer, 0), _ydata(explorer, 1)
    explorer.controls["gain"].value = 5.0  # through the widget's observer
    after_f, after_d = _ydata(explorer, 0), _ydata(explorer, 1)
    assert not np.allclose(before_f, after_f)
    np.testing.assert_allclose(after_f, Sigmoid(gain=5.0).function(explorer.state["x"]))
    # The derivative of 1/(1+exp(-a x)) peaks at a/4.
    assert after_d.max() == pytest.approx(5.0 / 4, rel=1e-12)
    assert before_d.max() == pytest.approx(0.25, rel=1e-12)


def test_relu_derivative_is_zero_or_one(explorer):
    explorer.set(name="relu")
    d = _ydata(explorer, 1)
    assert set(np.unique(d)) == {0.0, 1.0}
    x = explorer.state["x"]
    np.testing.assert_array_equal(d, (x > 0).astype(float))
    np.testing.assert_array_equal(_ydata(explorer, 0), ReLU().function(x))
    assert explorer.state["parameter"] is None and explorer.state["value"] is None


def test_only_the_relevant_slider_is_enabled(explorer):
    explorer.set(name="relu")
    assert all(explorer.controls[k].disabled for k in ("gain", "alpha", "beta", "k"))
    explorer.set(name="swish")
    assert not explorer.controls["beta"].disabled
    assert explorer.controls["gain"].disabled and explorer.controls["alpha"].disabled


def test_unknown_names_cannot_be_selected(explorer):
    before = explorer.state["name"]
    with pytest.raises(TraitError):
        explorer.controls["name"].value = "softmax"  # not element-wise: not offered
    with pytest.raises(TraitError):
        explorer.controls["name"].value = "no_such_activation"
    assert explorer.controls["name"].value == before
    with pytest.raises(ValueError, match="unknown activation"):
        explorer.compute(name="no_such_activation")
    with pytest.raises(ValueError, match="unknown activation"):
        ActivationExplorer(name="softmax")


def test_offers_every_elementwise_activation(shared):
    assert set(EXPLORER_ACTIVATIONS) == set(ACTIVATIONS) - {"softmax"}
    options = [v for _, v in shared.controls["name"].options]
    assert options == list(EXPLORER_ACTIVATIONS)


@pytest.mark.parametrize("name", [n for n in EXPLORER_ACTIVATIONS if n != "maxout"])
def test_derivative_matches_central_difference(shared, name):
    s = shared.compute(name=name, gain=2.0, alpha=0.3, beta=1.5)
    x, y = s["x"], s["y"]
    h = x[1] - x[0]
    numeric = (y[2:] - y[:-2]) / (2 * h)
    inner = s["dy"][1:-1]
    # Skip the grid points next to a kink (step, ReLU family, hard functions).
    kinks = {"step": [0.0], "relu": [0.0], "leaky_relu": [0.0], "prelu": [0.0], "elu": [0.0],
             "hard_sigmoid": [-2.0, 2.0], "hard_tanh": [-1.0, 1.0]}.get(name, [])
    near = np.zeros(inner.shape, dtype=bool)
    for c in kinks:
        near |= np.abs(x[1:-1] - c) <= 1.5 * h
    np.testing.assert_allclose(inner[~near], numeric[~near], atol=2e-3)


def test_parameter_reaches_the_activation(shared):
    s = shared.compute(name="swish", beta=3.0)
    x = s["x"]
    np.testing.assert_allclose(s["y"], Swish(beta=3.0).function(x))
    assert shared.compute(name="leaky_relu", alpha=0.2)["y"][0] == pytest.approx(0.2 * x[0])
    assert shared.compute(name="elu", alpha=1.5)["y"][0] == pytest.approx(1.5 * np.expm1(x[0]))
    assert shared.compute(name="prelu", alpha=0.4)["y"][0] == pytest.approx(0.4 * x[0])
    assert PARAMETER_OF["prelu"] == "alpha"


def test_maxout_pieces_and_derivative(explorer):
    explorer.set(name="maxout", k=2)
    s = explorer.state
    x = s["x"]
    slopes, intercepts = maxout_pieces(2)
    # Tangents of x^2/4 at -4 and 4: slopes -2 and 2, intercepts -4: max = 2|x| - 4.
    np.testing.assert_allclose(slopes, [-2.0, 2.0])
    np.testing.assert_allclose(intercepts, [-4.0, -4.0])
    np.testing.assert_allclose(s["y"], 2 * np.abs(x) - 4)
    np.testing.assert_allclose(s["y"], Maxout.piecewise(x, slopes, intercepts))
    np.testing.assert_array_equal(s["dy"][x < 0], -2.0)
    np.testing.assert_array_equal(s["dy"][x > 0], 2.0)
    # More pieces: closer to the convex curve x^2/4, and never above it (tangents lie below).
    gaps = []
    for k in (2, 3, 5, 8):
        gap = x ** 2 / 4 - explorer.compute(name="maxout", k=k)["y"]
        assert gap.min() >= -1e-12
        gaps.append(gap.max())
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < gaps[0] / 5
    with pytest.raises(ValueError):
        maxout_pieces(0)


def test_png_and_hint(explorer):
    png = explorer.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = explorer._repr_mimebundle_()
    assert "image/png" in bundle and "JupyterLab" in bundle["text/plain"]
    assert bundle["application/vnd.nnlib.live+json"]["kind"] == "activation"
    assert "0.5000" in explorer.output_text.value  # f(0) of the initial sigmoid
