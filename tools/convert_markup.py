"""Convert the MyST markup of notebooks into Markdown that reads as a book in JupyterLab.

Usage::

    .venv/bin/python tools/convert_markup.py [chapters/NN_x.ipynb ...]   # default: chapters/*.ipynb

In place and idempotent (running it twice changes nothing the second time). It converts
whatever MyST markup it finds in markdown cells, and leaves everything else alone:

- ``{glue:text}`key``` / ``{glue:text}`key:fmt```  -> ``<!--glue:key:fmt-->VALUE<!--/glue-->``
  with VALUE formatted from the notebook's stored glue output (``??`` if there is none);
- a ``{glue:math}`` block -> ``<!--glue-math:key-->`` ``$$ LaTeX $$`` ``<!--/glue-->``;
- ``{term}`X``` / ``{term}`text <X>``` -> ``[text](../appendix/glossary.md#X)``;
- ``{cite}`a,b``` -> ``[(A, 1990; B, 1991)](../appendix/references.md#a,b)``;
- ``:::{admonition} Title`` (and ``{note}`` etc., ``:::`` or backtick fences) -> a block quote
  ``> **Title** <!--admonition:class-->``; with ``:class: dropdown`` (or ``{dropdown}``) ->
  ``<details><summary>Title</summary>`` ... ``</details>``;
- code cells tagged ``hide-cell`` get ``metadata.jupyter.source_hidden`` and
  ``outputs_hidden`` (collapsed in JupyterLab until clicked), ``hide-input`` ``source_hidden``.

``_ext/nb_markup.py`` turns this back into the book's nodes; ``tools/sync_prose.py`` refreshes
the glued literals after a notebook is re-executed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from nb_markup import (ADMONITION_TITLES_JA, glue_outputs, glued_markdown,  # noqa: E402
                       glued_math, glued_text)

ROLE = re.compile(r"\{(glue:text|glue:md|glue|term|cite|cite:p|cite:t)\}`([^`]+)`")
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}"
                        r"[ \t]*(?P<arg>.*)$")
CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ANSWER_LINE = "# 解答のコード"
ADMONITIONS = set(ADMONITION_TITLES_JA) | {"admonition", "dropdown"}


def _bib_labels(bibfile: Path) -> dict[str, tuple[str, str]]:
    """key -> (authors as the author_year style writes them, year)."""
    from pybtex.database import parse_file

    labels = {}
    for key, entry in parse_file(str(bibfile)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) == 1:
            who = last[0]
        elif len(last) == 2:
            who = f"{last[0]} and {last[1]}"
        elif last:
            who = f"{last[0]} et al."
        else:
            who = key
        labels[key] = (who, entry.fields.get("year", "n.d."))
    return labels


def _rel(nb_path: Path, target: str) -> str:
    return Path(os.path.relpath(ROOT / target, nb_path.resolve().parent)).as_posix()


class Converter:
    def __init__(self, nb_path: Path, bundles: dict, bib: dict):
        self.nb_path, self.bundles, self.bib = nb_path, bundles, bib
        self.glossary = _rel(nb_path, "appendix/glossary.md")
        self.references = _rel(nb_path, "appendix/references.md")
        self.problems: list[str] = []

    # inline roles
    def role(self, m: re.Match) -> str:
        name, content = m.group(1), m.group(2)
        if name == "glue:md":
            key = content.partition(":")[0]
            try:
                value = glued_markdown(self.bundles, key)
            except KeyError:
                self.problems.append(f"no glued Markdown for {key!r}")
                value = "??"
            return f"<!--glue-md:{key}-->{value}<!--/glue-->"
        if name in ("glue", "glue:text"):
            key, _, fmt = content.partition(":")
            try:
                value = glued_text(self.bundles, key, fmt or None)
            except (KeyError, TypeError, ValueError):
                self.problems.append(f"no glued value for {key!r}")
                value = "??"
            mark = f"{key}:{fmt}" if fmt else key
            return f"<!--glue:{mark}-->{value}<!--/glue-->"
        if name == "term":
            tm = re.match(r"^(.*?)\s*<([^<>]+)>$", content, re.S)
            text, target = (tm.group(1), tm.group(2)) if tm else (content, content)
            frag = re.sub(r"[\s()<>%#\[\]]", lambda c: quote(c.group(0)), target)
            return f"[{text}]({self.glossary}#{frag})"
        keys = [k.strip() for k in content.split(",") if k.strip()]
        for k in keys:
            if k not in self.bib:
                self.problems.append(f"unknown citation key {k!r}")
        lab = [self.bib.get(k, (k, "?")) for k in keys]
        if name == "cite:t":
            text = "; ".join(f"{who} ({year})" for who, year in lab)
            frag = "t:" + ",".join(keys)
        else:
            text = "(" + "; ".join(f"{who}, {year}" for who, year in lab) + ")"
            frag = ",".join(keys)
        return f"[{text}]({self.references}#{frag})"

    def inline(self, text: str) -> str:
        out, pos = [], 0
        # never inside inline code spans: split on them first
        for cm in re.finditer(r"(?<!`)(`+)(?!`)(?:.+?)(?<!`)\1(?!`)", text, re.S):
            if cm.start() and text[cm.start() - 1] == "}":
                continue  # a role's own backticks
            out.append(ROLE.sub(self.role, text[pos:cm.start()]))
            out.append(cm.group(0))
            pos = cm.end()
        out.append(ROLE.sub(self.role, text[pos:]))
        return "".join(out)

    # blocks
    def cell(self, source: str) -> str:
        lines = source.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            cf = CODE_FENCE.match(line)
            fo = FENCE_OPEN.match(line)
            if fo:
                fence, name = fo.group("fence"), fo.group("name")
                j = i + 1
                depth = 0
                while j < len(lines):
                    s = lines[j].strip()
                    if FENCE_OPEN.match(lines[j]) and lines[j].strip().startswith(fence[0]):
                        if FENCE_OPEN.match(lines[j]).group("fence") == fence:
                            depth += 1
                    elif s == fence or (s.startswith(fence) and set(s) == {fence[0]}
                                        and len(s) >= len(fence)):
                        if depth == 0:
                            break
                        depth -= 1
                    j += 1
                body = lines[i + 1:j]
                opts = {}
                while body and re.match(r"^:[\w-]+:", body[0]):
                    om = re.match(r"^:([\w-]+):\s*(.*)$", body[0])
                    opts[om.group(1)] = om.group(2).strip()
                    body = body[1:]
                out.extend(self.directive(name, fo.group("arg").strip(), opts,
                                          "\n".join(body)).split("\n"))
                i = j + 1
                continue
            if cf:
                j = i + 1
                while j < len(lines) and not lines[j].strip().startswith(cf.group(1)):
                    j += 1
                out.extend(lines[i:j + 1])
                i = j + 1
                continue
            out.append(line)
            i += 1
        text = self.inline("\n".join(out))
        # A line that starts with "<!--" would start an HTML block (CommonMark type 2) and
        # cut the paragraph: a marker that begins a line joins the line before it (a soft
        # line break renders as a space, so the book reads the same).
        text = re.sub(r"(?<=\S)[ \t]*\n[ \t]*(?=<!--glue(?:-md)?:)", " ", text)
        # A display-math glue block stands alone (blank lines around it).
        text = re.sub(r"(?<=\S)[ \t]*\n?[ \t]*(<!--glue-math:)", r"\n\n\1", text)
        # At the start of a paragraph an (invisible) zero-width space keeps it text;
        # _ext/nb_markup.py removes it again.
        text = re.sub(r"(^|\n[ \t]*\n|\n[ \t]*(?:[-*+]|\d+[.)]|>)[ \t]+)(?=<!--glue(?:-md)?:)",
                      lambda m: m.group(1) + "&#8203;", text)
        return text

    def directive(self, name: str, arg: str, opts: dict, body: str) -> str:
        if name == "glue:math":
            try:
                latex = glued_math(self.bundles, arg)
            except KeyError:
                self.problems.append(f"no glued LaTeX for {arg!r}")
                latex = "??"
            if opts:
                self.problems.append(f"glue:math {arg!r}: options {sorted(opts)} dropped")
            return f"<!--glue-math:{arg}-->\n\n$$\n{latex}\n$$\n\n<!--/glue-->"
        if name not in ADMONITIONS:
            self.problems.append(f"directive {{{name}}} left as it is")
            return f"```{{{name}}} {arg}".rstrip() + "\n" + body + "\n```"
        body = self.cell(body.strip("\n"))  # nested directives first
        classes = opts.get("class", "").split()
        if name == "dropdown" or "dropdown" in classes:
            title = arg or "解答"
            return f"<details>\n<summary>{title}</summary>\n\n{body}\n\n</details>"
        if name == "admonition":
            title = arg
            rest = [c for c in classes if c != "dropdown"]
            mark = "admonition:" + rest[0] if rest else "admonition"
        else:
            title = arg or ADMONITION_TITLES_JA[name]
            mark = name
        return f"> **{title}** <!--{mark}-->\n>\n" + _quote(body)


def _quote(body: str) -> str:
    """Prefix every line with '> '; a multi-line $$ block becomes one line (JupyterLab's
    math would otherwise see the '>' of the quote)."""
    out, math = [], None
    for line in body.split("\n"):
        s = line.strip()
        if math is not None:
            if s.endswith("$$"):
                math.append(s[:-2].strip())
                out.append("$$ " + " ".join(x for x in math if x) + " $$")
                math = None
            else:
                math.append(s)
            continue
        if s.startswith("$$") and not (len(s) > 2 and s.endswith("$$")):
            math = [s[2:].strip()]
            continue
        out.append(line)
    return "\n".join(("> " + x) if x.strip() else ">" for x in out)


def convert_notebook(path: Path, bib: dict) -> tuple[bool, list[str]]:
    import nbformat

    raw = path.read_text(encoding="utf-8")
    nb = nbformat.reads(raw, as_version=4)
    conv = Converter(path, glue_outputs(nb), bib)
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            new = conv.cell(src)
            if new != src:
                cell["source"] = new
        elif cell["cell_type"] == "code":
            tags = cell.get("metadata", {}).get("tags", [])
            want = {}
            if "hide-cell" in tags:
                want = {"source_hidden": True, "outputs_hidden": True}
                # JupyterLab shows the first line of a collapsed cell: let it say what the
                # cell is instead of giving the answer away.
                if not src.startswith(ANSWER_LINE):
                    cell["source"] = ANSWER_LINE + "\n" + src
            elif "hide-input" in tags:
                want = {"source_hidden": True}
            if want:
                jup = cell["metadata"].setdefault("jupyter", {})
                jup.update(want)
    out = nbformat.writes(nb) + "\n"
    changed = out != raw
    if changed:
        path.write_text(out, encoding="utf-8")
    return changed, conv.problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    bib = _bib_labels(ROOT / "appendix" / "references.bib")
    status = 0
    for p in paths:
        changed, problems = convert_notebook(p, bib)
        print(f"{p}: {'converted' if changed else 'unchanged'}")
        for msg in problems:
            print(f"  {p}: {msg}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
