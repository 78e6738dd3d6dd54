"""MkDocs hook: a page without its twin in the other language is named in the build (logic: buildtools.pages).

Without it a missing ``page.zh.md`` only shows as indirect nav warnings: the i18n plugin falls
back silently. ``mkdocs build`` stops with the names; ``mkdocs serve`` warns and goes on.
"""
import logging
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.pages import missing_twins  # noqa: E402
from buildtools.serving import on_startup, serving  # noqa: E402,F401  (on_startup: a hook event)

log = logging.getLogger("mkdocs.hooks.page_pairs")


def on_pre_build(config):
    if getattr(config.plugins["i18n"], "building", False):
        return  # the other language's build: said once already
    problems = missing_twins(Path(config.config_file_path).parent)
    if problems and not serving():
        # an error, not a warning: the i18n plugin's nested builds lose warnings from the count
        raise PluginError("pages without their twin:\n" + "\n".join(problems))
    for problem in problems:
        log.warning(problem)
