"""Shared fixtures: one strict build of the whole site per test session."""
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Build:
    site: Path
    output: str
    returncode: int


def mkdocs_build(config_dir: Path, site_dir: Path, *extra, env: dict | None = None) -> Build:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(env or {}))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site_dir), *extra],
        cwd=config_dir, env=env, capture_output=True, text=True, timeout=900)
    return Build(site_dir, result.stdout + result.stderr, result.returncode)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Build:
    build = mkdocs_build(ROOT, tmp_path_factory.mktemp("site") / "site")
    assert build.returncode == 0, build.output[-4000:]
    return build


def pytest_terminal_summary(terminalreporter):
    """How many blocks of each page ran as a reader runs them (and were skipped); search hit rates."""
    counts = getattr(terminalreporter.config, "handbook_block_counts", None)  # set by test_copy_paste
    if counts:
        terminalreporter.section("code blocks run as pasted (ran / skipped)")
        for page, (ran, skipped) in sorted(counts.items()):
            terminalreporter.write_line(f"{page:28s} {ran:3d} / {skipped}")
        total = [sum(column) for column in zip(*counts.values())]
        terminalreporter.write_line(f"{'all pages':28s} {total[0]:3d} / {total[1]}")
    scores = getattr(terminalreporter.config, "handbook_search_scores", None)  # set by test_search
    if scores:
        terminalreporter.section("search benchmark (typed into the search box)")
        for lang, score in sorted(scores.items()):
            terminalreporter.write_line(f"{lang}: {score['n']} queries  hit@1 {score['hit@1']:.2f}  "
                                        f"hit@3 {score['hit@3']:.2f}")
