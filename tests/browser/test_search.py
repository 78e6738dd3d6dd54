"""The search box, typed into as a reader types: the query benchmark, Chinese input methods, the UI.

Every query of tests/data/search_queries.yml is typed into the header's search box on a page of its
language (Chinese through an input method's composition events where marked) and must find its
section in the first three results, all in the page's language. hit@1 and hit@3 per language are
printed at the end of the session.
"""
import pytest

from buildtools.search_index import encode
from buildtools.search_queries import expected, found_in, hits, load_queries, ranked, type_query

QUERIES = load_queries()
CASES = [(lang, item) for lang, items in QUERIES.items() for item in items]
SCORES = {}  # lang -> [(expected, ranked)], for the summary


def home(lang):
    return "" if lang == "en" else f"{lang}/"


@pytest.fixture
def search_page(site_browser):
    site_browser.page.emulate_media(color_scheme="light")
    return site_browser


def test_the_benchmark_has_forty_queries_half_of_them_chinese():
    assert len(CASES) >= 40 and len(QUERIES["zh"]) >= len(CASES) / 2 - 1
    assert any(item.get("ime") for item in QUERIES["zh"])


@pytest.mark.parametrize("lang, item", CASES, ids=[f"{lang}-{item['query']}" for lang, item in CASES])
def test_query_finds_its_section_in_the_first_three(search_page, pytestconfig, lang, item):
    b = search_page
    if b.page.url != b.url(home(lang)):
        b.goto(home(lang))
    type_query(b.page, item["query"], item.get("ime", False))
    results = ranked(b.page, item["query"])
    want = expected(lang, item)
    SCORES.setdefault(lang, []).append((want, results))
    pytestconfig.handbook_search_scores = hits(SCORES)
    assert found_in(want, results, 3), f"{item['query']!r}: want {want}, got {results[:5]}"
    in_lang = [url.split("/")[0].split("#")[0] == "zh" for url in results]
    assert all(in_lang) if lang == "zh" else not any(in_lang), f"results in another language: {results}"


def test_a_composition_is_searched_when_committed_not_before(search_page):
    b = search_page
    b.goto("zh/")
    box = b.page.locator(".md-search__input")
    box.click()
    cdp = b.page.context.new_cdp_session(b.page)
    cdp.send("Input.imeSetComposition", {"text": "yu", "selectionStart": 2, "selectionEnd": 2})
    b.page.wait_for_timeout(300)
    assert b.page.evaluate("window.handbookSearch.searched()") is None  # nothing searched mid-composition
    cdp.send("Input.insertText", {"text": "余弦退火"})
    cdp.detach()
    assert "zh/lr-decay#schedules" in ranked(b.page, "余弦退火")[:3]


def test_results_show_in_the_box_and_enter_opens_the_first(search_page):
    b = search_page
    b.goto("")
    type_query(b.page, "error_if_nonfinite")
    first = ranked(b.page, "error_if_nonfinite")[0]
    assert b.page.locator(".md-search__output").is_visible()
    item = b.page.locator(".md-search-result__item").first
    assert "error_if_nonfinite" in item.inner_text() and item.locator("mark").count() >= 1
    b.page.keyboard.press("Enter")
    b.page.wait_for_url(f"**/{first.split('#')[0]}/#{first.split('#')[1]}")


def test_the_page_encodes_queries_as_the_index_does(search_page):
    b = search_page
    b.goto("zh/")
    for query in ["预热", "断点续训", "第0步报错", "小批量 GroupNorm", "热"]:
        browser_side = b.page.evaluate("q => window.handbookSearch.encode(q)", query)
        index_side = encode(query).split()
        # the index also keeps each run's last character alone; a query needs only its pairs
        assert set(browser_side.split()) <= set(index_side), (query, browser_side, index_side)
        assert browser_side.split() == [t for t in index_side if t in browser_side.split()]
