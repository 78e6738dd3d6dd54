"""MkDocs hook: each chapter downloads as a notebook and a .zip of its code (logic: buildtools.chapter_notebooks).

The files are made from the page's own Markdown, in the page's language, and written beside the
page's HTML; links to them go under the page's title. HANDBOOK_DOWNLOADS=off skips them (used by
the build benchmark to measure what they cost).
"""
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildtools.chapter_notebooks import download_links, write_downloads  # noqa: E402

# A chapter whose notebook is a page of its own downloads that one (path from the chapter's page).
OWN_NOTEBOOK = {"cnn-recipe.md": "../notebooks/cnn-recipe/cnn-recipe{suffix}.ipynb"}
TITLE = re.compile(r"^# .*$", re.M)


def on_page_markdown(markdown, page, config, files):
    if os.environ.get("HANDBOOK_DOWNLOADS", "on") == "off":
        return markdown
    lang = config.theme["language"]
    source = Path(page.file.abs_src_path)
    if not source.is_relative_to(Path(config.docs_dir)) or source.suffix != ".md":
        return markdown
    base_name = source.name.replace(f".{lang}.md", ".md")
    out_dir = Path(config.site_dir) / Path(page.file.dest_uri).parent
    own = OWN_NOTEBOOK.get(base_name)
    names = write_downloads(markdown, source, lang, out_dir, config.site_url or "",
                            config.mdx_configs["pymdownx.snippets"], notebook=own is None)
    if not names:
        return markdown
    links = {"download": own.format(suffix="" if lang == "en" else f".{lang}")} if own else {}
    links.update({"download" if name.endswith(".ipynb") else "zip": name for name in names})
    return TITLE.sub(lambda m: m[0] + "\n\n" + download_links(links, lang), markdown, count=1)
