"""Pages of a built site and their language twins (shared by the browser tests)."""
from pathlib import Path


def site_pages(site: Path):
    """Every page of the built site as a path relative to its root ('', 'lr-decay/', 'zh/', ...)."""
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if rel.split("/")[0] in ("assets", "search", "figures"):
            continue
        yield "" if rel == "." else rel + "/"


def lang_of(rel: str) -> str:
    return "zh" if rel.split("/")[0] == "zh" else "en"


def twin_of(rel: str) -> str:
    """The same page in the other language: 'lr-decay/' <-> 'zh/lr-decay/'."""
    return rel[len("zh/"):] if lang_of(rel) == "zh" else "zh/" + rel
