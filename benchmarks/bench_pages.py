"""Page quality of the built site, per page type and language: Lighthouse scores and first-load bytes.

Usage: ``python benchmarks/bench_pages.py [SITE_DIR] [--runs N] [--plain] [--desktop] [--json OUT.json]``
(no SITE_DIR: builds the site into a temporary folder first). Not a test: it prints numbers.
Pages: the home page, every chapter of the nav and the contributing page, in both languages.
The site is served on 127.0.0.1 with text files gzip-compressed, as static hosts serve them
(``--plain``: uncompressed, like ``mkdocs serve`` and the tests' server).

Bytes: each page is loaded once with an empty cache in the local Chromium (Playwright), until the
network is idle, so the search index the search worker fetches is counted too; every transfer
(headers + body, as Chromium reports them) is put under HTML, CSS, JS, fonts, images, the search
index or other. Targets: at most 300 KB per first load without the search index.

Lighthouse: npm ``lighthouse@12`` (13.x needs a newer Node), run offline against the local
Chromium with the same flags as the tests. Found through $LIGHTHOUSE, ./node_modules/.bin or PATH;
if missing, the script says how to install it and prints the byte table alone. Target: every
score at least 95, as the median of ``--runs`` runs per page (simulated throttling multiplies the
machine's own load, so the load average is printed before and after).
"""
import argparse
import functools
import gzip
import json
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from buildtools.browser import (CHROMIUM_ARGS, INSTALL_HINT, QuietHandler, chromium,  # noqa: E402
                                chromium_path, serve)

def nav_pages():
    """{short name: URL path} for the home page, each chapter of the nav and contributing."""
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    chapters = next(item["Chapters"] for item in config["nav"]
                    if isinstance(item, dict) and "Chapters" in item)
    pages = {"home": ""}
    for entry in chapters:
        (path,) = entry.values()
        if path.endswith(".md"):
            pages[path[:-3]] = path[:-3] + "/"
    pages["contributing"] = "contributing/"
    return pages


LANG_PREFIX = {"en": "", "zh": "zh/"}
KINDS = ("html", "css", "js", "fonts", "images", "search index", "other")
CATEGORIES = {"performance": "perf", "accessibility": "a11y", "best-practices": "best", "seo": "seo"}
BUDGET_BYTES = 300 * 1024
TARGET_SCORE = 95
LIGHTHOUSE_HINT = ("Lighthouse not found: npm install --prefix /tmp/lh lighthouse@12 && "
                   "export LIGHTHOUSE=/tmp/lh/node_modules/.bin/lighthouse")


COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".map", ".txt")


class _GzipHandler(QuietHandler):
    """Static files, text ones gzip-compressed as static hosts (GitHub Pages, Netlify...) serve them."""

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if ("gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file()
                or path.suffix not in COMPRESSIBLE):
            return super().do_GET()
        body = _gzipped(path)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@functools.lru_cache(maxsize=None)
def _gzipped(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


def kind_of(url: str, resource_type: str) -> str:
    path = url.split("?")[0].split("#")[0].lower()
    if path.endswith("search_index.json") or "/pagefind/" in path:
        return "search index"
    if resource_type == "document" or path.endswith((".html", "/")):
        return "html"
    if path.endswith(".css"):
        return "css"
    if path.endswith((".js", ".mjs")):
        return "js"
    if path.endswith((".woff2", ".woff", ".ttf", ".otf")):
        return "fonts"
    if path.endswith((".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".avif")):
        return "images"
    return "other"


def measure_bytes(base: str, targets):
    """{(type, lang): {kind: bytes}} for a first load of each page with an empty cache."""
    results = {}
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as context:
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        transfers = []

        def finished(request):
            sizes = request.sizes()
            transfers.append((request.url, request.resource_type,
                              sizes["responseBodySize"] + sizes["responseHeadersSize"], request))

        context.on("requestfinished", finished)
        for key, url in targets:
            cdp.send("Network.clearBrowserCache")
            transfers.clear()
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            counts = dict.fromkeys(KINDS, 0)
            for request_url, resource_type, size, _ in transfers:
                counts[kind_of(request_url, resource_type)] += size
            results[key] = counts
    return results


def find_lighthouse():
    for candidate in (os.environ.get("LIGHTHOUSE"), ROOT / "node_modules/.bin/lighthouse",
                      shutil.which("lighthouse")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def run_lighthouse(lighthouse: str, url: str, desktop: bool):
    flags = " ".join(f'"{a}"' if " " in a else a for a in ["--headless=new", *CHROMIUM_ARGS])
    command = [lighthouse, url, "--output=json", "--output-path=stdout", "--quiet",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={flags}"]
    if desktop:
        command.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=chromium_path())
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failing = {
        audit["id"]: audit["score"]
        for category in report["categories"].values() for ref in category["auditRefs"]
        if ref.get("weight", 0) > 0
        for audit in [report["audits"][ref["id"]]]
        if audit.get("score") is not None and audit["score"] < 1}
    return scores, failing


def lowest(failings: list) -> dict:
    """Each audit scored under 1 in any run, once, with its lowest score over the runs."""
    found = {}
    for failing in failings:
        for audit, score in failing.items():
            found[audit] = min(score, found.get(audit, 1))
    return dict(sorted(found.items()))


def build_site(into: Path) -> Path:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(into)],
                   cwd=ROOT, env=env, check=True)
    return into


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", help="a built site (default: build one now)")
    parser.add_argument("--desktop", action="store_true", help="Lighthouse's desktop preset (default: mobile)")
    parser.add_argument("--plain", action="store_true",
                        help="serve without compression (Python's http.server) instead of gzip")
    parser.add_argument("--json", help="also write every number to this file")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page; the median is shown")
    parser.add_argument("--pages", nargs="+", help="only these short names (default: every page)")
    args = parser.parse_args(argv)
    if not chromium_path():
        sys.exit(INSTALL_HINT)

    with tempfile.TemporaryDirectory() as scratch:
        site = Path(args.site) if args.site else build_site(Path(scratch) / "site")
        handler = QuietHandler if args.plain else _GzipHandler
        with serve(site, handler) as base:
            pages = {k: v for k, v in nav_pages().items() if not args.pages or k in args.pages}
            targets = [((name, lang), f"{base}/{LANG_PREFIX[lang]}{rel}")
                       for name, rel in pages.items() for lang in LANG_PREFIX]
            weights = measure_bytes(base, targets)
            lighthouse = find_lighthouse()
            scores, performances, failing = {}, {}, {}
            load_before = os.getloadavg()
            if lighthouse:
                for key, url in targets:
                    runs = [run_lighthouse(lighthouse, url, args.desktop) for _ in range(args.runs)]
                    scores[key] = {c: statistics.median(r[0][c] for r in runs) for c in CATEGORIES}
                    performances[key] = [r[0]["performance"] for r in runs]
                    failing[key] = lowest([r[1] for r in runs])
            load_after = os.getloadavg()

    served = "uncompressed" if args.plain else "text gzip-compressed"
    print(f"First load with an empty cache, {served}, KB transferred (1 KB = 1024 bytes); "
          f"budget {BUDGET_BYTES // 1024} KB without the search index")
    header = f"{'page':<22}" + "".join(f"{k:>9}" for k in ("html", "css", "js", "fonts", "images")) + \
        f"{'other':>9}{'total*':>9}{'index':>9}  budget"
    print(header)
    for (name, lang), counts in weights.items():
        total = sum(v for k, v in counts.items() if k != "search index")
        cells = "".join(f"{counts[k] / 1024:>9.1f}" for k in ("html", "css", "js", "fonts", "images", "other"))
        print(f"{name + ' ' + lang:<22}{cells}{total / 1024:>9.1f}{counts['search index'] / 1024:>9.1f}  "
              f"{'ok' if total <= BUDGET_BYTES else 'OVER'}")
    print("* total without the search index")
    print()
    if not lighthouse:
        print(LIGHTHOUSE_HINT)
    else:
        preset = "desktop" if args.desktop else "mobile"
        print(f"Lighthouse 12 ({preset}, simulated throttling), median of {args.runs} run(s); "
              f"target {TARGET_SCORE} or more")
        print(f"machine load average (1, 5, 15 min): before {', '.join(f'{v:.2f}' for v in load_before)}; "
              f"after {', '.join(f'{v:.2f}' for v in load_after)} on {os.cpu_count()} cores")
        print(f"{'page':<22}" + "".join(f"{short:>7}" for short in CATEGORIES.values())
              + f"  {'perf, each run':<16}audits below 1 (lowest over the runs)")
        for (name, lang), score in scores.items():
            cells = "".join(f"{score[c]:>7g}" for c in CATEGORIES)
            each = " ".join(str(p) for p in performances[(name, lang)])
            audits = ", ".join(f"{audit} {low}" for audit, low in failing[(name, lang)].items()) or "-"
            under = "" if all(s >= TARGET_SCORE for s in score.values()) else "  << under target"
            print(f"{name + ' ' + lang:<22}{cells}  {each:<16}{audits}{under}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "bytes": {f"{n} {l}": c for (n, l), c in weights.items()},
            "lighthouse": {f"{n} {l}": s for (n, l), s in scores.items()},
            "performance_each_run": {f"{n} {l}": p for (n, l), p in performances.items()},
            "runs": args.runs, "load_before": load_before, "load_after": load_after,
            "failing_audits": {f"{n} {l}": f for (n, l), f in failing.items()},
        }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
