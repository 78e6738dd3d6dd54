"""Draw the site's figures: run every ``snippets/<topic>/plot_*.py``, cached by content.

A snippet's figures land in ``docs/figures/<topic>/<stem>-<n>.svg`` (English) and ``<stem>-<n>.zh.svg``
(Chinese; the i18n plugin's suffix structure serves it on zh pages in place of the English one).
The cache key covers the snippet, the sibling snippets it imports (transitively), its topic's
glossary and the renderer itself, so editing one snippet re-runs only the figures that depend on it.

CLI: ``python -m buildtools.figures [--force] [--jobs N] [--timeout S]`` draws them outside MkDocs.
"""
import argparse
import ast
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import matplotlib

ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).with_name("render_figures.py")
GLOSSARY_NAME = "figures.zh.yml"
DEFAULT_TIMEOUT = float(os.environ.get("HANDBOOK_FIGURE_TIMEOUT", 120))


class FigureError(RuntimeError):
    """A plot snippet failed, hung, or left a text untranslated; the message names the file."""


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


def cache_key(snippet: Path) -> str:
    digest = hashlib.sha256()
    digest.update(matplotlib.__version__.encode())
    digest.update(RENDERER.read_bytes())
    inputs = local_imports(snippet) + [snippet.parent / GLOSSARY_NAME]
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<none>")
    return digest.hexdigest()[:20]


def render(job: Job, cache_dir: Path, timeout: float) -> Path:
    """Run the snippet unless its figures are cached; return the cache folder holding them."""
    done = cache_dir / job.key
    if done.is_dir():
        return done
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{job.key}.", dir=cache_dir))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "buildtools.render_figures", str(job.snippet), str(work),
               str(job.snippet.parent / GLOSSARY_NAME)]
    name = job.snippet.relative_to(ROOT) if job.snippet.is_relative_to(ROOT) else job.snippet
    try:
        result = subprocess.run(command, cwd=job.snippet.parent, env=env, capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        shutil.rmtree(work, ignore_errors=True)
        raise FigureError(f"{name}: ran past the {timeout:.0f} s limit for a figure snippet") from None
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        tail = "\n".join(result.stderr.strip().splitlines()[-25:])
        raise FigureError(f"{name} failed (exit {result.returncode}):\n{tail}")
    try:
        work.rename(done)
    except OSError:  # another build finished the same job first
        shutil.rmtree(work, ignore_errors=True)
    return done


def sync(source: Path, target: Path, stem: str) -> set[Path]:
    """Copy ``<n>.svg``/``<n>.zh.svg`` to ``target/<stem>-<n>[.zh].svg``, writing only what changed."""
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
    snippets_dir, out_dir = root / "snippets", root / "docs" / "figures"
    cache_dir = root / ".cache" / "figures"
    if force:
        shutil.rmtree(cache_dir, ignore_errors=True)
    todo = [Job(path, cache_key(path)) for path in plot_snippets(snippets_dir)]
    ran = [job for job in todo if not (cache_dir / job.key).is_dir()]
    workers = jobs or min(len(ran), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(workers) as pool:
        futures = {job: pool.submit(render, job, cache_dir, timeout) for job in todo}
        errors = []
        written = set()
        for job, future in futures.items():
            try:
                written |= sync(future.result(), out_dir / job.topic, job.snippet.stem)
            except FigureError as error:
                errors.append(str(error))
    if errors:
        raise FigureError("figure snippets failed:\n" + "\n\n".join(errors))
    for stale in set(out_dir.glob("*/*.svg")) - written:
        stale.unlink()
    return {"snippets": len(todo), "ran": len(ran), "figures": len(written)}


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
