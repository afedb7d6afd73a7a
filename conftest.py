"""Test set-up for every pytest run in this repository, whatever the caller's environment.

This file sits at the repository root, so pytest loads it for any path it is given
(``pytest``, ``pytest tests``, ``pytest chapters/01_neuron.ipynb``) and from any working
directory. It runs before any test module imports ``nnlib`` and before nbval starts a
notebook kernel; the kernels inherit ``os.environ`` as it is after this file ran.

- ``MPLBACKEND`` is removed from the environment: a kernel started with ``MPLBACKEND=Agg``
  (the usual setting on headless servers) would print ``<Figure ...>`` text instead of the
  inline figures the notebooks stored. The kernels then use ipykernel's inline back-end;
  this process draws with Agg.
- Progress bars are off (``NNLIB_PROGRESS=0``), as when the notebooks were executed with
  ``CI=true``; the stored outputs contain no progress bars.
- ``NNLIB_BACKEND`` naming a back-end this machine lacks (``cupy`` without CuPy or a GPU)
  is removed, so every test runs on NumPy and the tests that need a GPU skip with their
  reason; the report header says so. An unknown name stops the run with nnlib's message.
- Random order (pytest-randomly, installed with the ``test`` extra) shuffles the unit tests
  but not the cells of a notebook: they share one kernel and must run top to bottom, one
  notebook after another.
"""

from __future__ import annotations

import os

import pytest

os.environ.pop("MPLBACKEND", None)
os.environ["NNLIB_PROGRESS"] = "0"

_BACKEND_NOTE = _BACKEND_ERROR = None
_requested = os.environ.get("NNLIB_BACKEND", "").strip().lower()
if _requested and _requested != "numpy":
    os.environ.pop("NNLIB_BACKEND")      # import nnlib on NumPy first, then try the request
    from nnlib import backend as _backend

    try:
        _backend.set_backend(_requested)
    except _backend.BackendUnavailableError as exc:
        _BACKEND_NOTE = (f"nnlib: NNLIB_BACKEND={_requested} is not usable here, so the tests "
                         f"run on NumPy and GPU tests skip ({exc})")
    except ValueError as exc:  # an unknown name: stop in pytest_configure, with the message
        _BACKEND_ERROR = f"NNLIB_BACKEND={_requested}: {exc}"
    else:
        os.environ["NNLIB_BACKEND"] = _requested  # usable: as if nnlib had read it at import

import matplotlib  # noqa: E402  (after MPLBACKEND is gone)

matplotlib.use("Agg")


def pytest_configure(config):
    if _BACKEND_ERROR:
        raise pytest.UsageError(_BACKEND_ERROR)


def pytest_report_header(config):
    return _BACKEND_NOTE


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Put the cells of each notebook back in notebook order, one notebook after another.

    pytest-randomly shuffles items in a hook wrapper that runs before this hook. Here each
    notebook keeps the place of its first shuffled cell (so notebooks still run in a random
    order among the unit tests), and its cells follow in their order in the file.
    """
    cells = {}
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            cells.setdefault(item.parent.nodeid, []).append(item)
    if not cells:
        return
    ordered, placed = [], set()
    for item in items:
        if type(item).__name__ != "IPyNbCell":
            ordered.append(item)
        elif item.parent.nodeid not in placed:
            placed.add(item.parent.nodeid)
            ordered.extend(sorted(cells[item.parent.nodeid], key=lambda cell: cell.cell_num))
    items[:] = ordered
