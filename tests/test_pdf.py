"""The PDF edition: both languages printed from the built site (buildtools.pdf), read back with pypdf.

Skips with buildtools.browser.INSTALL_HINT where Chromium is missing, fails under CI
(HANDBOOK_REQUIRE_BROWSER=1), like the browser tests. HANDBOOK_SITE_DIR=<folder> prints an already
built site instead of building one.
"""
import html
import os
import re
import shutil
from pathlib import Path

import pypdf
import pytest

from buildtools.browser import site_pages
from buildtools.pdf import LANGUAGES, LEFT_OUT, TEXTS, add_home_links
from tests.browser.conftest import require_browser
from tests.conftest import ROOT, PdfRun

H1 = re.compile(r'<h1 id="[^"]*">(.*?)<a class="headerlink"', re.S)
H2 = re.compile(r'<h2 id="[^"]*">(.*?)<a class="headerlink"', re.S)
FIGURE = re.compile(r'<img [^>]*src="[^"]*figures/[^"]*\.svg(?:#only-light)?"')  # one per figure
TEX = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)
CROSS_PAGE = re.compile(r'<a href="\.\./([a-z-]+)/')
RADICALS = re.compile(r"[\u2e80-\u2fdf]")  # what a CJK font's shared glyphs extract as, unfixed


@pytest.fixture(scope="module")
def site(request) -> Path:
    require_browser()
    if os.environ.get("HANDBOOK_SITE_DIR"):
        return Path(os.environ["HANDBOOK_SITE_DIR"]).resolve()
    return request.getfixturevalue("built_site").site


@pytest.fixture(scope="module")
def pdfs(site, request, tmp_path_factory) -> dict:
    started = getattr(request.config, "handbook_pdf_run", None)  # by tests/conftest.py's built_site
    if started is None or started.site != site:
        started = PdfRun.start(site, tmp_path_factory.mktemp("pdf"))
    out = started.wait()
    return {lang: pypdf.PdfReader(out / f"handbook.{lang}.pdf") for lang in LANGUAGES}


def nav_order() -> list[str]:
    """The pages of mkdocs.yml's nav in order, as site paths ('', 'lr-decay/', ...)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    files = re.findall(r":\s*(\S+)\.(?:md|ipynb)\s*$", nav, re.M)
    return ["" if f == "index" else f + "/" for f in files]


def printed_pages(site: Path, lang: str) -> list[str]:
    """The article of each page the PDF of `lang` holds, in nav order."""
    prefix = LANGUAGES[lang]
    built = set(site_pages(site))
    pages = [(site / prefix / rel / "index.html").read_text(encoding="utf-8")
             for rel in nav_order() if not rel.startswith(LEFT_OUT) and prefix + rel in built]
    return [page[page.index("<article"):page.index("</article>")] for page in pages]


def text_of_html(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def titles(site: Path, lang: str) -> list[str]:
    return [text_of_html(H1.search(page).group(1)) for page in printed_pages(site, lang)]


def sections(site: Path, lang: str) -> list[list[str]]:
    return [[text_of_html(h2) for h2 in H2.findall(page)] for page in printed_pages(site, lang)]


def chapters(reader) -> list:
    """The outline's top-level entries: contents, then one per chapter."""
    return [item for item in reader.outline if not isinstance(item, list)]


def fonts_of(page) -> list:
    return [ref.get_object() for ref in (page["/Resources"].get("/Font") or {}).values()]


def sample_pages(reader) -> list[int]:
    """Where each chapter starts and every page with a formula (set in a math font): reading the
    text of all 160-odd pages would take pypdf about 20 s an edition."""
    starts = {reader.get_destination_page_number(item) for item in chapters(reader)}
    maths = {i for i, page in enumerate(reader.pages)
             if any("Math" in str(f.get("/BaseFont", "")) for f in fonts_of(page))}
    return sorted(starts | maths)


def prose(reader, index: int) -> str:
    """A page's text outside code blocks (whose monospace font can show TeX in plot labels)."""
    parts = []
    reader.pages[index].extract_text(visitor_text=lambda text, cm, tm, font, size: parts.append(
        "" if font and "Mono" in str(font.get("/BaseFont", "")) else text))
    return "".join(parts)


@pytest.fixture(scope="module")
def texts(pdfs) -> dict:
    """Per edition: page index -> prose of the sampled pages."""
    return {lang: {i: prose(reader, i) for i in sample_pages(reader)} for lang, reader in pdfs.items()}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_chapters_in_nav_order_with_bookmarks_and_text(pdfs, texts, site, lang):
    reader, expected = pdfs[lang], titles(site, lang)
    assert len(expected) >= 7, expected  # home, five chapters, glossary
    assert 60 <= len(reader.pages) <= 400, len(reader.pages)
    assert [item.title for item in chapters(reader)] == [TEXTS[lang]["contents"], *expected]
    nested = [item for item in reader.outline[1:] if isinstance(item, list)]  # each chapter's h2s
    assert [[x.title for x in items if not isinstance(x, list)] for items in nested] == sections(site, lang)
    missing = [item.title for item in chapters(reader)
               if squeeze(item.title) not in squeeze(texts[lang][reader.get_destination_page_number(item)])]
    assert missing == []  # each title is text on the page its bookmark opens


def test_chinese_edition_embeds_a_cjk_font_and_extracts_ideographs(pdfs, texts):
    fonts = [font for page in pdfs["zh"].pages for font in fonts_of(page)]

    def descriptor(font):
        if "/DescendantFonts" in font:
            font = font["/DescendantFonts"][0].get_object()
        return font.get("/FontDescriptor", {})
    cjk = [f for f in fonts if "CJK" in str(descriptor(f).get("/FontFamily", f.get("/BaseFont", "")))]
    embedded = [f for f in cjk if "/CharProcs" in f or any(
        key in descriptor(f) for key in ("/FontFile", "/FontFile2", "/FontFile3"))]
    assert embedded, sorted({str(f.get("/BaseFont")) for f in fonts})
    text = "".join(texts["zh"].values())
    assert RADICALS.findall(text) == []  # 手 reads as 手, not as the radical ⼿
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 5_000


@pytest.mark.parametrize("lang", LANGUAGES)
def test_formulas_are_typeset_not_tex(texts, site, lang):
    commands = {c for page in printed_pages(site, lang) for tex in TEX.findall(page)
                for c in re.findall(r"\\[A-Za-z]{2,}", html.unescape(tex))}
    assert len(commands) > 20, commands
    assert len(texts[lang]) > 15  # pages with formulas: MathML was typeset in a math font
    text = "".join(texts[lang].values())
    assert "$$" not in text
    assert sorted(c for c in commands if c in text) == []  # no TeX source shown beside them


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_figure_is_drawn_as_vectors(pdfs, site, lang):
    expected = sum(len(FIGURE.findall(page)) for page in printed_pages(site, lang))
    drawn = []
    for page in pdfs[lang].pages:
        content = page.get_contents().get_data()
        figures = content.count(b"/Figure <<")  # tagged PDF: one marked figure per <img>
        if figures:
            drawn.append((figures, len(re.findall(rb" [lc]\n", content))))
    assert expected >= 10 and sum(n for n, _ in drawn) == expected
    assert all(segments > 500 * n for n, segments in drawn), drawn  # lines and curves, not a bitmap


@pytest.mark.parametrize("lang", LANGUAGES)
def test_links_between_chapters_are_internal(pdfs, site, lang):
    reader = pdfs[lang]
    names = set(reader.named_destinations)
    internal, external = [], []
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if "/Dest" in annot:
                internal.append(str(annot["/Dest"]))
            elif "/A" in annot and "/URI" in annot["/A"]:
                external.append(str(annot["/A"]["/URI"]))
    assert [d for d in internal if d not in names] == []
    assert [u for u in external if "127.0.0.1" in u] == []
    cross = {m for page in printed_pages(site, lang) for m in CROSS_PAGE.findall(page)
             if not (m + "/").startswith(LEFT_OUT)}
    assert {d.split("--")[0].lstrip("/") for d in internal} >= cross, cross  # each chapter linked to


def test_home_pages_link_their_pdf_only_when_it_is_there(site, tmp_path):
    for lang, prefix in LANGUAGES.items():
        (tmp_path / prefix).mkdir(parents=True, exist_ok=True)
        shutil.copy(site / prefix / "index.html", tmp_path / prefix / "index.html")
    (tmp_path / "handbook.zh.pdf").write_bytes(b"%PDF-1.7")
    add_home_links(tmp_path)
    add_home_links(tmp_path)  # a second run adds nothing
    english, chinese = ((tmp_path / p / "index.html").read_text(encoding="utf-8") for p in ("", "zh"))
    assert "handbook.en.pdf" not in english
    assert chinese.count('href="../handbook.zh.pdf"') == 1 and TEXTS["zh"]["pdf"] in chinese
