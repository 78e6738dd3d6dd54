"""Find broken internal links and anchors in a built site (standard library only).

CLI: ``python -m buildtools.links SITE_DIR`` prints each broken link and exits 1 if there is any.
"""
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for attr in ("href", "src"):
            if attrs.get(attr) and not (tag == "link" and attrs.get("rel") in ("canonical", "alternate")):
                self.links.append(attrs[attr])


def _target(site: Path, page: Path, url: str):
    path = unquote(urlsplit(url).path)
    base = site if path.startswith("/") else page.parent
    target = (base / path.lstrip("/")).resolve() if path else page
    if target.is_dir() or path.endswith("/"):
        target = target / "index.html"
    return target


def broken_links(site: Path):
    site = site.resolve()
    parsed = {}
    for page in site.rglob("*.html"):
        collector = _Collector()
        collector.feed(page.read_text(encoding="utf-8"))
        parsed[page] = collector
    broken = []
    for page, collector in sorted(parsed.items()):
        for url in collector.links:
            scheme = urlsplit(url).scheme
            if scheme or url.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = _target(site, page, url)
            where = f"{page.relative_to(site)} -> {url}"
            if not target.exists():
                broken.append(f"{where}: no such file")
                continue
            fragment = urldefrag(url).fragment
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if unquote(fragment) not in ids:
                    broken.append(f"{where}: no anchor #{fragment}")
    return broken


if __name__ == "__main__":
    found = broken_links(Path(sys.argv[1]))
    print("\n".join(found) or "links: none broken")
    sys.exit(1 if found else 0)
