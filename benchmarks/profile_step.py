"""Where one training step of nnlib spends its time: a phase-by-phase profile.

For one protocol of ``mnist_mlp.py`` it times, over the steps of one epoch (one BLAS
thread, CPU seconds of the process, so that other processes on a shared machine disturb
it little):

* the phases of a step, each called exactly as ``fit`` calls it -- gathering the
  shuffled batch, ``model.forward``, ``loss.forward``, ``loss.backward``,
  ``model.backward(..., input_grad=False)``, the check that the gradients are finite (one
  ``vdot``), the optimizer's update (the whole-buffer update for a network built by
  ``mlp``);
* the matrix products alone (the bound of ``mnist_mlp.py``);
* a whole epoch of ``fit`` (evaluation off), and the lean NumPy loop of ``mnist_mlp.py``,
  whole and split into the same phases (``run_lean(..., phases=)``), so that each phase of
  nnlib can be compared with the lean loop's.

"fit overhead" is the training loop of fit's first epoch minus the sum of the phases: what the loop itself adds (the per-step checks of the loss,
bookkeeping). fit's check of the whole training data, done once per call before the first
step, is timed apart. Finally ``cProfile`` lists the functions with the most own time in
one epoch of ``fit``.

Usage::

    python benchmarks/profile_step.py                 # relu protocol (784-50-10, SGD, batch 100)
    python benchmarks/profile_step.py --protocol adam --repeats 5
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mnist_mlp as bench  # noqa: E402
from nnlib import Adam, SGD, SoftmaxCrossEntropy, fit, load_mnist  # noqa: E402


def phases(proto, x, t, seed=0):
    """CPU seconds per phase, summed over the steps of one epoch."""
    model = bench.initial_model(proto, seed)
    loss = SoftmaxCrossEntropy()
    opt = SGD(proto["lr"]) if proto["optimizer"] == "sgd" else Adam(proto["lr"])
    n, N = proto["batch"], x.shape[0]
    perm = bench.shuffle_rng(seed).permutation(N)
    xb, tb = np.empty((n, x.shape[1]), x.dtype), np.empty(n, t.dtype)
    # The calls fit makes inside its loop: the unchecked fast paths where nnlib has them
    # (fit validates its data once, up front), else the public methods; the whole-buffer
    # update when the model keeps its parameters in one flat array (mlp does), with the
    # gradients as scratch space except at the last step, and one vdot over the gradients.
    forward = getattr(model, "_forward", model.forward)
    compute = getattr(loss, "_compute", loss.forward)
    params, grads = model.params, model.grads
    flat = model._flat_buffers(params, grads)
    if flat is not None:
        flat_p, flat_g = flat

        def apply(last):
            opt._apply_flat(flat_p, flat_g, params, grads, g_free=not last)

        def check():
            return np.vdot(flat_g, flat_g)
        apply_name = type(opt).__name__ + "._apply_flat"
    else:
        def apply(last):
            opt._apply(params, grads)

        def check():
            return sum(np.vdot(g, g) for g in grads.values())
        apply_name = type(opt).__name__ + "._apply"
    clock = time.process_time
    out = dict.fromkeys(("gather", "model.forward", "loss.forward", "loss.backward",
                         "model.backward", "gradient check", "optimizer.update"), 0.0)
    steps = -(-N // n)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # as in fit
        for step, s in enumerate(range(0, N, n), 1):
            c0 = clock()
            idx = perm[s:s + n]
            k = idx.shape[0]
            x.take(idx, axis=0, out=xb[:k], mode="clip")  # as fit gathers its batches
            t.take(idx, axis=0, out=tb[:k], mode="clip")
            c1 = clock()
            y = forward(xb[:k])
            c2 = clock()
            compute(y, tb[:k])
            c3 = clock()
            d = loss.backward()
            c4 = clock()
            model.backward(d, input_grad=False)
            c5 = clock()
            check()
            c6 = clock()
            apply(step == steps)
            c7 = clock()
            for key, a, b in zip(out, (c0, c1, c2, c3, c4, c5, c6), (c1, c2, c3, c4, c5, c6, c7)):
                out[key] += b - a
    out["calls"] = ", ".join([f.__qualname__ for f in (forward, compute, loss.backward,
                                                       model.backward)] + [apply_name])
    return out


def lean_phases(proto, x, t, seed=0):
    """The same phases in the lean NumPy loop of ``mnist_mlp.py`` (one epoch, its clocks on)."""
    out = {}
    bench.run_lean(proto, ((x, t), (x[:1], t[:1])), 1, seed, phases=out)
    return out


def fit_epoch(proto, x, t, seed=0):
    """CPU seconds of the training loop of fit's first epoch.

    fit checks all its inputs once before training (timed apart by ``fit_checks``); the
    epoch is timed from the call of ``lr_schedule`` (here a constant rate), which fit makes
    right before the loop of each epoch, to the callback after it. The first epoch, as for
    the phases: in later Adam epochs some entries of m have decayed to subnormal numbers,
    on which the processor computes slowly.
    """
    model = bench.initial_model(proto, seed)
    opt = SGD(proto["lr"]) if proto["optimizer"] == "sgd" else Adam(proto["lr"])
    laps = []

    def constant_rate(epoch):
        laps.append(time.process_time())
        return proto["lr"]

    fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=1, batch_size=proto["batch"],
        rng=bench.shuffle_rng(seed), progress=False, eval_train=False,
        lr_schedule=constant_rate, callback=lambda *_: laps.append(time.process_time()))
    return laps[1] - laps[0]


def fit_checks(proto, x, t, seed=0):
    """CPU seconds of fit's check of the training data (once per fit call, before step 1)."""
    from nnlib.training import _check_data

    model = bench.initial_model(proto, seed)
    c = time.process_time()
    _check_data("fit", model, SoftmaxCrossEntropy(), x, t, "train")
    return time.process_time() - c


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--protocol", default="relu", choices=tuple(bench.PROTOCOLS))
    ap.add_argument("--repeats", type=int, default=3, help="epochs measured per item (median)")
    ap.add_argument("--top", type=int, default=15, help="rows of the cProfile listing")
    args = ap.parse_args(argv)
    proto = bench.PROTOCOLS[args.protocol]
    limiter = bench.set_threads(1)  # noqa: F841
    (x, t), test = load_mnist()
    data = ((x, t), test)
    steps = -(-x.shape[0] // proto["batch"])
    print(f"# nnlib step profile: {args.protocol} {'-'.join(map(str, proto['sizes']))}, "
          f"batch {proto['batch']}, {steps} steps per epoch, 1 BLAS thread, CPU seconds, "
          f"median of {args.repeats} epochs")
    for b in bench.blas_info():
        print(f"BLAS: {b['internal_api']} {b['version']}, kernel {b['architecture']}")
    phases(proto, x[:2000], t[:2000])  # warm-up
    runs, lean_runs = [], []
    for _ in range(args.repeats):  # interleaved
        runs.append(phases(proto, x, t))
        lean_runs.append(lean_phases(proto, x, t))
    calls = runs[0]["calls"]
    for r in runs:
        del r["calls"]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    lean_med = {k: statistics.median(r[k] for r in lean_runs) for k in lean_runs[0]}
    fit_s = statistics.median(fit_epoch(proto, x, t) for _ in range(args.repeats))
    checks_s = statistics.median(fit_checks(proto, x, t) for _ in range(args.repeats))
    bound_s = statistics.median(bench.run_bound(proto, data, 1, 0)[0].cpu[0]
                                for _ in range(args.repeats))
    lean_s = statistics.median(bench.run_lean(proto, data, 1, 0)[0].cpu[0]
                               for _ in range(args.repeats))
    total = sum(med.values())
    print(f"nnlib calls timed (as in fit's loop): {calls}")
    print("\n| part | nnlib s/epoch | nnlib µs/step | share of fit's epoch | lean µs/step | nnlib − lean µs/step |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, v in list(med.items()) + [("fit overhead (fit − phases)", fit_s - total)]:
        lv = lean_med.get(k)
        lean_cols = (f"{lv / steps * 1e6:.1f} | {(v - lv) / steps * 1e6:+.1f}" if lv is not None
                     else " | ")
        print(f"| {k} | {v:.4f} | {v / steps * 1e6:.1f} | {v / fit_s:.0%} | {lean_cols} |")
    print(f"| **fit, whole epoch** | {fit_s:.4f} | {fit_s / steps * 1e6:.1f} | 100% |")
    print(f"| matrix products alone (bound) | {bound_s:.4f} | {bound_s / steps * 1e6:.1f} "
          f"| {bound_s / fit_s:.0%} |")
    print(f"| lean NumPy loop, whole epoch | {lean_s:.4f} | {lean_s / steps * 1e6:.1f} "
          f"| {lean_s / fit_s:.0%} |")
    print(f"\nfit: {fit_s / bound_s:.2f} × bound; lean: {lean_s / bound_s:.2f} × bound; "
          f"fit / lean = {fit_s / lean_s:.2f}")
    print(f"fit's check of the training data, once per fit call before the first step: "
          f"{checks_s:.4f} s ({checks_s / fit_s:.0%} of an epoch; not in the epoch above)")

    print(f"\n## cProfile of one epoch of fit (top {args.top} by own time)\n")
    model = bench.initial_model(proto, 0)
    opt = SGD(proto["lr"]) if proto["optimizer"] == "sgd" else Adam(proto["lr"])
    prof = cProfile.Profile()
    prof.enable()
    fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=1, batch_size=proto["batch"],
        rng=bench.shuffle_rng(0), progress=False, eval_train=False)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
