"""MkDocs hook: write the notebooks before each build, and keep them notebooks under i18n.

The i18n plugin rebuilds the file list after mkdocs-jupyter has wrapped the notebooks, which would
publish them as raw JSON; re-wrapping them afterwards (lower priority runs later) keeps the page
destination and URL that i18n gave each language. The logic of the notebooks is buildtools.notebooks.
"""
import sys
from pathlib import Path

import mkdocs.plugins
from mkdocs_jupyter.plugin import NotebookFile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.notebooks import build_notebooks  # noqa: E402


class LocalizedNotebook(NotebookFile):
    """A notebook page with the destination and URL the i18n plugin chose for its language."""

    def __init__(self, file):
        self.file = file
        self.dest_path = file.dest_path
        self.abs_dest_path = file.abs_dest_path
        self.url = file.url


def on_pre_build(config):
    build_notebooks()


@mkdocs.plugins.event_priority(-200)
def on_files(files, config):
    # edit the list in place: it is i18n's own Files subclass, which resolves links per language
    jupyter = config.plugins["mkdocs-jupyter"]
    for file in list(files):
        if jupyter.should_include(file) and not isinstance(file, NotebookFile):
            files.remove(file)
            files.append(LocalizedNotebook(file))
    return files
