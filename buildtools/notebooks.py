"""Build the site's Jupyter notebooks from Markdown sources whose code cells are snippet files.

``notebooks/<name>.md`` (English) and ``notebooks/<name>.zh.md`` (Chinese) are Markdown with code
fences that hold only include lines, exactly like pages. Each such fence becomes a code cell with
the file's text; a fence opened with ```` ```python writefile ```` gets a ``%%writefile <file>``
first line, so that later cells can import the module, as the snippets import their siblings.
In the Chinese notebook the code's comments and docstrings are Chinese (buildtools.code_translation).
Everything else becomes Markdown cells, in which a heading's ``{ #id }`` becomes an HTML heading
with that id (Jupyter's Markdown has no attribute syntax, and would give Chinese headings no id). The notebooks are written to ``docs/notebooks/`` (build
outputs, not committed) and rendered by mkdocs-jupyter, with a download button.

CLI: ``python -m buildtools.notebooks`` writes them outside MkDocs.
"""
import re
import sys
from pathlib import Path

import nbformat

from buildtools.cjk import join_cjk_lines
from buildtools.codeblocks import whole_file
from buildtools.nblinks import rewrite_links

ROOT = Path(__file__).resolve().parent.parent
CELL = re.compile(r'^```python(?P<writefile> writefile)?\n--8<-- "(?P<path>[^"]+)"\n```\n?', re.M)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*\{[ \t]*#([\w-]+)[ \t]*\}[ \t]*$", re.M)
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def markdown_cell(text: str) -> str:
    text = join_cjk_lines(text.strip())
    return HEADING.sub(lambda m: f'<h{len(m[1])} id="{m[3]}">{m[2]}</h{len(m[1])}>', text)


def cells_from_markdown(text: str, root: Path = ROOT, source: Path | None = None, site_url: str = ""):
    """(kind, source) pairs: Markdown between the include fences, code from the included files.

    Links are written as between pages, relative to ``docs/notebooks/``, and made to work outside
    the site (``buildtools.nblinks``).
    """
    cells, last = [], 0
    page = root / "docs" / "notebooks" / (source.name if source else "notebook.md")
    lang = "zh" if page.name.endswith(".zh.md") else "en"

    def prose(chunk):
        return markdown_cell(rewrite_links(chunk, page, lang, site_url))

    for match in CELL.finditer(text):
        if text[last:match.start()].strip():
            cells.append(("markdown", prose(text[last:match.start()])))
        path = root / match["path"]
        # as a page shows the file: section markers removed; on the Chinese notebook, Chinese comments
        code = whole_file(match["path"], root, chinese=lang == "zh").rstrip("\n")
        if match["writefile"]:
            code = f"%%writefile {path.name}\n{code}"
        cells.append(("code", code))
        last = match.end()
    if text[last:].strip():
        cells.append(("markdown", prose(text[last:])))
    return cells


def notebook(cells) -> str:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for index, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, id=f"cell-{index}"))  # fixed ids: identical output each build
    return nbformat.writes(nb) + "\n"


def build_notebooks(root: Path = ROOT, site_url: str = "") -> list[Path]:
    """Write every notebook whose text changed; remove stale ones; return the written paths."""
    out_dir = root / "docs" / "notebooks"
    written = []
    for source in sorted((root / "notebooks").glob("*.md")):
        target = out_dir / source.name.replace(".md", ".ipynb")
        text = notebook(cells_from_markdown(source.read_text(encoding="utf-8"), root, source, site_url))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        written.append(target)
    for stale in set(out_dir.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


if __name__ == "__main__":
    for path in build_notebooks():
        print(path.relative_to(ROOT))
    sys.exit(0)
