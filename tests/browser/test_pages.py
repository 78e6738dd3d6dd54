"""Every page of both languages as a reader's browser sees it: math, images, errors, switcher, hosts.

Pages are discovered from the built site, so a new chapter is covered without touching this file.
Each page is loaded once (by URL or through the language switcher) and what it shows is collected;
the tests below then judge the collection.
"""
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image  # matplotlib's own dependency
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from buildtools.browser import site_pages
from tests.browser.site_pages import lang_of, twin_of
from tests.conftest import ROOT

DOCS = ROOT / "docs"

# Collect what a reader sees. Text is gathered from text nodes outside code and outside the TeX
# annotation each <math> carries (not displayed); collapsed blocks are opened first.
COLLECT = """async () => {
  document.querySelectorAll("details").forEach(d => d.open = true);
  // the images of this colour scheme (Material hides the other variant); lazy ones are recorded,
  // then loaded now, as scrolling to them would
  const images = [...document.querySelectorAll("img")].filter(i => getComputedStyle(i).display !== "none");
  const lazy = images.map(i => i.loading === "lazy");
  images.forEach(i => { i.loading = "eager"; });
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  const skip = "pre, code, script, style, noscript, template, annotation, annotation-xml";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.parentElement && !n.parentElement.closest(skip)
      ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
  const text = [];
  while (walker.nextNode()) text.push(walker.currentNode.nodeValue);
  return {
    lang: document.documentElement.lang,
    math: document.querySelectorAll("math").length,
    shownAnnotations: [...document.querySelectorAll("math annotation")]
      .filter(a => getComputedStyle(a).display !== "none").length,
    text: text.join(" "),
    images: images.map((i, k) => ({src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0,
                              alt: i.getAttribute("alt"), inArticle: !!i.closest("article"),
                              lazy: lazy[k], size: [+i.getAttribute("width"), +i.getAttribute("height")],
                              natural: [i.naturalWidth, i.naturalHeight]})),
  };
}"""

RAW_TEX = re.compile(r"\\[A-Za-z]{2,}|\\[()\[\]]|\$\$|(?<!\\)\$(?=\S)[^$\n]+?(?<=\S)\$")
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Visit:
    rel: str
    lang: str
    math: int
    shown_annotations: int
    text: str
    images: list
    landed: dict  # hreflang -> URL the language switcher landed on


def switch_language(site_browser, lang):
    """Open Material's language selector and follow its link to `lang`; return the URL landed on."""
    page = site_browser.page
    page.hover(".md-header__option .md-select")
    with page.expect_navigation(wait_until="load"):
        page.click(f'a.md-select__link[hreflang="{lang}"]')
    return page.url


def collect(site_browser, rel) -> Visit:
    seen = site_browser.page.evaluate(COLLECT)
    return Visit(rel, seen["lang"], seen["math"], seen["shownAnnotations"], seen["text"],
                 seen["images"], {})


@pytest.fixture(scope="session")
def visits(site_browser):
    """Load every page once: each English page by URL, then its Chinese twin through the switcher
    and back; Chinese pages with no English twin by URL."""
    b = site_browser
    b.page.emulate_media(color_scheme="light")
    rels = list(site_pages(b.site))
    seen = {}
    for rel in (r for r in rels if lang_of(r) == "en"):
        b.goto(rel)
        seen[rel] = collect(b, rel)
        twin = twin_of(rel)
        if twin in rels:
            b.current = twin
            seen[rel].landed["zh"] = switch_language(b, "zh")
            seen[twin] = collect(b, twin)
            b.current = rel
            seen[twin].landed["en"] = switch_language(b, "en")
    for rel in (r for r in rels if r not in seen):
        b.goto(rel)
        seen[rel] = collect(b, rel)
    b.page.wait_for_load_state("networkidle")  # let the search worker finish its requests too
    return seen


def source_markdown(rel: str) -> Path | None:
    """The Markdown a page was built from: 'zh/lr-decay/' -> docs/lr-decay.zh.md."""
    lang = lang_of(rel)
    slug = (rel[len("zh/"):] if lang == "zh" else rel).rstrip("/")
    suffix = ".zh.md" if lang == "zh" else ".md"
    for candidate in ([DOCS / f"index{suffix}"] if not slug else
                      [DOCS / f"{slug}{suffix}", DOCS / slug / f"index{suffix}"]):
        if candidate.exists():
            return candidate
    return None


def tex_count(markdown: str) -> int:
    """How many formulas ($...$ and $$...$$) the Markdown holds outside code."""
    prose, fenced = [], None
    for line in markdown.splitlines():
        marker = re.match(r"\s*(`{3,}|~{3,})", line)
        if marker and fenced is None:
            fenced = marker.group(1)
        elif marker and line.strip().startswith(fenced):
            fenced = None
        elif fenced is None:
            prose.append(line)
    text = re.sub(r"(`+).+?\1", "", "\n".join(prose))
    display = re.findall(r"\$\$.+?\$\$", text, re.S)
    text = re.sub(r"\$\$.+?\$\$", "", text, flags=re.S)
    inline = re.findall(r"(?<![\\$])\$(?!\s)(?:\\.|[^\\$])+?(?<!\s)\$", text)
    return len(display) + len(inline)


def test_every_page_of_both_languages_was_visited(visits):
    assert {v.lang for v in visits.values()} == {"en", "zh"}
    for rel, visit in visits.items():
        assert visit.lang == lang_of(rel), f"{rel}: <html lang={visit.lang}>"


def test_formulas_are_typeset_where_the_markdown_has_tex(visits):
    checked = 0
    for rel, visit in visits.items():
        source = source_markdown(rel)
        if source is None:
            continue
        wanted = tex_count(source.read_text(encoding="utf-8"))
        assert visit.math >= wanted, f"{rel}: {wanted} formulas in {source.name}, {visit.math} <math>"
        checked += wanted
    assert checked > 0, "no page has TeX: the formula check checked nothing"


def test_no_raw_tex_is_visible(visits):
    for rel, visit in visits.items():
        raw = RAW_TEX.findall(visit.text)
        assert not raw, f"{rel}: raw TeX shown: {raw[:5]}"
        assert visit.shown_annotations == 0, f"{rel}: a formula's TeX annotation is displayed"


def test_every_image_loads(visits):
    images = [(rel, i) for rel, v in visits.items() for i in v.images]
    assert images, "no page has an image"
    broken = [f"{rel}: {i['src']}" for rel, i in images if not i["loaded"]]
    assert not broken, broken


def test_every_figure_has_alt_text_in_the_page_language(visits):
    bad = []
    for rel, visit in visits.items():
        for image in (i for i in visit.images if i["inArticle"]):
            alt = (image["alt"] or "").strip()
            in_chinese = bool(CJK.search(alt))
            if not alt or in_chinese != (visit.lang == "zh"):
                bad.append(f"{rel}: {image['src'].rsplit('/', 1)[-1]} alt={alt!r}")
    assert not bad, bad


def test_no_console_errors_or_page_errors(visits, site_browser):
    assert site_browser.console_errors == []
    assert site_browser.page_errors == []


def test_language_switcher_lands_on_the_twin_page(visits, site_browser):
    pairs = 0
    for rel, visit in visits.items():
        for lang, landed in visit.landed.items():
            assert landed == site_browser.url(twin_of(rel)), f"{rel}: switcher to {lang} landed on {landed}"
            pairs += 1
    assert pairs >= 2 * len([r for r in visits if lang_of(r) == "en"])


def test_no_request_leaves_the_local_server(visits, site_browser):
    local = site_browser.base + "/"
    assert site_browser.requests, "no request was recorded"
    # data: and blob: URLs are built inside the page (Material's icons); they ask no host
    foreign = [(rel, url) for rel, url in site_browser.requests
               if not url.startswith(local) and not url.startswith(("data:", "blob:"))]
    assert not foreign, foreign


def luminance(css_color: str) -> float:
    r, g, b, *alpha = (float(x) for x in re.findall(r"[\d.]+", css_color))
    assert not alpha or alpha[0] > 0.9, f"translucent background {css_color}"
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_figures_load_lazily_with_their_size_reserved(visits):
    """Offscreen figures cost nothing until scrolled to, and take their place before they load."""
    figures = [(rel, i) for rel, v in visits.items() for i in v.images
               if i["inArticle"] and "/figures/" in i["src"]]
    assert figures
    for rel, image in figures:
        assert image["lazy"], f"{rel}: {image['src']} is not loading=lazy"
        (w, h), (nw, nh) = image["size"], image["natural"]
        assert w > 0 and h > 0, f"{rel}: {image['src']} has no width/height"
        assert abs(w / h - nw / nh) < 0.01, f"{rel}: {image['src']} reserves {w}x{h}, is {nw}x{nh}"


DARK_FIGURES = """async () => {
  document.querySelectorAll("details").forEach(d => d.open = true);
  const all = [...document.querySelectorAll("article img")].filter(i => i.src.includes("/figures/"));
  const shown = all.filter(i => getComputedStyle(i).display !== "none");
  shown.forEach(i => { i.loading = "eager"; });
  await Promise.all(shown.map(i => i.decode().catch(() => null)));
  return {scheme: document.body.getAttribute("data-md-color-scheme"),
          body: getComputedStyle(document.body).backgroundColor,
          all: all.length, shown: shown.map(i => i.getAttribute("src"))};
}"""


def test_dark_mode_shows_dark_figures(visits, site_browser):
    """In the dark scheme each figure is its dark variant, and none shows a light background:
    the pixels along a figure's border (its background) are dark in a screenshot."""
    b = site_browser
    with_figures = [rel for rel, v in visits.items()
                    if any(i["inArticle"] and "/figures/" in i["src"] for i in v.images)]
    assert with_figures
    b.page.emulate_media(color_scheme="dark")
    try:
        for rel in with_figures:
            b.goto(rel)
            seen = b.page.evaluate(DARK_FIGURES)
            assert seen["scheme"] == "slate", f"{rel}: dark mode not applied"
            assert luminance(seen["body"]) < 0.25, f"{rel}: body {seen['body']} is not dark"
            assert len(seen["shown"]) * 2 == seen["all"], f"{rel}: not one variant of each figure shown"
            assert all(".dark.svg#only-dark" in src for src in seen["shown"]), seen["shown"]
            for index, src in enumerate(seen["shown"]):
                image = b.page.locator(f'article img[src="{src}"]').first
                image.scroll_into_view_if_needed()
                shot = Image.open(io.BytesIO(image.screenshot())).convert("L")
                w, h = shot.size
                border = [shot.getpixel((x, y)) for x in range(0, w, 7) for y in (1, h - 2)]
                border += [shot.getpixel((x, y)) for y in range(0, h, 7) for x in (1, w - 2)]
                mean = sum(border) / len(border) / 255
                assert mean < 0.3, f"{rel}: {src} shows a light background ({mean:.2f}) in dark mode"
    finally:
        b.page.emulate_media(color_scheme="light")


LAST_WHOLE_FILE_BLOCK = """() => {
  const blocks = [...document.querySelectorAll("article .highlight")]
    .filter(b => /^snippets\\/\\S+\\.py$/.test((b.querySelector(".filename") || {}).textContent || ""));
  const block = blocks[blocks.length - 1];
  block.dataset.testBlock = "";  // the test's locator finds this very block
  return {file: block.querySelector(".filename").textContent,
          hasButton: !!block.querySelector(".md-code__button[data-md-type=copy]")};
}"""


@pytest.mark.parametrize("rel", ["batch-norm/", "zh/batch-norm/"])
def test_copy_button_comes_with_the_block_and_copies_what_is_shown(site_browser, rel):
    """A block far down the page gets its copy button once it is scrolled into view (not at load,
    where one button per block forced a layout of the whole page each), and the button copies the
    block exactly: on the English page the tested file itself."""
    b = site_browser
    b.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=b.base)
    b.goto(rel)
    b.page.wait_for_timeout(300)
    seen = b.page.evaluate(LAST_WHOLE_FILE_BLOCK)
    assert not seen["hasButton"], f"{rel}: {seen['file']} has its copy button before it is in view"
    block = b.page.locator("[data-test-block]")
    summary = block.locator("xpath=ancestor::details[1]/summary")
    if summary.count():  # an exercise's solution: the reader opens it first
        summary.click()
    block.scroll_into_view_if_needed()
    button = block.locator(".md-code__button[data-md-type=copy]")
    button.wait_for(state="attached")
    block.hover()
    button.click()
    copied = b.page.wait_for_function("navigator.clipboard.readText()").json_value()
    shown = block.locator("code").text_content()
    assert copied.rstrip("\n") == shown.rstrip("\n"), f"{rel}: the copy button copied other text"
    if lang_of(rel) == "en":
        assert copied.rstrip("\n") == (ROOT / seen["file"]).read_text().rstrip("\n"), seen["file"]


PALETTE = """() => ({scheme: document.body.getAttribute("data-md-color-scheme"),
  toggle: [...document.querySelectorAll("form.md-header__option label")].filter(l => !l.hidden).length,
  meta: document.querySelector("meta[name=color-scheme]").content})"""


def test_the_palette_follows_the_system_until_the_reader_chooses_and_keeps_the_choice(site_browser):
    """The handbook's palette script, in place of Material's component: the system's scheme on a
    first visit, one toggle shown, a click or Enter switches, and the next page keeps the choice."""
    page = site_browser.context.new_page()  # without the init script that forgets the palette
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.emulate_media(color_scheme="dark")
        page.goto(site_browser.url("batch-norm/"))
        assert page.evaluate(PALETTE) == {"scheme": "slate", "toggle": 1, "meta": "dark"}
        page.click("form.md-header__option label:not([hidden])")
        assert page.evaluate(PALETTE) == {"scheme": "default", "toggle": 1, "meta": "light"}
        page.goto(site_browser.url("zh/lr-decay/"))  # the system is still dark: the choice wins
        assert page.evaluate(PALETTE) == {"scheme": "default", "toggle": 1, "meta": "light"}
        page.focus("form.md-header__option input:checked")
        page.keyboard.press("Enter")
        assert page.evaluate(PALETTE) == {"scheme": "slate", "toggle": 1, "meta": "dark"}
        assert not errors, errors
    finally:
        page.close()


@pytest.mark.parametrize("rel", ["lr-decay/", "zh/lr-decay/"])
def test_a_wide_table_scrolls_within_its_section_on_a_phone(site_browser, rel):
    """A section clips what reaches past it: a table wider than a phone scrolls inside the text
    column, not into the page's padding where the section would cut it off."""
    b = site_browser
    size = b.page.viewport_size
    b.page.set_viewport_size({"width": 390, "height": 800})
    try:
        b.goto(rel)
        wrap = b.page.locator(".handbook-section > .md-typeset__scrollwrap").first
        wrap.scroll_into_view_if_needed()
        left, right, section_left, section_right, scroll, client = wrap.evaluate(
            """w => { const r = w.getBoundingClientRect(), s = w.closest('.handbook-section').getBoundingClientRect();
                      return [r.left, r.right, s.left, s.right, w.scrollWidth, w.clientWidth]; }""")
    finally:
        b.page.set_viewport_size(size)
    assert scroll > client, f"{rel}: its first table fits a phone; pick a wider one for this test"
    assert (left, right) == (section_left, section_right), f"{rel}: the table scrolls out of its section"
