"""What a reader copies runs as copied: every page in both languages, under the reader model.

The reader model is written down in ``buildtools/codeblocks.py`` and on the contributing page. Each
page is expanded as the build expands it, its blocks are extracted by pytest-codeblocks, checked
(titles, imports, continuations, skips), turned into the chapter's notebook and executed cell by
cell in a fresh interpreter in an empty folder, on one CPU thread. The notebook a reader downloads
is exactly what runs here.
"""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from buildtools import code_translation, codeblocks
from buildtools.chapter_notebooks import chapter_cells, run_notebook, same_program
from buildtools.cjk import HAN
from tests.conftest import ROOT

PAGES = sorted(p for p in (ROOT / "docs").glob("*.md"))
MAX_SKIPPED = 0.05
COUNTS = {}  # page -> (ran, skipped), printed at the end of the session (tests/conftest.py)


def lang_of(page):
    return "zh" if page.name.endswith(".zh.md") else "en"


@pytest.fixture(scope="session")
def chapters():
    return {page.name: chapter_cells(page.read_text(encoding="utf-8"), page, lang_of(page)) for page in PAGES}


def english_twin(chapters, name):
    """The English page whose program a Chinese page runs unchanged (comments and docstrings aside), or None."""
    english = name.replace(".zh.md", ".md")
    if name == english or english not in chapters:
        return None
    return english if same_program(chapters[name], chapters[english]) else None


@pytest.fixture(scope="session")
def runs(chapters, pytestconfig):
    """Every page's notebook executed, two pages at a time (each on one thread). A Chinese page whose
    program is its English page's, token for token, shares that run: only comments and docstrings
    differ, and they change nothing that runs."""
    pytestconfig.handbook_block_counts = COUNTS
    with_code = {name: chapter for name, chapter in chapters.items() if chapter.blocks}
    twins = {name: twin for name in with_code if (twin := english_twin(chapters, name))}
    pytestconfig.handbook_shared_runs = twins
    to_run = {name: chapter for name, chapter in with_code.items() if name not in twins}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(to_run, pool.map(run_notebook, to_run.values())))
    for name, twin in twins.items():
        results[name] = [dict(r, where=f"{r['where']} (run for {twin}: {name} runs the same program)") for r in results[twin]]
    for name, chapter in with_code.items():
        skipped = sum(block.skip for block in chapter.blocks)
        COUNTS[name] = (len(chapter.blocks) - skipped, skipped)
    return results


def test_some_pages_have_code(chapters):
    assert sum(len(c.blocks) for c in chapters.values()) > 100


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_blocks_follow_the_reader_model(chapters, page):
    assert codeblocks.problems(chapters[page].blocks) == []


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_block_runs_as_pasted(runs, chapters, page):
    if not chapters[page].blocks:
        return
    failures = [f"{r['where']}: {r['error']}\n{r.get('traceback', '')}"
                + (f"the process's last output:\n{r['process_output']}" if "process_output" in r else "")
                for r in runs[page] if not r["ok"]]
    assert not failures, "\n".join(failures)
    ran = sum(kind == "code" and not chapters[page].origin[index].skip
              for index, (kind, _) in enumerate(chapters[page].cells))
    assert len(runs[page]) == ran  # every cell reported, none lost


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_notebook_cells_are_the_page_blocks(chapters, page):
    chapter = chapters[page]
    shown = {}
    for index, (kind, source) in enumerate(chapter.cells):
        if kind != "code" or re.fullmatch(r"%run \S+.*", source):
            continue
        block = chapter.origin[index]
        if source.startswith("%%writefile "):
            first, _, source = source.partition("\n")
            assert first == f"%%writefile {block.file}"
        shown.setdefault(id(block), []).append(source.rstrip("\n"))
    def lines(text):  # blank lines aside: the merge of a continued block may add or drop some
        return [line for line in text.splitlines() if line.strip()]

    for block in chapter.blocks:
        assert lines("\n".join(shown.pop(id(block)))) == lines(block.code), block.where
    assert not shown


def test_few_blocks_are_skipped(runs):
    ran = sum(r for r, _ in COUNTS.values())
    skipped = sum(s for _, s in COUNTS.values())
    assert ran > 100 and skipped <= MAX_SKIPPED * (ran + skipped), COUNTS


def test_the_checks_catch_what_reviewers_found(tmp_path):
    # a section without its imports, a part titled as the whole file, an unmarked continuation
    page = ('```python title="snippets/lr_decay/schedules.py"\n'
            '--8<-- "snippets/lr_decay/schedules.py:convert"\n```\n\n'
            '<!--pytest-codeblocks:cont-->\n'
            '```python title="snippets/lr_decay/schedules.py (conversion)"\n'
            '--8<-- "snippets/lr_decay/schedules.py:convert"\n```\n')
    found = codeblocks.problems(codeblocks.page_blocks(page, "demo.md"))
    assert any("titled as a whole file" in p for p in found)
    assert any("uses math" in p for p in found)
    assert any("must say so" in p for p in found)


def test_a_failing_block_is_named_with_its_page_line_and_title(tmp_path):
    page = tmp_path / "demo.md"
    page.write_text('# Demo { #demo }\n\n```python title="snippets/lr_decay/schedules.py (conversion)"\n'
                    '--8<-- "snippets/lr_decay/schedules.py:imports"\n'
                    '--8<-- "snippets/lr_decay/schedules.py:convert"\n```\n')
    chapter = chapter_cells(page.read_text(), page, "en")
    # os.write: below Python's streams, as a crashing child process or C++ code writes
    chapter.cells[-1] = ("code", chapter.cells[-1][1] + "\nimport os\nos.write(2, b'written at fd 2\\n')\n"
                                 "print(k_from_gamma(0))\n")
    chapter.cells.append(chapter.cells[-1])  # the same block failing a second time
    chapter.origin[len(chapter.cells) - 1] = chapter.origin[len(chapter.cells) - 2]
    result, again = run_notebook(chapter)
    assert not result["ok"] and "demo.md:3" in result["where"] and "(conversion)" in result["where"]
    assert "ValueError: math domain error" in result["error"] and not again["ok"]
    assert "written at fd 2" in result["process_output"]  # the failure message shows it, once:
    assert "process_output" not in again  # it is the whole process's output, not the cell's


def test_a_chinese_page_shares_the_english_run_only_when_its_program_is_the_same(tmp_path):
    def chapter(code, name="demo.md"):
        page = tmp_path / name
        page.write_text(f"# Demo {{ #demo }}\n\n```python\n{code}\n```\n", encoding="utf-8")
        return chapter_cells(page.read_text(encoding="utf-8"), page, "en")
    english = chapter('x = 1  # one\n"""Not a docstring: a value."""')
    assert same_program(chapter('x = 1  # 一\n"""Not a docstring: a value."""'), english)
    assert not same_program(chapter('x = 2  # one\n"""Not a docstring: a value."""'), english)
    assert not same_program(chapter('x = 1  # one\n"""不是文档字符串，是一个值。"""'), english)
    assert not same_program(chapter('x = 1  # one\n"""Not a docstring: a value."""\nprint(x)'), english)


def test_titles_on_chinese_pages_are_chinese():
    page = '```python title="snippets/lr_decay/schedules.py (conversion)"\n--8<-- "snippets/lr_decay/schedules.py"\n```\n'
    found = codeblocks.problems(codeblocks.page_blocks(page, "docs/demo.zh.md"))
    assert any("in English: (conversion)" in p for p in found)


@pytest.mark.parametrize("page", [p.name for p in PAGES if p.name.endswith(".zh.md")])
def test_chinese_blocks_are_the_tested_code_with_chinese_comments(chapters, page):
    """Token for token the English block but comments and docstrings, and those are all Chinese."""
    zh, en = ([f for f in codeblocks.fenced(chapters[name].expanded) if f.info.startswith("python")]
              for name in (page, page.replace(".zh.md", ".md")))
    assert len(zh) == len(en)
    for zh_fence, en_fence in zip(zh, en):
        where = f"{page}: block {codeblocks.TITLE.search(zh_fence.info)[1]}"
        assert code_translation.significant_tokens(zh_fence.body) == code_translation.significant_tokens(en_fence.body), where
        english = [key for _, key, _ in code_translation.texts(zh_fence.body) if not HAN.search(key)]
        assert not english, f"{where}: English left in a comment or docstring: {english}"


def test_an_untranslated_comment_is_named_with_its_file():
    code = '"""Doc."""\nx = 1  # a new comment\n'
    with pytest.raises(code_translation.TranslationError) as error:
        code_translation.translate(code, {"Doc.": "文档。"}, where="docs/x.zh.md [snippets/lr_decay/new.py]")
    message = str(error.value)
    assert "'a new comment'" in message and "snippets/lr_decay/code.zh.yml" in message
    assert code_translation.translate(code, {"Doc.": "文档。", "a new comment": "新注释"}) == \
        '"""文档。"""\nx = 1  # 新注释\n'


def test_an_empty_or_english_translation_is_refused(tmp_path):
    (tmp_path / "code.zh.yml").write_text('"a comment":\n"another": "still English"\n', encoding="utf-8")
    with pytest.raises(code_translation.TranslationError, match="no Chinese text for 'a comment' and 1 more"):
        code_translation.load(tmp_path)


# A PyTorch error or warning quoted on a page, as inline code: ``Type: message`` or `Type: message`
QUOTED = re.compile(r"``\s?((?:\w+\.)*\w+(?:Error|Warning): .+?)\s?``|(?<!`)`((?:\w+\.)*\w+(?:Error|Warning): [^`]+)`")
MUST_QUOTE = {  # the errors and warnings the chapters explain, so that a pasted message finds them
    "lr-decay": ["UserWarning: Detected call of `lr_scheduler.step()` before `optimizer.step()`."],
    "gradient-clipping": ["RuntimeError: The total norm of order 2.0 for gradients from `parameters` is non-finite"],
    "batch-norm": ["ValueError: Expected more than 1 value per channel when training"],
    "combinations": ["ZeroDivisionError: 0.0 cannot be raised to a negative power"],
    "cnn-recipe": ["RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x4608 and 3200x10)"],
    "distributed": ["UserWarning: Detected call of `lr_scheduler.step()` before `optimizer.step()`."],
}


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_quoted_errors_are_what_the_pages_code_prints(runs, chapters, page):
    """Every error or warning a page quotes is printed, verbatim, by running that page's code."""
    quotes = [a or b for a, b in QUOTED.findall((ROOT / "docs" / page).read_text(encoding="utf-8"))]
    stem = page.removesuffix(".md").removesuffix(".zh")
    for required in MUST_QUOTE.get(stem, []):
        assert any(q.startswith(required) for q in quotes), f"{page} does not quote {required!r}"
    if not quotes:
        return
    printed = "".join(result.get("output", "") for result in runs[page])
    for quote in quotes:
        assert quote in printed, f"{page} quotes {quote!r}, which running its code does not print"


NOT_SCRIPTED = {  # snippet files run elsewhere with settings of their own, and why
    "snippets/cnn_recipe/cnn_notebook_run.py": "the notebook's run cell: tests/test_notebooks.py runs it "
                                               "with one epoch on 300 images",
}


def test_every_snippet_not_shown_whole_runs_as_a_script(chapters, tmp_path):
    """A file shown whole runs above, as the reader runs it; every other one runs here as a script
    (its topic's files in an empty folder, one thread, a time limit), so no demo goes untested."""
    import os
    import shutil
    import subprocess
    import sys

    shown_whole = {block.includes[0][0] for chapter in chapters.values() for block in chapter.blocks if block.file}
    rest = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "snippets").rglob("*.py"))
    rest = [path for path in rest if path not in shown_whole and path not in NOT_SCRIPTED]
    assert rest, "every file is shown whole: this test can go"
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", CUDA_VISIBLE_DEVICES="")

    def run(index_and_path):  # each script in a copy of its topic of its own: two run at a time
        index, path = index_and_path
        folder = tmp_path / str(index) / Path(path).parent.name
        shutil.copytree(ROOT / Path(path).parent, folder, ignore=shutil.ignore_patterns("__pycache__"))
        try:
            result = subprocess.run([sys.executable, Path(path).name], cwd=folder, env=env,
                                    capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired as error:
            return f"{path}: still running after 120 s; its last output: {str(error.stdout)[-500:]}"
        if result.returncode != 0:
            return f"{path} failed:\n{result.stderr[-2000:]}"
        return None if result.stdout.strip() else f"{path} printed nothing"

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [failure for failure in pool.map(run, enumerate(rest)) if failure]
    assert not failures, "\n".join(failures)
