"""Draw the site's figures: run every ``snippets/<topic>/plot_*.py``, cached by content.

A snippet's figures land in ``docs/figures/<topic>/<stem>-<n>.svg`` (English) and ``<stem>-<n>.zh.svg``
(Chinese; the i18n plugin's suffix structure serves it on zh pages in place of the English one).
The cache key covers the snippet, the sibling snippets it imports (transitively), its topic's
glossary, the renderer itself and the version of every installed distribution these import (and
of the CJK font), so editing one snippet re-runs only the figures that depend on it. A build
removes cached renderings that no snippet uses any more.

CLI: ``python -m buildtools.figures [--force] [--jobs N] [--timeout S]`` draws them outside MkDocs.
"""
import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).with_name("render_figures.py")
RENDERER_FILES = (RENDERER, Path(__file__).with_name("dark_figures.py"))  # part of every cache key
GLOSSARY_NAME = "figures.zh.yml"
RENDERER_DISTRIBUTIONS = ("matplotlib", "numpy", "noto-cjk-sans-otc")  # the renderer, its arrays, its CJK font
KEY = re.compile(r"^[0-9a-f]{20}$")
DEFAULT_TIMEOUT = float(os.environ.get("HANDBOOK_FIGURE_TIMEOUT", 120))


class FigureError(RuntimeError):
    """A plot snippet failed, hung, or left a text untranslated; the message names the file.

    ``failed`` maps each failed snippet to its own message (empty when no snippet ran).
    """

    def __init__(self, message: str, failed: dict | None = None):
        super().__init__(message)
        self.failed = failed or {}


@dataclass(frozen=True)
class Job:
    snippet: Path
    key: str

    @property
    def topic(self) -> str:
        return self.snippet.parent.name


def plot_snippets(snippets_dir: Path):
    return sorted(snippets_dir.glob("*/plot_*.py"))


def local_imports(path: Path) -> list[Path]:
    """Sibling snippet files ``path`` imports, directly or through each other."""
    seen, todo = {path}, [path]
    while todo:
        tree = ast.parse(todo.pop().read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module.split(".")[0]]
            for name in names:
                sibling = path.parent / f"{name}.py"
                if sibling.exists() and sibling not in seen:
                    seen.add(sibling)
                    todo.append(sibling)
    return sorted(seen)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


def imported_modules(paths: list[Path]) -> set[str]:
    """Top-level modules the files import (standard library and siblings included)."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@lru_cache(maxsize=1)
def _owners() -> dict:
    return packages_distributions()


def distributions(paths: list[Path]) -> list[str]:
    """The installed distributions whose modules the files import, plus what the renderer uses."""
    owners = _owners()
    found = {dist for name in imported_modules(paths) for dist in owners.get(name, [])}
    return sorted(found | set(RENDERER_DISTRIBUTIONS))


def cache_key(snippet: Path) -> str:
    """Changes with the snippet, the siblings it imports, its glossary, the renderer, and the version
    of every distribution they import (scikit-learn's bundled data, say) and of the CJK font."""
    digest = hashlib.sha256()
    for package in distributions(local_imports(snippet)):
        digest.update(f"{package}={_version(package)};".encode())
    for path in RENDERER_FILES:
        digest.update(path.read_bytes())
    inputs = local_imports(snippet) + [snippet.parent / GLOSSARY_NAME]
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<none>")
    return digest.hexdigest()[:20]


def glossary_errors(snippets_dir: Path) -> dict:
    """{topic folder: message} for each figure glossary that is not valid YAML: named once, with
    its line, instead of once per plot snippet as the renderer would."""
    import yaml

    errors = {}
    for path in sorted(snippets_dir.glob(f"*/{GLOSSARY_NAME}")):
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            where = getattr(error, "problem_mark", None)
            line = f", line {where.line + 1}" if where else ""
            errors[path.parent] = (f"{path.relative_to(snippets_dir.parent).as_posix()}{line}: not valid "
                                   f"YAML: {getattr(error, 'problem', None) or error}")
    return errors


def render_all(jobs: list[Job], cache_dir: Path, parallel: int, timeout: float) -> tuple[dict, dict]:
    """Run the snippets of `jobs` (none cached) in one renderer process; return ({snippet: error},
    {snippet: seconds it ran}).

    The renderer imports torch and matplotlib once and forks a child per snippet. A job's figures
    move into ``cache_dir/<key>`` only when it succeeded, so a failure is never cached.
    """
    if not jobs:
        return {}, {}
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = {job: Path(tempfile.mkdtemp(prefix=f"{job.key}.", dir=cache_dir)) for job in jobs}
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    request = json.dumps([[str(job.snippet), str(work[job]), str(job.snippet.parent / GLOSSARY_NAME)]
                          for job in jobs])
    command = [sys.executable, "-m", "buildtools.render_figures", "--serve", str(parallel), str(timeout)]
    result = subprocess.run(command, input=request, env=env, capture_output=True, text=True,
                            timeout=timeout * len(jobs) + 60)
    outcomes = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            outcome = json.loads(line)
            outcomes[outcome["job"]] = outcome
    errors = {}
    seconds = {jobs[index].snippet: outcome["seconds"] for index, outcome in outcomes.items()}
    for index, job in enumerate(jobs):
        name = job.snippet.relative_to(job.snippet.parents[2]).as_posix()
        outcome, folder = outcomes.get(index), work[job]
        log = folder / "log.txt"
        if outcome and outcome["code"] == 0:
            log.unlink(missing_ok=True)
            try:
                folder.rename(cache_dir / job.key)
            except OSError:  # a concurrent build cached the same job first
                shutil.rmtree(folder, ignore_errors=True)
            continue
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-40:]) if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        if outcome is None:
            errors[job.snippet] = (f"{name}: the renderer stopped before it ran (exit {result.returncode}):\n"
                                   f"{result.stderr.strip()[-2000:]}")
        elif outcome["timed_out"]:
            errors[job.snippet] = (f"{name}: ran past the {timeout:.0f} s limit for a figure snippet; its "
                                   f"last output, then where it was when stopped:\n{tail}")
        else:
            errors[job.snippet] = f"{name} failed (exit {outcome['code']}):\n{tail}"
    return errors, seconds


def sync(source: Path, target: Path, stem: str) -> set[Path]:
    """Copy ``<n>[.dark][.zh].svg`` to ``target/<stem>-<n>[.dark][.zh].svg``, writing only what changed."""
    written = set()
    for svg in sorted(source.glob("*.svg")):
        dest = target / f"{stem}-{svg.name}"
        data = svg.read_bytes()
        if not dest.exists() or dest.read_bytes() != data:
            target.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        written.add(dest)
    return written


def build_figures(root: Path = ROOT, force: bool = False, jobs: int | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Draw every plot snippet's figures into ``docs/figures``; return counts for reporting."""
    root = root.resolve()  # the renderer's children chdir to their snippet's folder
    snippets_dir, out_dir = root / "snippets", root / "docs" / "figures"
    cache_dir = root / ".cache" / "figures"
    if force:
        shutil.rmtree(cache_dir, ignore_errors=True)
    unreadable = glossary_errors(snippets_dir)  # their topics' snippets are not run
    todo = [Job(path, cache_key(path)) for path in plot_snippets(snippets_dir)
            if path.parent not in unreadable]
    ran = [job for job in todo if not (cache_dir / job.key).is_dir()]
    failed, seconds = render_all(ran, cache_dir, jobs or os.cpu_count() or 1, timeout)
    errors = {**unreadable, **failed}
    written = set()
    for job in todo:
        if (cache_dir / job.key).is_dir():
            written |= sync(cache_dir / job.key, out_dir / job.topic, job.snippet.stem)
    if errors:
        raise FigureError("figure snippets failed:\n" + "\n\n".join(errors.values()), errors)
    for stale in set(out_dir.glob("*/*.svg")) - written:
        stale.unlink()
    pruned = prune(cache_dir, {job.key for job in todo})
    slowest = sorted(seconds.items(), key=lambda item: -item[1])
    return {"snippets": len(todo), "ran": len(ran), "figures": len(written), "pruned": pruned,
            "slowest": [(path.relative_to(root).as_posix(), s) for path, s in slowest]}


def prune(cache_dir: Path, keep: set[str]) -> int:
    """Remove cached renderings no snippet uses any more; return how many."""
    stale = [d for d in cache_dir.glob("*") if d.is_dir() and KEY.match(d.name) and d.name not in keep]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return len(stale)


def error_figures(root: Path, failed: dict) -> list[Path]:
    """Put a box with the error in place of every figure a failed snippet draws on the pages.

    For ``mkdocs serve``: the contributor sees what failed where the figure would be, and the site
    keeps serving; a real build still fails.
    """
    written = []
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (root / "docs").rglob("*.md"))
    failed = {snippet: message for where, message in failed.items()  # a topic: each of its snippets
               for snippet in (plot_snippets(where.parent) if where.is_dir() else [where])
               if not where.is_dir() or snippet.parent == where}
    for snippet, message in failed.items():
        topic, stem = snippet.parent.name, snippet.stem
        numbers = sorted(set(re.findall(rf"figures/{topic}/{stem}-(\d+)\.svg", pages)), key=int) or ["1"]
        for number in numbers:
            for suffix in (".svg", ".zh.svg", ".dark.svg", ".dark.zh.svg"):
                path = root / "docs" / "figures" / topic / f"{stem}-{number}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                svg = error_svg(message)
                if not path.exists() or path.read_text(encoding="utf-8") != svg:  # serve watches docs/
                    path.write_text(svg, encoding="utf-8")
                written.append(path)
    return written


def error_svg(message: str) -> str:
    """An SVG box holding a figure snippet's error: its first line and the last lines of its output."""
    from xml.sax.saxutils import escape

    lines = message.splitlines()
    shown = [lines[0]] + lines[1:][-14:] if lines else ["figure snippet failed"]
    text = "".join(f'<text x="16" y="{40 + 18 * i}">{escape(line[:110])}</text>' for i, line in enumerate(shown))
    height = 60 + 18 * len(shown)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{height}" role="img" '
            f'aria-label="figure snippet failed">'
            f'<rect x="1" y="1" width="898" height="{height - 2}" fill="#fff4f4" stroke="#c62828" stroke-width="2"/>'
            f'<g font-family="monospace" font-size="13" fill="#b71c1c" style="white-space:pre">{text}</g></svg>\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="empty the cache and run every snippet")
    parser.add_argument("--jobs", type=int, help="parallel snippet runs (default: CPU count)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per snippet")
    args = parser.parse_args(argv)
    try:
        stats = build_figures(force=args.force, jobs=args.jobs, timeout=args.timeout)
    except FigureError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{stats['figures']} figure files from {stats['snippets']} snippets ({stats['ran']} ran)")
    for name, seconds in stats["slowest"]:
        print(f"{seconds:7.1f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
