"""Typeset the TeX that pymdownx.arithmatex leaves in a page as MathML, at build time.

arithmatex (``generic: true``) wraps each formula as ``<span class="arithmatex">\\(...\\)</span>`` or
``<div class="arithmatex">\\[...\\]</div>``. KaTeX (through PyKaTeX's bundled engine) turns each into
MathML, which browsers draw natively: the page needs no script, stylesheet or font from anywhere.

CLI: ``python -m buildtools.mathml FILE.html`` prints the file with its formulas typeset.
"""
import html
import re
import sys
from functools import lru_cache

import pykatex

FORMULA = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\\(?P<open>[(\[])(?P<tex>.*?)\\[)\]]</(?P=tag)>', re.S
)


class MathError(ValueError):
    """A formula KaTeX cannot parse; the message quotes it."""


@lru_cache(maxsize=None)
def tex_to_mathml(tex: str, display: bool) -> str:
    try:
        return pykatex.renderToString(tex, output=pykatex.OUTPUT_MATHML, displayMode=display,
                                      throwOnError=True)
    except pykatex.ParseError as error:
        raise MathError(f"cannot typeset {tex!r}: {error}") from None


def typeset(page_html: str) -> str:
    """Replace every arithmatex formula in ``page_html`` by MathML."""

    def replace(match):
        display = match["open"] == "["
        mathml = tex_to_mathml(html.unescape(match["tex"]).strip(), display)
        if display:
            return f'<div class="math-display">{mathml}</div>'
        return mathml

    return FORMULA.sub(replace, page_html)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(typeset(handle.read()))
