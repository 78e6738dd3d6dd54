"""Checks that keep the two languages and the code of the site in step.

- every page has its twin (``page.md`` / ``page.zh.md``);
- a pair has the same include lines (``--8<--``) in the same order, and the same heading ids;
- every heading has an explicit id (``{ #id }``), so links and the language switch land alike;
- a code fence holds only include lines: code comes from ``snippets/``;
- every snippet file is included by some page (or notebook source, ``notebooks/*.md``);
- on a Chinese page, an admonition's title is Chinese (or a file path alone).

Notebook sources follow the same rules as pages.

CLI: ``python -m buildtools.pages`` prints every problem and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

from buildtools.cjk import HAN

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+?)(?::[\w-]+)?"\s*$')
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
HEADING_ID = re.compile(r"\{\s*#([\w-]+)[^}]*\}\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
ADMONITION_TITLE = re.compile(r'^\s*(?:!!!|\?\?\?\+?)\s+[\w-]+\s+"(?P<title>[^"]*)"')
PATH_ALONE = re.compile(r"(?:[\w.-]+/)*[\w.-]+\.\w+")



def twin(path: Path) -> Path:
    name = path.name
    if name.endswith(".zh.md"):
        return path.with_name(name[: -len(".zh.md")] + ".md")
    return path.with_name(name[: -len(".md")] + ".zh.md")


def pages(root: Path):
    """Pages under docs/ and notebook sources under notebooks/."""
    found = [p for p in (root / "docs").rglob("*.md") if not any(part.startswith("_") for part in p.parts)]
    return sorted(found + list((root / "notebooks").glob("*.md")))


def _lines_outside_fences(text):
    """Yield (line, in_fence) pairs; fences are tracked so '#' in code is not a heading."""
    fence = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match:
            marker = match.group(2)
            if fence is None:
                fence = marker
                yield line, True
                continue
            if marker.startswith(fence):
                fence = None
                yield line, True
                continue
        yield line, fence is not None


def include_lines(text):
    return [line.strip() for line in text.splitlines() if INCLUDE.match(line)]


def heading_ids(text):
    """Heading ids in order; None for a heading with no explicit id."""
    ids = []
    for line, in_fence in _lines_outside_fences(text):
        if not in_fence and (m := HEADING.match(line)):
            found = HEADING_ID.search(m.group(2))
            ids.append(found.group(1) if found else None)
    return ids


CONTAINER = re.compile(r"^\s*(?:!!!|\?\?\?\+?|===|[-*+]\s|\d+\.\s)")
RAW_CODE = re.compile(r"<(?:pre|code)\b", re.I)
INLINE_HILITE = re.compile(r"`#!\w+")
INLINE_CODE = re.compile(r"``.+?``|`[^`]*`")  # `<pre>` named in inline code is not a <pre>


def typed_code(text):
    """Code typed into the page rather than included from snippets/, line by line:

    - lines inside code fences that are neither include lines nor blank;
    - an indented code block (4 spaces after a blank line, outside a list item or admonition);
    - raw ``<pre>``/``<code>`` HTML, and inline code highlighted as a language (`` `#!python x` ``).
    """
    found, blank, container = [], True, False
    for line, in_fence in _lines_outside_fences(text):
        if in_fence:
            if not FENCE.match(line) and line.strip() and not INCLUDE.match(line):
                found.append(line)
            blank = False
            continue
        if not line.strip():
            blank = True
            continue
        indent = len(line) - len(line.lstrip(" ")) + 4 * (len(line) - len(line.lstrip("\t")))
        if CONTAINER.match(line):
            container = True
        elif indent == 0:
            container = False
        elif indent >= 4 and blank and not container:
            found.append(line)
        if RAW_CODE.search(INLINE_CODE.sub("", line)) or INLINE_HILITE.search(line):
            found.append(line)
        blank = False
    return found


def missing_twins(root: Path = ROOT) -> list[str]:
    """A page whose other-language twin does not exist, by name."""
    return [f"{page.relative_to(root)}: no twin page {twin(page).relative_to(root)}"
            for page in pages(root) if not twin(page).exists()]


def problems(root: Path = ROOT):
    found, included = missing_twins(root), set()
    for page in pages(root):
        rel = page.relative_to(root)
        text = page.read_text(encoding="utf-8")
        other = twin(page)
        if other.exists() and not page.name.endswith(".zh.md"):
            other_text = other.read_text(encoding="utf-8")
            if include_lines(text) != include_lines(other_text):
                found.append(f"{rel}: include lines differ from {other.relative_to(root)}")
            if heading_ids(text) != heading_ids(other_text):
                found.append(f"{rel}: heading ids differ from {other.relative_to(root)}: "
                             f"{heading_ids(text)} vs {heading_ids(other_text)}")
        for index, heading_id in enumerate(heading_ids(text)):
            if heading_id is None:
                found.append(f"{rel}: heading {index + 1} has no explicit {{ #id }}")
        if page.name.endswith(".zh.md"):
            for line, in_fence in _lines_outside_fences(text):
                m = ADMONITION_TITLE.match(line)
                if m and not in_fence and not HAN.search(m["title"]) and not PATH_ALONE.fullmatch(m["title"]):
                    found.append(f"{rel}: admonition title in English on a Chinese page: {m['title']}")
        for line in typed_code(text):
            found.append(f"{rel}: code typed into the page (include it from snippets/): {line.strip()[:60]}")
        included |= {INCLUDE.match(line)["path"] for line in include_lines(text)}
    for snippet in sorted((root / "snippets").rglob("*.py")):
        rel = snippet.relative_to(root).as_posix()
        if rel not in included:
            found.append(f"{rel}: included by no page")
    return found


if __name__ == "__main__":
    issues = problems()
    print("\n".join(issues) or "pages: all checks pass")
    sys.exit(1 if issues else 0)
