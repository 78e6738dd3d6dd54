"""Chinese paragraphs are joined across source lines; English text and code are not touched."""
from buildtools.cjk import join_cjk_lines


def test_lines_of_a_chinese_paragraph_are_joined():
    assert join_cjk_lines("第一行\n第二行。\n\n- 列表\n  继续") == "第一行第二行。\n\n- 列表继续"


def test_english_and_mixed_breaks_stay():
    text = "English\nwords\n\n用 PyTorch\n实现"
    assert join_cjk_lines(text) == text


def test_code_fences_are_left_alone():
    text = '```python\n--8<-- "a.py"\n中\n文\n```\n段落\n继续'
    assert join_cjk_lines(text) == '```python\n--8<-- "a.py"\n中\n文\n```\n段落继续'
    assert join_cjk_lines("```\n中\n文\n```") == "```\n中\n文\n```"
