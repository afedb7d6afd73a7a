"""The live views of the explorers: the payload each output carries (data from nnlib), the
anywidget that serves JupyterLab (its state follows Python and Python follows it), the
bundled digit network, and the MyST-NB plugin that renders the payload in the HTML book.

That the JavaScript computes what nnlib computes is checked in a real browser by
``tools/explorer_check.py`` (it needs Chromium, so it runs in CI, not in pytest)."""

import base64
import hashlib
import json

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

from nnlib import make_dataset, softmax  # noqa: E402
from nnlib.widgets import (ActivationExplorer, DigitExplorer, GradientDescentExplorer,  # noqa: E402
                           NeuronExplorer, Playground)
from nnlib.widgets._base import LIVE_JS, LIVE_MIME  # noqa: E402
from nnlib.widgets.digits import (BUNDLED_MODEL, BUNDLED_SHA256, load_bundled_model,  # noqa: E402
                                  preprocess_drawing)
from nnlib.widgets.playground import (DATA_SEED, N_NORMALS, N_SAMPLES, BatchOrder,  # noqa: E402
                                      initial_normals, playground_model)

FORMULA_EXPLORERS = [NeuronExplorer, ActivationExplorer, GradientDescentExplorer, Playground]


def decode(b64, dtype):
    return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dtype).newbyteorder("<"))


@pytest.mark.parametrize("cls", FORMULA_EXPLORERS)
def test_bundle_has_payload_widget_png_and_text(cls):
    ex = cls()
    bundle = ex._repr_mimebundle_()
    assert {LIVE_MIME, "application/vnd.jupyter.widget-view+json", "image/png", "text/plain"} <= set(bundle)
    live = bundle[LIVE_MIME]
    json.dumps(live)  # JSON as it is stored in the notebook
    assert live["version"] == 1 and live["kind"] == cls.live_kind
    assert live["values"] == ex.values


def test_payload_values_follow_python():
    ex = GradientDescentExplorer()
    ex.set(lr=0.02, steps=7)
    assert ex.live_bundle()["values"] == {"lr": 0.02, "steps": 7, "a0": 0.0}


def test_widget_follows_python_and_python_follows_widget():
    ex = NeuronExplorer()
    w = ex.widget
    assert w.payload["kind"] == "neuron" and w.values["preset"] == "AND"
    ex.set(preset="OR")                          # Python -> the live view
    assert w.values["preset"] == "OR" and w.values["b"] == -0.5
    w.values = {**w.values, "preset": "NAND", "w1": -1.0, "w2": -1.0, "b": 1.5}  # the browser -> Python
    assert ex.values["preset"] == "NAND"
    np.testing.assert_array_equal(ex.state["table"], [1, 1, 1, 0])
    w.values = {**w.values, "gain": 2.0}
    assert ex.state["gain"] == 2.0 and ex.controls["gain"].value == 2.0


def test_widget_module_is_the_book_script():
    w = ActivationExplorer().widget
    assert w._esm.startswith(LIVE_JS.read_text(encoding="utf-8"))
    assert "export default" in w._esm and "NNLibLive.render" in w._esm


def test_playground_payload_is_nnlibs_data_and_initial_numbers():
    d = Playground().live_payload()
    for name, ds in d["datasets"].items():
        x, t = make_dataset(name, N_SAMPLES, rng=np.random.default_rng(DATA_SEED))
        np.testing.assert_array_equal(decode(ds["x"], "float64").reshape(-1, 2), x)
        np.testing.assert_array_equal(decode(ds["t"], "uint8"), t)
    for seed in ("0", "7"):
        z = decode(d["normals"][seed], "float32").astype(np.float64)
        np.testing.assert_array_equal(z, initial_normals(int(seed)))
        assert z.shape == (N_NORMALS,)


def test_initial_normals_are_numpys_draws_rounded_to_float32():
    z = initial_normals(3)
    ref = np.random.default_rng(3).standard_normal(N_NORMALS)
    assert np.abs(z - ref).max() < 1e-6 * np.abs(ref).max()
    np.testing.assert_array_equal(z, z.astype(np.float32))


def test_playground_model_takes_consecutive_normals():
    z = initial_normals(1)
    m = playground_model(4, 2, "relu", 1)  # He: sqrt(2 / fan_in)
    np.testing.assert_array_equal(m[0].params["W"], np.sqrt(2.0 / 2) * z[:8].reshape(2, 4))
    np.testing.assert_array_equal(m[2].params["W"], np.sqrt(2.0 / 4) * z[8:24].reshape(4, 4))
    m = playground_model(4, 1, "tanh", 1)  # Xavier: sqrt(2 / (fan_in + fan_out))
    np.testing.assert_array_equal(m[2].params["W"], np.sqrt(2.0 / 6) * z[8:16].reshape(4, 2))
    assert all(np.all(layer.params["b"] == 0) for layer in m if "b" in layer.params)


def test_batch_order_is_a_reproducible_permutation_per_epoch():
    a, b = BatchOrder(0), BatchOrder(0)
    p1, p2 = a.permutation(N_SAMPLES), a.permutation(N_SAMPLES)
    np.testing.assert_array_equal(np.sort(p1), np.arange(N_SAMPLES))
    assert not np.array_equal(p1, p2)               # reshuffled every epoch
    np.testing.assert_array_equal(b.permutation(N_SAMPLES), p1)
    assert not np.array_equal(BatchOrder(1).permutation(N_SAMPLES), p1)
    assert all(0 < BatchOrder(s).state < 2 ** 32 for s in range(10))


def test_bundled_model_checksum_and_accuracy():
    assert hashlib.sha256(BUNDLED_MODEL.read_bytes()).hexdigest() == BUNDLED_SHA256
    ex = DigitExplorer.from_bundled()
    assert ex.t.shape == (10000,)
    acc = 1 - ex.misclassified.size / ex.t.size
    assert acc > 0.97  # data/models/README.md: 97.52 %
    ex.set(index=0)
    assert ex.state["predicted"] == 7 and ex.state["correct"]


def test_bundled_model_rejects_a_damaged_file(tmp_path):
    bad = tmp_path / "m.npz"
    blob = bytearray(BUNDLED_MODEL.read_bytes())
    blob[100] ^= 0xFF
    bad.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"load_bundled_model: .*m\.npz has SHA-256 .*expected"):
        load_bundled_model(bad)
    with pytest.raises(FileNotFoundError, match="load_bundled_model: .*missing"):
        load_bundled_model(tmp_path / "none.npz")


def test_digits_payload_ships_int8_weights_and_the_misclassified_images():
    ex = DigitExplorer.from_bundled()
    d = ex.live_payload()
    idx = np.array(d["indices"])
    assert idx.size == 200 and np.all(np.diff(idx) > 0)
    wrong_shipped = np.intersect1d(idx, ex.misclassified)
    assert wrong_shipped.size >= 50
    lin = d["network"][0]
    assert lin["dtype"] == "int8" and lin["shape"] == [784, 100]
    w = decode(lin["W"], "int8").astype(np.float64).reshape(784, 100) * lin["scale"]
    np.testing.assert_array_equal(w, ex.model[0].params["W"])
    images = decode(d["images"], "uint8").reshape(200, 784) / 255.0
    np.testing.assert_array_equal(images, ex.x[idx])       # MNIST grey levels are k / 255
    p = softmax(ex.model.predict(images))
    assert (p.argmax(axis=1) != np.array(d["labels"])).sum() == wrong_shipped.size
    assert len(json.dumps(ex.live_bundle())) < 400_000     # page weight of chapter 7's explorer


def test_the_old_constructor_ships_float_weights():
    ex = DigitExplorer.from_bundled()
    from nnlib import mlp
    model = mlp([4, 8, 2], "relu", rng=np.random.default_rng(0))  # any Linear/ReLU network
    x = np.random.default_rng(0).random((30, 4))
    t = np.arange(30) % 2
    small = DigitExplorer(model, x, t)
    d = small.live_payload()
    assert d["side"] == 2 and [s["type"] for s in d["network"]] == ["linear", "relu", "linear"]
    np.testing.assert_array_equal(decode(d["network"][0]["W"], "float64").reshape(4, 8),
                                  model[0].params["W"])
    assert ex.live_kind == small.live_kind == "digits"


def test_preprocess_drawing_is_mnist_like():
    ink = np.zeros((280, 280))
    ink[30:250, 100:140] = 1.0                     # a tall bar, left of centre
    img = preprocess_drawing(ink).reshape(28, 28)
    rows, cols = np.flatnonzero(img.max(axis=1) > 0), np.flatnonzero(img.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == 20            # the longer side scaled to 20 pixels
    cy = (img.sum(axis=1) * np.arange(28)).sum() / img.sum()
    cx = (img.sum(axis=0) * np.arange(28)).sum() / img.sum()
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5   # centre of mass at the centre
    assert img.max() <= 1 and img.min() >= 0
    assert not preprocess_drawing(np.zeros((10, 10))).any()


# -- the MyST-NB plugin --------------------------------------------------------------------------
class _FakeRenderer:
    """What the plugin uses of MyST-NB's NbElementRenderer."""

    class renderer:  # noqa: N801 - mirrors the attribute name
        document = {"source": "chapters/x.ipynb"}

    def render_image(self, data):
        from docutils import nodes
        return [nodes.image(uri=f"/{len(data.content)}.png")]


def _mime(mime_type, content, cell=3, output=0):
    from myst_nb.core.render import MimeData
    return MimeData(mime_type, content, cell_index=cell, output_index=output)


@pytest.mark.parametrize("png_first", [False, True])
def test_myst_plugin_renders_the_payload_with_the_png_inside(png_first):
    from docutils import nodes

    from nnlib.widgets._myst import LiveMimeRenderer
    r = _FakeRenderer()
    bundle = NeuronExplorer()._repr_mimebundle_()
    png = _mime("image/png", bundle["image/png"])
    if png_first:
        assert LiveMimeRenderer.handle_mime(r, png, False) is None  # the PNG renders as usual
    out = LiveMimeRenderer.handle_mime(r, _mime(LIVE_MIME, bundle[LIVE_MIME]), False)
    if not png_first:
        assert LiveMimeRenderer.handle_mime(r, png, False) is None
    (box,) = out
    raw = [n.astext() for n in box.findall(nodes.raw)]
    assert raw[0].startswith('<div class="nnlib-live" data-kind="neuron">')
    payload = raw[0].split('class="nnlib-live-data">', 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(payload.replace("<\\/", "</")) == json.loads(json.dumps(bundle[LIVE_MIME]))
    (img,) = list(box.findall(nodes.image))
    assert "ニューロン" in img["alt"]
    assert LiveMimeRenderer.handle_mime(r, _mime("text/plain", "x"), False) is None


def test_myst_plugin_priorities_choose_the_payload_in_html_only():
    from myst_nb.core.render import get_mime_priority
    bundle = {LIVE_MIME, "application/vnd.jupyter.widget-view+json", "image/png", "text/plain"}
    for builder in ("html", "dirhtml", "singlehtml"):
        assert next(m for m in get_mime_priority(builder, []) if m in bundle) == LIVE_MIME
    assert next(m for m in get_mime_priority("latex", []) if m in bundle) == "image/png"
