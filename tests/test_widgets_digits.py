"""DigitExplorer (chapter 7): choosing an image index shows that image, the model's softmax as
the bar heights, and the predicted class; bad inputs are rejected with clear messages."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from nnlib import SGD, SoftmaxCrossEntropy, accuracy, fit, load_mnist, mlp, softmax  # noqa: E402
from nnlib.widgets import DigitExplorer  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    """A small network trained briefly on part of MNIST (about 90 % test accuracy)."""
    (x, t), (xt, tt) = load_mnist()
    rng = np.random.default_rng(0)
    model = mlp([784, 32, 10], "relu", rng=rng, dtype="float32")
    fit(model, SoftmaxCrossEntropy(), SGD(0.1), x[:6000], t[:6000], epochs=3, batch_size=100,
        rng=rng, progress=False, eval_train=False)
    xt, tt = xt[:500], tt[:500]
    assert accuracy(model, xt, tt) > 0.85  # trained: the predictions below mean something
    return model, xt, tt


@pytest.fixture
def explorer(trained):
    model, xt, tt = trained
    return DigitExplorer(model, xt, tt, index=0)


def expected_probabilities(model, x, i):
    return softmax(model.predict(x[i:i + 1]))[0]


def test_initial_state_shows_image_0(trained, explorer):
    _, xt, tt = trained
    s = explorer.state
    assert s["index"] == 0 and s["label"] == tt[0] == 7  # the first MNIST test image is a 7
    np.testing.assert_array_equal(s["image"], xt[0].reshape(28, 28))
    assert s["predicted"] == 7 and s["correct"]


@pytest.mark.parametrize("index", [0, 1, 17, 499])
def test_setting_the_index_updates_probabilities_and_prediction(trained, explorer, index):
    model, xt, tt = trained
    explorer.set(index=index)
    s = explorer.state
    assert s["index"] == index and s["label"] == tt[index]
    p = s["probabilities"]
    assert p.shape == (10,) and (p >= 0).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(p, expected_probabilities(model, xt, index), rtol=1e-6)
    assert s["predicted"] == int(np.argmax(p))
    assert s["correct"] == (s["predicted"] == tt[index])


def test_bar_heights_equal_the_models_softmax(trained, explorer):
    model, xt, _ = trained
    for index in (3, 42):
        explorer.controls["index"].value = index  # as a reader moving the slider
        ax_img, ax_bar = explorer.figure.axes
        heights = np.array([bar.get_height() for bar in ax_bar.patches])
        np.testing.assert_allclose(heights, expected_probabilities(model, xt, index), rtol=1e-6)
        np.testing.assert_array_equal(ax_img.images[0].get_array(), xt[index].reshape(28, 28))


def test_the_predicted_bar_is_coloured_by_correctness(trained, explorer):
    _, xt, tt = trained
    wrong = int(explorer.misclassified[0])
    explorer.set(index=wrong)
    s = explorer.state
    assert not s["correct"] and s["predicted"] != tt[wrong]
    bars = explorer.figure.axes[1].patches
    red = bars[s["predicted"]].get_facecolor()
    explorer.set(index=0)  # a correctly classified 7
    green = explorer.figure.axes[1].patches[7].get_facecolor()
    assert red != green
    assert "誤分類です" in explorer.describe(s)
    assert "正しく分類しています" in explorer.describe(explorer.state)


def test_misclassified_lists_exactly_the_wrong_predictions(trained, explorer):
    model, xt, tt = trained
    wrong = np.flatnonzero(model.predict(xt).argmax(axis=1) != tt)
    np.testing.assert_array_equal(explorer.misclassified, wrong)
    assert f"{len(tt):,} 枚中 {wrong.size:,} 枚を誤分類" in explorer.output_text.value


def test_slider_covers_every_image(trained, explorer):
    _, xt, _ = trained
    slider = explorer.controls["index"]
    assert (slider.min, slider.max) == (0, xt.shape[0] - 1)


def test_png_for_the_html_book(explorer):
    png = explorer.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = explorer._repr_mimebundle_()
    assert "image/png" in bundle and bundle["text/plain"].startswith("<DigitExplorer:")


def test_bad_inputs_are_rejected(trained):
    model, xt, tt = trained
    with pytest.raises(ValueError, match=r"DigitExplorer: expected images x as rows, shape \(N, D\), "
                                         r"got \(500, 28, 28\)"):
        DigitExplorer(model, xt.reshape(-1, 28, 28), tt)
    with pytest.raises(ValueError, match=r"DigitExplorer: expected a square number of pixels"):
        DigitExplorer(model, xt[:, :780], tt)
    with pytest.raises(ValueError, match=r"DigitExplorer: expected integer labels t of shape \(500,\)"):
        DigitExplorer(model, xt, tt[:10])
    with pytest.raises(ValueError, match=r"DigitExplorer: expected index in \[0, 499\], got 500"):
        DigitExplorer(model, xt, tt, index=500)
