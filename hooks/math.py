"""MkDocs hook: typeset formulas as MathML at build time (the logic is buildtools.mathml)."""
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.mathml import MathError, typeset  # noqa: E402


def on_page_content(html, page, config, files):
    try:
        return typeset(html)
    except MathError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
