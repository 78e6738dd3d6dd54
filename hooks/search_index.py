"""MkDocs hook: index the built site for search once both languages are built (logic: buildtools.search_index)."""
import logging
import sys
from pathlib import Path

import mkdocs.plugins
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.search_index import SearchIndexError, build_index  # noqa: E402

log = logging.getLogger("mkdocs.hooks.search_index")


@mkdocs.plugins.event_priority(-150)  # after the i18n plugin (-100) has built the other language
def on_post_build(config):
    if getattr(config.plugins["i18n"], "building", False):
        return  # the other language's build, run from inside the first one: index once, at the end
    try:
        counts = build_index(Path(config.site_dir))
    except SearchIndexError as error:
        raise PluginError(str(error)) from None
    log.info("search: indexed %s", ", ".join(f"{n} sections ({lang})" for lang, n in sorted(counts.items())))
