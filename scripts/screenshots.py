"""Screenshot every page of a built site in both languages, light and dark, for review.

Usage: ``python scripts/screenshots.py [SITE_DIR] [OUT_DIR]`` (defaults: site, screenshots).
Build first with ``mkdocs build``. Writes ``OUT_DIR/<page>-<light|dark>.png``.
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.browser import chromium, serve, site_pages  # noqa: E402


def main(site="site", out="screenshots"):
    site, out = Path(site), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as browser:
        page = browser.new_page()
        # Material remembers the palette of the first visit: forget it so each scheme is emulated afresh
        page.add_init_script("localStorage.clear()")
        for rel in site_pages(site):
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.goto(f"{base}/{rel}", wait_until="load")
                name = (rel.strip("/").replace("/", "_") or "home") + f"-{scheme}.png"
                page.screenshot(path=str(out / name), full_page=True)
                print(out / name)


if __name__ == "__main__":
    main(*sys.argv[1:])
