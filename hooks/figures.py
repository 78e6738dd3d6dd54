"""MkDocs hook: draw the figures before each build (the logic is buildtools.figures).

Set HANDBOOK_FIGURES=off to skip drawing (used by the build benchmark to time the rest of the build).
"""
import logging
import os
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.figures import FigureError, build_figures  # noqa: E402

log = logging.getLogger("mkdocs.hooks.figures")


def on_pre_build(config):
    if os.environ.get("HANDBOOK_FIGURES", "on") == "off":
        return
    try:
        stats = build_figures()
    except FigureError as error:
        raise PluginError(str(error)) from None
    if stats["ran"]:
        log.info("figures: ran %d of %d plot snippets", stats["ran"], stats["snippets"])
