"""Sphinx extension: the notebooks' plain-Markdown markup becomes the book's markup.

The chapters are written so that they read as a book in plain JupyterLab (no extension),
VS Code or GitHub, and build the same HTML book as MyST roles and directives did.
``tools/convert_markup.py`` writes this syntax; this extension turns it back into the nodes
the MyST roles made:

``<!--glue:KEY-->0.123<!--/glue-->`` (optionally ``<!--glue:KEY:FMT-->``)
    a number computed and glued in the notebook (myst-nb ``glue``). The literal between the
    comments is a checked copy: at build time it is replaced by the glued value, formatted
    as ``{glue:text}`KEY:FMT``` would format it, and a literal that differs is a warning
    (an error under ``-W``); ``tools/sync_prose.py`` refreshes the literals.
``<!--glue-math:KEY-->`` + ``$$ ... $$`` + ``<!--/glue-->``
    display math glued as ``text/latex`` (like ``{glue:math}``).
``[text](../appendix/glossary.md#TERM)``
    a glossary term (``{term}`text <TERM>```), checked and linked by Sphinx's std domain.
``[(Author, 1986)](../appendix/references.md#key1,key2)``
    a citation (``{cite:p}`key1,key2```), rendered by sphinxcontrib-bibtex; ``#t:key`` is
    ``{cite:t}``.
``> **Title** <!--admonition:CLASS-->`` (a block quote)
    an admonition with that title and class (``<!--note-->`` etc.: that admonition type).
``<details><summary>Title</summary>`` ... ``</details>``
    a dropdown admonition (``:class: dropdown``) with Markdown inside.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from urllib.parse import unquote

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

GLUE_OPEN = re.compile(r"^<!--glue(-md)?:([^:>\s]+)(?::([^>\s]*))?-->$")
GLUE_MATH_OPEN = re.compile(r"^<!--glue-math:([^:>\s]+)-->$")
GLUE_CLOSE = "<!--/glue-->"
ADMONITION_MARK = re.compile(r"^<!--(admonition(?::([\w-]+))?|(note|tip|hint|important|"
                             r"warning|caution|attention|danger|error|seealso))-->$")
DETAILS_OPEN = re.compile(r"^<details[^>]*>\s*<summary>(.*?)</summary>\s*$", re.S)
GLOSSARY_DOC = "appendix/glossary"
REFERENCES_DOC = "appendix/references"

# Titles Sphinx gives the specific admonitions in Japanese (used by the converter, so that
# JupyterLab shows the same title as the book).
ADMONITION_TITLES_JA = {
    "note": "注釈", "tip": "ちなみに", "hint": "ヒント", "important": "重要",
    "warning": "警告", "caution": "注意", "attention": "注意", "danger": "危険",
    "error": "エラー", "seealso": "参考",
}


# --- glue values (shared with tools/sync_prose.py and tests/test_prose.py) -----------------

def glue_outputs(nb: dict) -> dict[str, dict]:
    """Map each glue key of a notebook (JSON dict) to the mime bundle it glued."""
    found = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}) or {}
            scrap = meta.get("scrapbook")
            if not scrap or "name" not in scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            data = {k[len(prefix):]: ("".join(v) if isinstance(v, list) else v)
                    for k, v in out.get("data", {}).items()}
            found[scrap["name"]] = data
    return found


_NUMPY_SCALAR = re.compile(r"^np\.(?:float|int|uint|bool_?|str_)\w*\((.*)\)$", re.S)


def format_glue_text(plain: str, fmt_spec: str | None) -> str:
    """Format a glued ``text/plain`` exactly as myst-nb's ``{glue:text}`` role does.

    Same rules as ``myst_nb.core.variables.format_plain_text`` (literal_eval, then format
    by the type character; no spec means ``"s"``); a NumPy scalar repr such as
    ``np.float64(0.5)`` counts as its value.
    """
    fmt_spec = "s" if not fmt_spec else fmt_spec
    text = plain.strip()
    m = _NUMPY_SCALAR.match(text)
    if m:
        text = m.group(1)
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    type_char = fmt_spec[-1]
    if type_char == "s":
        value = str(value)
    elif type_char in "bcdoxX":
        value = int(value)
    elif type_char in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


def strip_latex_delimiters(source: str) -> str:
    """Remove ``$$``, ``$``, ``\\[``, ``\\(`` around LaTeX (as myst-nb's ``{glue:math}``)."""
    source = source.strip()
    for start, end in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
        if source.startswith(start) and source.endswith(end):
            return source[len(start):-len(end)]
    return source


def glued_text(bundles: dict, key: str, fmt: str | None) -> str:
    """The text ``<!--glue:key:fmt-->`` stands for; KeyError if the key has no text/plain."""
    return format_glue_text(bundles[key]["text/plain"], fmt)


def glued_markdown(bundles: dict, key: str) -> str:
    """The Markdown of ``<!--glue-md:key-->`` (``{glue:md}``); KeyError if none."""
    return bundles[key]["text/markdown"].strip()


def glued_math(bundles: dict, key: str) -> str:
    """The LaTeX of ``<!--glue-math:key-->`` (delimiters stripped); KeyError if none."""
    return strip_latex_delimiters(bundles[key]["text/latex"]).strip()


# --- Sphinx transforms ----------------------------------------------------------------------

def _raw_html(node) -> str | None:
    if isinstance(node, nodes.raw) and "html" in node.get("format", "").split():
        return node.astext().strip()
    return None


class NotebookMarkup(SphinxTransform):
    """Turn the plain-Markdown markup of the notebooks into the book's nodes."""

    default_priority = 200  # before the CJK line joining (700) and any reference resolution

    def apply(self, **kwargs):
        self._bundles = None
        self._glue()
        self._glue_math()
        self._links()
        self._admonitions()
        self._details()
        for raw in list(self.document.findall(nodes.raw)):
            text = _raw_html(raw) or ""
            if re.match(r"^<!--/?(glue|admonition)", text) or text.startswith(("<details",
                                                                               "</details")):
                self._warn(f"markup marker {text!r} without its partner", raw)

    # helpers
    def _warn(self, msg, node):
        logger.warning(msg, location=node, type="nb_markup", subtype="marker")

    @property
    def bundles(self):
        if self._bundles is None:
            path = Path(self.env.doc2path(self.env.docname))
            self._bundles = {}
            if path.suffix == ".ipynb":
                self._bundles = glue_outputs(json.loads(path.read_text(encoding="utf-8")))
        return self._bundles

    def _glue(self):
        for raw in list(self.document.findall(nodes.raw)):
            m = GLUE_OPEN.match(_raw_html(raw) or "")
            if not m or raw.parent is None:
                continue
            md, key, fmt = bool(m.group(1)), m.group(2), m.group(3)
            parent = raw.parent
            i = parent.index(raw)
            j = i + 1
            while j < len(parent) and _raw_html(parent[j]) != GLUE_CLOSE:
                j += 1
            if j == len(parent):
                self._warn(f"glue marker for {key!r} is not closed by {GLUE_CLOSE}", raw)
                continue
            literal = "".join(n.astext() for n in parent[i + 1:j])
            try:
                value = (glued_markdown(self.bundles, key) if md
                         else glued_text(self.bundles, key, fmt))
            except KeyError:
                self._warn(f"no glued text/plain output for key {key!r} in this notebook", raw)
                value = literal
            except (TypeError, ValueError) as exc:
                self._warn(f"cannot format glue key {key!r} with {fmt!r}: {exc}", raw)
                value = literal
            rich = md or any(not isinstance(n, nodes.Text) for n in parent[i + 1:j])
            if rich:
                # Markdown in the glued text (`code`, **bold**): the literal was parsed, so
                # compare without the markup and keep the parsed nodes.
                plain = re.sub(r"[`*_]", "", value).strip()
                if plain != re.sub(r"[`*_]", "", literal).strip():
                    self._warn(f"prose states {literal!r} for glue key {key!r} but the notebook "
                               f"glues {value!r}; run tools/sync_prose.py", raw)
                parent.remove(parent[j])
                parent.remove(raw)
                continue
            if literal != value:
                self._warn(f"prose states {literal!r} for glue key {key!r} but the notebook "
                           f"glues {value!r}; run tools/sync_prose.py", raw)
            new = nodes.inline(value, value, classes=["pasted-text"])
            if i and isinstance(parent[i - 1], nodes.Text) and \
                    parent[i - 1].astext().endswith("\u200b"):  # see convert_markup.py
                before = parent[i - 1].astext()[:-1]
                parent[i - 1].parent.replace(parent[i - 1], nodes.Text(before))
            for n in parent[i:j + 1]:
                parent.remove(n)
            parent.insert(i, new)

    def _glue_math(self):
        for raw in list(self.document.findall(nodes.raw)):
            m = GLUE_MATH_OPEN.match(_raw_html(raw) or "")
            if not m or raw.parent is None:
                continue
            key = m.group(1)
            parent = raw.parent
            i = parent.index(raw)
            if (i + 2 >= len(parent) or not isinstance(parent[i + 1], nodes.math_block)
                    or _raw_html(parent[i + 2]) != GLUE_CLOSE):
                self._warn(f"glue-math marker {key!r} must enclose one $$ block", raw)
                continue
            block = parent[i + 1]
            literal = block.astext().strip()
            try:
                latex = glued_math(self.bundles, key)
            except KeyError:
                self._warn(f"no glued text/latex output for key {key!r}", raw)
                latex = literal
            if " ".join(literal.split()) != " ".join(latex.split()):
                self._warn(f"display math for glue key {key!r} differs from the glued "
                           "LaTeX; run tools/sync_prose.py", raw)
            new = nodes.math_block(latex, latex, nowrap=False, number=None, label=None,
                                   classes=["pasted-math"])
            new["docname"] = self.env.docname
            new.source, new.line = block.source, block.line
            parent.remove(parent[i + 2])
            parent.replace(block, new)
            parent.remove(raw)

    def _links(self):
        for ref in list(self.document.findall(addnodes.pending_xref)):
            if ref.get("refdomain") != "doc" or ref.get("reftype") != "myst":
                continue
            target = ref.get("reftarget")
            frag = unquote(ref.get("reftargetid") or "")
            if target == GLOSSARY_DOC and frag:
                text = ref.astext()
                new = addnodes.pending_xref(
                    "", nodes.inline(text, text, classes=["xref", "std", "std-term"]),
                    refdoc=self.env.docname, refdomain="std", reftype="term",
                    refexplicit=True, refwarn=True, reftarget=frag.lower())
                new.source, new.line = ref.source, ref.line
                ref.replace_self(new)
            elif target == REFERENCES_DOC and frag:
                self._cite(ref, frag)

    def _cite(self, ref, frag):
        from sphinxcontrib.bibtex.citation_target import parse_citation_targets
        from sphinxcontrib.bibtex.roles import CitationRef

        reftype, keys = ("t", frag[2:]) if frag.startswith("t:") else ("p", frag)
        new = addnodes.pending_xref("", nodes.inline(keys, keys), refdoc=self.env.docname,
                                    refdomain="cite", reftype=reftype, reftarget=keys,
                                    refexplicit=False, refwarn=True)
        new.source, new.line = ref.source, ref.line
        ref.replace_self(new)
        self.document.note_explicit_target(new, new)
        domain = self.env.get_domain("cite")
        domain.citation_refs.append(CitationRef(
            citation_ref_id=new["ids"][0], docname=self.env.docname, line=ref.line or 0,
            targets=list(parse_citation_targets(keys))))

    def _admonitions(self):
        for quote in list(self.document.findall(nodes.block_quote)):
            if not quote.children or not isinstance(quote[0], nodes.paragraph):
                continue
            para = quote[0]
            parts = [n for n in para.children
                     if not (isinstance(n, nodes.Text) and not n.astext().strip())]
            if len(parts) != 2 or not isinstance(parts[0], nodes.strong):
                continue
            m = ADMONITION_MARK.match(_raw_html(parts[1]) or "")
            if not m:
                continue
            title_text = parts[0].astext()
            if m.group(3):  # a specific admonition: its title comes from Sphinx
                cls = getattr(nodes, m.group(3), None) or getattr(addnodes, m.group(3))
                node = cls()
            else:
                node = nodes.admonition(classes=[m.group(2)] if m.group(2) else
                                        ["admonition-" + nodes.make_id(title_text)])
                title = nodes.title(title_text, "", *parts[0].children)
                node += title
            node.source, node.line = quote.source, quote.line
            node.extend(quote.children[1:])
            quote.replace_self(node)

    def _details(self):
        for raw in list(self.document.findall(nodes.raw)):
            if raw.parent is None:
                continue
            m = DETAILS_OPEN.match(_raw_html(raw) or "")
            if not m:
                continue
            parent = raw.parent
            i = parent.index(raw)
            j, depth = i + 1, 0
            while j < len(parent):
                t = _raw_html(parent[j]) or ""
                if t.startswith("<details"):
                    depth += 1
                elif t == "</details>":
                    if depth == 0:
                        break
                    depth -= 1
                j += 1
            if j == len(parent):
                continue  # reported as a marker without partner
            title_text = re.sub(r"<[^>]+>", "", m.group(1)).strip()
            node = nodes.admonition(classes=["dropdown"])
            node.source, node.line = raw.source, raw.line
            node += nodes.title(title_text, title_text)
            body = parent[i + 1:j]
            for n in parent[i:j + 1]:
                parent.remove(n)
            node.extend(body)
            parent.insert(i, node)


def setup(app):
    app.add_transform(NotebookMarkup)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
