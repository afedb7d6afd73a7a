"""The benchmark's lean NumPy loop computes what nnlib's fit computes, bit for bit.

benchmarks/README.md compares their speed and says they do the same arithmetic (same
initial weights, same mini-batches, same operations in the same order); this checks it on
a small slice of MNIST for every default protocol.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from nnlib import load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import mnist_mlp as bench  # noqa: E402


@pytest.fixture(scope="module")
def small_mnist():
    (x, t), (xt, tt) = load_mnist()
    return (x[:700], t[:700]), (xt[:200], tt[:200])


@pytest.mark.parametrize("protocol", bench.DEFAULT_PROTOCOLS)
def test_lean_loop_trains_exactly_like_nnlib(protocol, small_mnist):
    proto = bench.PROTOCOLS[protocol]  # 700 samples, batch 100: 7 steps per epoch
    got_nnlib, got_lean = {}, {}
    _, acc_nnlib = bench.run_nnlib(proto, small_mnist, 2, 0, keep=got_nnlib)
    _, acc_lean = bench.run_lean(proto, small_mnist, 2, 0, keep=got_lean)
    assert len(got_nnlib["weights"]) == len(got_lean["weights"]) == len(proto["sizes"]) - 1
    for (W, b), (W_lean, b_lean) in zip(got_nnlib["weights"], got_lean["weights"]):
        np.testing.assert_array_equal(W, W_lean)
        np.testing.assert_array_equal(b, b_lean)
    assert acc_nnlib == acc_lean
    # and training did something: the weights moved from their initial values
    W0 = bench.initial_weights(proto, 0)[0][0]
    assert not np.array_equal(W0, got_nnlib["weights"][0][0])
