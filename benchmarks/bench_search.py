"""Search quality on the query benchmark: hit@1 and hit@3 per language, and the queries that miss.

Usage: ``python benchmarks/bench_search.py SITE_DIR [--driver handbook|material]``. Serves the built
site on 127.0.0.1, opens a page in each query's language in the local Chromium and types every
query of ``tests/data/search_queries.yml`` into the search box (``buildtools.search_queries``).
``--driver material`` drives Material's own search plugin, for a site built with it.
Also prints the bytes of search files a page fetches (uncompressed), before and for its first
query (English first, in a fresh browser; the Chinese page then reuses what both share). Not a test: it prints numbers (``tests/browser/test_search.py`` requires every hit@3).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.browser import chromium, serve  # noqa: E402
from buildtools.search_queries import expected, found_in, hits, load_queries, ranked, type_query  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--driver", choices=["handbook", "material"], default="handbook")
    args = parser.parse_args()
    results, misses, weights = {}, [], []
    with serve(args.site) as base, tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as browser:
        page = browser.new_page()
        fetched = []  # (url, bytes) of the search files the page fetches
        page.on("requestfinished", lambda request: ("/pagefind/" in request.url or "search_index" in request.url)
                and fetched.append((request.url, request.sizes()["responseBodySize"])))
        for lang, items in load_queries().items():
            fetched.clear()
            page.goto(f"{base}/{'' if lang == 'en' else lang + '/'}", wait_until="load")
            page.wait_for_load_state("networkidle")
            on_load = sum(size for _, size in fetched)
            rows = []
            for number, item in enumerate(items):
                started = time.perf_counter()
                type_query(page, item["query"], item.get("ime", False))
                found = ranked(page, item["query"], args.driver)
                if number == 0:
                    page.wait_for_load_state("networkidle")
                    weights.append(f"{lang}: search files fetched by the page {on_load / 1024:.0f} KB before any query, "
                                   f"{(sum(size for _, size in fetched) - on_load) / 1024:.0f} KB more for its first query")
                    fetched.clear()
                want = expected(lang, item)
                rows.append((want, found))
                if not found_in(want, found, 3):
                    misses.append(f"  {lang} {item['query']!r}: want {want}, got {found[:3]} "
                                  f"({time.perf_counter() - started:.1f} s)")
            results[lang] = rows
    for lang, score in hits(results).items():
        print(f"{args.driver:9s} {lang}: {score['n']} queries  hit@1 {score['hit@1']:.2f}  hit@3 {score['hit@3']:.2f}")
    print(*weights, sep="\n")
    print("misses:" if misses else "misses: none", *misses, sep="\n")


if __name__ == "__main__":
    main()
