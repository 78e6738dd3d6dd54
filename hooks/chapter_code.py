"""MkDocs hook: a page's code as its reader gets it (logic: buildtools.codeblocks, buildtools.chapter_notebooks).

- The includes are expanded here, once, and what the page shows is what its notebook and the
  tests get; on a Chinese page every comment and docstring is in Chinese
  (``buildtools.code_translation``), and one without a translation stops the build, naming it.
- Each chapter downloads as a notebook and a .zip of its code, made from the page's own Markdown in
  the page's language and written beside the page's HTML; links to them go under the page's
  title. HANDBOOK_DOWNLOADS=off skips them (the build benchmark measures what they cost).
"""
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.chapter_notebooks import download_links, write_downloads  # noqa: E402
from buildtools.code_translation import TranslationError  # noqa: E402
from buildtools.codeblocks import expand  # noqa: E402

# A chapter whose notebook is a page of its own downloads that one (path from the chapter's page).
OWN_NOTEBOOK = {"cnn-recipe.md": "../notebooks/cnn-recipe/cnn-recipe{suffix}.ipynb"}
TITLE = re.compile(r"^# .*$", re.M)


def on_page_markdown(markdown, page, config, files):
    source = Path(page.file.abs_src_path)
    if not source.is_relative_to(Path(config.docs_dir)) or source.suffix != ".md":
        return markdown
    try:
        return with_downloads(markdown, source, page, config)
    except TranslationError as error:
        raise PluginError(str(error)) from None


def with_downloads(markdown, source, page, config):
    options = config.mdx_configs["pymdownx.snippets"]
    shown = source.relative_to(Path(config.docs_dir).parent).as_posix()
    original = markdown
    markdown = expand(markdown, options, shown)  # pymdownx.snippets then finds nothing left to do
    if os.environ.get("HANDBOOK_DOWNLOADS", "on") == "off":
        return markdown
    lang = config.theme["language"]
    base_name = source.name.replace(f".{lang}.md", ".md")
    out_dir = Path(config.site_dir) / Path(page.file.dest_uri).parent
    own = OWN_NOTEBOOK.get(base_name)
    names = write_downloads(original, source, lang, out_dir, config.site_url or "", options,
                            notebook=own is None, expanded=markdown)
    if not names:
        return markdown
    links = {"download": own.format(suffix="" if lang == "en" else f".{lang}")} if own else {}
    links.update({"download" if name.endswith(".ipynb") else "zip": name for name in names})
    return TITLE.sub(lambda m: m[0] + "\n\n" + download_links(links, lang), markdown, count=1)
