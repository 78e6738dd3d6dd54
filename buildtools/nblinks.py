"""Links and figures in notebook Markdown, made to work outside the site (in Jupyter, Colab, a download).

A link to another page of the handbook becomes an absolute URL when ``site_url`` is set; without
it, the link names the page (its title, in brackets, or the link text in italics where that already
is the title), since a relative path is dead outside the site. A figure
becomes an absolute image with ``site_url``, else its description in italics (the plotting cell
of the notebook draws it anyway).
"""
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)(?:\{[^}]*\})?")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
RELATIVE = re.compile(r"""(?:\]\(|href=["'])(?![a-z][\w+.-]*:|#|/)[^)"'\s]+""")
# a named page in square brackets: the link may itself sit in parentheses
WORDS = {"en": {"figure": "Figure: {}", "page": " [“{}”]"},
         "zh": {"figure": "图：{}", "page": "【“{}”】"}}


def page_title(page: Path) -> str:
    """A page's first heading, without its ``{ #id }``."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"\s*\{[^}]*\}\s*$", "", line[2:]).strip()
    return page.stem


def rewrite_links(text: str, page: Path, lang: str, site_url: str) -> str:
    """Links and images of one page's prose, made to work outside the site."""
    docs = ROOT / "docs"
    here = page.parent.relative_to(docs) if page.is_relative_to(docs) else Path()
    lang_prefix = "" if lang == "en" else f"{lang}/"
    base = site_url.rstrip("/") + "/" if site_url else ""

    def url_of(target: str) -> str:
        path, _, anchor = target.partition("#")
        rel = Path(os.path.normpath(here / path)).as_posix()
        rel = re.sub(r"(^|/)index\.md$", r"\1", rel)
        rel = re.sub(r"\.md$", "/", rel)
        return f"{base}{lang_prefix}{rel}" + (f"#{anchor}" if anchor else "")

    def image(match):
        src = match["src"]
        if base and not re.match(r"^[a-z]+:", src):
            return f"![{match['alt']}]({base}{lang_prefix}{Path(os.path.normpath(here / src)).as_posix()})"
        return "*" + WORDS[lang]["figure"].format(match["alt"]) + "*"

    def link(match):
        target = match["target"]
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return match[0]
        if base:
            return f"[{match['text']}]({url_of(target)})"
        path = target.partition("#")[0]
        twin = Path(os.path.normpath(docs / here / path))
        if lang != "en":
            twin = twin.with_name(twin.name.replace(".md", f".{lang}.md"))
        name = page_title(twin) if twin.exists() else path
        if name.lower() in match["text"].lower() or match["text"].lower() in name.lower():
            return f"*{match['text']}*"  # the text already names the page
        return match["text"] + WORDS[lang]["page"].format(name)

    return LINK.sub(link, IMAGE.sub(image, text))


def relative_links(text: str) -> list[str]:
    """Relative link targets left in Markdown or HTML (what breaks once a notebook leaves the site)."""
    return [m[0].split("(", 1)[-1].split("=", 1)[-1].strip("\"'") for m in RELATIVE.finditer(text)]
