"""MkDocs hook: lighter code blocks (the logic is buildtools.code_html)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.code_html import lighter_code  # noqa: E402


def on_page_content(html, page, config, files):
    return lighter_code(html)
