"""Fewer DOM nodes per code line: drop or merge the highlighter's spans.

Pygments wraps every token in a span of its own, and the spans were two thirds of the elements of
a long chapter, which is what a phone spends its time styling and laying out. Material colours
each class with one CSS variable and gives it no other style, so:

- names (``n``) take the code's own text colour and whitespace (``w``) has no style: unwrapped;
- punctuation (``p``: brackets, commas, colons) is drawn in the code's text colour, as GitHub
  and most editors draw it, instead of Material's grey: unwrapped (a third of all spans);
- neighbouring tokens of one colour with only whitespace between them (``= -``, ``import torch``
  keywords, ``"a" "b"``) become one span.

The colour groups are Material's (``.highlight .o,.highlight .ow{color:var(--md-code-hl-operator-
color)}`` and so on); tests/test_code_html.py checks them against the installed theme's stylesheet.
"""
import re

PLAIN_SPAN = re.compile(r'<span class="[nwp]">([^<]*)</span>')

# class -> the CSS variable that colours it (Material's --md-code-hl-<group>-color)
COLOUR_GROUPS = {
    "operator": "o ow",
    "string": "cpf l s s1 s2 sb sc si ss",
    "special": "cp se sh sr sx",
    "number": "il m mb mf mh mi mo",
    "keyword": "k kd kn kp kr kt nd ni nl nt",
    "constant": "bp nb no",
    "function": "nc ne nf nn",
    "comment": "c c1 ch cm cs sd",
    "variable": "na nv vc vg vi",
}
COLOUR_OF = {cls: group for group, classes in COLOUR_GROUPS.items() for cls in classes.split()}

CODE = re.compile(r'(<div class="highlight">.*?<code>)(.*?)(</code>)', re.S)
TOKEN = re.compile(r'<span class="([a-z0-9]+)">([^<]*)</span>')
WHITESPACE = re.compile(r"\s*")


def merge_same_colour(code: str) -> str:
    """One code block's HTML with each run of same-coloured token spans (whitespace between) as one."""
    out, pos = [], 0
    open_span = None  # [class, text] of the span being extended, not yet written
    for match in TOKEN.finditer(code):
        between = code[pos:match.start()]
        group = COLOUR_OF.get(match[1])
        if (open_span and group and COLOUR_OF.get(open_span[0]) == group
                and WHITESPACE.fullmatch(between)):
            open_span[1] += between + match[2]
        else:
            if open_span:
                out.append('<span class="%s">%s</span>' % tuple(open_span))
            out.append(between)
            open_span = [match[1], match[2]]
        pos = match.end()
    if open_span:
        out.append('<span class="%s">%s</span>' % tuple(open_span))
    out.append(code[pos:])
    return "".join(out)


def lighter_code(html: str) -> str:
    """The page's HTML with each code block's spans unwrapped and merged as above."""
    return CODE.sub(lambda m: m[1] + merge_same_colour(PLAIN_SPAN.sub(r"\1", m[2])) + m[3], html)
