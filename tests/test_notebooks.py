"""The CNN recipe notebook: its cells are the tested snippets, they run on their own, both languages render."""
import json
import re
import runpy
import sys

import nbformat
import pytest

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
    assert len(cells) == 7
    for source in cells[:-1]:
        first, _, body = source.partition("\n")
        name = re.fullmatch(r"%%writefile (\w+\.py)", first).group(1)
        assert body == (ROOT / "snippets/cnn_recipe" / name).read_text().rstrip("\n")
    assert cells[-1] == (ROOT / "snippets/cnn_recipe/cnn_notebook_run.py").read_text().rstrip("\n")


def test_both_languages_have_the_same_code_and_their_own_prose(notebooks):
    en, zh = notebooks["cnn-recipe.ipynb"], notebooks["cnn-recipe.zh.ipynb"]
    assert code_cells(en) == code_cells(zh)
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
    for module in ("cnn_train", "cnn_data", "cnn_models", "cnn_optim", "cnn_checkpoint", "cnn_progress"):
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
