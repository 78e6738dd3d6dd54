"""The figure pipeline: deterministic SVGs, Chinese versions, caching by content, clear failures."""
import re
import shutil
from pathlib import Path

import pytest

from buildtools.figures import FigureError, build_figures, local_imports

ROOT = Path(__file__).resolve().parent.parent
LR = ROOT / "snippets" / "lr_decay"


def tree(tmp_path, *files, topic="lr_decay"):
    """A minimal project root holding copies of the given lr_decay files."""
    folder = tmp_path / "snippets" / topic
    folder.mkdir(parents=True)
    for name in files:
        shutil.copy(LR / name, folder / name)
    return tmp_path


def write_snippet(root, name, body, glossary=None):
    folder = root / "snippets" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    if glossary is not None:
        (folder / "figures.zh.yml").write_text(glossary, encoding="utf-8")
    return folder / name


PLOT = 'import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.title({title!r})\nplt.show()\n'


def test_two_clean_builds_give_byte_identical_svgs(tmp_path):
    first = tree(tmp_path / "a", "plot_compare.py", "schedules.py", "figures.zh.yml")
    second = tree(tmp_path / "b", "plot_compare.py", "schedules.py", "figures.zh.yml")
    build_figures(first)
    build_figures(second)
    names = sorted(p.name for p in (first / "docs/figures/lr_decay").iterdir())
    assert names == ["plot_compare-1.dark.svg", "plot_compare-1.dark.zh.svg", "plot_compare-1.svg",
                     "plot_compare-1.zh.svg"]
    for name in names:
        assert (first / "docs/figures/lr_decay" / name).read_bytes() == \
            (second / "docs/figures/lr_decay" / name).read_bytes()


def test_chinese_figure_is_drawn_with_cjk_glyphs(tmp_path):
    root = tmp_path
    write_snippet(root, "plot_demo.py", PLOT.format(title="Learning rate"), '"Learning rate": "学习率"\n')
    build_figures(root)
    en = (root / "docs/figures/demo/plot_demo-1.svg").read_text()
    zh = (root / "docs/figures/demo/plot_demo-1.zh.svg").read_text()
    # text is drawn as paths; matplotlib names each glyph definition after its font
    cjk_glyphs = set(re.findall(r'id="(NotoSansCJK[^"]*)"', zh))
    assert len(cjk_glyphs) == 3  # 学 习 率
    assert "NotoSansCJK" not in en


def test_tick_labels_with_words_are_translated_whatever_their_formatter(tmp_path):
    body = ("import matplotlib.pyplot as plt\n"
            "fig, (a, b) = plt.subplots(1, 2)\n"
            "a.bar(['Step', 'Cosine'], [1, 2])\n"  # categorical axis
            "b.plot([0, 1]); b.set_xticks([0, 1], ['Step', 'Cosine'])\n"  # labels given with ticks
            "plt.show()\n")
    write_snippet(tmp_path, "plot_ticks.py", body, "Step: 步进\n")
    with pytest.raises(FigureError, match="'Cosine'"):  # every tick label is checked
        build_figures(tmp_path)
    write_snippet(tmp_path, "plot_ticks.py", body, "Step: 步进\nCosine: 余弦\n")
    build_figures(tmp_path)
    zh = (tmp_path / "docs/figures/demo/plot_ticks-1.zh.svg").read_text()
    assert len(set(re.findall(r'id="(NotoSansCJK[^"]*)"', zh))) == 4  # 步 进 余 弦
    assert "DejaVuSans-43" not in zh  # no Latin capital C left (from 'Cosine')


def test_unchanged_rebuild_runs_nothing_and_an_edit_reruns_only_its_figures(tmp_path):
    root = tree(tmp_path, "plot_compare.py", "schedules.py", "plot_warmup.py", "warmup.py", "figures.zh.yml")
    first = build_figures(root)
    assert first["ran"] == 2
    timed = dict(first["slowest"])  # what ran, slowest first, with its run time
    assert set(timed) == {"snippets/lr_decay/plot_compare.py", "snippets/lr_decay/plot_warmup.py"}
    assert all(seconds > 0 for seconds in timed.values()) and list(timed.values()) == sorted(timed.values(), reverse=True)
    assert build_figures(root)["ran"] == 0
    warmup = root / "snippets/lr_decay/warmup.py"
    warmup.write_text(warmup.read_text() + "\n# edited\n")
    again = build_figures(root)
    assert again["ran"] == 1  # plot_warmup imports warmup.py; plot_compare does not
    assert [name for name, _ in again["slowest"]] == ["snippets/lr_decay/plot_warmup.py"]


def test_cache_key_follows_sibling_imports():
    assert local_imports(LR / "plot_compare.py") == [LR / "plot_compare.py", LR / "schedules.py"]


def test_untranslated_text_fails_naming_the_snippet_and_the_text(tmp_path):
    write_snippet(tmp_path, "plot_demo.py", PLOT.format(title="No translation here"), "{}\n")
    with pytest.raises(FigureError) as error:
        build_figures(tmp_path)
    assert "snippets/demo/plot_demo.py" in str(error.value)
    assert "'No translation here'" in str(error.value)


def test_missing_glyph_fails(tmp_path):
    write_snippet(tmp_path, "plot_demo.py", PLOT.format(title="Box"), '"Box": "\\ue000"\n')
    with pytest.raises(FigureError, match="glyphs missing"):
        build_figures(tmp_path)


def test_raising_snippet_fails_naming_the_file(tmp_path):
    write_snippet(tmp_path, "plot_broken.py", "raise ValueError('bad data')\n")
    with pytest.raises(FigureError) as error:
        build_figures(tmp_path)
    assert "snippets/demo/plot_broken.py failed" in str(error.value) and "bad data" in str(error.value)


def test_hanging_snippet_is_stopped_naming_the_file(tmp_path):
    write_snippet(tmp_path, "plot_hang.py", "import time\ntime.sleep(60)\n")
    with pytest.raises(FigureError, match=r"plot_hang\.py: ran past the 3 s limit"):
        build_figures(tmp_path, timeout=3)


def test_failed_snippet_leaves_nothing_in_the_cache(tmp_path):
    write_snippet(tmp_path, "plot_broken.py", "raise SystemExit(1)\n")
    with pytest.raises(FigureError):
        build_figures(tmp_path)
    assert not any((tmp_path / ".cache/figures").iterdir())


def test_an_empty_or_english_figure_translation_is_refused():
    from buildtools.render_figures import untranslated

    glossary = {"Epoch": "", "Loss": "Loss", "momentum=0.1": "momentum=0.1", "$g_1$": "$g_1$", "Step": "步"}
    assert untranslated(glossary) == ["Epoch", "Loss"]


def test_the_cache_key_follows_the_distributions_a_snippet_imports(monkeypatch):
    from buildtools import figures

    digits = ROOT / "snippets/batch_norm/plot_eval_pitfalls.py"  # trains on scikit-learn's digits
    schedules = ROOT / "snippets/lr_decay/plot_compare.py"       # imports no scikit-learn
    assert "scikit-learn" in figures.distributions(figures.local_imports(digits))
    before = {path: figures.cache_key(path) for path in (digits, schedules)}
    real = figures._version
    monkeypatch.setattr(figures, "_version", lambda p: "9.9.9" if p == "scikit-learn" else real(p))
    assert figures.cache_key(digits) != before[digits]
    assert figures.cache_key(schedules) == before[schedules]
    monkeypatch.setattr(figures, "_version", lambda p: "9.9.9" if p == "noto-cjk-sans-otc" else real(p))
    assert figures.cache_key(schedules) != before[schedules]  # the CJK font is in every key


def test_a_build_prunes_renderings_no_snippet_uses(tmp_path):
    from buildtools.figures import prune

    for name in ("0123456789abcdef0123", "fedcba9876543210fedc", "0123456789abcdef0123.tmp"):
        (tmp_path / name).mkdir()
    assert prune(tmp_path, {"0123456789abcdef0123"}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0123456789abcdef0123", "0123456789abcdef0123.tmp"]
