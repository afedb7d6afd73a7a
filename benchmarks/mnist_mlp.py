"""MNIST MLP benchmark: the same network, trained under the same protocol, by nnlib and its peers.

Peers, run side by side in one process and alternated, repeat after repeat:

* ``nnlib``     -- ``nnlib.fit`` (this repository);
* ``textbook``  -- a plain NumPy implementation written below in the classic way of
  textbooks (layer objects as in ゼロから作るDeep Learning: every mini-batch fancy-indexed
  from the data, new arrays at every step, every Affine layer returning dx);
* ``sklearn``   -- scikit-learn's ``MLPClassifier`` with matching settings, one
  ``partial_fit`` per epoch;
* ``torch``     -- PyTorch on the CPU, the idiomatic loop (skipped if torch is not installed).

Protocols (batch 100, data shuffled every epoch with a fixed seed, float32, 10 epochs):

* ``relu``     784 → 50 → 10, ReLU, He initialisation, SGD lr 0.1;
* ``sigmoid``  784 → 50 → 10, sigmoid, Glorot (Xavier) normal initialisation, SGD lr 0.1;
* ``adam``     784 → 100 → 10, ReLU, He initialisation, Adam lr 1e-3.

nnlib, textbook and torch start from the same initial weights and see the same
mini-batches in the same order; scikit-learn uses its own initialisation and shuffling
(it offers no way to set them). The time of an epoch is the time of the training loop:
shuffling, forward, loss, backward and update for every mini-batch (evaluation is outside).

It also measures the machine's float32 matrix-multiply throughput for the layers' shapes
and the epoch time the network's multiplications alone would take at that speed (the
floor no implementation can beat), and the accuracy targets of nnlib: the 784 → 50 → 10
ReLU network at 97 % within 17 epochs, and the book's best network (784 → 256 → 128 → 10,
Adam with the learning rate lowered after 8 epochs) at 98 %.

Usage::

    python benchmarks/mnist_mlp.py            # full run (10 epochs, 5 repeats; ~10 min on 2 cores)
    python benchmarks/mnist_mlp.py --quick    # smoke run (2 epochs, 1 repeat, no accuracy targets)

See benchmarks/README.md for the recorded results.
"""

from __future__ import annotations

import argparse
import datetime
import math
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

BATCH = 100
PROTOCOLS = {
    "relu": dict(sizes=(784, 50, 10), activation="relu", init="he", optimizer="sgd", lr=0.1),
    "sigmoid": dict(sizes=(784, 50, 10), activation="sigmoid", init="xavier", optimizer="sgd", lr=0.1),
    "adam": dict(sizes=(784, 100, 10), activation="relu", init="he", optimizer="adam", lr=1e-3),
}
PEERS = ("nnlib", "textbook", "sklearn", "torch")


class EpochClock:
    """Wall-clock and CPU seconds of each epoch (``lap()`` at the end of every epoch).

    CPU time (of this process) is recorded beside wall time: on a shared machine other
    processes inflate wall time, much less the CPU time of a single-threaded run.
    """

    def __init__(self):
        self.wall, self.cpu = [], []
        self._w, self._c = time.perf_counter(), time.process_time()

    def lap(self, *_):
        w, c = time.perf_counter(), time.process_time()
        self.wall.append(w - self._w)
        self.cpu.append(c - self._c)
        self._w, self._c = w, c


# --------------------------------------------------------------------------------------------
# Initial weights and shuffling, shared by nnlib, textbook and torch
# --------------------------------------------------------------------------------------------
def initial_model(proto, seed):
    """nnlib's model for the protocol; its initial weights are copied to the other peers."""
    return mlp(proto["sizes"], proto["activation"], init=proto["init"],
               rng=np.random.default_rng(seed), dtype="float32")


def initial_weights(proto, seed):
    model = initial_model(proto, seed)
    return [(l.params["W"].copy(), l.params["b"].copy()) for l in model.layers if "W" in l.params]


def shuffle_rng(seed):
    return np.random.default_rng(seed + 1)


# --------------------------------------------------------------------------------------------
# nnlib
# --------------------------------------------------------------------------------------------
def run_nnlib(proto, data, epochs, seed):
    (x, t), (xt, tt) = data
    model = initial_model(proto, seed)
    opt = SGD(proto["lr"]) if proto["optimizer"] == "sgd" else Adam(proto["lr"])
    clock = EpochClock()  # fit calls lap after every epoch (no evaluation in between)
    fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=epochs, batch_size=BATCH,
        rng=shuffle_rng(seed), progress=False, eval_train=False, callback=clock.lap)
    return clock, accuracy(model, xt, tt)


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
    (x, t), (xt, tt) = data
    weights = [(W.copy(), b.copy()) for W, b in initial_weights(proto, seed)]
    affine = [_Affine(W, b) for W, b in weights]
    act = _Relu() if proto["activation"] == "relu" else _Sigmoid()
    layers = [affine[0], act, affine[1]]
    last = _SoftmaxWithLoss()
    lr, adam = proto["lr"], proto["optimizer"] == "adam"
    m = {k: np.zeros_like(p) for k, p in enumerate(w for wb in weights for w in wb)}
    v = {k: np.zeros_like(p) for k, p in m.items()}
    step = 0
    rng = shuffle_rng(seed)
    n = x.shape[0]
    with np.errstate(over="ignore"):  # exp(-x) of the sigmoid may overflow to inf (then 1/inf = 0)
        clock = EpochClock()
        for _ in range(epochs):
            perm = rng.permutation(n)
            for s in range(0, n, BATCH):
                idx = perm[s:s + BATCH]
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
                        m[k] = 0.9 * m[k] + 0.1 * g
                        v[k] = 0.999 * v[k] + 0.001 * g ** 2
                        p -= lr * (m[k] / (1 - 0.9 ** step)) / (
                            np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
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

    (x, t), (xt, tt) = data
    clf = MLPClassifier(
        hidden_layer_sizes=proto["sizes"][1:-1],
        activation="relu" if proto["activation"] == "relu" else "logistic",
        solver=proto["optimizer"], alpha=0.0, batch_size=BATCH, learning_rate="constant",
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


def run_torch(proto, data, epochs, seed):
    import torch
    import torch.nn.functional as F

    (x, t), (xt, tt) = data
    weights = initial_weights(proto, seed)
    act = torch.nn.ReLU() if proto["activation"] == "relu" else torch.nn.Sigmoid()
    model = torch.nn.Sequential(torch.nn.Linear(*proto["sizes"][:2]), act,
                                torch.nn.Linear(*proto["sizes"][1:]))
    with torch.no_grad():
        for layer, (W, b) in zip((model[0], model[2]), weights):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores W as (out, in)
            layer.bias.copy_(torch.from_numpy(b))
    if proto["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=proto["lr"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=proto["lr"], eps=1e-8)
    X, T = torch.from_numpy(x), torch.from_numpy(t)
    rng = shuffle_rng(seed)
    n = x.shape[0]
    clock = EpochClock()
    for _ in range(epochs):
        perm = torch.from_numpy(rng.permutation(n))
        for s in range(0, n, BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), T[idx])
            loss.backward()
            opt.step()
            loss.item()
        clock.lap()
    with torch.no_grad():
        pred = model(torch.from_numpy(xt)).argmax(dim=1).numpy()
    return clock, float((pred == tt).mean())


RUNNERS = {"nnlib": run_nnlib, "textbook": run_textbook, "sklearn": run_sklearn, "torch": run_torch}


# --------------------------------------------------------------------------------------------
# The physical limit: matrix-multiply throughput for the network's shapes
# --------------------------------------------------------------------------------------------
def matmul_floor(sizes, n=BATCH, steps=600, repeats=7, loops=200):
    """Measured float32 GFLOP/s over the 3 products per layer, and the epoch time they take.

    Per layer (in → out) and mini-batch of n: forward x @ W (n×in by in×out), the weight
    gradient x.T @ dout and the input gradient dout @ W.T, 2·n·in·out FLOP each. The best
    of several timing loops is taken: a floor, so interference from other processes is
    left out.
    """
    rng = np.random.default_rng(0)
    total_flop, total_s = 0.0, 0.0
    for a, b in zip(sizes[:-1], sizes[1:]):
        x = rng.random((n, a), dtype=np.float32)
        W = rng.random((a, b), dtype=np.float32)
        d = rng.random((n, b), dtype=np.float32)
        gW = np.empty_like(W)
        for f in (lambda: x @ W, lambda: np.matmul(x.T, d, out=gW), lambda: d @ W.T):
            f()
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                for _ in range(loops):
                    f()
                best = min(best, (time.perf_counter() - start) / loops)
            total_flop += 2.0 * n * a * b
            total_s += best
    return total_flop / total_s / 1e9, total_s * steps


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
    """Use n threads in every BLAS/OpenMP pool of the process (NumPy's, torch's)."""
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=n)
    if torch_available():
        import torch

        torch.set_num_threads(n)
    return limiter


def blas_info():
    from threadpoolctl import threadpool_info

    rows = []
    for p in threadpool_info():
        if p.get("user_api") == "blas":
            rows.append(f"{p.get('internal_api')} {p.get('version')} "
                        f"({Path(p.get('filepath', '')).name}, {p.get('num_threads')} threads)")
    return "; ".join(rows)


def versions():
    import sklearn

    v = {"python": platform.python_version(), "numpy": np.__version__,
         "scikit-learn": sklearn.__version__, "nnlib": nnlib.__version__}
    if torch_available():
        import torch

        v["torch"] = torch.__version__
    return v


# --------------------------------------------------------------------------------------------
# Accuracy targets (nnlib only)
# --------------------------------------------------------------------------------------------
def accuracy_targets(data, seed=0, epochs_relu=17, epochs_best=12, decay_at=8):
    """The 784-50-10 ReLU network (SGD lr 0.1) for 17 epochs, and the book's best
    configuration: 784-256-128-10 ReLU, Adam lr 1e-3 lowered to 1e-4 after 8 epochs."""
    (x, t), (xt, tt) = data
    out = {}
    model = initial_model(PROTOCOLS["relu"], seed)
    h = fit(model, SoftmaxCrossEntropy(), SGD(0.1), x, t, epochs=epochs_relu, batch_size=BATCH,
            rng=shuffle_rng(seed), x_test=xt, t_test=tt, progress=False, eval_train=False)
    first = next((e for e, a in zip(h.epoch, h.test_acc) if a >= 0.97), None)
    out["relu"] = (h.test_acc, first)
    model = mlp([784, 256, 128, 10], "relu", rng=np.random.default_rng(seed), dtype="float32")
    adam = Adam(1e-3)

    def lower_lr(epoch, history):
        if epoch == decay_at:
            adam.lr = 1e-4

    h = fit(model, SoftmaxCrossEntropy(), adam, x, t, epochs=epochs_best, batch_size=BATCH,
            rng=shuffle_rng(seed), x_test=xt, t_test=tt, progress=False, eval_train=False,
            callback=lower_lr)
    first = next((e for e, a in zip(h.epoch, h.test_acc) if a >= 0.98), None)
    out["best"] = (h.test_acc, first)
    return out


# --------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 2 epochs, 1 repeat, no accuracy targets")
    ap.add_argument("--epochs", type=int, default=None, help="epochs per run (default 10)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per peer and protocol (default 5)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads for every peer (default 1)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    ap.add_argument("--protocols", default=",".join(PROTOCOLS),
                    help="comma-separated subset of " + ",".join(PROTOCOLS))
    ap.add_argument("--no-accuracy", action="store_true", help="skip the accuracy targets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    args = ap.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 10)
    repeats = args.repeats or (1 if args.quick else 5)
    peers = [p for p in args.peers.split(",") if p]
    protocols = [p for p in args.protocols.split(",") if p]
    for p in peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p!r}; expected some of {', '.join(PEERS)}")
    for p in protocols:
        if p not in PROTOCOLS:
            ap.error(f"unknown protocol {p!r}; expected some of {', '.join(PROTOCOLS)}")
    if "torch" in peers and not torch_available():
        print("PyTorch is not installed: the torch peer is skipped (pip install torch to include it).")
        peers.remove("torch")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        if "sklearn" in peers:
            print("scikit-learn is not installed: the sklearn peer is skipped.")
            peers.remove("sklearn")

    limiter = set_threads(args.threads)  # noqa: F841 (kept alive for the whole run)
    started = time.perf_counter()
    record = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(),
              "logical_cpus": os.cpu_count(), "threads": args.threads, "versions": versions(),
              "blas": blas_info(), "load_average_start": os.getloadavg(), "epochs": epochs,
              "repeats": repeats, "batch_size": BATCH, "seed": args.seed}
    print(f"# MNIST MLP benchmark, {record['date']}")
    print(f"CPU: {record['cpu']}, {record['logical_cpus']} logical CPUs; threads per peer: {args.threads}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items()))
    print(f"BLAS: {record['blas']}")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in record['load_average_start'])}")
    print(f"protocol: batch {BATCH}, float32, {epochs} epochs, {repeats} repeats, seed {args.seed}")

    start = time.perf_counter()
    data = load_mnist()
    print(f"load_mnist: {time.perf_counter() - start:.2f} s")

    print("\n## Physical limit (float32 matrix products only; best of several loops)\n")
    print("| protocol | GFLOP/s | epoch of matmuls alone (s) |")
    print("|---|---:|---:|")
    floors = {}
    for name in protocols:
        gflops, floor = matmul_floor(PROTOCOLS[name]["sizes"], steps=data[0][0].shape[0] // BATCH)
        floors[name] = floor
        record.setdefault("floor", {})[name] = {"gflops": gflops, "seconds_per_epoch": floor}
        print(f"| {name} {'-'.join(map(str, PROTOCOLS[name]['sizes']))} | {gflops:.1f} | {floor:.3f} |")

    wall = {(pr, pe): [] for pr in protocols for pe in peers}
    cpu = {(pr, pe): [] for pr in protocols for pe in peers}
    accs = {(pr, pe): [] for pr in protocols for pe in peers}
    for rep in range(repeats):
        order = peers[rep % len(peers):] + peers[:rep % len(peers)]  # rotate who goes first
        for name in protocols:
            for peer in order:
                clock, acc = RUNNERS[peer](PROTOCOLS[name], data, epochs, args.seed)
                wall[name, peer].extend(clock.wall)
                cpu[name, peer].extend(clock.cpu)
                accs[name, peer].append(acc)
                print(f"  repeat {rep + 1}/{repeats} {name:8s} {peer:9s} "
                      f"median {statistics.median(clock.wall):.3f} s/epoch "
                      f"(CPU {statistics.median(clock.cpu):.3f} s), test acc {acc:.4f}", flush=True)

    print(f"\n## Results: median seconds per epoch over {repeats} × {epochs} epochs\n")
    print("Wall-clock seconds; CPU seconds of the process in parentheses. "
          "'× nnlib' = the implementation's median time / nnlib's (above 1: slower than nnlib).\n")
    print("| protocol | implementation | test accuracy | s/epoch (CPU) | × nnlib (CPU) |")
    print("|---|---|---:|---:|---:|")
    for name in protocols:
        label = f"{name} {'-'.join(map(str, PROTOCOLS[name]['sizes']))}"
        base_w = statistics.median(wall[name, "nnlib"]) if "nnlib" in peers else None
        base_c = statistics.median(cpu[name, "nnlib"]) if "nnlib" in peers else None
        for peer in peers:
            w, c = statistics.median(wall[name, peer]), statistics.median(cpu[name, peer])
            acc = statistics.median(accs[name, peer])
            ratio = f"{w / base_w:.2f} ({c / base_c:.2f})" if base_w else "–"
            print(f"| {label} | {peer} | {acc:.4f} | {w:.3f} ({c:.3f}) | {ratio} |")
            record.setdefault("results", []).append(
                {"protocol": name, "sizes": list(PROTOCOLS[name]["sizes"]), "implementation": peer,
                 "test_accuracy": acc, "seconds_per_epoch": w, "cpu_seconds_per_epoch": c,
                 "ratio_to_nnlib": w / base_w if base_w else None,
                 "cpu_ratio_to_nnlib": c / base_c if base_c else None})
        ratio = f"{floors[name] / base_w:.2f} ({floors[name] / base_c:.2f})" if base_w else "–"
        print(f"| {label} | matmuls alone (floor) | | {floors[name]:.3f} | {ratio} |")

    if not (args.quick or args.no_accuracy):
        print("\n## Accuracy targets (nnlib, float32, batch 100)\n")
        res = accuracy_targets(data, args.seed)
        accs_relu, first = res["relu"]
        print("784-50-10 ReLU, SGD lr 0.1, test accuracy per epoch: "
              + " ".join(f"{a:.4f}" for a in accs_relu))
        print(f"  first epoch with >= 97 %: {first}")
        accs_best, first = res["best"]
        print("784-256-128-10 ReLU, Adam lr 1e-3 (1e-4 after epoch 8), test accuracy per epoch: "
              + " ".join(f"{a:.4f}" for a in accs_best))
        print(f"  first epoch with >= 98 %: {first}")
        record["accuracy_targets"] = {
            "relu_784_50_10_sgd": {"test_accuracy": accs_relu, "first_epoch_97": res["relu"][1]},
            "relu_784_256_128_10_adam_decay": {"test_accuracy": accs_best, "first_epoch_98": first}}
    record["load_average_end"] = os.getloadavg()
    record["total_seconds"] = time.perf_counter() - started
    print(f"\nload average at end: {' '.join(f'{v:.2f}' for v in record['load_average_end'])}; "
          f"total time {record['total_seconds']:.0f} s")
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
