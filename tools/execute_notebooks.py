"""Execute notebooks in place and stamp each code cell with a hash of the code it ran.

The book is built from the outputs stored in the notebooks, and nbval compares only text
outputs, so a cell whose code changed without re-execution (a gain, a colour) would still
publish its old figure. This tool re-executes notebooks and records, in every code cell's
metadata, ``metadata["nnlib"]["source_sha256"]``: the SHA-256 of the source of this code
cell **and of every code cell before it** in the notebook. A cell's output depends on the
code that ran before it, so editing, inserting, deleting or moving any code cell changes
the stamp of that cell and of all cells after it. Markdown cells and cell metadata (tags)
are not hashed: they do not change what the code outputs. ``tests/test_notebooks_fresh.py``
fails, naming the notebook and the cell, when a stamp is missing or differs.

Usage (from the repository root; default: every notebook in chapters/)::

    .venv/bin/python tools/execute_notebooks.py [NOTEBOOK.ipynb ...]
    .venv/bin/python tools/execute_notebooks.py --check [NOTEBOOK.ipynb ...]   # no execution

Execution is deterministic and matches what nbval expects: the kernel is this Python
(the one nbval's ``--nbval-current-env`` starts), the working directory is the notebook's
folder, ``CI=true`` and ``NNLIB_PROGRESS=0`` (no progress bars), ``MPLBACKEND`` and
``NNLIB_BACKEND`` are removed (inline figures, NumPy back-end), consecutive prints are
merged into one stream output (as nbval compares them; nbconvert splits them by timing),
and the file is written as ``jupyter nbconvert --to notebook --execute --inplace`` does.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
STAMP_KEY = "nnlib"
HASH_KEY = "source_sha256"
CELL_TIMEOUT_S = 1200


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def expected_stamps(nb) -> list[tuple[int, str]]:
    """``(cell index, stamp)`` for each code cell: SHA-256 of its source and of all code
    cells before it (each source length-prefixed, so boundaries cannot shift)."""
    digest = hashlib.sha256()
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        data = _source(cell).encode("utf-8")
        digest.update(f"{len(data)}\n".encode("ascii") + data)
        out.append((index, digest.copy().hexdigest()))
    return out


def stamp(nb) -> None:
    """Write the stamps into the cells' metadata (only after the cells were executed)."""
    for index, value in expected_stamps(nb):
        nb.cells[index].metadata.setdefault(STAMP_KEY, {})[HASH_KEY] = value


def stale_indices(nb) -> list[tuple[int, str]]:
    """``(cell index, "missing" or "changed")`` for each code cell whose stamp is not right."""
    out = []
    for index, value in expected_stamps(nb):
        stored = nb.cells[index].metadata.get(STAMP_KEY, {}).get(HASH_KEY)
        if stored != value:
            out.append((index, "missing" if stored is None else "changed"))
    return out


def stale_cells(nb) -> list[str]:
    """Empty when every code cell is fresh; else a line naming the first stale cell (the
    earliest change: every code cell after it is stale too) and a line counting the rest."""
    stale = stale_indices(nb)
    if not stale:
        return []
    index, why = stale[0]
    cell = nb.cells[index]
    first_line = (_source(cell).strip().splitlines() or [""])[0][:60]
    where = f"cell {index}" + (f" (id {cell['id']})" if cell.get("id") else "")
    if why == "missing":
        text = f"{where}: {first_line!r}: no stamp (not executed with tools/execute_notebooks.py)"
    else:
        text = (f"{where}: {first_line!r}: this cell or a code cell before it changed since "
                f"its outputs were stored")
    lines = [text]
    if len(stale) > 1:
        lines.append(f"and {len(stale) - 1} more code cells after it")
    return lines


def check(path: Path) -> list[str]:
    return stale_cells(nbformat.read(path, as_version=4))


def _kernel_environment():
    env = dict(os.environ, CI="true", NNLIB_PROGRESS="0", PYTHONHASHSEED="0")
    for name in ("MPLBACKEND", "NNLIB_BACKEND"):
        env.pop(name, None)
    return env


def execute(path: Path) -> None:
    """Execute one notebook in place (as nbconvert --execute --inplace does) and stamp it."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # widget state saved by an earlier run elsewhere
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME,
                       kernel_spec_manager=NbvalKernelspecManager())
    # No saved widget state: the book renders the explorers from their own payload, and
    # the anywidget state (with random model ids) would only make the notebooks heavier.
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, allow_errors=False,
                            store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=_kernel_environment())  # the kernel's whole environment
    # one stream output per run of prints (nbconvert splits them by timing; nbval merges them)
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    stamp(nb)
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"  # as nbconvert's NotebookExporter
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a failed run leaves the notebook as it was


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: chapters/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="only report cells whose stamp is missing or stale; exit 1 if any")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    failed = 0
    for path in paths:
        if args.check:
            problems = check(path)
            for line in problems:
                print(f"{path}: {line}")
            failed += bool(problems)
            continue
        start = time.perf_counter()
        print(f"executing {path} ...", end=" ", flush=True)
        execute(path)
        print(f"done in {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
