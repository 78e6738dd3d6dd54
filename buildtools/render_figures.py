"""Run plot_ snippets headless and save every figure each opened as SVG, in English and Chinese.

Each snippet runs in a process of its own, so it cannot disturb the build or another snippet, and a
hang can be killed. Writes ``OUT_DIR/<n>.svg`` (English) and ``OUT_DIR/<n>.zh.svg`` (Chinese),
n = 1, 2, ... Exit code 3: a figure text has no Chinese translation, or a glyph is missing.

- ``python -m buildtools.render_figures SNIPPET OUT_DIR [GLOSSARY]`` renders one snippet.
- ``python -m buildtools.render_figures --serve JOBS TIMEOUT`` reads a JSON list of
  ``[snippet, out_dir, glossary]`` on stdin and renders them JOBS at a time, each in a child forked
  from this process after torch and matplotlib are imported once (importing them is most of a small
  snippet's run time). It prints one JSON line per job: ``{"job": i, "code": c, "timed_out": b, "seconds": s}``;
  a child's output goes to ``OUT_DIR/log.txt``.
"""
import faulthandler
import json
import os
import signal
import time
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

from buildtools.cjk import HAN  # noqa: E402
from buildtools.dark_figures import darken  # noqa: E402

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
    return {str(k): "" if v is None else str(v) for k, v in data.items()}  # an empty entry stays empty


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
SETTING = re.compile(r"\b[A-Za-z_]\w*\s*=\s*[-+.\deE]+")  # momentum=0.1, lr = 0.2: the same in Chinese


def untranslated(glossary):
    """Entries that would leave a Chinese figure with no text or an English word."""
    return sorted(key for key, value in glossary.items()
                  if not value.strip() or (not HAN.search(value)
                                           and ENGLISH_WORD.search(SETTING.sub("", MATH.sub("", value)))))


def _translate_ticks(fig, tr, undo):
    """Pin every tick label that has letters to its translation (`undo` gets what puts it back).

    Tick labels are made anew by the axis formatter at each draw (FixedFormatter, FuncFormatter,
    the categorical formatter...), so editing the drawn text would not last: fix the axis's
    current locations and translated labels instead.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for major in (True, False):
                labels = [t.get_text() for t in axis.get_ticklabels(minor=not major)]
                if not any(needs_translation(label) for label in labels):
                    continue
                locations = axis.get_ticklocs(minor=not major)
                set_locator = axis.set_major_locator if major else axis.set_minor_locator
                set_formatter = axis.set_major_formatter if major else axis.set_minor_formatter
                old = (axis.get_major_locator(), axis.get_major_formatter()) if major else (
                    axis.get_minor_locator(), axis.get_minor_formatter())
                undo.append(lambda f=set_locator, v=old[0]: f(v))
                undo.append(lambda f=set_formatter, v=old[1]: f(v))
                set_locator(ticker.FixedLocator(locations))
                set_formatter(ticker.FixedFormatter([tr(label) for label in labels]))


def translate_figure(fig, glossary, missing):
    """Replace every text with letters through the glossary; record the ones it lacks.

    Returns a function that puts the English texts back (the dark English variant is saved after
    the Chinese one).
    """

    def tr(text):
        if not needs_translation(text):
            return text
        if text in glossary:
            return glossary[text]
        missing.add(text)
        return text

    fig.canvas.draw()  # creates tick labels and legend texts
    undo = []
    _translate_ticks(fig, tr, undo)
    for artist in fig.findobj(matplotlib.text.Text):
        text = artist.get_text()
        if text:
            undo.append(lambda a=artist, t=text: a.set_text(t))
            artist.set_text(tr(text))

    def restore():
        for step in reversed(undo):
            step()
    return restore


def prepare():
    """Set up matplotlib once per process: CJK font, deterministic SVG style, no-op plt.show()."""
    font_path = Path(__import__("noto_cjk_sans_otc").__file__).parent / "NotoSansCJK-Regular.ttc"
    font_manager.fontManager.addfont(str(font_path))
    plt.rcParams.update(STYLE)
    plt.show = lambda *args, **kwargs: None  # the snippet ends with plt.show(); keep figures open


def render(snippet, out_dir, glossary_path):
    """Run one snippet in this process and save its figures; return the exit code."""
    snippet, out_dir = Path(snippet).resolve(), Path(out_dir)
    glossary = load_glossary(glossary_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(snippet.parent)
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
    if bad := untranslated(glossary):
        problems.append(f"entries of {glossary_path} with no Chinese text:\n"
                        + "\n".join(f"  {text!r}" for text in bad))
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
    """Save every open figure in English and Chinese, light and dark (``<n>[.dark][.zh].svg``);
    return the untranslated texts (or None when the snippet left no figure open)."""
    numbers = plt.get_fignums()
    if not numbers:
        return None
    missing = set()
    for index, number in enumerate(numbers, start=1):
        fig = plt.figure(number)

        def save(suffix):
            fig.savefig(out_dir / f"{index}{suffix}.svg", format="svg", metadata={"Date": None},
                        facecolor=fig.get_facecolor())  # the dark variant's is transparent
        save("")
        english = translate_figure(fig, glossary, missing)
        save(".zh")
        darken(fig)
        save(".dark.zh")
        english()
        save(".dark")
    return missing


def _child(job, timeout):
    """In a forked child: send output to the job's log, render, exit without returning.

    Just before the parent stops a snippet that runs too long, faulthandler writes every thread's
    stack to the log, so the message can say where it hung.
    """
    snippet, out_dir, glossary = job
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    log = os.open(Path(out_dir) / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    faulthandler.dump_traceback_later(max(timeout - 1.0, 0.5), exit=False, file=sys.stderr)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)  # one child per core already; more threads only contend
    code = 1
    try:
        code = render(snippet, out_dir, glossary)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(jobs, parallel, timeout):
    """Fork one child per job, at most `parallel` at a time; kill any that runs past `timeout`."""
    try:
        import torch  # noqa: F401  (imported once here, shared by every forked child)
    except ImportError:
        pass
    prepare()
    pending, running, killed = list(enumerate(jobs)), {}, set()
    while pending or running:
        while pending and len(running) < parallel:
            index, job = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(job, timeout)
            running[pid] = (index, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for pid, (index, started) in running.items():
                if time.monotonic() - started > timeout and pid not in killed:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            time.sleep(0.02)
            continue
        index, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"job": index, "code": code, "timed_out": pid in killed,
                          "seconds": round(time.monotonic() - started, 1)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(json.load(sys.stdin), int(sys.argv[2]), float(sys.argv[3]))
    else:
        prepare()
        sys.exit(render(*sys.argv[1:3], sys.argv[3] if len(sys.argv) > 3 else "figures.zh.yml"))
