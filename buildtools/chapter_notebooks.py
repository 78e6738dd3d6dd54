"""Each chapter as a notebook and a .zip of its code, made from the page itself, in the page's language.

The notebook is the page in reading order: its prose as Markdown cells and each code block as a
code cell, exactly as ``buildtools.codeblocks`` extracts it; a block that shows a whole file
becomes ``%%writefile name.py`` followed by ``%run name.py`` (the reader model: save it, run it).
Links to other pages become absolute when ``site_url`` is set and otherwise name the page, so the
notebook still reads right in Jupyter or Colab; a figure becomes its description (the plotting
cell draws it). The .zip holds every snippet file the page shows.

``run_notebook`` executes the cells the way Jupyter would, in an empty folder and a fresh
interpreter on one CPU thread (``buildtools/block_runner.py``).

CLI: ``python -m buildtools.chapter_notebooks PAGE.md [OUT_DIR]`` writes the page's notebook and
.zip; ``--run`` also executes the notebook and prints each cell's outcome.
"""
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from buildtools import codeblocks
from buildtools.code_translation import significant_tokens
from buildtools.cjk import join_cjk_lines
from buildtools.nblinks import rewrite_links
from buildtools.notebooks import markdown_cell
from buildtools.notebooks import notebook as notebook_text

ROOT = codeblocks.ROOT
RUNNER = Path(__file__).with_name("block_runner.py")
ADMONITION = re.compile(r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
WORDS = {
    "en": {"download": "Download the notebook", "zip": "Download the code (.zip)",
           "short": "Short settings for this notebook: {}"},
    "zh": {"download": "下载笔记本", "zip": "下载代码（.zip）", "short": "本笔记本使用的简短设置：{}"},
}


def prose_cell(text: str) -> str:
    """Markdown of the site (admonitions, marks, heading ids) as Jupyter's Markdown."""
    out, quote = [], None  # quote: body indentation of the admonition being read
    for line in text.split("\n"):
        if codeblocks.MARK.match(line):
            continue
        if quote is not None and line.strip() and len(line) - len(line.lstrip()) < quote:
            quote = None
            out.append("")  # end the quote: a line right after it would continue it
        if m := ADMONITION.match(line):
            out += [f"> **{m['title']}**" if m["title"] else ">", ">"]  # the title on a line of its own
            quote = len(m["indent"]) + 4
            continue
        out.append(("> " + line[quote:]).rstrip() if quote is not None else line)
    return markdown_cell("\n".join(out))


def split_page(expanded: str):
    """('prose', text) and ('code', source, info) parts of an expanded page, in order."""
    lines, parts, last = expanded.split("\n"), [], 0
    for fence in codeblocks.fenced(expanded):
        parts.append(("prose", "\n".join(lines[last:fence.start])))
        parts.append(("code", fence.body, fence.info))
        last = fence.end + 1
    parts.append(("prose", "\n".join(lines[last:])))
    return parts


def reader_cells(block: codeblocks.Block, code: str):
    """The notebook cells of one fence of a block: what the reader types into Jupyter."""
    code = code.rstrip("\n")
    if block.file:
        args = " ".join(codeblocks.RUN_ARGS.get(block.file, []))
        return [f"%%writefile {block.file}\n{code}", f"%run {block.file} {args}".rstrip()]
    return [code]


@dataclass
class Chapter:
    """A page's notebook: its cells, the blocks they come from, and each code cell's block."""
    cells: list      # (kind, source)
    blocks: list     # codeblocks.Block, as extracted from the page
    origin: dict     # code cell index -> the Block it shows
    expanded: str    # the page with its includes expanded, as the build shows it


def chapter_cells(source: str, page: Path, lang: str, site_url: str = "", options=None,
                  expanded: str | None = None) -> Chapter:
    """The page in reading order as notebook cells: prose as Markdown, each block as code.

    ``expanded``: the page as the build expands it, when the caller has it already.
    """
    source = join_cjk_lines(source)
    shown = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    expanded = codeblocks.expand(source, options, shown) if expanded is None else expanded
    blocks = codeblocks.page_blocks(source, shown, options, expanded=expanded)
    fences = codeblocks.source_fences(source)
    chapter, pending, block_index, notes = Chapter([], blocks, {}, expanded), [], -1, set()

    def flush():
        if prose := prose_cell(rewrite_links("\n\n".join(pending), page, lang, site_url)).strip():
            chapter.cells.append(("markdown", prose))
        pending.clear()

    for part in split_page(expanded):
        if part[0] == "prose":
            pending.append(part[1])
            continue
        _, title, mark, _ = fences.pop(0)
        if not part[2].startswith("python"):
            pending.append(f"```\n{part[1]}\n```")
            continue
        if mark != "cont":
            block_index += 1
        block = blocks[block_index]
        if title:
            pending.append(f"*{title}*")
        if block.file in codeblocks.RUN_ARGS and block.file not in notes:
            notes.add(block.file)
            pending.append(WORDS[lang]["short"].format(f"`{' '.join(codeblocks.RUN_ARGS[block.file])}`"))
        flush()
        for cell in reader_cells(block, part[1]):
            chapter.origin[len(chapter.cells)] = block
            chapter.cells.append(("code", cell))
    flush()
    return chapter


def code_zip(blocks, root: Path = ROOT, chinese: bool = False) -> bytes:
    """Every file the page shows, whole and as the page shows it (no section markers; Chinese
    comments for a Chinese page), in one folder; fixed timestamps, so builds are identical."""
    paths = sorted({path for block in blocks for path, _ in block.includes})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(Path(path).name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, codeblocks.whole_file(path, root, chinese).encode("utf-8"))
    return buffer.getvalue()


def download_names(page: Path, lang: str) -> tuple[str, str]:
    stem = page.name.removesuffix(".md").removesuffix(f".{lang}")
    suffix = "" if lang == "en" else f".{lang}"
    return f"{stem}{suffix}.ipynb", f"{stem}-code{suffix}.zip"


def steps(chapter: Chapter):
    """The runner's steps for a notebook's code cells (``%%writefile``, ``%run``, plain code).

    Cells of a block marked as skipped are left out, as the page tells the reader.
    """
    out = []
    for index, (kind, source) in enumerate(chapter.cells):
        if kind != "code" or chapter.origin[index].skip:
            continue
        where = f"cell {index} = {chapter.origin[index].where}"
        first, _, body = source.partition("\n")
        if first.startswith("%%writefile "):
            out.append({"where": f"{where} ({first})", "write": first.split()[1], "code": body + "\n"})
        elif first.startswith("%run ") and not body:
            name, *args = first.split()[1:]
            out.append({"where": f"{where} ({first})", "run": name, "args": args})
        else:
            out.append({"where": where, "code": source})
    return out


def same_program(one: Chapter, other: Chapter) -> bool:
    """Whether two notebooks run the same program: the same steps, files and arguments, and code
    token for token, comments and docstrings aside (a page's translation changes only those)."""
    def program(chapter):
        return [(step.get("write"), step.get("run"), step.get("args"),
                 significant_tokens(step["code"]) if "code" in step else None)
                for step in steps(chapter)]
    return program(one) == program(other)


def run_notebook(chapter: Chapter, timeout: int = 600) -> list[dict]:
    """Execute the notebook's code cells in order in an empty folder; one outcome per cell.

    A cell that hangs past ``timeout`` is reported as such, by the cell that was running.
    """
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
               CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as reports:
        folder, report = Path(scratch), Path(reports) / "report.jsonl"
        process = subprocess.Popen([sys.executable, "-I", str(RUNNER), str(report)], cwd=folder, env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        try:
            output, _ = process.communicate(json.dumps(steps(chapter)), timeout=timeout)
            hung = False
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            hung = True
        lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] if report.exists() else []
    results = [line for line in lines if "start" not in line]
    # What C++ code and child processes wrote, which the cells' records miss. It is the whole
    # process's output, so it goes with the first failed cell only.
    failed = [result for result in results if not result["ok"]]
    if failed and output.strip():
        failed[0]["process_output"] = output[-1500:]
    if hung:
        started = [line["start"] for line in lines if "start" in line]
        results.append({"where": started[-1] if started else "start", "ok": False,
                        "error": f"still running after {timeout} s; its last output:\n{output[-1500:]}"})
    elif process.returncode != 0:
        results.append({"where": "interpreter", "ok": False,
                        "error": f"exit {process.returncode}: {output[-2000:]}"})
    return results


def write_downloads(source: str, page: Path, lang: str, out_dir: Path, site_url: str = "",
                    options=None, notebook: bool = True, expanded: str | None = None) -> list[str]:
    """Write the page's notebook (unless it has one of its own) and code .zip; return their names."""
    chapter = chapter_cells(source, page, lang, site_url, options, expanded)
    if not chapter.blocks:
        return []
    notebook_name, zip_name = download_names(page, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if notebook:
        (out_dir / notebook_name).write_text(notebook_text(chapter.cells), encoding="utf-8")
        written.append(notebook_name)
    (out_dir / zip_name).write_bytes(code_zip(chapter.blocks, chinese=lang == "zh"))
    return written + [zip_name]


def download_links(names: dict, lang: str) -> str:
    """The HTML line under a chapter's title: its notebook and its code."""
    links = [f'<a class="md-button" href="{href}" download>{WORDS[lang][kind]}</a>'
             for kind, href in names.items()]
    return f'<p class="handbook-downloads">{" ".join(links)}</p>'


def main(argv: list[str]) -> int:
    run = "--run" in argv
    argv = [a for a in argv if a != "--run"]
    page = Path(argv[0]).resolve()
    out_dir = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    lang = "zh" if page.name.endswith(".zh.md") else "en"
    names = write_downloads(page.read_text(encoding="utf-8"), page, lang, out_dir)
    print(*(out_dir / name for name in names))
    failed = 0
    if run:
        for result in run_notebook(chapter_cells(page.read_text(encoding="utf-8"), page, lang)):
            failed += not result["ok"]
            print(result["where"], "ok" if result["ok"] else result["error"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
