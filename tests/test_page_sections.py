"""Content between headings as blocks skipped offscreen (buildtools.page_sections)."""
import re

from buildtools.page_sections import CLOSE, OPEN, wrap_sections


def test_each_run_between_top_level_headings_is_one_section_and_nothing_is_lost():
    page = ('<h1 id="t">T</h1>\n<p>intro <math><mi>x</mi></math></p>\n<h2 id="a">A</h2>\n'
            '<p>a<br>b</p><img alt="f" src="f.svg">\n<div class="admonition"><h3>in a box</h3><p>x</p></div>\n'
            '<h2 id="b">B</h2>\n<h3 id="c">C</h3>\n<pre><code>x = 1</code></pre>\n')
    wrapped = wrap_sections(page)
    # a section closes right before the next heading (or at the end); the page's own </div> never does
    unwrapped = re.sub(re.escape(CLOSE) + r"(?=<h[1-6]|$)", "", wrapped.replace(OPEN, ""))
    assert unwrapped == page
    sections = re.findall(re.escape(OPEN) + r"(.*?)" + re.escape(CLOSE) + r"(?=<h|$)", wrapped, re.S)
    assert len(sections) == 3, wrapped  # after T, after A (the boxed heading does not cut), after C
    assert "in a box" in sections[1] and "<h2" not in "".join(sections)
    # headings stay outside, in order; the blank run between B and C gets no section
    assert re.findall(r'<h[1-6] id="(\w)"', wrapped) == ["t", "a", "b", "c"]
    assert '</h2>\n<h3 id="c">' in wrapped


def test_a_page_without_top_level_headings_is_unchanged():
    notebook = '<div class="jp-Cell"><h1 id="n">Notebook</h1><p>text</p></div>'
    assert wrap_sections(notebook) == notebook
