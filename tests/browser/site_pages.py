"""Language of a built page and its twin in the other language (shared by the browser tests)."""


def lang_of(rel: str) -> str:
    return "zh" if rel.split("/")[0] == "zh" else "en"


def twin_of(rel: str) -> str:
    """The same page in the other language: 'lr-decay/' <-> 'zh/lr-decay/'."""
    return rel[len("zh/"):] if lang_of(rel) == "zh" else "zh/" + rel
