"""Code comments and docstrings in the reader's language; the code itself token for token the tested file.

The files in ``snippets/`` are written in English and stay the single tested source. A Chinese page
shows them with each comment and docstring replaced from ``snippets/<topic>/code.zh.yml``, a
mapping from the English text to the Chinese text (like ``figures.zh.yml`` for figure texts):

- a comment's key is its text after ``#`` and one space; a docstring's key is its text as
  ``inspect.cleandoc`` gives it (a multi-line docstring is a YAML block, ``|-``);
- only comments and docstrings change: ``significant_tokens`` of a translated block equal those of
  the English one (the tests check it on every block of every page);
- a comment or docstring with no entry, an empty entry or an entry with no Chinese in it stops the
  build, naming the file to add it to; strings the program prints stay English (the programs are
  not bilingual: their output matches what the English pages quote).

CLI: ``python -m buildtools.code_translation [TOPIC ...]`` prints the texts of each topic's files
that have no entry yet, as YAML to paste and translate, the entries no file uses, and any file that
cannot be translated; exit 1 if there is any. ``--show snippets/<topic>/<file>.py`` prints a file
as the Chinese pages show it.
"""
import ast
import inspect
import io
import re
import sys
import tokenize
from functools import lru_cache
from pathlib import Path

import yaml

from buildtools.cjk import HAN

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
GLOSSARY = "code.zh.yml"
PRAGMA = re.compile(r"^(?:noqa\b|type:|pragma\b|fmt:|--8<--)")


class TranslationError(Exception):
    """A comment or docstring that the Chinese pages cannot show in Chinese."""


def load(topic_dir: Path) -> dict:
    """A topic's translations; empty or non-Chinese entries are errors, named with the file."""
    path = topic_dir / GLOSSARY
    if not path.exists():
        return {}
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise TranslationError(f"{shown}: not valid YAML: {error}") from None
    bad = [key for key, value in data.items() if not isinstance(value, str) or not HAN.search(value)]
    if bad:
        raise TranslationError(f"{shown}: no Chinese text for {bad[0]!r}"
                               + (f" and {len(bad) - 1} more" if len(bad) > 1 else ""))
    return {str(key): value for key, value in data.items()}


@lru_cache(maxsize=None)
def _glossary(stamp) -> dict:
    merged, origin = {}, {}
    for topic_dir in sorted(p.parent for p in SNIPPETS.glob(f"*/{GLOSSARY}")):
        for key, value in load(topic_dir).items():
            if key in merged and merged[key] != value:
                raise TranslationError(f"{key!r} has two translations: in {origin[key]} and "
                                       f"{topic_dir.relative_to(ROOT)}/{GLOSSARY}")
            merged[key], origin[key] = value, f"{topic_dir.relative_to(ROOT)}/{GLOSSARY}"
    return merged


def glossary() -> dict:
    """Every topic's translations in one mapping (reloaded when a glossary file changes)."""
    stamp = tuple((p, p.stat().st_mtime_ns) for p in sorted(SNIPPETS.glob(f"*/{GLOSSARY}")))
    return _glossary(stamp)


def _docstring_starts(tree) -> set:
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                starts.add((first.lineno, first.col_offset))
    return starts


def texts(code: str):
    """(kind, key, token) of every comment and docstring of the code, in order."""
    starts = _docstring_starts(ast.parse(code))
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            text = token.string[1:].removeprefix(" ").rstrip()
            if text and not PRAGMA.match(text):
                yield "comment", text, token
        elif token.type == tokenize.STRING and token.start in starts:
            yield "docstring", inspect.cleandoc(ast.literal_eval(token.string)), token


def _docstring_literal(original: str, text: str, column: int) -> str:
    """The docstring ``text`` written the way ``original`` was (prefix, quotes, layout)."""
    prefix = re.match(r"^[rRuU]*", original)[0]
    quote = original[len(prefix):len(prefix) + 3]
    quote = quote if quote in ('"""', "'''") else original[len(prefix)]
    body = original[len(prefix) + len(quote):-len(quote)]
    lines = text.split("\n")
    indent = " " * column
    out = lines[0] + "".join(f"\n{indent}{line}" if line else "\n" for line in lines[1:])
    if re.search(r"\n[ \t]*$", body):  # closing quotes on a line of their own
        out += "\n" + indent
    if quote in out or (not prefix and "\\" in out):
        raise TranslationError(f"the translation of {text[:40]!r} cannot sit inside {quote}")
    return f"{prefix}{quote}{out}{quote}"


def translate(code: str, table: dict | None = None, where: str = "") -> str:
    """The code with every comment and docstring in Chinese; TranslationError names what is missing."""
    table = glossary() if table is None else table
    lines = code.splitlines(keepends=True)
    missing, edits = [], []
    for kind, key, token in texts(code):
        if key not in table:
            missing.append((kind, key))
            continue
        if kind == "comment":
            new = "# " + table[key]
        else:
            new = _docstring_literal(token.string, table[key], token.start[1])
        edits.append((token.start, token.end, new))
    if missing:
        kind, key = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        topic = re.search(r"snippets/([\w-]+)/", where)
        raise TranslationError(f"{where}: no Chinese for the {kind} {key!r}{more}: add it to "
                               f"snippets/{topic[1] if topic else '<topic>'}/{GLOSSARY} "
                               "(python -m buildtools.code_translation lists what is missing)")
    for (start_row, start_col), (end_row, end_col), new in reversed(edits):
        head = lines[start_row - 1][:start_col]
        tail = lines[end_row - 1][end_col:]
        lines[start_row - 1:end_row] = [head + new + tail]
    return "".join(lines)


def significant_tokens(code: str) -> list:
    """The tokens that make the program: no comments, no docstrings, no line breaks or indentation."""
    starts = _docstring_starts(ast.parse(code))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type not in skip and not (t.type == tokenize.STRING and t.start in starts)]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--show"]:
        print(translate(Path(argv[1]).read_text(encoding="utf-8"), where=argv[1]), end="")
        return 0
    topics = [SNIPPETS / name for name in argv] or sorted(p for p in SNIPPETS.iterdir() if p.is_dir())
    table, used, problems = glossary(), set(), 0
    for topic in topics:
        missing = {}
        for path in sorted(topic.glob("*.py")):
            for kind, key, _ in texts(path.read_text(encoding="utf-8")):
                used.add(key)
                if key not in table:
                    missing.setdefault(key, path.name)
            try:
                translated = translate(path.read_text(encoding="utf-8"), table, str(path.relative_to(ROOT)))
                if significant_tokens(translated) != significant_tokens(path.read_text(encoding="utf-8")):
                    raise TranslationError(f"{path.relative_to(ROOT)}: translated code differs from the file")
            except TranslationError as error:
                problems += 1
                if "no Chinese for" not in str(error):
                    print(f"# error: {error}")
        if missing:
            print(f"# {topic.relative_to(ROOT)}/{GLOSSARY}: {len(missing)} texts without Chinese")
            for key, name in missing.items():
                print(f"# {name}")
                print(yaml.safe_dump({key: ""}, allow_unicode=True, width=1000, default_style=None), end="")
    unused = sorted(set(table) - used) if not argv else []
    for key in unused:
        print(f"# unused entry: {key!r}")
    return 1 if problems or unused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
