"""Check the live explorers of the built HTML book in a real browser (Chromium), offline.

    .venv/bin/python tools/explorer_check.py _build/html

Opens every page of the built book that holds an explorer (``div.nnlib-live``) from disk
(``file://``) in Playwright with the system Chromium, with every request to another host
blocked and counted, and checks:

* every explorer renders (no script error) and every control changes the drawing;
* the playground trains to >= 95 % training accuracy on XOR in the page;
* a "1" drawn with the mouse on the digit explorer's pad is predicted as 1;
* the JavaScript mirror equals nnlib: every activation and its derivative on a grid,
  gradient-descent paths, whole playground training runs (loss at every recorded step,
  from nnlib's initial weights and batch order), the digit probabilities of every shipped
  test image, and the MNIST-like preprocessing of a drawing;
* zero requests to other hosts.

Prints one line per check with the measured figures; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Tolerances of the equivalence checks (the measured errors are printed).
TOL_ACTIVATION = 1e-12   # relative, where |f| >= 1e-6 (absolute 1e-18 below)
TOL_DESCENT = 1e-12      # relative, on every a_k
TOL_PLAYGROUND = 1e-10   # relative, on every recorded loss
TOL_DIGITS = 1e-6        # absolute, on every probability

failures: list[str] = []


def report(ok: bool, what: str):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def find_pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html")
                  if "_static" not in p.parts and 'class="nnlib-live"' in p.read_text(encoding="utf-8", errors="ignore"))


def canvas_hash(page, el) -> str:
    return page.evaluate("""el => Array.from(el.querySelectorAll('canvas')).map(c => c.toDataURL()).join('|')
        + '|' + (el.querySelector('.nnlive-text') || {}).textContent
        + '|' + Array.from(el.querySelectorAll('table')).map(t => t.textContent).join('|')""", el)


def set_control(page, el, key, value=None, pick=None):
    """Give the control ``key`` another value (``value``, or the ``pick``-th option / a value
    away from the current one) and fire its input and change events."""
    return page.evaluate("""([el, key, value, pick]) => {
        const c = el.querySelector('[data-key="' + key + '"]');
        if (c.tagName === 'SELECT') {
            const i = pick !== null ? pick : (c.selectedIndex + 1) % c.options.length;
            c.selectedIndex = i;
        } else if (value !== null) { c.value = value; }
        else {
            const lo = Number(c.min), hi = Number(c.max), v = Number(c.value);
            c.value = (v - lo > (hi - lo) / 2) ? lo + (hi - lo) * 0.2 : lo + (hi - lo) * 0.8;
        }
        c.dispatchEvent(new Event('input', {bubbles: true}));
        c.dispatchEvent(new Event('change', {bubbles: true}));
        return c.value;
    }""", [el, key, value, pick])


def controls(page, el) -> list[str]:
    return page.evaluate("el => Array.from(el.querySelectorAll('.nnlive-controls [data-key]')).map(c => c.dataset.key)", el)


def click(page, el, text):
    page.evaluate("""([el, text]) => Array.from(el.querySelectorAll('button')).find(b => b.textContent.includes(text)).click()""", [el, text])


# ---------------------------------------------------------------------------------------------
def check_neuron(page, el, bundle):
    for key in controls(page, el):
        before = canvas_hash(page, el)
        if key == "preset":
            set_control(page, el, key, pick=2)  # NAND
        else:
            set_control(page, el, key)
        report(canvas_hash(page, el) != before, f"neuron: control {key} changes the drawing")
    # truth table of each preset equals nnlib's
    from nnlib.widgets import NeuronExplorer
    ex = NeuronExplorer()
    for i, name in enumerate(bundle["data"]["presets"]):
        set_control(page, el, "preset", pick=i)
        js = page.evaluate("el => el.querySelector('.nnlive').nnliveView.state()", el)
        vals = page.evaluate("el => el.querySelector('.nnlive').nnliveView.frame.values", el)
        ex.set(preset=name, gain=vals["gain"])
        ok = (js["table"] == ex.state["table"].tolist() and js["matches"] == ex.state["matches"]
              and np.allclose(js["outputs"], ex.state["outputs"], rtol=1e-13, atol=0))
        err = float(np.max(np.abs(np.array(js["outputs"]) - ex.state["outputs"]) / ex.state["outputs"]))
        report(ok, f"neuron: preset {name}: truth table {js['table']} equals nnlib's, outputs rel. err {err:.1e}")


def check_activation(page, el, bundle):
    used = {"gain": "sigmoid", "alpha": "elu", "beta": "swish", "k": "maxout"}
    names = bundle["data"]["names"]
    for key in controls(page, el):
        if key == "name":
            before = canvas_hash(page, el)
            set_control(page, el, "name", pick=names.index("tanh"))
            report(canvas_hash(page, el) != before, "activation: control name changes the drawing")
            continue
        set_control(page, el, "name", pick=names.index(used[key]))
        before = canvas_hash(page, el)
        set_control(page, el, key)
        report(canvas_hash(page, el) != before, f"activation: control {key} changes the drawing ({used[key]})")
    # f and f' of every activation on a grid, against nnlib
    from nnlib.activations import get_activation
    from nnlib.widgets.activation import ActivationExplorer
    x = np.concatenate([np.linspace(-8, 8, 1601), [-1e-300, 1e-300, -30.0, 30.0, -700.0, 700.0]])
    worst, pointwise = (0.0, ""), 0.0
    params = {"sigmoid": [0.1, 1.0, 5.0, 10.0], "leaky_relu": [0.0, 0.01, 0.3, 2.0], "prelu": [0.25, 1.5],
              "elu": [0.0, 1.0, 2.0], "swish": [0.0, 1.0, 7.5], "maxout": [1, 2, 3, 5, 8]}
    for name in names:
        for p in params.get(name, [None]):
            if name == "maxout":
                ae = ActivationExplorer(x=x)
                st = ae.compute(name="maxout", k=p)
                f, d = st["y"], st["dy"]
            else:
                act = get_activation(name, **({bundle["data"]["parameter_of"][name]: p} if p is not None else {}))
                if name == "prelu":
                    act = get_activation(name, alpha=p)
                f, d = np.asarray(act.function(x), float), np.asarray(act.derivative(x), float)
            js = page.evaluate("([n, p, xs]) => { const c = NNLibLive.activationCurve(n, p, Float64Array.from(xs)); return [Array.from(c.y), Array.from(c.dy)]; }",
                               [name, p, x.tolist()])
            for lab, py, jv in (("f", f, np.array(js[0])), ("f'", d, np.array(js[1]))):
                # normwise relative error: max |js - nnlib| / max |nnlib| over the grid
                # (pointwise it is larger where f' = 1 - tanh^2 cancels in the tails: one ulp
                # of tanh differs between V8 and NumPy there)
                e = float(np.abs(jv - py).max() / max(np.abs(py).max(), 1e-300))
                pw = np.abs(jv - py) / np.maximum(np.abs(py), 1e-300)
                pointwise = max(pointwise, float(pw[np.abs(py) > 1e-3].max(initial=0)))
                if e > worst[0]:
                    worst = (e, f"{name}({p}) {lab}")
    report(worst[0] <= TOL_ACTIVATION,
           f"activation: every activation and derivative on {x.size} points equals nnlib: largest normwise rel. err "
           f"{worst[0]:.1e} ({worst[1]}); pointwise where |f| > 1e-3: {pointwise:.1e}")


def check_descent(page, el, bundle):
    for key in controls(page, el):
        before = canvas_hash(page, el)
        set_control(page, el, key)
        report(canvas_hash(page, el) != before, f"descent: control {key} changes the drawing")
    from nnlib.widgets.descent import gradient_descent
    worst, verdicts = 0.0, set()
    for lr in (1e-4, 0.001, 0.01, 0.02, 0.03, 0.0333, 0.034, 0.05, 0.1):
        for steps in (1, 10, 50):
            for a0 in (-2.0, 0.0, 3.7):
                py = gradient_descent(lr, steps, a0)
                js = page.evaluate("([lr, s, a0, d]) => { const r = NNLibLive.gradientDescent(lr, s, a0, d.x, d.y, d.tol); return [r.path, r.converged, r.diverged, r.oscillating]; }",
                                   [lr, steps, a0, bundle["data"]])
                path = np.array(js[0])
                fin = np.isfinite(py["path"])
                e = float(np.max(np.abs(path[fin] - py["path"][fin]) / np.maximum(np.abs(py["path"][fin]), 1e-300)))
                worst = max(worst, e)
                same = (js[1], js[2], js[3]) == (py["converged"], py["diverged"], py["oscillating"])
                verdicts.add(("converged" if py["converged"] else "diverged" if py["diverged"] else "running"))
                if not same:
                    report(False, f"descent: verdict differs for lr={lr}, steps={steps}, a0={a0}")
    report(worst <= TOL_DESCENT and len(verdicts) == 3,
           f"descent: 81 paths equal nnlib's (largest rel. err {worst:.1e}); verdicts seen {sorted(verdicts)}")


def check_playground(page, el, bundle):
    from nnlib.widgets.playground import train_playground
    # every control: 10 steps after the change differ from 10 steps before it
    for key in controls(page, el):
        click(page, el, "リセット")
        for _ in range(10):
            click(page, el, "1 ステップ")
        before = canvas_hash(page, el)
        set_control(page, el, key)
        for _ in range(10):
            click(page, el, "1 ステップ")
        report(canvas_hash(page, el) != before, f"playground: control {key} changes the drawing")
    # equivalence: whole runs from nnlib's initial weights and batch order
    base = dict(bundle["values"])
    runs = [dict(base), dict(base, activation="relu", optimizer="momentum", lr=0.01, batch_size=50),
            dict(base, dataset="spirals", layers=2, hidden=12, optimizer="sgd", lr=0.1, batch_size=1, seed=3),
            dict(base, dataset="circles", activation="sigmoid", batch_size=200, seed=7)]
    worst = 0.0
    t0 = time.perf_counter()
    for v in runs:
        steps = 300
        py = train_playground(**{**v, "steps": steps})
        js = page.evaluate("([d, v, s]) => { const r = NNLibLive.trainPlayground(d, v, s); return [r.loss_steps, r.loss_history, r.accuracy]; }",
                           [bundle["data"], v, steps])
        ok_steps = js[0] == py["loss_steps"].tolist()
        e = float(np.max(np.abs(np.array(js[1]) - py["loss_history"]) / np.abs(py["loss_history"])))
        worst = max(worst, e)
        report(ok_steps and e <= TOL_PLAYGROUND and js[2] == py["accuracy"],
               f"playground: {steps}-step run {v['dataset']}/{v['activation']}/{v['optimizer']}/bs{v['batch_size']}/seed{v['seed']}: "
               f"{len(js[1])} losses, largest rel. err {e:.1e}, accuracy {js[2]:.3f} (nnlib {py['accuracy']:.3f})")
    print(f"      (equivalence runs took {time.perf_counter() - t0:.1f} s)")
    # live training in the page: XOR to >= 95 %
    page.evaluate("([el, v]) => el.querySelector('.nnlive').nnliveView.setValues(v)", [el, base])
    click(page, el, "リセット")
    t0 = time.perf_counter()
    click(page, el, "学習")
    acc, frames0 = 0.0, int(page.evaluate("el => Number(el.querySelector('.nnlive').dataset.nnliveFrames)", el))
    while time.perf_counter() - t0 < 30:
        page.wait_for_timeout(100)
        acc = float(page.evaluate("el => Number(el.querySelector('.nnlive').dataset.nnliveAccuracy)", el))
        if acc >= 0.95:
            break
    frames = int(page.evaluate("el => Number(el.querySelector('.nnlive').dataset.nnliveFrames)", el)) - frames0
    step = page.evaluate("el => el.querySelector('.nnlive').dataset.nnliveStep", el)
    click(page, el, "一時停止")
    report(acc >= 0.95, f"playground: ▶ trains XOR in the page to {100 * acc:.1f} % "
                        f"({step} steps, {frames} frames drawn, {time.perf_counter() - t0:.1f} s)")


def check_digits(page, el, bundle):
    d = bundle["data"]
    for key in controls(page, el):
        before = canvas_hash(page, el)
        set_control(page, el, key, value="5")
        report(canvas_hash(page, el) != before, f"digits: control {key} changes the drawing")
    for label in ("次の誤分類", "前の誤分類"):
        before = canvas_hash(page, el)
        click(page, el, label)
        report(canvas_hash(page, el) != before, f"digits: button {label} changes the drawing")
    # probabilities of every shipped image, against nnlib with the same weights
    from nnlib.activations import ReLU, Sigmoid, Tanh
    from nnlib.functions import softmax
    from nnlib.layers import Linear, Sequential

    def arr(b64, dt):
        return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dt).newbyteorder("<")).astype(np.float64)

    layers = []
    for spec in d["network"]:
        if spec["type"] == "linear":
            w = arr(spec["W"], spec["dtype"]).reshape(spec["shape"])
            if "scale" in spec:
                w = w * spec["scale"]
            layers.append(Linear.from_weights(w, arr(spec["b"], spec.get("bdtype", spec["dtype"]))))
        else:
            layers.append({"relu": ReLU, "tanh": Tanh, "sigmoid": lambda: Sigmoid(spec.get("gain", 1.0))}[spec["type"]]())
    model = Sequential(*layers)
    images = np.frombuffer(base64.b64decode(d["images"]), dtype=np.uint8).reshape(len(d["indices"]), -1) / 255.0
    py = softmax(model.predict(images))
    js = np.array(page.evaluate("el => el.querySelector('.nnlive').nnliveView.probabilities().map(p => Array.from(p))", el))
    e = float(np.abs(js - py).max())
    wrong = int((py.argmax(axis=1) != np.array(d["labels"])).sum())
    report(e <= TOL_DIGITS, f"digits: probabilities of {len(py)} shipped images equal nnlib's: largest abs. err {e:.1e} "
                            f"({wrong} of them misclassified)")
    # the preprocessing of a drawing, against the Python reference
    from nnlib.widgets.digits import preprocess_drawing
    ink = np.zeros((280, 280))
    ink[40:230, 150:172] = 1.0
    ink[40:70, 110:160] = 0.6
    js_pre = np.array(page.evaluate("ink => Array.from(NNLibLive.preprocessDrawing(Float64Array.from(ink), 280, 280, 28, 20))", ink.ravel().tolist()))
    e = float(np.abs(js_pre - preprocess_drawing(ink)).max())
    report(e <= 1e-12, f"digits: MNIST-like preprocessing of a drawing equals the Python reference (abs. err {e:.1e})")
    # a "1" drawn with the mouse
    pad = el.query_selector("canvas.nnlive-draw")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x = box["x"] + box["width"] * 0.52
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x - box["width"] * 0.03 * i / 20, box["y"] + box["height"] * (0.15 + 0.7 * i / 20))
    page.mouse.up()
    page.wait_for_timeout(50)
    pred = page.evaluate("el => el.querySelector('.nnlive').dataset.nnlivePredicted", el)
    report(pred == "1", f"digits: a 1 drawn with the mouse is predicted as {pred}")


CHECKS = {"neuron": check_neuron, "activation": check_activation, "descent": check_descent,
          "playground": check_playground, "digits": check_digits}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path, help="the built book (e.g. _build/html)")
    ap.add_argument("--screenshots", type=Path, default=None, help="save a screenshot per page here")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    pages = find_pages(args.html)
    if not pages:
        report(False, f"no page with an explorer under {args.html}")
        return 1
    kinds_seen = set()
    outside: list[str] = []
    t_start = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1100, "height": 900}, service_workers="block")

        def on_request(req):
            if not req.url.startswith(("file:", "data:", "blob:", "about:")):
                outside.append(req.url)
        ctx.on("request", on_request)
        ctx.route("http://**/*", lambda r: r.abort())
        ctx.route("https://**/*", lambda r: r.abort())
        for path in pages:
            page = ctx.new_page()
            errors: list[str] = []
            others: list[str] = []

            def on_pageerror(e, errors=errors, others=others):
                (errors if "nnlib-live" in (e.stack or "") else others).append(str(e))

            def on_console(m, errors=errors, others=others):
                if m.type == "error":
                    (errors if "nnlib-live" in (m.location or {}).get("url", "") + m.text else others).append(m.text)
            page.on("pageerror", on_pageerror)
            page.on("console", on_console)
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(200)
            rel = path.relative_to(args.html)
            boxes = page.query_selector_all("div.nnlib-live")
            for el in boxes:
                done = el.get_attribute("data-nnlive-done") == "1"
                bundle = json.loads(el.query_selector("script.nnlib-live-data").text_content())
                kind = bundle["kind"]
                kinds_seen.add(kind)
                report(done, f"{rel}: the {kind} explorer renders"
                             + ("" if done else f" ({el.get_attribute('data-nnlive-error')})"))
                if done:
                    # the view element: the explorer's root inside the holder
                    CHECKS[kind](page, el, bundle)
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshots / (rel.stem + ".png")), full_page=True)
            report(not errors, f"{rel}: no error from the explorers' script" + (f": {errors[:3]}" if errors else ""))
            if others:  # other scripts of the page: tools/browser_check.py's business
                print(f"      (other script errors on this page, not checked here: {others[:2]})")
            page.close()
        browser.close()
    report(not outside, f"zero requests to other hosts ({len(outside)} seen{': ' + ', '.join(outside[:5]) if outside else ''})")
    missing = set(CHECKS) - kinds_seen
    report(not missing, f"every explorer found in the book (missing: {sorted(missing) or 'none'})")
    print(f"{len(failures)} failure(s); {time.perf_counter() - t_start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
