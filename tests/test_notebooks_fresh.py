"""Stored notebook outputs are fresh: no code cell changed since the notebook was executed.

The book is built from the outputs stored in the notebooks and nbval does not compare
figures, so a cell edited without re-execution would publish a stale figure.
``tools/execute_notebooks.py`` executes a notebook and stamps every code cell with the
SHA-256 of its source and of all code cells before it; ``test_stored_outputs_are_fresh``
fails, naming the notebook and the cells, when a stamp is missing or differs. Fix: run
``.venv/bin/python tools/execute_notebooks.py chapters/NN_x.ipynb`` and commit the result.

The notebooks checked are those in ``chapters/``, or in the folder named by the
environment variable ``NNLIB_FRESH_DIR`` (used below to show the check on a copy).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("execute_notebooks",
                                               ROOT / "tools" / "execute_notebooks.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

FRESH_DIR = Path(os.environ.get("NNLIB_FRESH_DIR", ROOT / "chapters"))
NOTEBOOKS = sorted(FRESH_DIR.glob("*.ipynb"))

def test_there_are_notebooks_to_check():
    assert NOTEBOOKS, f"no notebooks in {FRESH_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_outputs_are_fresh(path):
    problems = tool.check(path)
    assert not problems, (
        f"{path}: outputs are stale or unstamped; re-execute with "
        f"`.venv/bin/python tools/execute_notebooks.py {path}`:\n  " + "\n  ".join(problems))


# --- the check itself, on copies and small notebooks ---------------------------------------

def _notebook(*sources, markdown_first=True):
    nb = nbformat.v4.new_notebook()
    if markdown_first:
        nb.cells.append(nbformat.v4.new_markdown_cell("# A title"))
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_stamped_notebook_is_fresh_and_every_code_change_is_caught():
    nb = _notebook("a = 2", "print(a * 3)", "b = a + 1")
    assert tool.stale_indices(nb) == [(1, "missing"), (2, "missing"), (3, "missing")]
    assert tool.stale_cells(nb) == [
        f"cell 1 (id {nb.cells[1]['id']}): 'a = 2': no stamp (not executed with "
        f"tools/execute_notebooks.py)", "and 2 more code cells after it"]
    tool.stamp(nb)
    assert tool.stale_indices(nb) == [] and tool.stale_cells(nb) == []
    nb.cells[0].source = "# A new title, and a tag"  # markdown and tags do not count
    nb.cells[2].metadata["tags"] = ["hide-input"]
    assert tool.stale_cells(nb) == []

    edited = nbformat.from_dict(nb)
    edited.cells[1].source = "a = 5"               # the cell that defines a, printed later
    assert tool.stale_indices(edited) == [(1, "changed"), (2, "changed"), (3, "changed")]
    assert tool.stale_cells(edited) == [
        f"cell 1 (id {nb.cells[1]['id']}): 'a = 5': this cell or a code cell before it changed "
        f"since its outputs were stored", "and 2 more code cells after it"]

    moved = nbformat.from_dict(nb)                 # same sources, other order
    moved.cells[1], moved.cells[2] = moved.cells[2], moved.cells[1]
    assert [i for i, _ in tool.stale_indices(moved)] == [1, 2, 3]
    deleted = nbformat.from_dict(nb)               # a later cell loses what ran before it
    del deleted.cells[1]
    assert [i for i, _ in tool.stale_indices(deleted)] == [1, 2]
    added = nbformat.from_dict(nb)
    added.cells.append(nbformat.v4.new_code_cell("print(b)"))
    assert tool.stale_indices(added) == [(4, "missing")]
    last = nbformat.from_dict(nb)                  # only the last cell edited: only it is stale
    last.cells[3].source = "b = a + 2"
    assert tool.stale_indices(last) == [(3, "changed")]


def test_a_changed_gain_in_chapter_1_fails_the_check(tmp_path):
    """The demonstration: a copy of chapter 1, stamped, then the largest gain of the sigmoid
    figure changed from 20 to 50 without re-execution. nbval still passes (the cell's asserts
    hold for 50 and figures are not compared), so the stale figure would be published; this
    check fails and names the notebook and the cell."""
    copy = tmp_path / "01_neuron.ipynb"
    shutil.copyfile(ROOT / "chapters" / "01_neuron.ipynb", copy)
    nb = nbformat.read(copy, as_version=4)
    tool.stamp(nb)                                 # as if executed by the tool
    nbformat.write(nb, copy)
    assert tool.check(copy) == []

    index = next(i for i, c in enumerate(nb.cells) if "gains = [0.5, 1, 2, 5, 20]" in c.source)
    nb.cells[index].source = nb.cells[index].source.replace("gains = [0.5, 1, 2, 5, 20]",
                                                            "gains = [0.5, 1, 2, 5, 50]")
    nbformat.write(nb, copy)
    # the strict check of the suite, run on the folder of the copy
    env = dict(os.environ, NNLIB_FRESH_DIR=str(tmp_path))
    command = [sys.executable, "-m", "pytest", str(Path(__file__)), "-q", "-p", "no:randomly",
               "-k", "test_stored_outputs_are_fresh"]
    stale = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    report = stale.stdout
    assert "01_neuron.ipynb" in report and "1 failed" in report
    later = sum(c.cell_type == "code" for c in nb.cells[index + 1:])
    assert f"cell {index} (id {nb.cells[index]['id']}): 'u = np.linspace(-4, 4, 401)': " \
           "this cell or a code cell before it changed" in report
    assert f"and {later} more code cells after it" in report
    assert "tools/execute_notebooks.py" in report


def test_the_tool_executes_in_place_with_inline_figures_and_stamps(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")        # as on a headless server: must not leak
    monkeypatch.setenv("NNLIB_PROGRESS", "1")
    path = tmp_path / "small.ipynb"
    nbformat.write(_notebook(
        "import os\nprint(os.environ.get('CI'), os.environ.get('NNLIB_PROGRESS'), "
        "os.environ.get('MPLBACKEND'), os.path.basename(os.getcwd()))",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"), path)
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "execute_notebooks.py"),
                           "--check", str(path)], capture_output=True).returncode == 1
    tool.execute(path)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[0]["text"] == (
        f"true 0 module://matplotlib_inline.backend_inline {tmp_path.name}\n")
    assert any("image/png" in o.get("data", {}) for o in nb.cells[2].outputs)
    assert tool.stale_cells(nb) == []
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["small.ipynb"]  # no temporary file left
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "execute_notebooks.py"),
                           "--check", str(path)], capture_output=True).returncode == 0
