"""The code a reader copies from a page: its blocks with the includes expanded exactly as the build does.

The reader model (written down for contributors in docs/contributing.md):

- a reader copies a page's Python blocks in reading order into one folder and one interpreter;
- a block whose title is a file name (``snippets/lr_decay/schedules.py``, nothing after it) shows
  that whole file: the reader saves it under its name (``schedules.py``) and runs it, as
  ``%%writefile`` and ``%run`` do in the chapter's notebook; a later block may import it;
- every other block runs as pasted, on its own: it carries its imports and defines what it uses,
  except a block marked ``<!--pytest-codeblocks:cont-->`` whose title says it continues the one
  above (``… (training, continued)``, ``…（训练，接上）``);
- a block may be left out of the run only with ``<!--pytest-codeblocks:skip-->`` and a title that
  tells the reader why (``…: not run by the tests, …`` / ``…：测试不运行…``).

``expand`` runs pymdownx.snippets' own preprocessor with the options of ``mkdocs.yml``; the
blocks are extracted by ``pytest_codeblocks.extract_from_buffer``, which honours its marks.

CLI: ``python -m buildtools.codeblocks PAGE.md`` lists the page's blocks and any rule they break.
"""
import builtins
import io
import re
import symtable
import sys
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import markdown
from pymdownx.snippets import SnippetPreprocessor
from pytest_codeblocks import extract_from_buffer

from buildtools import code_translation
from buildtools.cjk import HAN

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$', re.M)
TITLE = re.compile(r'title="([^"]*)"')
FILE_TITLE = re.compile(r"(?:[\w.-]+/)*(?P<name>[\w-]+\.py)")
MARK = re.compile(r"^\s*<!--\s*pytest-codeblocks:(?P<mark>[\w-]+)\s*-->\s*$")
CONTINUED = ("continued", "接上")
NOT_RUN = ("not run by the tests", "测试不运行")
# A file with a command line runs with a short budget; the page and the notebook state these.
RUN_ARGS = {"cnn_train.py": ["--epochs", "1", "--limit-images", "300", "--out-dir", "runs/short"]}
MODULE_NAMES = {"__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__"}


@lru_cache(maxsize=None)
def snippet_options(config_file: Path = ROOT / "mkdocs.yml") -> dict:
    """pymdownx.snippets' options as MkDocs resolves them from the config (``!relative`` included)."""
    from mkdocs.config import load_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = load_config(str(config_file))
    return dict(config.mdx_configs["pymdownx.snippets"])


def expand(text: str, options: dict | None = None, page: str = "") -> str:
    """The page with every ``--8<--`` include replaced by the code the build shows.

    On a Chinese page (``page`` ends in ``.zh.md``) comments and docstrings are shown in Chinese
    (``buildtools.code_translation``).
    """
    options = snippet_options() if options is None else options
    md = markdown.Markdown(extensions=["pymdownx.snippets"],
                           extension_configs={"pymdownx.snippets": options})
    processor = md.preprocessors["snippet"]
    assert isinstance(processor, SnippetPreprocessor)
    expanded = "\n".join(processor.run(text.split("\n")))
    return translate_code(expanded, page) if is_chinese(page) else expanded


def is_chinese(page: str) -> bool:
    return str(page).endswith(".zh.md")


@dataclass
class Block:
    """One block as a reader copies it (a continued block already merged into the one it continues)."""
    page: str
    lineno: int       # line of the opening fence in the page source
    title: str
    code: str
    includes: list    # (path, section or None) of the include lines
    skip: bool = False
    continued: list = field(default_factory=list)  # titles of the blocks merged into this one

    @property
    def file(self) -> str | None:
        """The file name a reader saves this block as, when it shows one whole file."""
        if len(self.includes) == 1 and self.includes[0][1] is None and not self.continued:
            return Path(self.includes[0][0]).name
        return None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.lineno} [{self.title or 'untitled'}]"


def _extract(text: str):
    with warnings.catch_warnings():  # its skip mark is "deprecated" in favour of pytest marks
        warnings.simplefilter("ignore", DeprecationWarning)
        return extract_from_buffer(io.StringIO(text))


@dataclass
class Fence:
    """A fenced block of Markdown: lines ``start`` (the opening fence) to ``end`` (the closing one)."""
    start: int
    end: int
    indent: str
    info: str        # what follows the backticks: ``python title="..."``
    body: str        # the code, without the fence's indentation


def fenced(text: str):
    """Every fenced block of the text, in order."""
    lines, index = text.split("\n"), 0
    while index < len(lines):
        stripped = lines[index].lstrip()
        if stripped.startswith("```"):
            indent = lines[index][: len(lines[index]) - len(stripped)]
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            start, body, index = index, [], index + 1
            while index < len(lines) and not lines[index].lstrip().startswith(fence):
                line = lines[index]
                body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
                index += 1
            yield Fence(start, index, indent, stripped[len(fence):], "\n".join(body))
        index += 1


def source_fences(source: str):
    """(lineno, title, mark, include lines) of every fence in the page source, in order; the mark
    is the pytest-codeblocks mark on the line before the fence (blank lines between allowed)."""
    lines, found = source.split("\n"), []
    for fence in fenced(source):
        before = next((line for line in reversed(lines[:fence.start]) if line.strip()), "")
        mark = MARK.match(before)
        title = TITLE.search(fence.info)
        found.append((fence.start + 1, title[1] if title else "", mark["mark"] if mark else None,
                      [(m["path"], m["section"]) for m in INCLUDE.finditer(fence.body)]))
    return found


def translate_code(expanded: str, page: str) -> str:
    """A Chinese page's expanded Markdown with every Python block's comments and docstrings in Chinese."""
    lines = expanded.split("\n")
    for fence in reversed(list(fenced(expanded))):
        if not fence.info.startswith("python"):
            continue
        title = TITLE.search(fence.info)
        where = f"{page} [{title[1] if title else 'untitled'}]"
        code = code_translation.translate(fence.body + "\n", where=where).rstrip("\n")
        lines[fence.start + 1:fence.end] = [fence.indent + line for line in code.split("\n")]
    return "\n".join(lines)


def page_blocks(source: str, page: str, options: dict | None = None, expanded: str | None = None) -> list[Block]:
    """The Python blocks of a page, as the reader copies them, from its source Markdown."""
    expanded = expand(source, options, page) if expanded is None else expanded
    fences = source_fences(source)
    raw = _extract(expanded)
    # extract_from_buffer merges continued blocks; replay its merging on the source's fences
    blocks, cursor = [], 0
    for lineno, title, mark, includes in fences:
        if mark == "cont" and blocks:
            blocks[-1].continued.append(title)
            blocks[-1].includes += includes
            continue
        code = raw[cursor].code
        syntax = raw[cursor].syntax or ""
        cursor += 1
        if not syntax.startswith("python"):
            continue
        blocks.append(Block(page, lineno, title, code, list(includes), skip=mark == "skip"))
    assert cursor == len(raw), f"{page}: {len(raw)} blocks extracted, {cursor} fences in the source"
    return blocks


def free_names(code: str) -> set[str]:
    """Global names the code reads but never binds (nor are builtins): what it needs from elsewhere."""
    top = symtable.symtable(code, "<block>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()
             or s.is_namespace()}
    used, tables = set(), [top]
    while tables:
        table = tables.pop()
        tables += table.get_children()
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global()):
                used.add(symbol.get_name())
    return used - bound - set(dir(builtins)) - MODULE_NAMES


def whole_file(path: str, root: Path = ROOT, chinese: bool = False) -> str:
    """A snippet file as a whole-file include shows it (section markers removed), in Chinese if asked."""
    text = (root / path).read_text(encoding="utf-8")
    text = "".join(line for line in text.splitlines(keepends=True)
                   if not re.match(r"^\s*#\s*--8<--\s*\[(start|end):", line))
    return code_translation.translate(text, where=path) if chinese else text


def problems(blocks: list[Block], root: Path = ROOT) -> list[str]:
    """Where a page's blocks break the reader model, before anything runs."""
    found = []
    for block in blocks:
        bare = FILE_TITLE.fullmatch(block.title)
        part = FILE_TITLE.sub("", block.title, count=1).strip()
        if block.page.endswith(".zh.md") and part and not HAN.search(part):
            found.append(f"{block.where}: the title of a block on a Chinese page is in English: {part}")
        if block.file and not bare:
            found.append(f"{block.where}: shows the whole file {block.includes[0][0]}: title it with the path alone")
        if bare and not block.file:
            found.append(f"{block.where}: titled as a whole file but shows part of it: name the part, "
                         "e.g. 'file.py (section)'")
        shown = block.file and whole_file(block.includes[0][0], root, is_chinese(block.page))
        if block.file and block.code.rstrip("\n") != shown.rstrip("\n"):
            found.append(f"{block.where}: differs from {block.includes[0][0]}")
        for title in block.continued:
            if not any(word in title for word in CONTINUED):
                found.append(f"{block.page} [{title}]: continues the block above; its title must say so "
                             f"({' or '.join(CONTINUED)})")
        if block.skip and not any(word in block.title for word in NOT_RUN):
            found.append(f"{block.where}: skipped with no reason the reader sees "
                         f"(the title must say '{NOT_RUN[0]}: why' or '{NOT_RUN[1]}：原因')")
        if not block.file:
            try:
                missing = free_names(block.code)
            except SyntaxError as error:
                found.append(f"{block.where}: does not parse: {error}")
                continue
            if missing:
                found.append(f"{block.where}: uses {', '.join(sorted(missing))}, defined in no import or "
                             "line of the block (show the imports, or mark it as continuing the block above)")
    return found


def main(argv: list[str]) -> int:
    bad = 0
    for name in argv:
        path = Path(name).resolve()
        blocks = page_blocks(path.read_text(encoding="utf-8"), name)
        for block in blocks:
            print(f"{block.where}{'  -> ' + block.file if block.file else ''}{'  (skipped)' if block.skip else ''}")
        issues = problems(blocks)
        bad += len(issues)
        print("\n".join(issues))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
