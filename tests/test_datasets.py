"""Data sets: bundled MNIST (with checksum verification), wine, toy sets, splitting, scaling.

Nothing is downloaded: every MNIST test reads the bundled files or copies of them, and
``nnlib.datasets._download`` is replaced by a function that fails the test if called.
"""

import hashlib
import shutil

import numpy as np
import pytest

from nnlib import (DatasetError, load_mnist, load_wine, logic_gate, make_circles, make_dataset,
                   make_moons, make_spirals, make_toy_wine, make_xor, standardize,
                   train_test_split)
from nnlib import datasets

MNIST = datasets.mnist_dir()
FILES = [name for name, _ in datasets.MNIST_FILES.values()]
# Known facts of the original MNIST data set: images per digit 0..9
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a test tried to download MNIST")

    monkeypatch.setattr(datasets, "_download", fail)


def _hashes(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def bundled_hashes():
    return _hashes(MNIST)


@pytest.fixture(scope="module")
def mnist():
    """The default load (normalised, flattened, float32), done once for the module."""
    return load_mnist()


def test_bundled_files_have_the_published_checksums(bundled_hashes):
    assert MNIST.name == "mnist" and MNIST.parent.name == "data"
    for name, sha in datasets.MNIST_FILES.values():
        assert bundled_hashes[name] == sha


def test_mnist_shapes_dtypes_and_ranges(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert x_train.dtype == np.float32 and t_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert x_test.min() == 0.0 and x_test.max() == 1.0


def test_mnist_label_counts_are_those_of_the_original(mnist):
    (_, t_train), (_, t_test) = mnist
    assert np.bincount(t_train).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test).tolist() == TEST_COUNTS
    assert sum(TRAIN_COUNTS) == 60000 and sum(TEST_COUNTS) == 10000


def test_mnist_raw_unflattened_is_uint8_and_matches_the_normalised(mnist):
    (x_raw, t_raw), (x_test_raw, _) = load_mnist(normalize=False, flatten=False)
    assert x_raw.shape == (60000, 28, 28) and x_raw.dtype == np.uint8
    assert x_test_raw.shape == (10000, 28, 28)
    assert x_raw.max() == 255 and x_raw.min() == 0
    assert x_raw.flags.writeable
    (x_train, t_train), _ = mnist
    # normalised = grey level / 255, the image rows read left to right, top to bottom
    np.testing.assert_array_equal(x_train[:100], x_raw[:100].reshape(100, 784) / np.float32(255))
    np.testing.assert_array_equal(t_raw, t_train)


def test_mnist_one_hot_and_dtype_options(mnist):
    # normalize=False keeps the images uint8 (no 60000 x 784 float64 copy); dtype is the labels'
    (x, T), (_, T_test) = load_mnist(one_hot=True, normalize=False, dtype="float64")
    assert x.dtype == np.uint8 and T.shape == (60000, 10) and T.dtype == np.float64
    assert T_test.shape == (10000, 10)
    (_, t_train), _ = mnist
    np.testing.assert_array_equal(T.argmax(axis=1), t_train)
    np.testing.assert_array_equal(T.sum(axis=1), 1.0)


def _copy_mnist(tmp_path):
    for name in FILES:
        shutil.copyfile(MNIST / name, tmp_path / name)
    return tmp_path


def _flip(path, pos):
    data = bytearray(path.read_bytes())
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name, damage", [
    ("t10k-labels-idx1-ubyte.gz", lambda p: _flip(p, 100)),      # bad deflate data
    ("t10k-labels-idx1-ubyte.gz", lambda p: _flip(p, 2000)),     # CRC mismatch
    ("train-labels-idx1-ubyte.gz", lambda p: _flip(p, p.stat().st_size - 1)),  # length field
    ("train-images-idx3-ubyte.gz",
     lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),  # truncated
], ids=["deflate", "crc", "length", "truncated"])
@pytest.mark.parametrize("bundled", [False, True], ids=["copy", "as-bundled"])
def test_corrupted_file_is_reported_by_name_with_the_remedy(tmp_path, monkeypatch, bundled_hashes,
                                                              name, damage, bundled):
    folder = _copy_mnist(tmp_path)
    load_mnist(data_dir=folder, download=False)  # fills the per-process cache
    if bundled:  # the folder plays the repository's data/mnist
        monkeypatch.setattr(datasets, "_BUNDLED", folder)
    damage(folder / name)
    damaged = (folder / name).read_bytes()
    with pytest.raises(DatasetError) as info:  # the cache notices the changed file
        load_mnist(data_dir=folder, download=False)
    message = str(info.value)
    assert str(folder / name) in message
    assert "is corrupted or truncated" in message and "The file was left as it is" in message
    assert "download=True" in message
    # only a reader of the repository is told to use git; a pip user is not
    assert (f"git checkout -- data/mnist/{name}" in message) == bundled
    assert (folder / name).read_bytes() == damaged
    assert _hashes(MNIST) == bundled_hashes  # the bundled copies are untouched


def test_a_recompressed_file_with_the_original_content_is_accepted(tmp_path):
    # Byte 4 of a gzip file is the modification time: the .gz checksum changes, the content
    # (checked by its own SHA-256) does not, as with a mirror that compresses differently.
    folder = _copy_mnist(tmp_path)
    _flip(folder / "t10k-labels-idx1-ubyte.gz", 4)
    (_, _), (_, t_test) = load_mnist(data_dir=folder, download=False, normalize=False)
    assert np.bincount(t_test).tolist() == TEST_COUNTS


@pytest.mark.parametrize("bundled", [False, True], ids=["copy", "as-bundled"])
def test_missing_file_without_download_says_what_to_do(tmp_path, monkeypatch, bundled_hashes,
                                                       bundled):
    folder = _copy_mnist(tmp_path)
    (folder / "train-images-idx3-ubyte.gz").unlink()
    if bundled:
        monkeypatch.setattr(datasets, "_BUNDLED", folder)
        fix = r"Restore it \(git checkout -- data/mnist\) or call load_mnist\(download=True\)"
    else:
        fix = (r"Copy the four .gz files of the book's data/mnist/ folder there, or call "
               r"load_mnist\(download=True\) to download them")
    for kwargs in ({"download": False}, {}):  # with data_dir, download defaults to False
        with pytest.raises(DatasetError, match=r"load_mnist: .*train-images-idx3-ubyte.gz is "
                                               r"missing. " + fix):
            load_mnist(data_dir=folder, **kwargs)
    assert sorted(p.name for p in folder.iterdir()) == sorted(set(FILES) - {
        "train-images-idx3-ubyte.gz"})
    assert _hashes(MNIST) == bundled_hashes


def test_second_load_reuses_the_decompressed_files_and_returns_fresh_arrays(monkeypatch):
    first = load_mnist(normalize=False)
    first[0][0][:] = 7        # a learner edits the returned arrays in place
    first[0][1][:] = 3
    calls = []
    real = datasets.gzip.decompress
    monkeypatch.setattr(datasets.gzip, "decompress", lambda b: calls.append(1) or real(b))
    (x, t), _ = load_mnist(normalize=False)
    assert calls == []        # nothing decompressed again
    assert x.flags.writeable and x is not first[0][0]
    assert x.max() == 255 and np.bincount(t).tolist() == TRAIN_COUNTS  # edits did not leak
    (xn, _), _ = load_mnist()
    assert xn.max() == 1.0 and xn.dtype == np.float32


def test_mnist_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    assert datasets.mnist_dir() == tmp_path / "mnist"
    monkeypatch.delenv("NNLIB_DATA_DIR")
    assert datasets.mnist_dir() == MNIST


def test_load_wine():
    x, t, features, classes = load_wine(return_names=True)
    assert x.shape == (178, 13) and x.dtype == np.float64
    assert np.bincount(t).tolist() == [59, 71, 48]  # the UCI wine data: three cultivars
    assert len(features) == 13 and len(classes) == 3


def test_make_toy_wine():
    x, t = make_toy_wine(200, rng=np.random.default_rng(0))
    assert x.shape == (200, 4) and t.shape == (200,)
    assert np.bincount(t).tolist() == [100, 100]  # half white (0), half red (1)
    age, alcohol, whiteness, darkness = x.T
    assert (age >= 0).all()
    assert ((whiteness >= 0) & (whiteness <= 1) & (darkness >= 0) & (darkness <= 1)).all()
    red = t == 1
    # red wines are older, stronger, darker and less white on average
    assert age[red].mean() > age[~red].mean() and alcohol[red].mean() > alcohol[~red].mean()
    assert darkness[red].mean() > darkness[~red].mean()
    assert whiteness[red].mean() < whiteness[~red].mean()
    x2, t2 = make_toy_wine(200, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(t, t2)
    assert datasets.TOY_WINE_FEATURES == ("age", "alcohol", "whiteness", "darkness")


@pytest.mark.parametrize("gate, rule", [
    ("AND", lambda a, b: a and b), ("OR", lambda a, b: a or b),
    ("NAND", lambda a, b: not (a and b)), ("NOR", lambda a, b: not (a or b)),
    ("XOR", lambda a, b: a != b), ("XNOR", lambda a, b: a == b),
])
def test_logic_gate_truth_tables(gate, rule):
    x, t = logic_gate(gate)
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert [int(rule(bool(a), bool(b))) for a, b in x] == t.tolist()
    assert logic_gate(gate.lower())[1].tolist() == t.tolist()


def test_logic_gate_not_and_unknown():
    x, t = logic_gate("NOT")
    np.testing.assert_array_equal(x, [[0.0], [1.0]])
    assert t.tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"logic_gate: unknown gate 'IMPLIES'; expected one of "
                                         r"AND, OR, NAND, NOR, XOR, XNOR, NOT"):
        logic_gate("IMPLIES")


def test_logic_gate_returns_fresh_arrays():
    x, _ = logic_gate("AND")
    x[0, 0] = 5
    assert logic_gate("AND")[0][0, 0] == 0


@pytest.mark.parametrize("make", [make_xor, make_circles, make_moons, make_spirals])
def test_toy_sets_shapes_labels_and_determinism(make):
    x, t = make(101, rng=np.random.default_rng(3))
    assert x.shape == (101, 2) and t.shape == (101,)
    assert set(t.tolist()) == {0, 1}
    x2, t2 = make(101, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(t, t2)
    x3, _ = make(101, rng=np.random.default_rng(4))
    assert not np.array_equal(x, x3)
    with pytest.raises(TypeError, match=rf"{make.__name__}: expected rng=numpy.random.Generator"):
        make(10, rng=None)


def test_xor_labels_follow_the_sign_rule():
    x, t = make_xor(300, rng=np.random.default_rng(0))
    assert ((np.abs(x) <= 1).all())
    np.testing.assert_array_equal(t, (x[:, 0] * x[:, 1] < 0).astype(int))


def test_circles_radii_and_spiral_classes():
    x, t = make_circles(200, noise=0.0, factor=0.5, rng=np.random.default_rng(0))
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[t == 0], 1.0)
    np.testing.assert_allclose(r[t == 1], 0.5)
    _, t3 = make_spirals(90, classes=3, rng=np.random.default_rng(0))
    assert np.bincount(t3).tolist() == [30, 30, 30]


def test_make_dataset_by_name():
    a = make_dataset("moons", 50, rng=np.random.default_rng(1), noise=0.0)
    b = make_moons(50, rng=np.random.default_rng(1), noise=0.0)
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match=r"make_dataset: unknown data set 'blobs'; expected one "
                                         r"of xor, circles, moons, spirals"):
        make_dataset("blobs", rng=np.random.default_rng(0))


def test_train_test_split_is_stratified_and_disjoint():
    t = np.array([0] * 40 + [1] * 20 + [2] * 8)
    x = np.arange(68.0).reshape(68, 1)  # each row carries its own index
    x_tr, x_te, t_tr, t_te = train_test_split(x, t, test_size=0.25, rng=np.random.default_rng(0))
    # per class round(0.25 n): 10, 5, 2 in the test part
    assert np.bincount(t_te).tolist() == [10, 5, 2]
    assert np.bincount(t_tr).tolist() == [30, 15, 6]
    ids_tr, ids_te = x_tr[:, 0].astype(int), x_te[:, 0].astype(int)
    assert set(ids_tr).isdisjoint(ids_te)
    assert sorted(np.concatenate([ids_tr, ids_te]).tolist()) == list(range(68))
    np.testing.assert_array_equal(t[ids_tr], t_tr)  # rows stay paired with labels
    np.testing.assert_array_equal(t[ids_te], t_te)
    again = train_test_split(x, t, test_size=0.25, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again[1], x_te)


def test_train_test_split_without_stratification_and_errors():
    x, t = np.zeros((10, 2)), np.arange(10) % 2
    _, x_te, _, _ = train_test_split(x, t, test_size=0.3, rng=np.random.default_rng(0),
                                     stratify=False)
    assert x_te.shape == (3, 2)
    with pytest.raises(ValueError, match=r"train_test_split: expected 0 < test_size < 1, got 1.5"):
        train_test_split(x, t, test_size=1.5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"train_test_split: x has 10 samples but t has 9"):
        train_test_split(x, t[:9], rng=np.random.default_rng(0))


def test_standardize_uses_training_statistics():
    x_train = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])  # column 1 is constant
    x_test = np.array([[2.0, 7.0], [8.0, 5.0]])
    z_train, z_test, (mean, std) = standardize(x_train, x_test)
    # training mean (2, 5); std sqrt(8/3) for column 0; 0 for column 1, replaced by 1
    np.testing.assert_allclose(mean, [2.0, 5.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 1.0])
    np.testing.assert_allclose(z_train.mean(axis=0), [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(z_train[:, 0].std(), 1.0)
    # test rows use the training mean and std, not their own
    np.testing.assert_allclose(z_test, [[0.0, 2.0], [6 / np.sqrt(8 / 3), 0.0]])
