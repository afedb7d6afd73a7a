"""MNIST MLP benchmark: the same network, trained under the same protocol, by nnlib and its peers.

Peers, run side by side in one process and alternated, repeat after repeat:

* ``nnlib``     -- ``nnlib.fit`` (this repository), on NumPy or, with ``--backend cupy``, on a GPU;
* ``lean``      -- a plain NumPy loop written as tightly as a good engineer would: plain
  arrays, one permutation per epoch, batches gathered with ``take(..., mode="clip")`` into
  reused buffers, every product written into a preallocated array, a fused softmax
  cross-entropy, in-place updates on one flat parameter vector, and every exact shortcut
  nnlib takes (the strongest NumPy baseline; it checks nothing);
* ``textbook``  -- a plain NumPy implementation in the classic way of textbooks (layer
  objects as in ゼロから作るDeep Learning: every mini-batch fancy-indexed from the data,
  new arrays at every step, every Affine layer returning dx);
* ``sklearn``   -- scikit-learn's ``MLPClassifier`` with matching settings, one
  ``partial_fit`` per epoch;
* ``torch``     -- PyTorch, the idiomatic loop (CPU; on the GPU with ``--backend cupy``;
  skipped if torch is not installed);
* ``bound``     -- not a trainer: exactly the matrix products of one epoch of training
  (for 784-H-10 the five products X·W1, H·W2, dY·W2ᵀ, Xᵀ·dH, Hᵀ·dY per step, same shapes,
  same memory layout), timed like a peer. No implementation that computes these
  products can be faster; "× bound" = a peer's time / this time.

Protocols (data shuffled every epoch with a fixed seed, float32):

* ``relu``     784 → 50 → 10, ReLU, He initialisation, SGD lr 0.1, batch 100;
* ``sigmoid``  784 → 50 → 10, sigmoid, Glorot (Xavier) normal initialisation, SGD lr 0.1, batch 100;
* ``adam``     784 → 100 → 10, ReLU, He initialisation, Adam lr 1e-3, batch 100;
* ``wide``     784 → 1024 → 1024 → 10, ReLU, He, SGD lr 0.1, batch 1000 (a size that fills a GPU;
  not in the default set).

nnlib, lean, textbook and torch start from the same initial weights and see the same
mini-batches in the same order; scikit-learn uses its own initialisation and shuffling
(it offers no way to set them). The time of an epoch is the time of the training loop:
shuffling, forward, loss, backward and update for every mini-batch (evaluation is outside).

The scaling grid (``--grid``) trains 784-H-10 (ReLU, SGD lr 0.1) on the first
``--grid-samples`` training images for every batch size in (10, 32, 100, 256, 1000) and
width H in (50, 256, 1024), and reports seconds per epoch and × bound per peer.

Usage::

    python benchmarks/mnist_mlp.py --json benchmarks/results/NAME.json    # protocols + grid
    python benchmarks/mnist_mlp.py --quick                                # smoke run
    python benchmarks/mnist_mlp.py --backend cupy --protocols relu,adam,wide --peers nnlib,torch,bound

See benchmarks/README.md for the recorded results.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import nnlib  # noqa: E402
from nnlib import Adam, SGD, SoftmaxCrossEntropy, accuracy, fit, load_mnist, mlp  # noqa: E402

PROTOCOLS = {
    "relu": dict(sizes=(784, 50, 10), activation="relu", init="he", optimizer="sgd", lr=0.1,
                 batch=100),
    "sigmoid": dict(sizes=(784, 50, 10), activation="sigmoid", init="xavier", optimizer="sgd",
                    lr=0.1, batch=100),
    "adam": dict(sizes=(784, 100, 10), activation="relu", init="he", optimizer="adam", lr=1e-3,
                 batch=100),
    "wide": dict(sizes=(784, 1024, 1024, 10), activation="relu", init="he", optimizer="sgd",
                 lr=0.1, batch=1000),
}
DEFAULT_PROTOCOLS = ("relu", "sigmoid", "adam")
PEERS = ("nnlib", "lean", "textbook", "sklearn", "torch", "bound")
GRID_BATCHES = (10, 32, 100, 256, 1000)
GRID_WIDTHS = (50, 256, 1024)
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


class EpochClock:
    """Wall-clock and CPU seconds of each epoch (``lap()`` at the end of every epoch).

    CPU time (of this process) is recorded beside wall time: on a shared machine other
    processes inflate wall time, much less the CPU time of a single-threaded run. ``sync``
    (on a GPU) waits for queued kernels before the clock is read.
    """

    def __init__(self, sync=None):
        self.wall, self.cpu = [], []
        self._sync = sync
        self._w, self._c = time.perf_counter(), time.process_time()

    def lap(self, *_):
        if self._sync is not None:
            self._sync()
        w, c = time.perf_counter(), time.process_time()
        self.wall.append(w - self._w)
        self.cpu.append(c - self._c)
        self._w, self._c = w, c


# --------------------------------------------------------------------------------------------
# Initial weights and shuffling, shared by nnlib, lean, textbook and torch
# --------------------------------------------------------------------------------------------
def initial_model(proto, seed):
    """nnlib's model for the protocol (on the current back-end); its weights go to the peers."""
    return mlp(proto["sizes"], proto["activation"], init=proto["init"],
               rng=np.random.default_rng(seed), dtype="float32")


def initial_weights(proto, seed):
    """The initial (W, b) of every layer, as NumPy arrays, whatever the back-end."""
    current = nnlib.get_backend()
    nnlib.set_backend("numpy")
    try:
        model = initial_model(proto, seed)
    finally:
        nnlib.set_backend(current)
    return [(l.params["W"].copy(), l.params["b"].copy()) for l in model.layers if "W" in l.params]


def shuffle_rng(seed):
    return np.random.default_rng(seed + 1)


# --------------------------------------------------------------------------------------------
# nnlib
# --------------------------------------------------------------------------------------------
def device_sync():
    """A function that waits for the GPU (None on the CPU back-ends)."""
    if nnlib.get_backend() != "cupy":
        return None
    import cupy

    return cupy.cuda.Device().synchronize


def run_nnlib(proto, data, epochs, seed, keep=None):
    (x, t), (xt, tt) = data  # already on the back-end's device (moved once, in main)
    model = initial_model(proto, seed)
    opt = SGD(proto["lr"]) if proto["optimizer"] == "sgd" else Adam(proto["lr"])
    clock = EpochClock(device_sync())  # fit calls lap after every epoch (no evaluation in between)
    fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=epochs, batch_size=proto["batch"],
        rng=shuffle_rng(seed), progress=False, eval_train=False, callback=clock.lap)
    if keep is not None:  # the trained weights, for tests that compare peers
        keep["weights"] = [(l.params["W"], l.params["b"]) for l in model.layers if "W" in l.params]
    return clock, accuracy(model, xt, tt)


# --------------------------------------------------------------------------------------------
# The lean NumPy loop: the strongest plain-NumPy baseline
# --------------------------------------------------------------------------------------------
def flat_parameters(weights):
    """One float32 vector for all parameters and one for all gradients, plus per-layer views.

    Returns ``(flat_p, flat_g, P, G)``: ``P[i] = (W, b)`` are views into ``flat_p`` holding
    the values of ``weights[i]``, ``G[i] = (dW, db)`` the matching views into ``flat_g``. An
    optimizer can then update every parameter with a few calls on the flat vectors.
    """
    total = sum(W.size + b.size for W, b in weights)
    flat_p, flat_g = np.empty(total, np.float32), np.empty(total, np.float32)
    P, G, o = [], [], 0
    for W, b in weights:
        Wv, gW = flat_p[o:o + W.size].reshape(W.shape), flat_g[o:o + W.size].reshape(W.shape)
        o += W.size
        bv, gb = flat_p[o:o + b.size], flat_g[o:o + b.size]
        o += b.size
        Wv[...], bv[...] = W, b
        P.append((Wv, bv))
        G.append((gW, gb))
    return flat_p, flat_g, P, G


LEAN_PHASES = ("gather", "model.forward", "loss.forward", "loss.backward", "model.backward",
               "optimizer.update")


def run_lean(proto, data, epochs, seed, keep=None, phases=None):
    """Plain NumPy, written for speed: nothing is allocated inside the loop except the
    permutation (once per epoch) and a few tiny row vectors of the loss.

    All parameters live in one flat float32 vector and all gradients in another (the W and
    b of each layer are reshaped views), so SGD is two calls and Adam thirteen per step,
    whatever the number of layers.

    ``phases``, a dict, receives the CPU seconds of each phase of ``LEAN_PHASES`` summed over
    the steps (for ``profile_step.py``; the clocks are read only then).
    """
    (x, t), (xt, tt) = host(data)
    weights = initial_weights(proto, seed)
    sizes, relu = proto["sizes"], proto["activation"] == "relu"
    lr, adam, n = proto["lr"], proto["optimizer"] == "adam", proto["batch"]
    f32 = np.float32
    flat_p, flat_g, P, G = flat_parameters(weights)
    total = flat_p.size
    if adam:
        m, v = np.zeros(total, f32), np.zeros(total, f32)
        s1 = np.empty(total, f32)
    L = len(P)
    xb = np.empty((n, sizes[0]), f32)
    tb = np.empty(n, t.dtype)
    acts = [np.empty((n, k), f32) for k in sizes[1:]]        # layer outputs (last: scores)
    deltas = [np.empty((n, k), f32) for k in sizes[1:]]      # dL/d(pre-activation)
    masks = [np.empty((n, k), f32) for k in sizes[1:-1]]     # f'(a) of the hidden layers
    rows = np.arange(n)
    rng = shuffle_rng(seed)
    N = x.shape[0]
    step = 0
    timed = phases is not None
    if timed:
        tick = time.process_time
        for key in LEAN_PHASES:
            phases.setdefault(key, 0.0)
    clock = EpochClock()
    errstate = np.errstate(over="ignore")  # exp(-a) of the sigmoid may overflow to inf (then 1/inf = 0)
    errstate.__enter__()
    for _ in range(epochs):
        perm = rng.permutation(N)
        for s in range(0, N, n):
            if timed:
                c0 = tick()
            idx = perm[s:s + n]
            k = idx.shape[0]
            X = xb[:k]
            # mode="clip": no index check (a permutation is valid), so NumPy gathers straight
            # into out instead of into a temporary that it then copies.
            x.take(idx, axis=0, out=X, mode="clip")
            T = tb[:k]
            t.take(idx, axis=0, out=T, mode="clip")
            if timed:
                c1 = tick()
            inp = X
            for l in range(L):                                  # forward
                A = acts[l][:k]
                np.matmul(inp, P[l][0], out=A)
                A += P[l][1]
                if l < L - 1:
                    if relu:
                        np.maximum(A, 0, out=A)
                        np.sign(A, out=masks[l][:k])           # f' = 1 where the unit is on
                    else:
                        np.negative(A, out=A)                  # 1 / (1 + exp(-a)) in place
                        np.exp(A, out=A)
                        A += 1
                        np.reciprocal(A, out=A)
                        D = masks[l][:k]
                        np.subtract(1, A, out=D)               # f' = y (1 - y)
                        D *= A
                inp = A
            if timed:
                c2 = tick()
            Y = acts[-1][:k]                                    # fused softmax cross-entropy
            # row maxima down the columns of the transposed copy: the same numbers,
            # several times faster than Y.max(axis=1) along rows of 10 classes
            Y -= Y.T.copy().max(axis=0)[:, None]
            loss = -Y[rows[:k], T].sum()
            np.exp(Y, out=Y)
            ssum = Y.sum(axis=1, keepdims=True)
            loss = float(loss + np.log(ssum).sum()) / k        # the loss is computed, as by every peer
            if timed:
                c3 = tick()
            Y /= ssum
            Y[rows[:k], T] -= 1
            Y /= k                                              # as nnlib: (p - 1) / n
            dY = Y
            if timed:
                c4 = tick()
            for l in range(L - 1, -1, -1):                      # backward
                below = xb[:k] if l == 0 else acts[l - 1][:k]
                np.matmul(below.T, dY, out=G[l][0])
                dY.sum(axis=0, out=G[l][1])
                if l > 0:                                       # no gradient for the data
                    D = deltas[l - 1][:k]
                    np.matmul(dY, P[l][0].T, out=D)
                    D *= masks[l - 1][:k]
                    dY = D
            if timed:
                c5 = tick()
            step += 1
            if adam:                                            # one flat vector for all layers
                v *= BETA2
                np.multiply(flat_g, flat_g, out=s1)
                s1 *= 1 - BETA2
                v += s1
                m *= BETA1
                flat_g *= 1 - BETA1                          # g is last needed here: from now on
                m += flat_g                                   # it serves as scratch space
                np.multiply(m, lr / (1 - BETA1 ** step), out=flat_g)
                np.divide(v, 1 - BETA2 ** step, out=s1)
                np.sqrt(s1, out=s1)
                s1 += EPS
                flat_g /= s1
                flat_p -= flat_g
            else:
                flat_g *= lr
                flat_p -= flat_g
            if timed:
                c6 = tick()
                for key, a, b in zip(LEAN_PHASES, (c0, c1, c2, c3, c4, c5),
                                     (c1, c2, c3, c4, c5, c6)):
                    phases[key] += b - a
        clock.lap()
    errstate.__exit__(None, None, None)
    if keep is not None:
        keep["weights"] = P
    h = xt
    for l in range(L):
        h = h @ P[l][0] + P[l][1]
        if l < L - 1:
            h = np.maximum(h, 0) if relu else 1 / (1 + np.exp(-h))
    return clock, float((h.argmax(axis=1) == tt).mean())


# --------------------------------------------------------------------------------------------
# The textbook implementation (the classic way, as in ゼロから作るDeep Learning)
# --------------------------------------------------------------------------------------------
class _Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class _Relu:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class _Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class _SoftmaxWithLoss:
    def forward(self, x, t):
        x = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        self.t = t
        return -np.log(self.y[np.arange(t.size), t] + 1e-7).mean()

    def backward(self):
        n = self.t.size
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n


def run_textbook(proto, data, epochs, seed):
    (x, t), (xt, tt) = host(data)
    weights = [(W.copy(), b.copy()) for W, b in initial_weights(proto, seed)]
    affine = [_Affine(W, b) for W, b in weights]
    layers = []
    for i, a in enumerate(affine):
        layers.append(a)
        if i < len(affine) - 1:
            layers.append(_Relu() if proto["activation"] == "relu" else _Sigmoid())
    last = _SoftmaxWithLoss()
    lr, adam, batch = proto["lr"], proto["optimizer"] == "adam", proto["batch"]
    m = {k: np.zeros_like(p) for k, p in enumerate(w for wb in weights for w in wb)}
    v = {k: np.zeros_like(p) for k, p in m.items()}
    step = 0
    rng = shuffle_rng(seed)
    n = x.shape[0]
    with np.errstate(over="ignore"):  # exp(-x) of the sigmoid may overflow to inf (then 1/inf = 0)
        clock = EpochClock()
        for _ in range(epochs):
            perm = rng.permutation(n)
            for s in range(0, n, batch):
                idx = perm[s:s + batch]
                xb, tb = x[idx], t[idx]
                h = xb
                for layer in layers:
                    h = layer.forward(h)
                last.forward(h, tb)
                dout = last.backward()
                for layer in reversed(layers):
                    dout = layer.backward(dout)
                params = [p for a in affine for p in (a.W, a.b)]
                grads = [g for a in affine for g in (a.dW, a.db)]
                step += 1
                for k, (p, g) in enumerate(zip(params, grads)):
                    if adam:
                        m[k] = BETA1 * m[k] + (1 - BETA1) * g
                        v[k] = BETA2 * v[k] + (1 - BETA2) * g ** 2
                        p -= lr * (m[k] / (1 - BETA1 ** step)) / (
                            np.sqrt(v[k] / (1 - BETA2 ** step)) + EPS)
                    else:
                        p -= lr * g
            clock.lap()
        h = xt
        for layer in layers:
            h = layer.forward(h)
    return clock, float((h.argmax(axis=1) == tt).mean())


# --------------------------------------------------------------------------------------------
# scikit-learn
# --------------------------------------------------------------------------------------------
def run_sklearn(proto, data, epochs, seed):
    import warnings

    from sklearn.neural_network import MLPClassifier

    (x, t), (xt, tt) = host(data)
    clf = MLPClassifier(
        hidden_layer_sizes=proto["sizes"][1:-1],
        activation="relu" if proto["activation"] == "relu" else "logistic",
        solver=proto["optimizer"], alpha=0.0, batch_size=proto["batch"], learning_rate="constant",
        learning_rate_init=proto["lr"], momentum=0.0, nesterovs_momentum=False, shuffle=True,
        # A RandomState object, not an int: partial_fit re-seeds from an int at every call,
        # which would repeat the same permutation every epoch.
        random_state=np.random.RandomState(seed), max_iter=1)
    classes = np.arange(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clock = EpochClock()
        for _ in range(epochs):
            clf.partial_fit(x, t, classes=classes)
            clock.lap()
    return clock, float(clf.score(xt, tt))


# --------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------
def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


TORCH_DEVICE = {"name": "cpu"}


def run_torch(proto, data, epochs, seed):
    import torch
    import torch.nn.functional as F

    (x, t), (xt, tt) = host(data)
    dev = torch.device(TORCH_DEVICE["name"])
    weights = initial_weights(proto, seed)
    mods = []
    for i, (W, b) in enumerate(weights):
        lin = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores W as (out, in)
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(weights) - 1:
            mods.append(torch.nn.ReLU() if proto["activation"] == "relu" else torch.nn.Sigmoid())
    model = torch.nn.Sequential(*mods).to(dev)
    if proto["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=proto["lr"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=proto["lr"], eps=EPS)
    X, T = torch.from_numpy(x).to(dev), torch.from_numpy(t).to(dev)
    rng = shuffle_rng(seed)
    n, batch = x.shape[0], proto["batch"]
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    clock = EpochClock(sync)
    for _ in range(epochs):
        perm = torch.from_numpy(rng.permutation(n)).to(dev)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), T[idx])
            loss.backward()
            opt.step()
            loss.item()
        clock.lap()
    with torch.no_grad():
        pred = model(torch.from_numpy(xt).to(dev)).argmax(dim=1).cpu().numpy()
    return clock, float((pred == tt).mean())


# --------------------------------------------------------------------------------------------
# The bound: exactly the matrix products of one epoch
# --------------------------------------------------------------------------------------------
def gemm_shapes(sizes, n):
    """The products of one training step of batch n, as (name, (rows, inner, cols)).

    Per layer l (in → out): forward X_l·W_l (n×in by in×out), weight gradient X_lᵀ·dY_l
    (in×n by n×out) and, except for the first layer (the data need no gradient), the input
    gradient dY_l·W_lᵀ (n×out by out×in). For 784-H-10: five products.
    """
    out = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        out.append((f"X{l}·W{l}", (n, a, b)))
        if l > 0:
            out.append((f"dY{l}·W{l}ᵀ", (n, b, a)))
        out.append((f"X{l}ᵀ·dY{l}", (a, n, b)))
    return out


def epoch_flops(sizes, n, N):
    """Floating-point operations of the products of one epoch (2·rows·inner·cols each)."""
    steps = [min(n, N - s) for s in range(0, N, n)]
    return sum(2.0 * a * b * c * k / n for k in steps for _, (a, b, c) in gemm_shapes(sizes, n))


def run_bound(proto, data, epochs, seed):
    """Time exactly the products of every step of an epoch (same shapes and layouts as a
    training step: transposed operands are views, results go into preallocated arrays)."""
    xp = nnlib.backend.xp() if nnlib.get_backend() == "cupy" else np
    x = data[0][0]
    N, n, sizes = x.shape[0], proto["batch"], proto["sizes"]
    rng = np.random.default_rng(seed)

    def arr(*shape):
        return xp.asarray(rng.random(shape, dtype=np.float32))

    steps = [min(n, N - s) for s in range(0, N, n)]
    clock = EpochClock(device_sync())
    layers = [(arr(n, a), arr(a, b), arr(n, b), arr(n, b), arr(a, b), arr(n, a))
              for a, b in zip(sizes[:-1], sizes[1:])]
    mm = xp.matmul
    for _ in range(epochs):
        for k in steps:
            for l, (X, W, Y, dY, gW, dX) in enumerate(layers):
                mm(X[:k], W, out=Y[:k])                 # forward
            for l in range(len(layers) - 1, -1, -1):
                X, W, Y, dY, gW, dX = layers[l]
                mm(X[:k].T, dY[:k], out=gW)             # weight gradient
                if l > 0:
                    mm(dY[:k], W.T, out=dX[:k])         # input gradient
        clock.lap()
    return clock, None


RUNNERS = {"nnlib": run_nnlib, "lean": run_lean, "textbook": run_textbook, "sklearn": run_sklearn,
           "torch": run_torch, "bound": run_bound}


def host(data):
    """The data as NumPy arrays (they are on the GPU for nnlib's CuPy run)."""
    (x, t), (xt, tt) = data
    c = nnlib.to_cpu
    return (c(x), c(t)), (c(xt), c(tt))


# --------------------------------------------------------------------------------------------
# Environment and threads
# --------------------------------------------------------------------------------------------
def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def set_threads(n):
    """Use n threads in every BLAS/OpenMP pool of the process (NumPy's, SciPy's, torch's)."""
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=n)
    if torch_available():
        import torch

        torch.set_num_threads(n)
    return limiter


def blas_info():
    """threadpoolctl's view of every BLAS in the process: which kernel (architecture) runs."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "threading_layer", "num_threads")
    return [dict({k: p.get(k) for k in keys}, library=Path(p.get("filepath", "")).name)
            for p in threadpool_info() if p.get("user_api") == "blas"]


def versions():
    import sklearn
    import threadpoolctl

    v = {"python": platform.python_version(), "numpy": np.__version__,
         "scikit-learn": sklearn.__version__, "threadpoolctl": threadpoolctl.__version__,
         "nnlib": nnlib.__version__}
    if torch_available():
        import torch

        v["torch"] = torch.__version__
    return v


def nnlib_source():
    """Which nnlib code was measured: the git commit, the files changed since, and a hash of
    every nnlib/*.py as it was read (a run in a working tree with uncommitted edits says so)."""
    import hashlib

    root = Path(nnlib.__file__).resolve().parent
    digest = hashlib.sha256()
    for f in sorted(root.glob("*.py")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    info = {"sha256_nnlib_py": digest.hexdigest()[:16]}
    try:
        git = ["git", "-C", str(root.parent)]
        info["git_head"] = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True,
                                          text=True, check=True).stdout.strip()
        info["uncommitted_nnlib_files"] = subprocess.run(
            git + ["diff", "--name-only", "HEAD", "--", "nnlib"], capture_output=True, text=True,
            check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def gpu_info():
    """GPU model, driver and CUDA versions, CuPy version (the CuPy back-end must be active)."""
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    info = {"gpu": name, "gpu_memory_gib": round(props["totalGlobalMem"] / 2 ** 30, 1),
            "cuda_driver_version": cupy.cuda.runtime.driverGetVersion(),
            "cuda_runtime_version": cupy.cuda.runtime.runtimeGetVersion(),
            "cupy": cupy.__version__}
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        info["nvidia_driver"] = out.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired, IndexError):
        pass
    return info


# --------------------------------------------------------------------------------------------
# Accuracy targets (nnlib only)
# --------------------------------------------------------------------------------------------
def accuracy_targets(data, seed=0, epochs_relu=17, epochs_best=12, decay_at=8):
    """The 784-50-10 ReLU network (SGD lr 0.1) for 17 epochs, and the book's best
    configuration: 784-256-128-10 ReLU, Adam lr 1e-3 lowered to 1e-4 after 8 epochs."""
    (x, t), (xt, tt) = data
    out = {}
    model = initial_model(PROTOCOLS["relu"], seed)
    h = fit(model, SoftmaxCrossEntropy(), SGD(0.1), x, t, epochs=epochs_relu, batch_size=100,
            rng=shuffle_rng(seed), x_test=xt, t_test=tt, progress=False, eval_train=False)
    first = next((e for e, a in zip(h.epoch, h.test_acc) if a >= 0.97), None)
    out["relu"] = (h.test_acc, first)
    model = mlp([784, 256, 128, 10], "relu", rng=np.random.default_rng(seed), dtype="float32")
    adam = Adam(1e-3)

    def lower_lr(epoch, history):
        if epoch == decay_at:
            adam.lr = 1e-4

    h = fit(model, SoftmaxCrossEntropy(), adam, x, t, epochs=epochs_best, batch_size=100,
            rng=shuffle_rng(seed), x_test=xt, t_test=tt, progress=False, eval_train=False,
            callback=lower_lr)
    first = next((e for e, a in zip(h.epoch, h.test_acc) if a >= 0.98), None)
    out["best"] = (h.test_acc, first)
    return out


# --------------------------------------------------------------------------------------------
# Running peers side by side
# --------------------------------------------------------------------------------------------
def side_by_side(cells, peers, data_for, epochs, repeats, label, warmup=True):
    """Run every (cell, peer) ``repeats`` times, interleaved: in each repeat every cell runs
    every peer, the peers' order rotating from repeat to repeat. Returns per (cell, peer)
    the lists of epoch wall/CPU times and accuracies."""
    wall = {(c, p): [] for c in cells for p in peers}
    cpu = {(c, p): [] for c in cells for p in peers}
    accs = {(c, p): [] for c in cells for p in peers}
    if warmup:  # first-call costs (imports, BLAS buffers, CUDA kernels) out of the medians
        for c in cells[:1]:
            for peer in peers:
                proto, data = data_for(c)
                RUNNERS[peer](proto, shrink(data, 2 * proto["batch"]), 1, 0)
    for rep in range(repeats):
        order = peers[rep % len(peers):] + peers[:rep % len(peers)]  # rotate who goes first
        for c in cells:
            proto, data = data_for(c)
            for peer in order:
                clock, acc = RUNNERS[peer](proto, data, epochs, 0)
                wall[c, peer].extend(clock.wall)
                cpu[c, peer].extend(clock.cpu)
                accs[c, peer].append(acc)
                print(f"  {label} repeat {rep + 1}/{repeats} {str(c):14s} {peer:9s} "
                      f"median {statistics.median(clock.wall):.4f} s/epoch "
                      f"(CPU {statistics.median(clock.cpu):.4f} s)"
                      + (f", test acc {acc:.4f}" if acc is not None else ""), flush=True)
    return wall, cpu, accs


def shrink(data, n):
    (x, t), test = data
    return (x[:n], t[:n]), test


def summarize(wall, cpu, accs, cells, peers):
    """Medians per (cell, peer) and the ratios to nnlib and to the bound, from wall-clock
    and from CPU seconds (on a shared machine the CPU-time ratios are the steadier ones)."""
    rows = []
    med = statistics.median
    for c in cells:
        base, cbase = ((med(wall[c, "nnlib"]), med(cpu[c, "nnlib"])) if "nnlib" in peers
                       else (None, None))
        bound, cbound = ((med(wall[c, "bound"]), med(cpu[c, "bound"])) if "bound" in peers
                         else (None, None))
        for p in peers:
            w, cp = med(wall[c, p]), med(cpu[c, p])
            a = [v for v in accs[c, p] if v is not None]
            rows.append({"cell": c, "implementation": p, "seconds_per_epoch": w,
                         "cpu_seconds_per_epoch": cp,
                         "min_seconds_per_epoch": min(wall[c, p]),
                         "epochs_timed": len(wall[c, p]),
                         "test_accuracy": med(a) if a else None,
                         "ratio_to_nnlib": w / base if base else None,
                         "cpu_ratio_to_nnlib": cp / cbase if cbase else None,
                         "ratio_to_bound": w / bound if bound else None,
                         "cpu_ratio_to_bound": cp / cbound if cbound else None})
    return rows


def print_table(rows, first_col):
    def ratio(r, key):
        w, c = r[key], r["cpu_" + key]
        return f"{w:.2f} ({c:.2f})" if w else "–"

    print(f"| {first_col} | implementation | test accuracy | s/epoch (CPU s) | × nnlib (CPU) "
          "| × bound (CPU) |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        acc = f"{r['test_accuracy']:.4f}" if r["test_accuracy"] is not None else ""
        print(f"| {r['cell']} | {r['implementation']} | {acc} | {r['seconds_per_epoch']:.4f} "
              f"({r['cpu_seconds_per_epoch']:.4f}) | {ratio(r, 'ratio_to_nnlib')} "
              f"| {ratio(r, 'ratio_to_bound')} |")


# --------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 epoch, 1 repeat, small grid, no accuracy targets")
    ap.add_argument("--epochs", type=int, default=None, help="epochs per run (default 5)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per peer and protocol (default 3)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads for every peer (default 1)")
    ap.add_argument("--backend", default="numpy", choices=("numpy", "cupy", "strict"),
                    help="nnlib's array back-end: numpy (CPU), cupy (GPU; PyTorch then runs on "
                         "the GPU too), strict (CPU check of the GPU code path, slow)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    ap.add_argument("--protocols", default=",".join(DEFAULT_PROTOCOLS),
                    help="comma-separated subset of " + ",".join(PROTOCOLS) + " (empty: none)")
    ap.add_argument("--grid", action=argparse.BooleanOptionalAction, default=True,
                    help="the scaling table over batch size and width (default on)")
    ap.add_argument("--grid-samples", type=int, default=10000,
                    help="training images used by the scaling table (default 10000)")
    ap.add_argument("--grid-epochs", type=int, default=None, help="epochs per grid cell (default 2)")
    ap.add_argument("--grid-repeats", type=int, default=None, help="repeats per grid cell (default 3)")
    ap.add_argument("--no-accuracy", action="store_true", help="skip the accuracy targets")
    ap.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    args = ap.parse_args(argv)
    epochs = args.epochs or (1 if args.quick else 5)
    repeats = args.repeats or (1 if args.quick else 3)
    grid_epochs = args.grid_epochs or (1 if args.quick else 2)
    grid_repeats = args.grid_repeats or (1 if args.quick else 3)
    grid_samples = min(args.grid_samples, 2000) if args.quick else args.grid_samples
    peers = [p for p in args.peers.split(",") if p]
    protocols = [p for p in args.protocols.split(",") if p]
    for p in peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p!r}; expected some of {', '.join(PEERS)}")
    for p in protocols:
        if p not in PROTOCOLS:
            ap.error(f"unknown protocol {p!r}; expected some of {', '.join(PROTOCOLS)}")

    if args.backend != "numpy":
        try:
            nnlib.set_backend(args.backend)
        except nnlib.BackendUnavailableError as exc:
            print(f"mnist_mlp.py --backend {args.backend}: {exc}", file=sys.stderr)
            return 2
    if "torch" in peers and not torch_available():
        print("PyTorch is not installed: the torch peer is skipped (pip install torch to include it).")
        peers.remove("torch")
    if "torch" in peers and args.backend == "cupy":
        import torch

        if torch.cuda.is_available():
            TORCH_DEVICE["name"] = "cuda"
        else:
            print("PyTorch has no CUDA device here: the torch peer runs on the CPU.")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        if "sklearn" in peers:
            print("scikit-learn is not installed: the sklearn peer is skipped.")
            peers.remove("sklearn")

    limiter = set_threads(args.threads)  # noqa: F841 (kept alive for the whole run)
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.timezone.utc)
    record = {"date": now.date().isoformat(), "datetime_utc": now.isoformat(timespec="seconds"),
              "cpu": cpu_model(), "logical_cpus": os.cpu_count(), "threads": args.threads,
              "backend": args.backend, "torch_device": TORCH_DEVICE["name"],
              "versions": versions(), "nnlib_source": nnlib_source(), "blas": blas_info(),
              "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
              "load_average_start": os.getloadavg(), "epochs": epochs, "repeats": repeats,
              "seed": 0, "peers": peers,
              "protocols": {k: dict(PROTOCOLS[k], sizes=list(PROTOCOLS[k]["sizes"])) for k in protocols}}
    if args.backend == "cupy":
        record.update(gpu_info())
    print(f"# MNIST MLP benchmark, {record['datetime_utc']}")
    print(f"CPU: {record['cpu']}, {record['logical_cpus']} logical CPUs; threads per peer: {args.threads}")
    if args.backend == "cupy":
        print(f"GPU: {record['gpu']} ({record['gpu_memory_gib']} GiB), driver "
              f"{record.get('nvidia_driver', '?')} (CUDA driver API {record['cuda_driver_version']}), "
              f"CuPy {record['cupy']}; PyTorch on {TORCH_DEVICE['name']}")
    print(f"nnlib backend: {args.backend}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items()))
    for b in record["blas"]:
        print(f"BLAS: {b['internal_api']} {b['version']}, kernel {b['architecture']}, "
              f"{b['num_threads']} thread(s), {b['threading_layer']} threading ({b['library']})")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in record['load_average_start'])}")

    start = time.perf_counter()
    data_host = load_mnist()
    record["load_mnist_seconds"] = time.perf_counter() - start
    print(f"load_mnist: {record['load_mnist_seconds']:.2f} s")
    # The data go to the back-end's device once (as a GPU user would do); peers other than
    # nnlib take the host copy.
    (x, t), (xt, tt) = data_host
    dev = nnlib.to_device
    data_dev = ((dev(x), dev(t)), (dev(xt), dev(tt))) if args.backend != "numpy" else data_host

    if protocols:
        print(f"\n## Protocols: {epochs} epochs × {repeats} repeats, interleaved\n")
        for name in protocols:
            n = PROTOCOLS[name]["batch"]
            print(f"{name}: products per step "
                  + ", ".join(f"{g} ({a}×{b}·{b}×{c})" for g, (a, b, c) in
                              gemm_shapes(PROTOCOLS[name]["sizes"], n)))
        wall, cpu, accs = side_by_side(protocols, peers, lambda c: (PROTOCOLS[c], data_dev),
                                       epochs, repeats, "protocol")
        rows = summarize(wall, cpu, accs, protocols, peers)
        for r in rows:
            proto = PROTOCOLS[r["cell"]]
            r.update(protocol=r.pop("cell"), sizes=list(proto["sizes"]), batch=proto["batch"])
        for r in rows:
            if r["implementation"] == "bound":
                proto = PROTOCOLS[r["protocol"]]
                flops = epoch_flops(proto["sizes"], proto["batch"], data_dev[0][0].shape[0])
                r["gflops"] = flops / r["seconds_per_epoch"] / 1e9
                print(f"bound {r['protocol']}: {flops / 1e9:.1f} GFLOP per epoch, "
                      f"{r['gflops']:.1f} GFLOP/s (median), "
                      f"{flops / r['min_seconds_per_epoch'] / 1e9:.1f} GFLOP/s (best epoch)")
        record["results"] = rows
        save(record, args.json)  # written after each part, so a cut-off run keeps what it measured
        print(f"\n## Results: median seconds per epoch over {repeats} × {epochs} epochs\n")
        print("× nnlib = the implementation's median time / nnlib's (above 1: slower than nnlib); "
              "× bound = its time / the time of the matrix products alone.\n")
        print_table([dict(r, cell=f"{r['protocol']} {'-'.join(map(str, r['sizes']))}") for r in rows],
                    "protocol")

    if args.grid:
        # --quick: a corner of the table only, to check that every peer runs.
        grid_batches = (10, 1000) if args.quick else GRID_BATCHES
        grid_widths = (50, 256) if args.quick else GRID_WIDTHS
        cells = [(n, h) for h in grid_widths for n in grid_batches]
        (x, t), test = data_dev
        sub = ((x[:grid_samples], t[:grid_samples]), test)

        def grid_proto(cell):
            n, h = cell
            return dict(PROTOCOLS["relu"], sizes=(784, h, 10), batch=n), sub

        print(f"\n## Scaling: 784-H-10 ReLU, SGD lr 0.1, the first {grid_samples} training images, "
              f"{grid_epochs} epochs × {grid_repeats} repeats per cell\n")
        wall, cpu, accs = side_by_side(cells, peers, grid_proto, grid_epochs, grid_repeats, "grid",
                                       warmup=not protocols)
        rows = summarize(wall, cpu, accs, cells, peers)
        for r in rows:
            n, h = r.pop("cell")
            r.update(batch=n, hidden=h, sizes=[784, h, 10])
        record["grid"] = {"samples": grid_samples, "epochs": grid_epochs, "repeats": grid_repeats,
                          "batches": list(grid_batches), "widths": list(grid_widths),
                          "results": rows}
        print("\n× bound per implementation, wall-clock (CPU time in parentheses); "
              "rows: width H, batch n:\n")
        shown = [p for p in peers if p != "bound"]
        print("| H | n | bound s/epoch (CPU) | " + " | ".join(shown) + " |")
        print("|---:|---:|---:|" + "---:|" * len(shown))
        for h in grid_widths:
            for n in grid_batches:
                cell = {r["implementation"]: r for r in rows if r["batch"] == n and r["hidden"] == h}
                b = (f"{cell['bound']['seconds_per_epoch']:.4f} "
                     f"({cell['bound']['cpu_seconds_per_epoch']:.4f})") if "bound" in cell else "–"
                vals = [f"{cell[p]['ratio_to_bound']:.2f} ({cell[p]['cpu_ratio_to_bound']:.2f})"
                        if cell[p]["ratio_to_bound"] else "–" for p in shown]
                print(f"| {h} | {n} | {b} | " + " | ".join(vals) + " |")
        save(record, args.json)

    if not (args.quick or args.no_accuracy) and "nnlib" in peers:
        print("\n## Accuracy targets (nnlib, float32, batch 100)\n")
        res = accuracy_targets(data_dev)
        accs_relu, first_relu = res["relu"]
        print("784-50-10 ReLU, SGD lr 0.1, test accuracy per epoch: "
              + " ".join(f"{a:.4f}" for a in accs_relu))
        print(f"  first epoch with >= 97 %: {first_relu}")
        accs_best, first_best = res["best"]
        print("784-256-128-10 ReLU, Adam lr 1e-3 (1e-4 after epoch 8), test accuracy per epoch: "
              + " ".join(f"{a:.4f}" for a in accs_best))
        print(f"  first epoch with >= 98 %: {first_best}")
        record["accuracy_targets"] = {
            "relu_784_50_10_sgd": {"test_accuracy": accs_relu, "first_epoch_97": first_relu},
            "relu_784_256_128_10_adam_decay": {"test_accuracy": accs_best,
                                               "first_epoch_98": first_best}}
    record["load_average_end"] = os.getloadavg()
    record["total_seconds"] = time.perf_counter() - started
    print(f"\nload average at end: {' '.join(f'{v:.2f}' for v in record['load_average_end'])}; "
          f"total time {record['total_seconds']:.0f} s")
    save(record, args.json)
    if args.json:
        print(f"wrote {args.json}")
    return 0


def save(record, path):
    if path:
        Path(path).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
