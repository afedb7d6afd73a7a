"""Bad input to nnlib.datasets: one row per case, each a clear error that names the function,
what was expected and what came, and leaves everything as it was (the caller's arrays, the
random generator's state, the files on disk and load_mnist's in-memory cache).

(The other modules' table is tests/test_bad_input.py.)
"""

import copy

import numpy as np
import pytest

from nnlib import (DatasetError, load_mnist, logic_gate, make_circles, make_dataset, make_moons,
                   make_spirals, make_toy_wine, make_xor, standardize, train_test_split)
from nnlib import datasets

X = np.arange(20.0).reshape(10, 2)
T = np.arange(10) % 2

# (id, call(env) -> None, exception, message regex); env has rng, x, t, tmp (a folder)
CASES = [
    # load_mnist: flags, dtype, folders
    ("mnist-normalize-str", lambda e: load_mnist(normalize="yes"), TypeError,
     r"load_mnist: expected normalize=True or False, got 'yes'"),
    ("mnist-flatten-int", lambda e: load_mnist(flatten=1), TypeError,
     r"load_mnist: expected flatten=True or False, got 1"),
    ("mnist-one-hot-none", lambda e: load_mnist(one_hot=None), TypeError,
     r"load_mnist: expected one_hot=True or False, got None"),
    ("mnist-download-str", lambda e: load_mnist(download="no"), TypeError,
     r"load_mnist: expected download=True, False or None, got 'no'"),
    ("mnist-dtype-unknown", lambda e: load_mnist(dtype="float33"), TypeError,
     r"load_mnist: expected dtype as a NumPy dtype such as 'float32', got 'float33'"),
    ("mnist-dtype-int-normalized", lambda e: load_mnist(dtype="int8"), ValueError,
     r"load_mnist: normalize=True needs a floating dtype \(float32 or float64\), got int8"),
    ("mnist-data-dir-missing", lambda e: load_mnist(data_dir=e.tmp / "nowhere"), DatasetError,
     r"load_mnist: data_dir .*nowhere is not an existing folder"),
    ("mnist-data-dir-int", lambda e: load_mnist(data_dir=123), TypeError,
     r"load_mnist: expected data_dir as a str or pathlib.Path, got int"),
    ("mnist-env-typo", lambda e: e.with_env("NNLIB_DATA_DIR", str(e.tmp / "dtaa"), load_mnist),
     DatasetError, r"load_mnist: NNLIB_DATA_DIR=.*dtaa is not an existing folder\. Fix the "
                   r"variable"),
    # generators: n, noise, factor, classes, names
    ("xor-n-zero", lambda e: make_xor(0, rng=e.rng), ValueError,
     r"make_xor: expected n >= 1, got 0"),
    ("moons-n-float", lambda e: make_moons(2.5, rng=e.rng), TypeError,
     r"make_moons: expected n as an integer >= 1, got 2.5"),
    ("circles-n-bool", lambda e: make_circles(True, rng=e.rng), TypeError,
     r"make_circles: expected n as an integer >= 1, got True"),
    ("circles-factor", lambda e: make_circles(10, factor=1.5, rng=e.rng), ValueError,
     r"make_circles: expected factor in \[0, 1\], got 1.5"),
    ("xor-noise-negative", lambda e: make_xor(10, noise=-0.1, rng=e.rng), ValueError,
     r"make_xor: expected noise in \[0, inf\), got -0.1"),
    ("moons-noise-nan", lambda e: make_moons(10, noise=float("nan"), rng=e.rng), ValueError,
     r"make_moons: expected noise in \[0, inf\), got nan"),
    ("spirals-classes-zero", lambda e: make_spirals(10, classes=0, rng=e.rng), ValueError,
     r"make_spirals: expected classes >= 2, got 0"),
    ("spirals-classes-float", lambda e: make_spirals(10, classes=2.0, rng=e.rng), TypeError,
     r"make_spirals: expected classes as an integer >= 2, got 2.0"),
    ("spirals-turns-str", lambda e: make_spirals(10, turns="1", rng=e.rng), TypeError,
     r"make_spirals: expected turns as a number, got '1'"),
    ("toy-wine-n-negative", lambda e: make_toy_wine(-5, rng=e.rng), ValueError,
     r"make_toy_wine: expected n >= 1, got -5"),
    ("dataset-n-zero", lambda e: make_dataset("moons", 0, rng=e.rng), ValueError,
     r"make_moons: expected n >= 1, got 0"),
    ("dataset-name-list", lambda e: make_dataset(["moons"], rng=e.rng), ValueError,
     r"make_dataset: unknown data set \['moons'\]; expected one of xor, circles, moons, spirals"),
    ("gate-name-none", lambda e: logic_gate(None), TypeError,
     r"logic_gate: expected the gate's name as a str, got None"),
    # train_test_split: test_size, shapes, types
    ("split-test-size-zero", lambda e: train_test_split(e.x, e.t, test_size=0, rng=e.rng),
     ValueError, r"train_test_split: expected 0 < test_size < 1, got 0"),
    ("split-test-size-one", lambda e: train_test_split(e.x, e.t, test_size=1.0, rng=e.rng),
     ValueError, r"train_test_split: expected 0 < test_size < 1, got 1.0"),
    ("split-test-size-str", lambda e: train_test_split(e.x, e.t, test_size="0.2", rng=e.rng),
     TypeError, r"train_test_split: expected test_size as a number between 0 and 1, got '0.2'"),
    ("split-test-size-bool", lambda e: train_test_split(e.x, e.t, test_size=True, rng=e.rng),
     TypeError, r"train_test_split: expected test_size as a number between 0 and 1, got True"),
    ("split-empty-test", lambda e: train_test_split(e.x, e.t, test_size=0.01, rng=e.rng),
     ValueError, r"train_test_split: test_size=0.01 of 10 samples gives 0 test samples; both "
                 r"parts need at least one"),
    ("split-empty-train", lambda e: train_test_split(e.x, e.t, test_size=0.99, rng=e.rng),
     ValueError, r"train_test_split: test_size=0.99 of 10 samples gives 10 test samples"),
    ("split-lengths", lambda e: train_test_split(e.x, e.t[:9], rng=e.rng), ValueError,
     r"train_test_split: x has 10 samples but t has 9"),
    ("split-one-hot-stratified",
     lambda e: train_test_split(e.x, np.eye(2)[e.t], rng=e.rng), ValueError,
     r"train_test_split: stratify=True needs class labels t of shape \(N,\), got shape \(10, 2\)"),
    ("split-x-none", lambda e: train_test_split(None, e.t, rng=e.rng), TypeError,
     r"train_test_split: expected x as an array with one row per sample, got NoneType"),
    ("split-stratify-str", lambda e: train_test_split(e.x, e.t, stratify="yes", rng=e.rng),
     TypeError, r"train_test_split: expected stratify=True or False, got 'yes'"),
    ("split-rng-missing", lambda e: train_test_split(e.x, e.t, rng=0), TypeError,
     r"train_test_split: expected rng=numpy.random.Generator"),
    # standardize: shapes, emptiness, non-finite, non-numbers
    ("standardize-1d", lambda e: standardize(e.x[:, 0]), ValueError,
     r"standardize: expected x_train as 2-D \(samples, features\), got shape \(10,\)"),
    ("standardize-empty", lambda e: standardize(e.x[:0]), ValueError,
     r"standardize: expected at least one sample in x_train, got shape \(0, 2\)"),
    ("standardize-features", lambda e: standardize(e.x, e.x[:, :1]), ValueError,
     r"standardize: x_train has 2 features but others\[0\] has 1"),
    ("standardize-nan", lambda e: standardize(np.where(e.x == 3, np.nan, e.x)), ValueError,
     r"standardize: expected finite values in x_train, got 1 NaN and 0 inf among 20 entries"),
    ("standardize-inf-other", lambda e: standardize(e.x, np.full((1, 2), np.inf)), ValueError,
     r"standardize: expected finite values in others\[0\], got 0 NaN and 2 inf"),
    ("standardize-ragged-list", lambda e: standardize([[1.0, 2.0], [3.0]]), TypeError,
     r"standardize: expected x_train as a 2-D array or a list of equal-length rows of numbers"),
    ("standardize-strings", lambda e: standardize(np.array([["a", "b"]])), TypeError,
     r"standardize: expected x_train as an array of numbers, got dtype <U1"),
    ("standardize-none", lambda e: standardize(None), TypeError,
     r"standardize: expected x_train as an array of numbers, got NoneType"),
]


class Env:
    def __init__(self, tmp, monkeypatch):
        self.rng = np.random.default_rng(0)
        self.x, self.t, self.tmp = X.copy(), T.copy(), tmp
        self._monkeypatch = monkeypatch

    def with_env(self, name, value, call):
        self._monkeypatch.setenv(name, value)
        return call()

    def snapshot(self):
        files = sorted(str(p.relative_to(self.tmp)) for p in self.tmp.rglob("*"))
        cache = {k: (v[0], id(v[1])) for k, v in datasets._MNIST_CACHE.items()}
        return (copy.deepcopy(self.rng.bit_generator.state), self.x.tobytes(), self.t.tobytes(),
                files, cache)


@pytest.mark.parametrize("call, exc, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error_and_changes_nothing(tmp_path, monkeypatch, call, exc,
                                                        message):
    (tmp_path / "keep.txt").write_text("a file of the caller")
    env = Env(tmp_path, monkeypatch)
    before = env.snapshot()
    with pytest.raises(exc, match=message):
        call(env)
    assert env.snapshot() == before
    assert (tmp_path / "keep.txt").read_text() == "a file of the caller"


def test_case_ids_are_unique():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_valid_unusual_input_gives_the_right_result():
    # lists, NumPy integers and NumPy floats are accepted where Python numbers are
    z_list, (mean, std) = standardize([[0.0, 1.0], [2.0, 1.0]])
    np.testing.assert_allclose(z_list, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(mean, [1.0, 1.0]) and np.testing.assert_allclose(std, [1.0, 1.0])
    z_int, _ = standardize(np.array([[0, 1], [2, 1]]))
    np.testing.assert_allclose(z_int, z_list)
    x_tr, x_te, t_tr, t_te = train_test_split(X.tolist(), T.tolist(),
                                              test_size=np.float32(0.2),
                                              rng=np.random.default_rng(0))
    assert x_tr.shape == (8, 2) and x_te.shape == (2, 2) and sorted(t_te.tolist()) == [0, 1]
    x, t = make_spirals(np.int64(9), classes=np.int64(3), rng=np.random.default_rng(0))
    assert x.shape == (9, 2) and np.bincount(t).tolist() == [3, 3, 3]
    assert make_circles(4, factor=0, noise=0, rng=np.random.default_rng(0))[0].shape == (4, 2)
