"""Refresh (or check) the glued numbers that the notebooks' prose states.

Usage::

    .venv/bin/python tools/sync_prose.py [--check] [chapters/NN_x.ipynb ...]

The prose of a chapter holds each computed number literally, between invisible markers
(``<!--glue:KEY-->0.123<!--/glue-->``, written by ``tools/convert_markup.py``), so that
JupyterLab shows the number. The notebook computes, asserts and glues the value; this tool
copies the glued value (formatted as myst-nb's ``{glue:text}`` would) into every literal, and
the glued LaTeX into every ``<!--glue-math:KEY-->`` block. Run it after re-executing a
notebook. ``--check`` changes nothing and exits 1 naming notebook, key and both values for
every literal that differs or key without glue output (``tests/test_prose.py`` does the same).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from nb_markup import glue_outputs, glued_markdown, glued_math, glued_text  # noqa: E402

TEXT = re.compile(r"<!--glue(-md)?:([^:>\s]+)(?::([^>\s]*))?-->(.*?)<!--/glue-->", re.S)
MATH = re.compile(r"(<!--glue-math:([^:>\s]+)-->\s*\$\$)(.*?)(\$\$\s*<!--/glue-->)", re.S)


def sync_notebook(path: Path, write: bool) -> list[str]:
    """Return one message per stale literal or missing key; rewrite the file if ``write``."""
    import nbformat

    raw = path.read_text(encoding="utf-8")
    nb = nbformat.reads(raw, as_version=4)
    bundles = glue_outputs(nb)
    problems: list[str] = []

    def text(m: re.Match) -> str:
        md, key, fmt, literal = bool(m.group(1)), m.group(2), m.group(3), m.group(4)
        try:
            value = glued_markdown(bundles, key) if md else glued_text(bundles, key, fmt)
        except KeyError:
            problems.append(f"{path.name}: key {key!r} has no glued "
                            f"{'text/markdown' if md else 'text/plain'} output "
                            f"(prose states {literal!r})")
            return m.group(0)
        except (TypeError, ValueError) as exc:
            problems.append(f"{path.name}: key {key!r} cannot be formatted with {fmt!r}: {exc}")
            return m.group(0)
        if value != literal:
            problems.append(f"{path.name}: key {key!r}: prose states {literal!r}, "
                            f"notebook glues {value!r}")
        return m.group(0).replace(f"-->{literal}<!--/glue-->", f"-->{value}<!--/glue-->")

    def math(m: re.Match) -> str:
        key, literal = m.group(2), m.group(3)
        try:
            latex = glued_math(bundles, key)
        except KeyError:
            problems.append(f"{path.name}: key {key!r} has no glued text/latex output")
            return m.group(0)
        if " ".join(literal.split()) != " ".join(latex.split()):
            problems.append(f"{path.name}: math key {key!r}: prose states {literal.strip()!r}, "
                            f"notebook glues {latex!r}")
            return f"{m.group(1)}\n{latex}\n{m.group(4)}"
        return m.group(0)

    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        new = MATH.sub(math, TEXT.sub(text, cell.source))
        if new != cell.source:
            cell.source = new
    if write:
        out = nbformat.writes(nb) + "\n"
        if out != raw:
            path.write_text(out, encoding="utf-8")
    return problems


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted((ROOT / "chapters").glob("*.ipynb"))
    status = 0
    for p in paths:
        problems = sync_notebook(p, write=not check)
        for msg in problems:
            missing = "has no glued" in msg or "cannot be formatted" in msg
            if check or missing:
                status = 1
            print(("" if check or missing else "updated: ") + msg)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
