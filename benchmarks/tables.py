"""Markdown tables of a recorded run of ``mnist_mlp.py`` (for benchmarks/README.md).

Usage::

    python benchmarks/tables.py benchmarks/results/mnist_mlp_cpu_2026-12-02b.json

Prints the environment, the protocol table (median seconds per epoch, wall-clock and CPU,
× nnlib and × bound), the targets of issue 13 checked against the record, and the scaling
table (× bound per implementation). Every number comes from the JSON record.
"""

from __future__ import annotations

import json
import sys

NAMES = {"nnlib": "nnlib", "lean": "lean NumPy", "textbook": "textbook NumPy",
         "sklearn": "scikit-learn", "torch": "PyTorch", "bound": "*matrix products alone (bound)*"}
LABELS = {"relu": "784-50-10 ReLU, SGD 0.1", "sigmoid": "784-50-10 sigmoid, SGD 0.1",
          "adam": "784-100-10 ReLU, Adam 1e-3", "wide": "784-1024-1024-10 ReLU, SGD 0.1"}


def environment(r):
    blas = "; ".join(f"{b['internal_api']} {b['version']} ({b['library']}): kernel "
                     f"**{b['architecture']}**, {b['num_threads']} thread" for b in r["blas"])
    v = r["versions"]
    lines = [f"* date (UTC): {r['datetime_utc']}; total run time {r['total_seconds']:.0f} s",
             f"* CPU: {r['cpu']} ({r['logical_cpus']} logical CPUs), one BLAS/OpenMP thread "
             f"per peer; load average {r['load_average_start'][0]:.1f} at the start and "
             f"{r['load_average_end'][0]:.1f} at the end",
             f"* BLAS (threadpoolctl): {blas}",
             "* versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
             f"* nnlib back-end: {r['backend']}"]
    if r.get("gpu"):
        lines.append(f"* GPU: {r['gpu']}, driver {r.get('nvidia_driver', '?')}, CuPy {r['cupy']}")
    return "\n".join(lines)


def protocol_table(r):
    out = [f"{r['epochs']} epochs × {r['repeats']} repeats per cell, interleaved; medians over "
           "all epochs. Wall-clock seconds, CPU seconds of the process in parentheses.\n",
           "| protocol | implementation | test acc. | s/epoch (CPU) | × nnlib (CPU) | × bound (CPU) |",
           "|---|---|---:|---:|---:|---:|"]
    for x in r["results"]:
        acc = f"{x['test_accuracy']:.4f}" if x["test_accuracy"] is not None else ""
        rn = (f"{x['ratio_to_nnlib']:.2f} ({x['cpu_ratio_to_nnlib']:.2f})"
              if x["ratio_to_nnlib"] else "–")
        rb = (f"{x['ratio_to_bound']:.2f} ({x['cpu_ratio_to_bound']:.2f})"
              if x["ratio_to_bound"] else "–")
        out.append(f"| {LABELS.get(x['protocol'], x['protocol'])} | {NAMES[x['implementation']]} "
                   f"| {acc} | {x['seconds_per_epoch']:.3f} ({x['cpu_seconds_per_epoch']:.3f}) "
                   f"| {rn} | {rb} |")
    return "\n".join(out)


def targets(r):
    """Issue 13's targets, checked on wall-clock and on CPU-time ratios."""
    res = {(x["protocol"], x["implementation"]): x for x in r["results"]}
    protos = list(dict.fromkeys(x["protocol"] for x in r["results"]))
    out = ["| target | wall-clock | CPU time | met? (wall / CPU) |", "|---|---:|---:|---|"]

    def row(name, wall, cpu, limit, smaller=True):
        ok = lambda v: "yes" if (v <= limit if smaller else v >= limit) else "no"  # noqa: E731
        out.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {ok(wall)} / {ok(cpu)} |")

    for p in protos:
        peers = [k[1] for k in res if k[0] == p and k[1] not in ("nnlib", "bound")]
        if not peers or (p, "nnlib") not in res:
            continue
        fastest = min(peers, key=lambda q: res[p, q]["seconds_per_epoch"])
        fastest_c = min(peers, key=lambda q: res[p, q]["cpu_seconds_per_epoch"])
        row(f"{p}: fastest peer's time / nnlib's ({NAMES[fastest]} / {NAMES[fastest_c]}) ≥ 1",
            res[p, fastest]["ratio_to_nnlib"], res[p, fastest_c]["cpu_ratio_to_nnlib"], 1.0,
            smaller=False)
    if ("relu", "nnlib") in res and res["relu", "nnlib"]["ratio_to_bound"]:
        x = res["relu", "nnlib"]
        row("relu 784-50-10, batch 100: nnlib × bound ≤ 1.4", x["ratio_to_bound"],
            x["cpu_ratio_to_bound"], 1.4)
    if ("adam", "nnlib") in res and res["adam", "nnlib"]["ratio_to_bound"]:
        x = res["adam", "nnlib"]
        row("adam 784-100-10: nnlib × bound ≤ 1.5", x["ratio_to_bound"], x["cpu_ratio_to_bound"], 1.5)
    for x in r.get("grid", {}).get("results", []):
        if x["implementation"] == "nnlib" and x["batch"] >= 256 and x["hidden"] >= 256:
            row(f"grid H={x['hidden']}, n={x['batch']}: nnlib × bound ≤ 1.2", x["ratio_to_bound"],
                x["cpu_ratio_to_bound"], 1.2)
    return "\n".join(out)


def grid_table(r, key="cpu_ratio_to_bound"):
    g = r["grid"]
    peers = [p for p in dict.fromkeys(x["implementation"] for x in g["results"]) if p != "bound"]
    cells = {(x["hidden"], x["batch"], x["implementation"]): x for x in g["results"]}
    what = "CPU time" if key.startswith("cpu") else "wall-clock time"
    out = [f"784-H-10 ReLU, SGD lr 0.1, the first {g['samples']} training images, {g['epochs']} "
           f"epoch(s) × {g['repeats']} repeats per cell, interleaved. × bound from the {what}; "
           "the bound column is its seconds per epoch.\n",
           "| H | batch | bound s/epoch | " + " | ".join(NAMES[p] for p in peers) + " |",
           "|---:|---:|---:|" + "---:|" * len(peers)]
    for h in g["widths"]:
        for n in g["batches"]:
            b = cells[h, n, "bound"]
            sec = b["cpu_seconds_per_epoch"] if key.startswith("cpu") else b["seconds_per_epoch"]
            vals = []
            for p in peers:
                v = cells[h, n, p][key]
                best = min(cells[h, n, q][key] for q in peers)
                vals.append(f"**{v:.2f}**" if v == best else f"{v:.2f}")
            out.append(f"| {h} | {n} | {sec:.4f} | " + " | ".join(vals) + " |")
    return "\n".join(out)


def reading(r):
    """Sentences that state what the record shows (generated, so they cannot drift from it)."""
    res = {(x["protocol"], x["implementation"]): x for x in r.get("results", [])}
    protos = list(dict.fromkeys(x["protocol"] for x in r.get("results", [])))
    out = []
    for p in protos:
        if (p, "nnlib") not in res:
            continue
        nn = res[p, "nnlib"]
        peers = [k[1] for k in res if k[0] == p and k[1] not in ("nnlib", "bound")]
        slower = [q for q in peers if res[p, q]["cpu_ratio_to_nnlib"] > 1]
        faster = [q for q in peers if res[p, q]["cpu_ratio_to_nnlib"] <= 1]
        s = f"* **{LABELS.get(p, p)}**: nnlib {nn['seconds_per_epoch']:.3f} s/epoch ({nn['cpu_seconds_per_epoch']:.3f} CPU s)"
        if nn.get("ratio_to_bound"):
            s += f", {nn['ratio_to_bound']:.2f}× the bound ({nn['cpu_ratio_to_bound']:.2f}× in CPU time)"
        s += ". "
        if slower:
            s += ("Slower than nnlib in CPU time: " + ", ".join(
                f"{NAMES[q]} ×{res[p, q]['cpu_ratio_to_nnlib']:.2f}" for q in slower) + ". ")
        if faster:
            s += ("**Faster than nnlib** in CPU time: " + ", ".join(
                f"{NAMES[q]} (takes {res[p, q]['cpu_ratio_to_nnlib']:.2f}× nnlib's time; "
                f"{res[p, q]['ratio_to_nnlib']:.2f}× in wall-clock time)" for q in faster) + ". ")
        if (p, "lean") in res and res[p, "lean"].get("ratio_to_bound"):
            s += (f"The lean NumPy loop itself is at {res[p, 'lean']['cpu_ratio_to_bound']:.2f}× "
                  "the bound in CPU time.")
        out.append(s)
    return "\n".join(out)


def main(path):
    r = json.loads(open(path, encoding="utf-8").read())
    print(environment(r), end="\n\n")
    if "results" in r:
        print(protocol_table(r), end="\n\n")
        print(reading(r), end="\n\n")
        print(targets(r), end="\n\n")
    if "grid" in r:
        print(grid_table(r, "cpu_ratio_to_bound"), end="\n\n")
        print(grid_table(r, "ratio_to_bound"))


if __name__ == "__main__":
    main(sys.argv[1])
