"""Open every chapter in a real JupyterLab and check that it reads as a book.

Usage::

    .venv/bin/python tools/jupyterlab_check.py [--screenshot PATH] [chapters/NN_x.ipynb ...]

Starts the project's JupyterLab (``jupyter lab --allow-root --no-browser``, no token, a free
port, a temporary settings and workspace folder), opens each chapter notebook in the system
Chromium (Playwright) with every cell rendered, and fails when a reader would see

- raw MyST markup in the rendered Markdown: ``{glue``, ``{term``, ``{cite``, ``:::``, a
  backtick directive fence, ``<!--`` or ``<details`` shown as text;
- an exercise answer: a code cell tagged ``hide-cell`` whose source or output is shown, or a
  ``<details>`` answer that is open.

``--screenshot PATH`` saves one chapter where a glued number and a collapsed answer are closest
(both in one picture).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
CHROMIUM = "/usr/bin/chromium"
RAW_MARKERS = ["{glue", "{term", "{cite", ":::", "```", "<!--", "-->", "<details", "</details",
               "{admonition", "{note", "{dropdown"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(tmp: Path, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start JupyterLab on a free port serving ``root``, settings in ``tmp``; return (process, URL)."""
    settings = tmp / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    # Render every cell (JupyterLab 4 renders only the cells in view by default).
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none", "kernelShutdown": True}))
    # Never write to the chapters (JupyterLab marks a notebook changed when it opens it), and
    # no news pop-up over the screenshot.
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
     ).write_text(json.dumps({"fetchNews": "false"}))
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), CI="true")
    port = free_port()
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--allow-root", "--no-browser",
           "--ServerApp.token=", "--ServerApp.password=", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"jupyter lab exited: {(tmp / 'lab.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url + "/api/status", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("jupyter lab did not answer within 60 s")


def stop_lab(proc: subprocess.Popen) -> None:
    """Stop a JupyterLab started by ``start_lab`` (killed if it does not exit in 20 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# Runs in the page: what a reader sees of the open notebook.
PAGE_STATE = r"""
() => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')]
      .find(p => !p.classList.contains('lm-mod-hidden'));
  if (!panel) return null;
  const cells = [...panel.querySelectorAll('.jp-Notebook > .jp-Cell, .jp-WindowedPanel-viewport > .jp-Cell')];
  const vis = (el) => !!el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
      && el.getBoundingClientRect().height > 0;
  return cells.map((c) => {
    const md = c.classList.contains('jp-MarkdownCell');
    const rendered = c.querySelector('.jp-RenderedMarkdown');
    const out = [...c.querySelectorAll('.jp-OutputArea-output')];
    return {
      md,
      rendered: md ? !!rendered && rendered.childElementCount > 0 : true,
      text: md && rendered ? rendered.innerText : '',
      details: md && rendered ? [...rendered.querySelectorAll('details')].map(d => ({
        open: d.open,
        bodyVisible: [...d.children].filter(e => e.tagName !== 'SUMMARY').some(vis)})) : [],
      sourceVisible: !md && vis(c.querySelector('.jp-InputArea-editor')),
      outputVisible: !md && out.some(vis),
    };
  });
}
"""


def check_notebook(page, url: str, path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    rel = path.resolve().relative_to(ROOT).as_posix()
    # Open it from the file browser like a reader (one JupyterLab page for all notebooks).
    item = page.locator(".jp-DirListing-item", has=page.locator(
        ".jp-DirListing-itemText", has_text=path.name)).first
    item.wait_for(timeout=60000)
    item.dblclick()
    n_cells = len(nb["cells"])
    state = None
    deadline = time.time() + 60
    while time.time() < deadline:
        state = page.evaluate(PAGE_STATE)
        if state and len(state) == n_cells and all(
                s["rendered"] for s in state):
            break
        page.wait_for_timeout(300)
    problems = []
    if not state or len(state) != n_cells:
        return [f"{rel}: the notebook did not render its {n_cells} cells "
                f"(saw {len(state or [])})"]
    page.wait_for_timeout(300)
    state = page.evaluate(PAGE_STATE)
    for i, (cell, seen) in enumerate(zip(nb["cells"], state)):
        if cell["cell_type"] == "markdown":
            for marker in RAW_MARKERS:
                if marker in seen["text"]:
                    at = seen["text"].index(marker)
                    problems.append(f"{rel} cell {i}: raw {marker!r} visible: "
                                    f"...{seen['text'][max(0, at - 40):at + 40]!r}...")
            for d in seen["details"]:
                if d["open"] or d["bodyVisible"]:
                    problems.append(f"{rel} cell {i}: a <details> answer is shown open")
        elif "hide-cell" in cell.get("metadata", {}).get("tags", []):
            if seen["sourceVisible"] or seen["outputVisible"]:
                problems.append(f"{rel} cell {i}: exercise answer (hide-cell) visible: "
                                f"source {seen['sourceVisible']}, output {seen['outputVisible']}")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--screenshot", type=Path,
                    help="PNG of one chapter: glued numbers and a collapsed answer")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    t0 = time.time()
    spots = {p: screenshot_spot(p) for p in paths}
    shot_path = min((p for p in paths if spots[p]), key=lambda p: spots[p][1], default=None)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jlab-check-") as tmp:
        proc, url = start_lab(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                crumbs = {p.resolve().parent.relative_to(ROOT).as_posix() for p in paths}
                if len(crumbs) != 1:
                    raise SystemExit("give notebooks of one folder")
                page.goto(f"{url}/lab/tree/{crumbs.pop()}?reset", wait_until="domcontentloaded")
                for path in paths:
                    t1 = time.time()
                    found = check_notebook(page, url, path)
                    print(f"{path.name}: {'OK' if not found else f'{len(found)} problem(s)'}"
                          f" ({time.time() - t1:.0f} s)")
                    problems += found
                    if args.screenshot and path == shot_path:
                        shoot(page, args.screenshot, spots[path][0])
                    # close the notebook (its kernel shuts down) before the next one
                    page.keyboard.press("Alt+W")
                    discard = page.locator(".jp-Dialog button", has_text="Discard")
                    try:
                        discard.wait_for(timeout=3000)
                        discard.click()
                    except PlaywrightTimeout:
                        pass
                browser.close()
        finally:
            stop_lab(proc)
    for msg in problems:
        print("FAIL", msg)
    print(f"{len(paths)} notebook(s), {len(problems)} problem(s), {time.time() - t0:.0f} s")
    return 1 if problems else 0


def screenshot_spot(path: Path) -> tuple[int, int] | None:
    """(cell, distance): the Markdown cell with a glued number closest above an answer."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    src = ["".join(c["source"]) for c in cells]
    best = None
    for d, s in enumerate(src):
        if "<details" not in s:
            continue
        for i in range(d - 1, -1, -1):
            if cells[i]["cell_type"] == "markdown" and "<!--glue" in src[i].split("<details")[0]:
                if best is None or d - i < best[1]:
                    best = (i, d - i)
                break
    return best


def shoot(page, target: Path, cell: int):
    """Save the chapter from a glued number down to the collapsed answer below it."""
    page.set_viewport_size({"width": 1280, "height": 1300})
    page.evaluate("""(i) => {
      const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')];
      cells[i].scrollIntoView({block: 'start'});
    }""", cell)
    page.wait_for_timeout(800)
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    page.set_viewport_size({"width": 1280, "height": 900})
    print(f"screenshot: {target}")


if __name__ == "__main__":
    sys.exit(main())
