"""The site's search index: Pagefind, one record per section, one index per language, loaded in fragments.

Each page's content (``data-pagefind-body``: the chapters, not the notebook pages that repeat
them) is cut at its headings into sections; each section is a Pagefind record with the section's
URL, so search ranks sections, not pages. Pagefind keeps one index per language, so a reader
searches their own language, and a query loads only the fragments it needs.

Chinese is indexed without a dictionary: every run of Chinese characters becomes the
overlapping pairs of characters it contains (预热阶段 -> 预热 热阶 阶段, and its last character
alone), each written as one plain token (``encode``). ``docs/assets/search.js`` encodes a query the
same way, so 预热 finds every 预热 and nothing else, 断点续训 finds the sections holding those
four characters in a row, and no segmentation can split a query differently from the index
(the browser's word segmenter splits 预热 into 预 + 热). The original text goes with each record,
for the excerpt. A section's heading is its record's heading, which Pagefind weighs above the text;
prose counts twice and code once (a field boost: code repeats identifiers that prose explains); a formula counts as its TeX source; a dotted name (``scheduler.state_dict``) also counts as its parts. Heading permalinks, the download buttons and scripts are left out.

CLI: ``python -m buildtools.search_index SITE_DIR`` (re)writes ``SITE_DIR/pagefind/`` and prints
the number of sections per language.
"""
import html
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from buildtools.cjk import HAN_CHARS
from buildtools.html_elements import VOID

HAN_RUN = re.compile(f"[{HAN_CHARS}]+")
SKIP_TAGS = {"script", "style", "svg", "button"}
UNUSED = ["pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
          "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js"]
PROSE_WEIGHT = 2  # a field boost: prose counts twice in its section's record, code once
# "success": the collapsed solutions of the exercises (their only use): a search for a topic lands
# on the section that explains it, not on a hidden answer that repeats its words
SKIP_CLASSES = {"headerlink", "handbook-downloads", "success"}
BLOCK_TAGS = {"p", "li", "td", "th", "tr", "pre", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6",
              "table", "ul", "ol", "dd", "dt", "blockquote", "summary", "details", "figcaption"}
HEADINGS = {"h1", "h2", "h3", "h4"}
DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # scheduler.state_dict, nn.utils.clip_grad_norm_


class SearchIndexError(Exception):
    pass


def dotted_parts(text: str) -> str:
    """The names inside dotted names: Pagefind keeps scheduler.state_dict as one word, and a reader
    searching state_dict should find it."""
    return " ".join(part for name in DOTTED.findall(text) for part in name.split("."))


def encode(text: str) -> str:
    """Chinese runs as pair tokens (and the run's last character), the rest unchanged."""
    def pairs(match):
        run = match[0]
        tokens = [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]
        return " " + " ".join("z" + "".join(f"{ord(c):04x}" for c in token) for token in tokens) + " "
    return HAN_RUN.sub(pairs, text)


@dataclass
class Section:
    anchor: str
    title: str = ""
    text: list = field(default_factory=list)   # what is indexed: a formula as its TeX source
    code: list = field(default_factory=list)
    shown: list = field(default_factory=list)  # what an excerpt shows: a formula as displayed


class _Sections(HTMLParser):
    """The sections of a page's ``data-pagefind-body``: heading id, heading text, body text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang, self.sections, self.depth, self.skip, self.heading = "en", [], 0, 0, None
        self.math, self.annotation = 0, False  # in a formula only its TeX source is text
        self.pre = 0  # inside a code block

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = (attrs.get("lang") or "en").split("-")[0]
        if self.depth:
            self.depth += tag not in VOID
        elif "data-pagefind-body" in attrs:
            self.depth = 1
            return
        if not self.depth:
            return
        if self.skip or tag in SKIP_TAGS or SKIP_CLASSES & set((attrs.get("class") or "").split()):
            self.skip += tag not in VOID
            return
        if tag == "math" or self.math:
            self.math += 1
            self.annotation = tag == "annotation"
            if tag == "math":
                self._add(" ")
            return
        if tag in HEADINGS and attrs.get("id"):
            self.sections.append(Section(attrs["id"]))
            self.heading = tag
        elif tag == "pre":
            self.pre += 1
        elif tag in BLOCK_TAGS:
            self._add(" ")

    def handle_startendtag(self, tag, attrs):
        pass  # <img ... />, <mspace/>: no text, and nothing to close

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if self.skip:
            self.skip -= 1
            return
        if self.math:
            self.math -= 1
            self.annotation = False
            return
        if tag == self.heading:
            self.heading = None
        elif tag == "pre":
            self.pre -= 1
            self._add(" ")
        elif tag in BLOCK_TAGS:
            self._add(" ")

    def handle_data(self, data):
        if not self.depth or self.skip:
            return
        if not self.math:
            self._add(data)
        elif self.annotation:
            self._add(f" {data} ", shown=False)
        else:
            self._add(data, indexed=False)

    def _add(self, text, indexed=True, shown=True):
        if not self.sections:
            self.sections.append(Section(""))
        section = self.sections[-1]
        if self.heading:
            section.title += text if indexed else ""
        elif self.pre:
            section.code.append(text)
        else:
            if indexed:
                section.text.append(text)
            if shown:
                section.shown.append(text)


def sections(html: str):
    """(lang, [(anchor, title, prose, code, prose as shown)]) of one built page; none if it has no
    indexed body."""
    parser = _Sections()
    parser.feed(html)
    out = []
    for s in parser.sections:
        text = re.sub(r"\s+", " ", "".join(s.text)).strip()
        code = re.sub(r"\s+", " ", "".join(s.code)).strip()
        shown = re.sub(r"\s+", " ", "".join(s.shown)).strip()
        title = re.sub(r"\s+", " ", s.title).strip()
        if title or text or code:
            out.append((s.anchor, title, text, code, shown))
    return parser.lang, out


def records(site_dir: Path):
    """One record per section of every indexed page of the built site."""
    for page in sorted(site_dir.rglob("index.html")):
        rel = page.parent.relative_to(site_dir).as_posix()
        lang, found = sections(page.read_text(encoding="utf-8"))
        if not found:
            continue
        page_title = found[0][1]
        for anchor, title, text, code, shown in found:
            url = "/" + (f"{rel}/" if rel != "." else "") + (f"#{anchor}" if anchor and anchor != found[0][0] else "")
            content = "\n".join([text] * PROSE_WEIGHT + [code, dotted_parts(text + " " + code)])
            heading = title or page_title
            yield {"url": url, "language": lang,
                   "heading": encode(heading) if lang == "zh" else heading,
                   "content": encode(content) if lang == "zh" else content,
                   "meta": {"title": title or page_title, "page": page_title, "target": url,
                            "body": f"{shown} {code}".strip()}}


def record_page(item) -> str:
    """One record as a tiny HTML page for Pagefind: the content to index, the rest as metadata.

    (Pagefind's Python API answers each added record after a 0.1 s poll, 17 s for this site; its
    command line indexes the same records as files in well under a second.)
    """
    meta = "".join(f'<span data-pagefind-ignore data-pagefind-meta="{key}">{html.escape(value)}</span>'
                   for key, value in item["meta"].items())
    return (f'<!DOCTYPE html><html lang="{item["language"]}"><head><meta charset="utf-8"></head>'
            f'<body><main data-pagefind-body>{meta}<h1>{html.escape(item["heading"])}</h1>'
            f'<p>{html.escape(item["content"])}</p></main></body></html>')


def _write(items, out_dir: Path):
    with tempfile.TemporaryDirectory() as pages:
        for number, item in enumerate(items):
            (Path(pages) / f"{number}.html").write_text(record_page(item), encoding="utf-8")
        command = [sys.executable, "-m", "pagefind", "--site", pages, "--output-path", str(out_dir), "--quiet"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SearchIndexError(f"pagefind failed:\n{result.stdout}{result.stderr}")


def build_index(site_dir: Path) -> dict:
    """Write ``site_dir/pagefind``; return the number of sections indexed per language."""
    site_dir = Path(site_dir)
    items = list(records(site_dir))
    counts = {}
    for item in items:
        counts[item["language"]] = counts.get(item["language"], 0) + 1
    if not items:
        raise SearchIndexError(f"no page of {site_dir} has content to index (data-pagefind-body)")
    out_dir = site_dir / "pagefind"
    shutil.rmtree(out_dir, ignore_errors=True)
    _write(items, out_dir)
    for name in UNUSED:  # Pagefind's own search UIs: the handbook's box is assets/search.js
        (out_dir / name).unlink(missing_ok=True)
    if not (out_dir / "pagefind.js").exists():
        raise SearchIndexError(f"pagefind wrote no index to {out_dir}")
    return counts


if __name__ == "__main__":
    print(build_index(Path(sys.argv[1])))
