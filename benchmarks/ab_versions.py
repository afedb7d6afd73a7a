"""Side by side: ``fit`` of an earlier commit of nnlib against the working tree's.

The earlier ``nnlib/`` is taken from git (``git archive``) into a temporary folder and
imported under another name (nnlib imports itself only relatively), so both versions
train in one process, alternating epoch runs, on the same data, from the same initial
weights and with the same mini-batches. For each protocol of ``mnist_mlp.py`` it prints
the median CPU seconds per epoch of both and their ratio, and checks that both reach the
same test accuracy (the arithmetic should not have changed).

Usage::

    python benchmarks/ab_versions.py 116090d                  # relu, sigmoid, adam
    python benchmarks/ab_versions.py 116090d --protocols relu --repeats 7
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import mnist_mlp as bench  # noqa: E402
import nnlib  # noqa: E402


def load_old(commit: str, folder: Path):
    """nnlib/ of ``commit`` as the package ``nnlib_<commit>``."""
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "nnlib"],
                          check=True, capture_output=True).stdout
    name = f"nnlib_{commit}"
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "nnlib").rename(folder / name)
    sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def run(lib, proto, data, epochs, seed=0):
    """CPU seconds of each epoch of lib.fit and the test accuracy (evaluation outside)."""
    (x, t), (xt, tt) = data
    model = lib.mlp(proto["sizes"], proto["activation"], init=proto["init"],
                    rng=np.random.default_rng(seed), dtype="float32")
    opt = lib.SGD(proto["lr"]) if proto["optimizer"] == "sgd" else lib.Adam(proto["lr"])
    laps = []
    last = [time.process_time()]

    def lap(*_):
        now = time.process_time()
        laps.append(now - last[0])
        last[0] = now

    last[0] = time.process_time()
    lib.fit(model, lib.SoftmaxCrossEntropy(), opt, x, t, epochs=epochs,
            batch_size=proto["batch"], rng=bench.shuffle_rng(seed), progress=False,
            eval_train=False, callback=lap)
    return laps, lib.accuracy(model, xt, tt)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("commit", help="the earlier commit (e.g. 116090d)")
    ap.add_argument("--protocols", default="relu,sigmoid,adam")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is dropped)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    limiter = bench.set_threads(1)  # noqa: F841
    data = nnlib.load_mnist()
    with tempfile.TemporaryDirectory() as tmp:
        old = load_old(args.commit, Path(tmp))
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              check=True, capture_output=True, text=True).stdout.strip()
        print(f"# fit of nnlib {args.commit} vs the working tree (HEAD {head}), CPU seconds "
              f"per epoch, 1 BLAS thread, {args.repeats} alternating runs of {args.epochs} "
              f"epochs, first epoch of each run dropped")
        for b in bench.blas_info():
            print(f"BLAS: {b['internal_api']} {b['version']}, kernel {b['architecture']}")
        print("\n| protocol | old s/epoch | new s/epoch | new / old | test acc. old / new |")
        print("|---|---:|---:|---:|---|")
        for name in args.protocols.split(","):
            proto = bench.PROTOCOLS[name]
            times = {"old": [], "new": []}
            acc = {}
            for r in range(args.repeats):
                order = (("old", old), ("new", nnlib)) if r % 2 == 0 else \
                    (("new", nnlib), ("old", old))
                for key, lib in order:
                    laps, acc[key] = run(lib, proto, data, args.epochs)
                    times[key] += laps[1:]
            o, n = statistics.median(times["old"]), statistics.median(times["new"])
            print(f"| {name} | {o:.4f} | {n:.4f} | {n / o:.2f} | "
                  f"{acc['old']:.4f} / {acc['new']:.4f} |")
            assert acc["old"] == acc["new"], "the two versions should compute the same numbers"


if __name__ == "__main__":
    main()
