"""Notebooks: the CNN recipe notebook runs on its own; every chapter downloads as a notebook and a .zip; no published notebook keeps a relative link."""
import json
import re
import runpy
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from buildtools.codeblocks import whole_file
from buildtools.notebooks import build_notebooks
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def notebooks():
    paths = {p.name: p for p in build_notebooks(ROOT)}
    return {name: nbformat.read(path, as_version=4) for name, path in paths.items()}


def code_cells(nb):
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_code_cells_are_the_snippet_files(notebooks):
    cells = code_cells(notebooks["cnn-recipe.ipynb"])
    written = []
    for source in cells[:-1]:
        first, _, body = source.partition("\n")
        name = re.fullmatch(r"%%writefile (\w+\.py)", first).group(1)
        assert body == whole_file(f"snippets/cnn_recipe/{name}").rstrip("\n")
        written.append(name)
    # every module of the program, each before the modules that import it
    assert written == ["cnn_models.py", "cnn_data.py", "cnn_optim.py", "cnn_checkpoint.py",
                       "cnn_distributed.py", "cnn_train.py"]
    assert cells[-1] == whole_file("snippets/cnn_recipe/cnn_notebook_run.py").rstrip("\n")


def test_both_languages_have_the_same_code_and_their_own_prose(notebooks):
    from buildtools.code_translation import significant_tokens, texts

    en, zh = notebooks["cnn-recipe.ipynb"], notebooks["cnn-recipe.zh.ipynb"]
    assert len(code_cells(en)) == len(code_cells(zh))
    for en_cell, zh_cell in zip(code_cells(en), code_cells(zh)):
        strip = lambda cell: cell.removeprefix(cell.partition("\n")[0]) if cell.startswith("%%") else cell  # noqa: E731
        assert significant_tokens(strip(zh_cell)) == significant_tokens(strip(en_cell))
        assert all(re.search(r"[\u4e00-\u9fff]", key) for _, key, _ in texts(strip(zh_cell)))
    assert "程序文件" in zh.cells[0].source + "".join(c.source for c in zh.cells if c.cell_type == "markdown")
    assert not re.search(r"[\u4e00-\u9fff]", "".join(c.source for c in en.cells if c.cell_type == "markdown"))


def test_cells_run_in_order_in_an_empty_folder(notebooks, tmp_path, monkeypatch, capsys):
    # The cells alone must be enough: write each module as %%writefile would, then run the last
    # cell with its own options plus a short configuration (one epoch on 300 images).
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    cells = code_cells(notebooks["cnn-recipe.ipynb"])
    for source in cells[:-1]:
        first, _, body = source.partition("\n")
        (tmp_path / first.split()[1]).write_text(body + "\n")
    (tmp_path / "run_cell.py").write_text(cells[-1])
    for module in ("cnn_train", "cnn_data", "cnn_models", "cnn_optim", "cnn_checkpoint"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    namespace = runpy.run_path(str(tmp_path / "run_cell.py"), run_name="not_main")
    status = namespace["main"](namespace["ARGS"] + ["--epochs", "1", "--limit-images", "300"])
    assert status == 0
    assert (tmp_path / "runs/notebook/last.pt").is_file()
    assert namespace["main"].__module__ == "cnn_train" and sys.modules["cnn_train"].__file__.startswith(str(tmp_path))


def test_headings_keep_their_ids_and_the_paragraph_after_them():
    from buildtools.notebooks import markdown_cell

    cell = markdown_cell("# Title { #top }\n\nA [link](x/) after it.\n\n## 小节 { #part }\n\n正文")
    assert cell == '<h1 id="top">Title</h1>\n\nA [link](x/) after it.\n\n<h2 id="part">小节</h2>\n\n正文'


def test_notebook_pages_render_in_both_languages_with_a_download(built_site):
    for lang, name, marker in (("", "cnn-recipe.ipynb", "The program"), ("zh/", "cnn-recipe.zh.ipynb", "程序文件")):
        folder = built_site.site / f"{lang}notebooks/cnn-recipe"
        page = (folder / "index.html").read_text(encoding="utf-8")
        assert "jp-Cell" in page and marker in page
        assert "](../../cnn-recipe/)" not in page  # Markdown after a heading is rendered, not left raw
        assert not page.lstrip().startswith("{")  # rendered, not raw JSON
        assert f'href="{name}"' in page and " download>" in page
        json.loads((folder / name).read_text(encoding="utf-8"))  # the download is a real notebook


CHAPTERS = ["lr-decay", "gradient-clipping", "optimizers", "batch-norm", "combinations", "distributed"]


def test_every_published_notebook_works_outside_the_site(built_site):
    from buildtools.nblinks import relative_links

    published = sorted(built_site.site.rglob("*.ipynb"))
    assert len(published) == 2 * (len(CHAPTERS) + 1)  # the chapters and the CNN notebook, two languages
    for path in published:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert relative_links(cell.source) == [], f"{path.relative_to(built_site.site)}: {cell.source[:200]}"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("chapter", CHAPTERS + ["cnn-recipe"])
def test_each_chapter_downloads_its_notebook_and_its_code(built_site, chapter, lang):
    from buildtools.chapter_notebooks import chapter_cells, download_names
    from buildtools.codeblocks import whole_file

    page = ROOT / "docs" / (f"{chapter}.md" if lang == "en" else f"{chapter}.{lang}.md")
    folder = built_site.site / ("" if lang == "en" else f"{lang}/") / chapter
    html = (folder / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="md-button" href="([^"]+)" download>', html)
    assert len(links) == 2, links
    for href in links:
        assert (folder / href).resolve().is_file(), href
    chapter_notebook = chapter_cells(page.read_text(encoding="utf-8"), page, lang)
    included = sorted({path for block in chapter_notebook.blocks for path, _ in block.includes})
    notebook_name, zip_name = download_names(page, lang)
    with zipfile.ZipFile(folder / zip_name) as archive:
        assert archive.namelist() == [Path(p).name for p in included]
        for path in included:  # each file as the page shows it whole
            assert archive.read(Path(path).name).decode() == whole_file(path, chinese=lang == "zh")
    if chapter != "cnn-recipe":  # the recipe offers its own notebook page
        published = nbformat.read(folder / notebook_name, as_version=4)
        assert [(c.cell_type, c.source) for c in published.cells] == chapter_notebook.cells


def test_no_page_loads_a_script_from_an_empty_address(built_site):
    for page in built_site.site.rglob("*.html"):
        assert not re.search(r'<script[^>]*\ssrc=""', page.read_text(encoding="utf-8")), page
