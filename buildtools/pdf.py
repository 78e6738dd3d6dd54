"""The handbook as one PDF per language, printed by the local Chromium from the built site.

    python -m buildtools.pdf SITE_DIR [OUT_DIR]

writes ``handbook.en.pdf`` and ``handbook.zh.pdf`` into OUT_DIR (default: SITE_DIR). When they land
in the site itself, each language's home page gets a download link to its PDF (and only then: the
link is written by the same run that writes the file).

How: the built site is served on 127.0.0.1; Chromium opens each page of the navigation in order
(home, chapters, CNN recipe, glossary) and hands back its article. Ids are prefixed with the page's
key (``batch-norm--weight-decay``) so they stay unique, and links between pages become in-document
links (``../batch-norm/#weight-decay`` -> ``#batch-norm--weight-decay``). The articles, a title page
and a table of contents go into one document with the site's stylesheets and a print stylesheet
(running headers from named pages, wrapped code), printed once: internal links and the outline
(PDF bookmarks) work across chapters. MathML and the SVG figures are printed as they are shown.
Chinese needs a CJK font on the printing machine (Debian: fonts-noto-cjk); Chromium embeds it,
from a copy whose character map leaves out the Kangxi radicals (see ``cjk_font``).
"""
import html
import io
import subprocess
import sys
import tempfile
from pathlib import Path

from buildtools.browser import chromium, serve

LANGUAGES = {"en": "", "zh": "zh/"}  # language -> folder of its pages in the site
LEFT_OUT = ("playground/", "notebooks/", "contributing/")  # interactive, repeated, or for contributors
TEXTS = {
    "en": {"contents": "Contents", "pdf": "Download the handbook (PDF)",
           "note": "Left out of this edition: the schedule playground (interactive), the notebooks "
                   "and the contributors' guide; they are on the website."},
    "zh": {"contents": "目录", "pdf": "下载本手册（PDF）",
           "note": "本版未收录学习率调度实验台（交互式页面）、笔记本和贡献指南，请在网站上查看。"},
}

# The site's name, description and stylesheets, and the pages of its navigation in order.
SITE_INFO = """() => ({
  title: document.querySelector(".md-header__topic .md-ellipsis").textContent.trim(),
  description: document.querySelector('meta[name="description"]').content,
  stylesheets: [...document.querySelectorAll('link[rel="stylesheet"]')].map(l => l.href),
  pages: [...new Set([...document.querySelectorAll(".md-nav--primary a.md-nav__link[href]")]
    .map(a => new URL(a.href)).filter(u => !u.hash).map(u => u.pathname))],
})"""

# One page's article, ready to sit in the whole document; `keys` maps each included page's path
# to its key. Links to pages left out, and to downloads, keep only their text.
ARTICLE = """([key, keys]) => {
  const article = document.querySelector("article.md-content__inner").cloneNode(true);
  article.querySelectorAll(".headerlink, .handbook-downloads, .md-content__button, .md-code__nav, script")
    .forEach(e => e.remove());
  article.querySelectorAll('a[id^="__codelineno"]').forEach(e => e.remove());  // a link per code line
  article.querySelectorAll("details").forEach(d => d.open = true);
  article.querySelectorAll("[id]").forEach(e => e.id = `${key}--${e.id}`);
  article.querySelectorAll("label[for]").forEach(e => e.htmlFor = `${key}--${e.htmlFor}`);
  article.querySelectorAll('img[src$="#only-dark"]').forEach(i => i.remove());  // print the light figures
  article.querySelectorAll("img").forEach(i => { i.src = i.src.replace(/#only-light$/, "");
                                                  i.removeAttribute("loading"); });
  article.querySelectorAll("a[href]").forEach(a => {
    const url = new URL(a.href);
    if (url.origin !== location.origin) return;
    const target = keys[url.pathname];
    if (target === undefined) { a.replaceWith(...a.childNodes); return; }
    const id = decodeURIComponent(url.hash.slice(1));
    a.setAttribute("href", "#" + (id ? `${target}--${id}` : target));
  });
  const h1 = article.querySelector("h1");
  return {
    title: h1.textContent.trim(),
    sections: [...article.querySelectorAll("h2[id]")].map(h => [h.id, h.textContent.trim()]),
    html: article.innerHTML,
  };
}"""

# Ideographs, CJK punctuation and full-width forms: drawn with the font of cjk_font(), the rest of
# the text with the fonts it gets on the site
CJK_RANGES = "U+3000-303F, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FF00-FFEF, U+20000-3FFFF"
PRINT_CSS = """
@font-face { font-family: "Handbook CJK"; font-weight: 400; src: url(%(base)s/pdf-fonts/regular.otf);
  unicode-range: %(cjk)s; }
@font-face { font-family: "Handbook CJK"; font-weight: 700; src: url(%(base)s/pdf-fonts/bold.otf);
  unicode-range: %(cjk)s; }
body {
  --md-text-font-family: "Handbook CJK", -apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif;
  --md-code-font-family: "Handbook CJK", SFMono-Regular, Consolas, Menlo, monospace; }
@page { size: A4; margin: 20mm 16mm 18mm; font-family: "Handbook CJK", sans-serif;
  @top-right { content: %(title)s; font-size: 8pt; color: #666; }
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
@page cover { @top-right { content: none; } @bottom-center { content: none; } }
html { font-size: 125%%; }
body { margin: 0; }
.md-typeset { font-size: 0.72rem; }
.pdf-cover { page: cover; padding-top: 30%%; }
.pdf-cover .pdf-title { font-size: 2.2rem; font-weight: 700; line-height: 1.25; margin: 0 0 1em; }
.pdf-cover .pdf-subtitle { font-size: 1.1rem; color: #444; }
.pdf-contents, .pdf-chapter { break-before: page; }
.md-typeset .pdf-contents ol { list-style: none; margin: 0; }
.md-typeset .pdf-contents li { margin: 0.15em 0 0 1.5em; }
.md-typeset .pdf-contents > ol > li { margin: 0.6em 0 0; font-weight: 700; }
.md-typeset .pdf-contents ol ol { font-weight: 400; }
.pdf-contents a { text-decoration: none !important; }
.pdf-note { color: #555; font-style: italic; }
.md-typeset pre > code { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
.md-typeset pre, .md-typeset img, .md-typeset table, .md-typeset .math-display { break-inside: avoid; }
.md-typeset .math-display, .md-typeset__scrollwrap, .md-typeset__table { overflow: visible; }
.md-typeset table:not([class]) { font-size: 0.62rem; }
/* Chromium 150 builds bookmarks from the laid-out heading: with Material's line-height (1.3...) it
   wrote some twice ("目录目录"), and it drops the space where a heading wraps unless kept (pre-wrap) */
.md-typeset :is(h1, h2, h3, h4, h5, h6) { break-after: avoid; line-height: normal; white-space: pre-wrap; }
.md-typeset .highlight span.filename { break-after: avoid; }
"""


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def key_of(path: str, prefix: str) -> str:
    """'/zh/batch-norm/' -> 'batch-norm'; a language's home page -> 'home'."""
    return path.strip("/").removeprefix(prefix.strip("/")).strip("/") or "home"


def collect(page, base: str, lang: str) -> tuple[dict, list]:
    """The site's info for `lang` and the article of each page it prints, in navigation order."""
    prefix = LANGUAGES[lang]
    page.goto(f"{base}/{prefix}", wait_until="load")
    info = page.evaluate(SITE_INFO)
    paths = [p for p in info["pages"] if not p.removeprefix("/" + prefix).startswith(LEFT_OUT)]
    keys = {p: key_of(p, prefix) for p in paths}
    keys[f"/{prefix}playground/"] = "left-out"  # links to the playground point at the note about it
    articles = []
    for path in paths:
        page.goto(base + path, wait_until="load")
        articles.append({"key": keys[path], **page.evaluate(ARTICLE, [keys[path], keys])})
    return info, articles


def cjk_font(style: str) -> bytes:
    """Noto Sans CJK SC without the Kangxi radicals (U+2E80-2FDF) in its character map.

    They share glyphs with the ideographs, and Chromium's PDF maps each glyph back to its lowest
    code point: text copied or searched in the PDF read 手 as the radical ⼿. Without them it maps
    to the ideograph.
    """
    from fontTools.ttLib import TTFont  # installed with matplotlib

    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", f"Noto Sans CJK SC:style={style}"],
                           capture_output=True, text=True).stdout
    path, index = found.rsplit(":", 1) if "CJK" in found else (None, 0)
    if not path:
        raise RuntimeError("no Noto Sans CJK font: apt-get install -y fonts-noto-cjk")
    font = TTFont(path, fontNumber=int(index), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    for table in font["cmap"].tables:
        for code in [c for c in table.cmap if 0x2E80 <= c <= 0x2FDF]:
            del table.cmap[code]
    data = io.BytesIO()
    font.save(data, reorderTables=False)
    return data.getvalue()


def document(info: dict, articles: list, lang: str, base: str) -> str:
    """One HTML document: title page, contents, every article, with the print stylesheet."""
    texts, esc = TEXTS[lang], html.escape
    css = PRINT_CSS % {"title": css_string(info["title"]), "base": base, "cjk": CJK_RANGES}
    css += "".join(f"@page {a['key']} {{ @top-left {{ content: {css_string(a['title'])}; font-size: 8pt;"
                   f" color: #666; }} }}\n#{a['key']} {{ page: {a['key']}; }}\n" for a in articles)
    contents = "".join(
        f'<li><a href="#{a["key"]}">{esc(a["title"])}</a><ol>'
        + "".join(f'<li><a href="#{sid}">{esc(text)}</a></li>' for sid, text in a["sections"])
        + "</ol></li>" for a in articles)
    chapters = "".join(f'<section class="pdf-chapter" id="{a["key"]}">{a["html"]}</section>'
                       for a in articles)
    links = "".join(f'<link rel="stylesheet" href="{esc(href)}">' for href in info["stylesheets"])
    return f"""<!doctype html>
<html lang="{'zh-Hans' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{esc(info["title"])}</title>{links}<style>{css}</style></head>
<body data-md-color-scheme="default" data-md-color-primary="indigo" data-md-color-accent="indigo">
<article class="md-typeset">
<section class="pdf-cover"><p class="pdf-title">{esc(info["title"])}</p>
<p class="pdf-subtitle">{esc(info["description"])}</p></section>
<section class="pdf-contents"><h1>{texts["contents"]}</h1><ol>{contents}</ol>
<p class="pdf-note" id="left-out">{texts["note"]}</p></section>
{chapters}
</article></body></html>"""


def print_pdf(page, source: str, out: Path):
    page.set_content(source, wait_until="load")
    page.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
    page.emulate_media(media="print")
    page.pdf(path=str(out), format="A4", prefer_css_page_size=True, outline=True, tagged=True,
             print_background=True)


def add_home_links(site: Path):
    """Link each language's home page to its PDF, where the PDF is in the site (once)."""
    for lang, prefix in LANGUAGES.items():
        home, name = site / prefix / "index.html", f"handbook.{lang}.pdf"
        text = home.read_text(encoding="utf-8")
        if not (site / name).exists() or f'href="{"../" * prefix.count("/")}{name}"' in text:
            continue
        link = (f'<p class="handbook-downloads"><a class="md-button" href="{"../" * prefix.count("/")}'
                f'{name}" download>{TEXTS[lang]["pdf"]}</a></p>')
        end_of_title = text.index("</h1>", text.index('<article class="md-content__inner')) + len("</h1>")
        home.write_text(text[:end_of_title] + "\n" + link + text[end_of_title:], encoding="utf-8")


def build_pdfs(site: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    fonts = {f"/pdf-fonts/{style.lower()}.otf": cjk_font(style) for style in ("Regular", "Bold")}
    written = []
    with tempfile.TemporaryDirectory() as profile, serve(site) as base, chromium(Path(profile)) as context:
        context.route(f"{base}/pdf-fonts/*", lambda route: route.fulfill(
            body=fonts[route.request.url.removeprefix(base)], content_type="font/otf"))
        context.route("**/*.js", lambda route: route.abort())  # the articles are whole without them
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(120_000)
        for lang in LANGUAGES:
            info, articles = collect(page, base, lang)
            written.append(out / f"handbook.{lang}.pdf")
            print_pdf(page, document(info, articles, lang, base), written[-1])
    if out.resolve() == site.resolve():
        add_home_links(site)
    return written


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    site_dir = Path(sys.argv[1])
    for path in build_pdfs(site_dir, Path(sys.argv[2]) if len(sys.argv) == 3 else site_dir):
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
