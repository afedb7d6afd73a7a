"""Train the small MNIST classifier that chapter 7's digit explorer ships with.

    .venv/bin/python tools/train_digits_model.py

A 784-100-10 network (ReLU, He initialisation) is trained by nnlib with Adam (lr 0.001,
mini-batches of 100, 8 epochs, seed 0) on the 60,000 training images. The weights are
stored int8-quantized (one scale per weight matrix, symmetric: ``W ≈ scale * q`` with
``q`` in [-127, 127]); the biases stay float32. The explorer uses the dequantized weights,
in the notebook (nnlib) and in the HTML book (JavaScript) alike. The script writes
``data/models/digits_784_100_10.npz`` with fixed zip timestamps (reproducible bytes on one
machine) and prints its SHA-256 and the test accuracy of the quantized network; copy both
into ``data/models/README.md`` and ``nnlib/widgets/digits.py`` (``BUNDLED_SHA256``).
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnlib import load_mnist  # noqa: E402
from nnlib.layers import mlp  # noqa: E402
from nnlib.losses import SoftmaxCrossEntropy  # noqa: E402
from nnlib.optimizers import Adam  # noqa: E402
from nnlib.training import fit  # noqa: E402

OUT = ROOT / "data" / "models" / "digits_784_100_10.npz"
SEED, HIDDEN, EPOCHS, BATCH, LR = 0, 100, 8, 100, 1e-3


def quantize(w: np.ndarray):
    """Symmetric int8 quantization: ``(q, scale)`` with ``w ≈ scale * q``."""
    scale = np.float32(np.max(np.abs(np.asarray(w))) / np.float32(127.0))
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale


def save_npz(path: Path, arrays: dict) -> bytes:
    """Like ``np.savez`` but with a fixed timestamp per entry, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, a in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, member.getvalue())
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def main(out: Path = OUT):
    (x_train, t_train), (x_test, t_test) = load_mnist()
    rng = np.random.default_rng(SEED)
    model = mlp([784, HIDDEN, 10], "relu", rng=rng, dtype="float32")
    fit(model, SoftmaxCrossEntropy(), Adam(LR), x_train, t_train, epochs=EPOCHS,
        batch_size=BATCH, rng=rng, progress=False, eval_train=False)
    acc_float = float((model.predict(x_test).argmax(axis=1) == t_test).mean())
    arrays = {}
    for i, layer in enumerate((model[0], model[2]), start=1):
        q, s = quantize(layer.params["W"])
        arrays[f"W{i}_q"], arrays[f"W{i}_scale"] = q, np.array([s], dtype=np.float32).reshape(1)
        arrays[f"b{i}"] = layer.params["b"].astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    blob = save_npz(out, arrays)
    from nnlib.widgets.digits import load_bundled_model
    qmodel = load_bundled_model(out, verify=False)
    acc_q = float((qmodel.predict(x_test.astype(np.float64)).argmax(axis=1) == t_test).mean())
    print(f"float32 test accuracy {acc_float:.4f}; int8 test accuracy {acc_q:.4f}")
    print(f"{out}: {len(blob)} bytes, SHA-256 {hashlib.sha256(blob).hexdigest()}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Train and store the digit explorer's network.")
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT.relative_to(ROOT)})")
    main(ap.parse_args().out)
