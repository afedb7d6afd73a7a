"""Latency of the live explorers, from input to redraw, in Chromium: HTML book and JupyterLab.

    .venv/bin/python benchmarks/explorer_latency.py --html _build/html [--lab] [--repeats 5]

For every control of the formula explorers (neuron, activation, gradient descent) the
script changes the control ``--repeats`` times (an ``input`` event, as a slider drag
sends) and measures the time from the event to the end of the next painted frame
(the redraw happens in the event handler; the frame is awaited with
``requestAnimationFrame``). For the playground it presses ▶ for 3 s and measures the
interval between drawn training frames (each frame trains a few steps and redraws the
loss curve and the decision region). The digit explorer's drawing pad is timed per
pointer move (draw, preprocess, predict, redraw).

``--html DIR``: the built book, opened from disk (``file://``). ``--lab``: JupyterLab from
this venv (``jupyter lab --allow-root --no-browser --ServerApp.token=''`` on a free port)
opens a notebook in a temporary folder that displays the explorers, runs it, and the same
measurements are taken in the notebook. Prints a table of medians (ms); the target is
<= 100 ms for every control and per training frame.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

MEASURE_CONTROL = """async ([root, key, i]) => {
  const c = root.querySelector('[data-key="' + key + '"]');
  if (c.disabled) return null;
  const t0 = performance.now();
  if (c.tagName === 'SELECT') { c.selectedIndex = (c.selectedIndex + 1) % c.options.length; c.dispatchEvent(new Event('change', {bubbles: true})); }
  else {
    const lo = Number(c.min), hi = Number(c.max);
    c.value = lo + (hi - lo) * ((i % 2) ? 0.3 : 0.7) + (hi - lo) * 0.02 * i;
    c.dispatchEvent(new Event('input', {bubbles: true}));
  }
  await new Promise(r => requestAnimationFrame(() => r()));
  return performance.now() - t0;
}"""

MEASURE_TRAINING = """async (root) => {
  const view = root.querySelector('.nnlive');
  const times = [];
  const on = () => times.push(performance.now());
  view.addEventListener('nnlive:drawn', on);
  const play = Array.from(root.querySelectorAll('button')).find(b => b.textContent.includes('学習'));
  play.click();
  await new Promise(r => setTimeout(r, 3000));
  Array.from(root.querySelectorAll('button')).find(b => b.textContent.includes('一時停止')).click();
  view.removeEventListener('nnlive:drawn', on);
  const d = []; for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  return {intervals: d, steps: Number(view.dataset.nnliveStep), accuracy: Number(view.dataset.nnliveAccuracy)};
}"""

MEASURE_DRAWING = """async (root) => {
  const pad = root.querySelector('canvas.nnlive-draw'), r = pad.getBoundingClientRect(), out = [];
  const ev = (type, x, y) => pad.dispatchEvent(new PointerEvent(type, {clientX: r.left + x * r.width, clientY: r.top + y * r.height, bubbles: true, pointerId: 1}));
  ev('pointerdown', 0.5, 0.2);
  for (let i = 1; i <= 10; i++) {
    const t0 = performance.now();
    ev('pointermove', 0.5, 0.2 + 0.06 * i);
    await new Promise(res => requestAnimationFrame(() => res()));
    out.push(performance.now() - t0);
  }
  ev('pointerup', 0.5, 0.8);
  return out;
}"""

CONTROLS = {"neuron": ["preset", "w1", "w2", "b", "gain"],
            "activation": ["name", "gain", "alpha", "beta", "k"],
            "descent": ["lr", "steps", "a0"]}
ENABLE = {"activation": {"gain": "sigmoid", "alpha": "elu", "beta": "swish", "k": "maxout"}}


def measure_page(page, roots, repeats, label):
    rows = []
    for root in roots:
        kind = page.evaluate("r => JSON.parse(r.querySelector('script.nnlib-live-data') ? r.querySelector('script.nnlib-live-data').textContent : r.dataset.kind ? '{}' : '{}').kind || r.dataset.kind", root)
        kind = kind or page.evaluate("r => r.dataset.kind", root)
        root.scroll_into_view_if_needed()
        if kind in CONTROLS:
            for key in CONTROLS[kind]:
                if kind in ENABLE and key in ENABLE[kind]:
                    names = page.evaluate("r => Array.from(r.querySelector('[data-key=name]').options).map(o => JSON.parse(o.value))", root)
                    page.evaluate("([r, i]) => { const c = r.querySelector('[data-key=name]'); c.selectedIndex = i; c.dispatchEvent(new Event('change', {bubbles: true})); }",
                                  [root, names.index(ENABLE[kind][key])])
                ts = [page.evaluate(MEASURE_CONTROL, [root, key, i]) for i in range(repeats)]
                ts = [t for t in ts if t is not None]
                rows.append((label, kind, key, statistics.median(ts), max(ts)))
        elif kind == "playground":
            r = page.evaluate(MEASURE_TRAINING, root)
            iv = r["intervals"] or [float("nan")]
            rows.append((label, kind, f"training frame ({len(iv)} frames, {r['steps']} steps, acc {r['accuracy']:.2f})",
                         statistics.median(iv), max(iv)))
        elif kind == "digits":
            ts = page.evaluate(MEASURE_DRAWING, root)
            rows.append((label, kind, "pointer move while drawing", statistics.median(ts), max(ts)))
            ts = [page.evaluate(MEASURE_CONTROL, [root, "index", i]) for i in range(repeats)]
            rows.append((label, kind, "index", statistics.median(ts), max(ts)))
    return rows


def html_rows(browser, html_dir: Path, repeats: int):
    pages = sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts
                   and 'class="nnlib-live"' in p.read_text(encoding="utf-8", errors="ignore"))
    rows = []
    for path in pages:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("div.nnlib-live[data-nnlive-done]")
        rows += measure_page(page, page.query_selector_all("div.nnlib-live"), repeats, "HTML")
        page.close()
    return rows


NOTEBOOK_CELLS = [
    "from nnlib.widgets import NeuronExplorer, ActivationExplorer, GradientDescentExplorer, Playground, DigitExplorer",
    "NeuronExplorer()", "ActivationExplorer()", "GradientDescentExplorer()", "Playground()",
    "DigitExplorer.from_bundled()",
]


def lab_rows(browser, repeats: int):
    import nbformat

    tmp = Path(tempfile.mkdtemp(prefix="nnlive-lab-"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "explorers.ipynb")
    # The same JupyterLab start-up as the book's JupyterLab check (free port, no token,
    # settings in a temporary folder), serving the folder of the generated notebook.
    sys.path.insert(0, str(ROOT / "tools"))
    from jupyterlab_check import start_lab, stop_lab

    jl, url = start_lab(tmp / "lab", root=tmp)
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{url}/lab/tree/explorers.ipynb", timeout=120_000)
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-KernelStatus", timeout=120_000)
        time.sleep(3)
        page.click("text=Run", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
        page.wait_for_function("document.querySelectorAll('.nnlive[data-nnlive-frames]').length >= 5", timeout=240_000)
        time.sleep(1)
        roots = page.query_selector_all(".jp-OutputArea-output:has(.nnlive)")
        # the roots in JupyterLab: the widget's element; tag them with their kind for measure_page
        for r in roots:
            page.evaluate("""r => { const v = r.querySelector('.nnlive');
                const k = v.querySelector('[data-key=preset]') ? 'neuron' : v.querySelector('[data-key=name]') ? 'activation'
                  : v.querySelector('[data-key=a0]') ? 'descent' : v.querySelector('[data-key=dataset]') ? 'playground' : 'digits';
                r.dataset.kind = k; }""", r)
        rows = measure_page(page, roots, repeats, "JupyterLab")
        page.close()
        return rows
    finally:
        stop_lab(jl)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, help="the built book (e.g. _build/html)")
    ap.add_argument("--lab", action="store_true", help="also measure in JupyterLab")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write the rows here")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if args.html:
            rows += html_rows(browser, args.html, args.repeats)
        if args.lab:
            rows += lab_rows(browser, args.repeats)
        browser.close()
    print(f"{'where':<11} {'explorer':<11} {'control':<48} {'median ms':>9} {'max ms':>8}")
    for where, kind, key, med, mx in rows:
        print(f"{where:<11} {kind:<11} {key:<48} {med:9.1f} {mx:8.1f}")
    worst = max((r[3] for r in rows), default=float("nan"))
    print(f"largest median: {worst:.1f} ms (target <= 100 ms); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
