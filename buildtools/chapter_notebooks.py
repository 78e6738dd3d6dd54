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
from pathlib import Path

import nbformat

from buildtools import codeblocks
from buildtools.cjk import join_cjk_lines
from buildtools.notebooks import KERNEL, markdown_cell

ROOT = codeblocks.ROOT
RUNNER = Path(__file__).with_name("block_runner.py")
ADMONITION = re.compile(r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)(?:\{[^}]*\})?")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
WORDS = {
    "en": {"figure": "Figure", "page": "handbook page “{}”", "download": "Download the notebook",
           "zip": "Download the code (.zip)", "short": "Short settings for this notebook: {}"},
    "zh": {"figure": "图", "page": "手册页面“{}”", "download": "下载笔记本",
           "zip": "下载代码（.zip）", "short": "本笔记本使用的简短设置：{}"},
}


def page_title(page: Path) -> str:
    """A page's first heading, without its ``{ #id }``."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"\s*\{[^}]*\}\s*$", "", line[2:]).strip()
    return page.stem


def rewrite_links(text: str, page: Path, lang: str, site_url: str) -> str:
    """Links and images of one page's prose, made to work outside the site."""
    docs = ROOT / "docs"
    here = page.parent.relative_to(docs) if page.is_relative_to(docs) else Path()
    lang_prefix = "" if lang == "en" else f"{lang}/"
    base = site_url.rstrip("/") + "/" if site_url else ""

    def url_of(target: str) -> str:
        path, _, anchor = target.partition("#")
        rel = (here / path).as_posix()
        rel = re.sub(r"(^|/)index\.md$", r"\1", rel)
        rel = re.sub(r"\.md$", "/", rel)
        return f"{base}{lang_prefix}{rel}" + (f"#{anchor}" if anchor else "")

    def image(match):
        src = match["src"]
        if base and not re.match(r"^[a-z]+:", src):
            stem = re.sub(r"\.md$", "", page.name.replace(".zh", ""))
            return f"![{match['alt']}]({base}{lang_prefix}{stem}/{src})"
        return f"*{WORDS[lang]['figure']}: {match['alt']}*"

    def link(match):
        target = match["target"]
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return match[0]
        if base:
            return f"[{match['text']}]({url_of(target)})"
        path = target.partition("#")[0]
        twin = docs / here / path
        if lang != "en":
            twin = twin.with_name(twin.name.replace(".md", f".{lang}.md"))
        name = page_title(twin) if twin.exists() else path
        sep = "（" if lang == "zh" else " — "
        end = "）" if lang == "zh" else ""
        return f"{match['text']}{sep}{WORDS[lang]['page'].format(name)}{end}"

    return LINK.sub(link, IMAGE.sub(image, text))


def prose_cell(text: str) -> str:
    """Markdown of the site (admonitions, marks, heading ids) as Jupyter's Markdown."""
    out, quote = [], None  # quote: body indentation of the admonition being read
    for line in text.split("\n"):
        if codeblocks.MARK.match(line):
            continue
        if quote is not None and line.strip() and len(line) - len(line.lstrip()) < quote:
            quote = None
        if m := ADMONITION.match(line):
            out.append(f"> **{m['title']}**" if m["title"] else ">")
            quote = len(m["indent"]) + 4
            continue
        out.append(("> " + line[quote:]).rstrip() if quote is not None else line)
    return markdown_cell("\n".join(out))


def split_page(expanded: str):
    """('prose', text) and ('code', source, info) parts of an expanded page, in order."""
    lines, parts, prose, index = expanded.split("\n"), [], [], 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        if stripped.startswith("```"):
            indent = len(line) - len(stripped)
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            body, index = [], index + 1
            while index < len(lines) and not lines[index].lstrip().startswith(fence):
                body.append(lines[index][indent:] if lines[index][:indent].strip() == "" else lines[index].lstrip())
                index += 1
            parts.append(("prose", "\n".join(prose)))
            parts.append(("code", "\n".join(body), stripped[len(fence):]))
            prose = []
        else:
            prose.append(line)
        index += 1
    parts.append(("prose", "\n".join(prose)))
    return parts


def reader_cells(block: codeblocks.Block):
    """The notebook cells of one block: what the reader types into Jupyter."""
    code = block.code.rstrip("\n")
    if block.file:
        args = " ".join(codeblocks.RUN_ARGS.get(block.file, []))
        return [f"%%writefile {block.file}\n{code}", f"%run {block.file} {args}".rstrip()]
    return [code]


def chapter_cells(source: str, page: Path, lang: str, site_url: str = "", options=None):
    """(kind, source) cells of the page's notebook, with the blocks they were made from."""
    source = join_cjk_lines(source)
    expanded = codeblocks.expand(source, options)
    blocks = codeblocks.page_blocks(source, page.name, options, expanded=expanded)
    fences = codeblocks._fences(source)
    cells, pending, block_index, notes = [], [], -1, set()
    for part in split_page(expanded):
        if part[0] == "prose":
            pending.append(part[1])
            continue
        fence = fences.pop(0)
        if not part[2].startswith("python"):
            pending.append(f"```\n{part[1]}\n```")
            continue
        if fence[2] != "cont":
            block_index += 1
        block = blocks[block_index]
        if fence[1]:
            pending.append(f"*{fence[1]}*")
        if block.file in codeblocks.RUN_ARGS and block.file not in notes:
            notes.add(block.file)
            pending.append(WORDS[lang]["short"].format(f"`{' '.join(codeblocks.RUN_ARGS[block.file])}`"))
        text = rewrite_links("\n\n".join(pending), page, lang, site_url)
        if prose := prose_cell(text).strip():
            cells.append(("markdown", prose))
        pending = []
        if fence[2] == "cont":
            cells.append(("code", part[1].rstrip("\n")))
        else:
            cells += [("code", cell) for cell in reader_cells(block)]
    if prose := prose_cell(rewrite_links("\n\n".join(pending), page, lang, site_url)).strip():
        cells.append(("markdown", prose))
    return cells, blocks


def notebook_text(cells) -> str:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for index, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, id=f"cell-{index}"))  # fixed ids: identical output each build
    return nbformat.writes(nb) + "\n"


def code_zip(blocks, root: Path = ROOT) -> bytes:
    """Every file the page shows, whole, in one folder; fixed timestamps, so builds are identical."""
    paths = sorted({path for block in blocks for path, _ in block.includes})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(Path(path).name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / path).read_bytes())
    return buffer.getvalue()


def download_names(page: Path, lang: str) -> tuple[str, str]:
    stem = page.name.removesuffix(".md").removesuffix(f".{lang}")
    suffix = "" if lang == "en" else f".{lang}"
    return f"{stem}{suffix}.ipynb", f"{stem}-code{suffix}.zip"


def steps(cells):
    """The runner's steps for a notebook's code cells (``%%writefile``, ``%run``, plain code)."""
    out = []
    for index, (kind, source) in enumerate(cells):
        if kind != "code":
            continue
        where = f"cell {index}"
        first, _, body = source.partition("\n")
        if first.startswith("%%writefile "):
            out.append({"where": f"{where} ({first})", "write": first.split()[1], "code": body + "\n"})
        elif first.startswith("%run ") and not body:
            name, *args = first.split()[1:]
            out.append({"where": f"{where} ({first})", "run": name, "args": args})
        else:
            out.append({"where": where, "code": source})
    return out


def run_notebook(cells, folder: Path | None = None, timeout: int = 600) -> list[dict]:
    """Execute the notebook's code cells in order in an empty folder; one outcome per cell.

    A cell that hangs past ``timeout`` is reported as such, by the cell that was running.
    """
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
               CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as scratch:
        folder = folder or Path(scratch)
        process = subprocess.Popen([sys.executable, "-I", str(RUNNER)], cwd=folder, env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            out, err = process.communicate(json.dumps(steps(cells)), timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            started = [json.loads(line)["start"] for line in out.splitlines() if '"start"' in line]
            return [{"where": started[-1] if started else "start", "ok": False,
                     "error": f"still running after {timeout} s"}]
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"start"' not in line]
    if process.returncode != 0:
        results.append({"where": "interpreter", "ok": False, "error": f"exit {process.returncode}: {err[-2000:]}"})
    return results


def main(argv: list[str]) -> int:
    run = "--run" in argv
    argv = [a for a in argv if a != "--run"]
    page = Path(argv[0]).resolve()
    out_dir = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    lang = "zh" if page.name.endswith(".zh.md") else "en"
    cells, blocks = chapter_cells(page.read_text(encoding="utf-8"), page, lang)
    notebook, archive = download_names(page, lang)
    (out_dir / notebook).write_text(notebook_text(cells), encoding="utf-8")
    (out_dir / archive).write_bytes(code_zip(blocks))
    print(out_dir / notebook, out_dir / archive)
    failed = 0
    if run:
        for result in run_notebook(cells):
            failed += not result["ok"]
            print(result["where"], "ok" if result["ok"] else result["error"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
