"""MkDocs hook: draw the figures before each build (the logic is buildtools.figures).

A failing or hanging plot snippet stops ``mkdocs build`` with a message naming it. Under
``mkdocs serve`` the site keeps serving instead: the error is printed, and a box with it takes the
place of each figure the snippet draws, until the snippet is fixed.

Set HANDBOOK_FIGURES=off to skip drawing (used by the build benchmark to time the rest of the build).
"""
import logging
import os
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.figure_html import figures_for_schemes  # noqa: E402
from buildtools.figures import FigureError, build_figures, error_figures  # noqa: E402
from buildtools.serving import on_startup, serving  # noqa: E402,F401  (on_startup: a hook event)

log = logging.getLogger("mkdocs.hooks.figures")


def on_pre_build(config):
    if os.environ.get("HANDBOOK_FIGURES", "on") == "off":
        return
    root = Path(config.config_file_path).parent
    try:
        stats = build_figures(root)
    except FigureError as error:
        if not serving() or not error.failed:
            raise PluginError(str(error)) from None
        error_figures(root, error.failed)
        # not a warning: strict mode would stop serving; the page shows the error in the figure's place
        print(f"ERROR   -  {error}\n(serving on: the pages show this error in place of the figures)",
              file=sys.stderr, flush=True)
        return
    if stats["ran"]:
        slowest = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in stats["slowest"][:3])
        log.info("figures: ran %d of %d plot snippets (slowest: %s)", stats["ran"], stats["snippets"], slowest)


def on_page_content(html, page, config, files):
    """Each figure as a light and a dark image, lazily loaded and sized (buildtools.figure_html)."""
    return figures_for_schemes(html, Path(config["docs_dir"]) / "figures")
