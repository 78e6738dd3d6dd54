"""MkDocs hook: write the notebooks before each build, and make mkdocs-jupyter work under i18n.

- The i18n plugin rebuilds the file list after mkdocs-jupyter has wrapped the notebooks, which would
  publish them as raw JSON; re-wrapping them afterwards (lower priority runs later) keeps the page
  destination and URL that i18n gave each language.
- mkdocs-jupyter evicts, after each build, the cached renderings that build did not use; with one
  build per language each evicts the other's. Marking every current notebook's entry as used keeps
  the cache, so a rebuild converts no notebook again.
- The language switcher of a notebook page points at its twin notebook.

The notebooks themselves are made by buildtools.notebooks.
"""
import sys
from pathlib import Path

import mkdocs.plugins
from mkdocs_jupyter.plugin import NotebookFile, _compute_cache_key, _get_cache_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.notebooks import ROOT, build_notebooks  # noqa: E402


class LocalizedNotebook(NotebookFile):
    """A notebook page with the destination and URL the i18n plugin chose for its language."""

    def __init__(self, file):
        self.file = file
        self.dest_path = file.dest_path
        self.abs_dest_path = file.abs_dest_path
        self.url = file.url


def on_pre_build(config):
    build_notebooks(site_url=config.site_url or "")


@mkdocs.plugins.event_priority(50)  # before mkdocs-jupyter's own on_post_build evicts
def on_post_build(config):
    jupyter = config.plugins["mkdocs-jupyter"]
    if not jupyter.config["cache"]:
        return
    for notebook in (ROOT / "docs" / "notebooks").glob("*.ipynb"):
        key = _compute_cache_key(str(notebook), jupyter.config, jupyter.config["execute"])
        jupyter._used_cache_paths.add(_get_cache_path(jupyter.config["cache_dir"], key))


@mkdocs.plugins.event_priority(-200)
def on_files(files, config):
    # edit the list in place: it is i18n's own Files subclass, which resolves links per language
    jupyter = config.plugins["mkdocs-jupyter"]
    for file in list(files):
        if jupyter.should_include(file) and not isinstance(file, NotebookFile):
            files.remove(file)
            files.append(LocalizedNotebook(file))
    return files


@mkdocs.plugins.event_priority(-200)  # after i18n has set the switcher's links
def on_page_context(context, page, config, nav):
    """Point the language switcher of a notebook page at its twin notebook.

    i18n only records the other-language twins of Markdown pages, so on a notebook page its
    switcher would fall back to the other language's home page.
    """
    if not isinstance(page.file, LocalizedNotebook):
        return context
    alternates = getattr(config.extra, "alternate", None) or []  # i18n sets it as an attribute
    homes = {lang.locale: lang.link.lstrip("/") for lang in config.plugins["i18n"].config.languages}
    own_home = homes.get(config.theme["language"], "")
    path = page.url[len(own_home):] if own_home and page.url.startswith(own_home) else page.url
    for alt in alternates:
        alt["link"] = homes[alt["lang"]] + path  # site-relative, as i18n writes its own links
    return context


def on_post_page(output, page, config):
    """mkdocs-jupyter's template loads MathJax from an empty URL (none is configured, and the
    site's formulas are MathML): drop the empty script tag."""
    if isinstance(page.file, LocalizedNotebook):
        return output.replace('<script src=""> </script>', "")
    return output
