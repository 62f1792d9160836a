"""The little Markdown the topics use (headings, paragraphs, lists, emphasis, quotes) as
HTML, escaped first: topic files are our own content, but nothing in them is trusted as
markup."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"\*(.+?)\*")


def _inline(text: str) -> str:
    return _EM.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", html.escape(text)))


def to_html(md: str) -> str:
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in md.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            level = min(len(line) - len(line.lstrip("#")) + 1, 4)  # the page's h1 is the title
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif line[:2] in ("- ", "* "):
            if para:
                flush()
            items.append(line[2:])
        elif line.startswith(">"):
            flush()
            out.append(f'<p class="note" role="note">{_inline(line.lstrip("> "))}</p>')
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "\n".join(out)
