"""Run one plot_ snippet headless and save every figure it opened as SVG, in English and Chinese.

This runs in a child process (see ``figures.py``) so a snippet cannot disturb the build, and so a
hang can be killed. Usage: ``python -m buildtools.render_figures SNIPPET OUT_DIR [GLOSSARY]``.
Writes ``OUT_DIR/<n>.svg`` (English) and ``OUT_DIR/<n>.zh.svg`` (Chinese), n = 1, 2, ...
Exit code 3: a figure text has no Chinese translation, or a glyph is missing from the fonts.
"""
import os
import re
import runpy
import sys
import warnings
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, ticker  # noqa: E402

CJK_FONT = "Noto Sans CJK SC"
# Fixed salt and no date: two builds of the same snippet give byte-identical SVGs.
STYLE = {
    "svg.hashsalt": "handbook",
    "svg.fonttype": "path",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": ["DejaVu Sans", CJK_FONT],
    "axes.unicode_minus": True,
}
MATH = re.compile(r"\$[^$]*\$")
GLYPH = re.compile(r"Glyph .* missing from")


def needs_translation(text: str) -> bool:
    """A text needs a Chinese version when a letter remains outside its mathtext."""
    return bool(re.search(r"[A-Za-z]", MATH.sub("", text)))


def load_glossary(path):
    if not path or not Path(path).exists():
        return {}
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def _fixed_formatters(fig):
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, ticker.FixedFormatter):
                yield formatter


def translate_figure(fig, glossary, missing):
    """Replace every text with letters through the glossary; record the ones it lacks."""

    def tr(text):
        if not needs_translation(text):
            return text
        if text in glossary:
            return glossary[text]
        missing.add(text)
        return text

    fig.canvas.draw()  # creates tick labels and legend texts
    for formatter in _fixed_formatters(fig):
        formatter.seq = [tr(str(s)) for s in formatter.seq]
    for artist in fig.findobj(matplotlib.text.Text):
        text = artist.get_text()
        if text:
            artist.set_text(tr(text))


def main(argv):
    snippet, out_dir = Path(argv[0]).resolve(), Path(argv[1])
    glossary_path = argv[2] if len(argv) > 2 else "figures.zh.yml"
    glossary = load_glossary(glossary_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    font_path = Path(__import__("noto_cjk_sans_otc").__file__).parent / "NotoSansCJK-Regular.ttc"
    font_manager.fontManager.addfont(str(font_path))
    plt.rcParams.update(STYLE)
    plt.show = lambda *args, **kwargs: None  # the snippet ends with plt.show(); keep figures open

    sys.path.insert(0, str(snippet.parent))
    sys.argv = [str(snippet)]
    # matplotlib reports a glyph no font has as a warning, drawing a box: record them to fail on them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runpy.run_path(str(snippet), run_name="__main__")
        missing = save_all(out_dir, glossary)
    missing_glyphs = sorted({str(w.message) for w in caught if GLYPH.search(str(w.message))})
    if missing is None:
        print(f"{snippet}: a plot_ snippet must leave at least one figure open", file=sys.stderr)
        return 3
    problems = []
    if missing:
        problems.append(f"figure texts with no Chinese translation (add them to {glossary_path}):\n"
                        + "\n".join(f"  {text!r}" for text in sorted(missing)))
    if missing_glyphs:
        problems.append("glyphs missing from the fonts:\n" + "\n".join(f"  {m}" for m in missing_glyphs))
    if problems:
        print(f"{snippet}: " + "\n".join(problems), file=sys.stderr)
        return 3
    return 0


def save_all(out_dir, glossary):
    """Save every open figure in English, then translated; return the untranslated texts (or None)."""
    numbers = plt.get_fignums()
    if not numbers:
        return None
    missing = set()
    for index, number in enumerate(numbers, start=1):
        fig = plt.figure(number)
        fig.savefig(out_dir / f"{index}.svg", format="svg", metadata={"Date": None})
        translate_figure(fig, glossary, missing)
        fig.savefig(out_dir / f"{index}.zh.svg", format="svg", metadata={"Date": None})
    return missing


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
