"""Lighter code blocks (buildtools.code_html): fewer spans, the same text, the same colours."""
import html
import re
from functools import cache
from pathlib import Path

import material
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from buildtools.code_html import COLOUR_OF, TOKEN, lighter_code
from tests.conftest import ROOT

SNIPPETS = sorted((ROOT / "snippets").rglob("*.py"))
THEME_CSS = "\n".join(path.read_text() for path in
                      (Path(material.__file__).parent / "templates/assets/stylesheets").glob("*.css"))


def highlighted(code: str) -> str:
    """A block as pymdownx.highlight hands it to the page: Pygments, <div class="highlight">, <code>."""
    return highlight(code, PythonLexer(), HtmlFormatter(wrapcode=True))


@cache
def snippet_blocks() -> list:
    """(path, highlighted block, the same block made lighter) for every snippet, highlighted once."""
    blocks = [(path, highlighted(path.read_text())) for path in SNIPPETS]
    return [(path, block, lighter_code(block)) for path, block in blocks]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def spans(fragment: str) -> int:
    return fragment.count("<span")


def theme_colours() -> dict:
    """Material's own map, class -> the --md-code-hl-*-color variable, for classes styled by colour only."""
    colours = {}
    for selectors, body in re.findall(r"((?:\.highlight \.[a-z0-9]+,?)+)\{([^}]*)\}", THEME_CSS):
        colour = re.fullmatch(r"color:var\(--md-code-hl-([a-z]+)-color\)", body)
        for cls in re.findall(r"\.highlight \.([a-z0-9]+)", selectors):
            colours[cls] = colour[1] if colour else None  # None: styled by more than a colour
    return colours


def test_every_snippet_keeps_its_exact_text():
    for path, block, lighter in snippet_blocks():
        assert text_of(lighter) == text_of(block), path


def test_names_whitespace_and_punctuation_lose_their_spans_and_the_rest_halves():
    before = after = 0
    for path, block, lighter in snippet_blocks():
        assert not re.search(r'<span class="[nwp]">', lighter), path
        before, after = before + spans(block), after + spans(lighter)
    assert after < 0.5 * before, (before, after)


def test_no_two_same_coloured_spans_are_left_side_by_side():
    for path, _, code in snippet_blocks():
        tokens = list(TOKEN.finditer(code))
        for left, right in zip(tokens, tokens[1:]):
            touching = not code[left.end():right.start()].strip()
            group = COLOUR_OF.get(left[1])
            assert not (touching and group and COLOUR_OF.get(right[1]) == group), (path, left[0], right[0])


def test_merged_classes_share_one_colour_in_the_theme_and_names_are_plain_text():
    theme = theme_colours()
    for cls, group in COLOUR_OF.items():
        assert theme.get(cls) == group, f".highlight .{cls}: theme {theme.get(cls)!r}, code_html {group!r}"
    # unwrapping a name is only invisible while names take the code's own colour in every scheme
    names = re.findall(r"--md-code-hl-name-color:([^;}]+)", THEME_CSS)
    assert names and set(names) == {"var(--md-code-fg-color)"}, names


def test_only_code_blocks_are_touched():
    page = ('<p><span class="p">(</span><span class="o">=</span> <span class="o">-</span></p>'
            + highlighted("x = -(1)\n"))
    lighter = lighter_code(page)
    assert lighter.startswith('<p><span class="p">(</span><span class="o">=</span> <span class="o">-</span></p>')
    assert '<span class="o">= -</span>' in lighter and '<span class="p">' not in lighter.split("</p>")[1]
