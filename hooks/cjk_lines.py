"""MkDocs hook: join the source lines of Chinese paragraphs (the logic is buildtools.cjk)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.cjk import join_cjk_lines  # noqa: E402


def on_page_markdown(markdown, page, config, files):
    return join_cjk_lines(markdown)
