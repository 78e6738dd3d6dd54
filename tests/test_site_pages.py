"""Both languages and the code on the site stay in step (buildtools.pages), with its rules tested."""
from pathlib import Path

import pytest

from buildtools import pages

ROOT = Path(__file__).resolve().parent.parent


def test_site_pages_follow_every_rule():
    assert pages.problems(ROOT) == []


def test_importable_snippet_stems_are_unique():
    # tests and sibling imports use plain module names; plot_ files are only ever run, never imported
    stems = [p.stem for p in (ROOT / "snippets").rglob("*.py") if not p.stem.startswith("plot_")]
    assert len(stems) == len(set(stems)), sorted(s for s in stems if stems.count(s) > 1)


def make_site(tmp_path, en, zh=None, snippets=("a/used.py",)):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(en, encoding="utf-8")
    if zh is not None:
        (tmp_path / "docs" / "page.zh.md").write_text(zh, encoding="utf-8")
    for rel in snippets:
        path = tmp_path / "snippets" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('"""A snippet."""\n')
    return pages.problems(tmp_path)


GOOD = '# Title { #top }\n\n```python\n--8<-- "snippets/a/used.py"\n```\n'


def test_a_good_pair_passes(tmp_path):
    assert make_site(tmp_path, GOOD, GOOD.replace("Title", "标题")) == []


def test_missing_twin_is_caught(tmp_path):
    assert any("no twin" in p for p in make_site(tmp_path, GOOD))


def test_typed_in_code_is_caught(tmp_path):
    typed = GOOD.replace("```\n", "print('hi')\n```\n", 1).replace('```python\n--8', '```python\nx = 1\n--8')
    found = make_site(tmp_path, typed, typed)
    assert any("code typed into the page" in p and "x = 1" in p for p in found)


def test_different_include_lines_are_caught(tmp_path):
    other = GOOD.replace("used.py", "other.py")
    found = make_site(tmp_path, GOOD, other, snippets=("a/used.py", "a/other.py"))
    assert any("include lines differ" in p for p in found)


def test_different_or_missing_heading_ids_are_caught(tmp_path):
    found = make_site(tmp_path, GOOD + "\n## More { #more }\n", GOOD + "\n## 更多 { #mehr }\n")
    assert any("heading ids differ" in p for p in found)
    (tmp_path / "b").mkdir()
    found = make_site(tmp_path / "b", GOOD + "\n## More\n", GOOD + "\n## 更多\n")
    assert any("no explicit" in p for p in found)


def test_unused_snippet_is_caught(tmp_path):
    found = make_site(tmp_path, GOOD, GOOD, snippets=("a/used.py", "a/lonely.py"))
    assert found == ["snippets/a/lonely.py: included by no page"]


def test_hash_in_a_fence_is_not_a_heading(tmp_path):
    text = GOOD + '\n```python\n--8<-- "snippets/a/used.py:part"\n```\n'
    assert make_site(tmp_path, text, text) == []


def test_an_english_admonition_title_on_a_chinese_page_is_caught(tmp_path):
    from buildtools.pages import problems

    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "docs/a.md").write_text('# A { #a }\n\n!!! tip "Try it"\n    Text.\n')
    (tmp_path / "docs/a.zh.md").write_text('# 甲 { #a }\n\n!!! tip "Try it"\n    正文。\n')
    assert problems(tmp_path) == ["docs/a.zh.md: admonition title in English on a Chinese page: Try it"]


@pytest.mark.parametrize("typed", [
    "Some text.\n\n    x = 1  # an indented code block\n",
    '<pre><code>x = 1</code></pre>\n',
    "Call `#!python x = 1` inline.\n",
])
def test_code_typed_outside_fences_is_caught(tmp_path, typed):
    page = GOOD + "\n" + typed
    found = make_site(tmp_path, page, page.replace("Title", "标题"))
    assert any("code typed into the page" in p and "x = 1" in p for p in found), found


def test_indented_text_inside_lists_and_admonitions_is_not_code(tmp_path):
    page = GOOD + '\n!!! tip "Tip"\n\n    Indented body text.\n\n- item\n\n    continued item text\n'
    zh = page.replace("Title", "标题").replace('"Tip"', '"提示"')
    assert make_site(tmp_path, page, zh) == []
