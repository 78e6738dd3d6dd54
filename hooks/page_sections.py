"""MkDocs hook: each run of content between headings as a block skipped while offscreen
(the logic is buildtools.page_sections)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.page_sections import wrap_sections  # noqa: E402


def on_page_content(html, page, config, files):
    return wrap_sections(html)
