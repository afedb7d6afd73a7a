"""The numbers the chapters' prose states are the numbers the notebooks glue.

The prose holds each computed number literally between invisible markers
(``<!--glue:KEY-->0.123<!--/glue-->``) so that JupyterLab shows it; the notebook computes,
asserts and glues it. A literal that differs from the glued value, or a marker whose key
has no glue output, fails here (fix: ``.venv/bin/python tools/sync_prose.py``). No chapter
may show MyST roles or directives raw in JupyterLab either
(``.venv/bin/python tools/convert_markup.py`` converts them).
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sync_prose  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
RAW = re.compile(r"\{(glue(:\w+)?|term|cite(:\w+)?|ref|numref|doc|eq|math)\}`|^\s*(:::|```)\{",
                 re.M)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glued_literals_match(path):
    problems = sync_prose.sync_notebook(path, write=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_myst_markup_left(path):
    nb = nbformat.read(path, as_version=4)
    raw = [f"cell {i}: {m.group(0)!r}" for i, c in enumerate(nb.cells)
           if c.cell_type == "markdown" for m in RAW.finditer(c.source)]
    assert not raw, f"{path.name}: run tools/convert_markup.py; raw MyST markup: {raw}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_answers_collapsed_in_jupyterlab(path):
    nb = nbformat.read(path, as_version=4)
    open_ = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and "hide-cell" in c.metadata.get("tags", [])
             and not (c.metadata.get("jupyter", {}).get("source_hidden")
                      and c.metadata.get("jupyter", {}).get("outputs_hidden"))]
    assert not open_, f"{path.name}: hide-cell cells {open_} are not collapsed in JupyterLab"


def test_a_stale_literal_is_reported(tmp_path):
    src = CHAPTERS[0]
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown"
                and sync_prose.TEXT.search(c.source))
    m = sync_prose.TEXT.search(cell.source)
    cell.source = cell.source.replace(m.group(0), m.group(0).replace(
        f"-->{m.group(4)}<", "-->-12345<"), 1)
    bad = tmp_path / src.name
    nbformat.write(nb, bad)
    problems = sync_prose.sync_notebook(bad, write=False)
    assert any(m.group(2) in p and "'-12345'" in p for p in problems), problems
