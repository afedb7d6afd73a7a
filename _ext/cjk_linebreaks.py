"""Sphinx extension: drop the line breaks that sit between two Japanese characters.

Markdown source wraps long paragraphs; in HTML a line break between words renders as a
space, which is right for English and wrong for Japanese ("学習 率"). This transform removes a
newline (and the indentation around it) when the characters on both sides are CJK or
Japanese punctuation, in ordinary text only (never in code or math).
"""

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

_CJK = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_SKIP = (nodes.literal_block, nodes.literal, nodes.math, nodes.math_block, nodes.raw,
         nodes.comment)


class JoinCJKLines(SphinxTransform):
    default_priority = 700

    def apply(self, **kwargs):
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or "\n" not in text:
                continue
            if any(isinstance(a, _SKIP) for a in _ancestors(parent)):
                continue
            old = str(text)
            new = _BREAK.sub("", old)
            # MyST turns a soft line break into a Text node of its own ("\n"): join it when
            # the text just before and just after it (in the sibling nodes) is Japanese.
            if not new.strip() and "\n" in new:
                before, after = _neighbour_char(text, -1), _neighbour_char(text, +1)
                if before and after and _IS_CJK.match(before) and _IS_CJK.match(after):
                    new = ""
            if new != old:
                parent.replace(text, nodes.Text(new))


_IS_CJK = re.compile(rf"[{_CJK}]")


def _neighbour_char(node, direction):
    """The last (direction -1) or first (+1) character of the sibling text next to ``node``."""
    parent = node.parent
    i = parent.index(node) + direction
    while 0 <= i < len(parent):
        t = parent[i].astext()
        if t:
            return t[-1] if direction < 0 else t[0]
        i += direction
    return ""


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


def setup(app):
    app.add_transform(JoinCJKLines)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
