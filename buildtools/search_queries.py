"""The search benchmark's queries, typed into a built site's search box the way a person types them.

``tests/data/search_queries.yml`` lists, per language, what readers type and the section each query
must find. ``type_query`` types it into the header's search box of a page in that language, key by
key, or through an input method's composition events (``ime``) as Chinese is typed; ``ranked``
reads the result links. Two search boxes can be driven: the handbook's (``handbook``: Pagefind
behind ``assets/search.js``) and Material's own search plugin (``material``), for comparisons.

Used by ``tests/browser/test_search.py`` and ``benchmarks/bench_search.py``.
"""
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "data" / "search_queries.yml"
INPUT = ".md-search__input"


def load_queries(path: Path = QUERIES) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def type_query(page, query: str, ime: bool = False):
    """Focus the search box, clear it, and type the query as a person would."""
    box = page.locator(INPUT)
    box.click()
    box.fill("")
    if ime:  # composition events, then the input method commits the text
        cdp = page.context.new_cdp_session(page)
        for end in range(1, len(query) + 1):
            cdp.send("Input.imeSetComposition", {"text": query[:end], "selectionStart": end, "selectionEnd": end})
        cdp.send("Input.insertText", {"text": query})
        cdp.detach()
    else:
        box.press_sequentially(query, delay=5)


def ranked(page, query: str, driver: str = "handbook", timeout: float = 10_000) -> list[str]:
    """The result links, best first, as site paths with their #section."""
    if driver == "handbook":
        page.wait_for_function("q => window.handbookSearch && window.handbookSearch.searched() === q",
                               arg=query, timeout=timeout)
        urls = page.evaluate("window.handbookSearch.results().map(r => r.url)")
    else:  # Material: its worker answers after the last key-up; wait for its result list to settle
        page.wait_for_timeout(400)
        urls = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    return [normalize(url) for url in urls]


def normalize(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/").split("/")
    return "/".join(p for p in path if p) + (f"#{parts.fragment}" if parts.fragment else "")


def expected(lang: str, item: dict) -> list[str]:
    """The result links that answer the query (one section, or any of a list)."""
    prefix = "" if lang == "en" else f"{lang}/"
    sections = item["section"] if isinstance(item["section"], list) else [item["section"]]
    return [f"{prefix}{item['page']}#{section}" for section in sections]


def found_in(want: list[str], ranked: list[str], k: int) -> bool:
    return any(url in want for url in ranked[:k])


def hits(results: dict) -> dict:
    """hit@1 and hit@3 per language from {lang: [(expected, ranked)]}."""
    return {lang: {"n": len(rows),
                   "hit@1": sum(found_in(want, r, 1) for want, r in rows) / len(rows),
                   "hit@3": sum(found_in(want, r, 3) for want, r in rows) / len(rows)}
            for lang, rows in results.items()}
