"""Cheap long pages: each run of a page's content between two headings becomes one block that the
browser skips (style, layout, paint) while it is far from the screen.

A chapter is a flat list of some 600 top-level elements. The handbook's stylesheet gives
``.handbook-section`` ``content-visibility: auto``, so at load the browser styles and lays out only
the sections near the screen; the rest keep a remembered (first: estimated) height. Headings stay
outside the sections: the theme's table of contents measures where each heading is, and measuring
inside a skipped section would lay it out. Only top-level headings cut (a page whose headings are
all nested, such as a notebook, is returned unchanged).
"""
import re
from html.parser import HTMLParser

from buildtools.html_elements import VOID

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
OPEN = '<div class="handbook-section">'
CLOSE = "</div>"


class _TopLevelHeadings(HTMLParser):
    """(start, end) character offsets of every heading that is not inside another element."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.depth, self.heading_start, self.spans = 0, None, []
        self.text = text
        self.feed(text)
        self.close()

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if tag in HEADINGS and self.depth == 0:
            self.heading_start = self.position()
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        self.depth -= 1
        if tag in HEADINGS and self.depth == 0 and self.heading_start is not None:
            end = self.text.index(">", self.position()) + 1
            self.spans.append((self.heading_start, end))
            self.heading_start = None


def wrap_sections(html: str) -> str:
    """``html`` with each non-blank run between top-level headings (and after the last) in a section."""
    headings = _TopLevelHeadings(html).spans
    if not headings:
        return html
    out = [html[:headings[0][0]]]
    for (start, end), following in zip(headings, headings[1:] + [(len(html), len(html))]):
        out.append(html[start:end])
        run = html[end:following[0]]
        out.append(f"{OPEN}{run}{CLOSE}" if run.strip() else run)
    return "".join(out)
