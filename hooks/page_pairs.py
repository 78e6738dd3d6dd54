"""MkDocs hook: a page without its twin in the other language is named in the build (logic: buildtools.pages).

Without it a missing ``page.zh.md`` only shows as indirect nav warnings: the i18n plugin falls
back silently. A warning fails ``mkdocs build --strict``; ``mkdocs serve`` shows it and goes on.
"""
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.pages import missing_twins  # noqa: E402

log = logging.getLogger("mkdocs.hooks.page_pairs")


def on_pre_build(config):
    for problem in missing_twins(Path(config.config_file_path).parent):
        log.warning(problem)
