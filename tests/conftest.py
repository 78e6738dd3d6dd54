"""Shared fixtures: one strict build of the whole site per test session."""
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from buildtools.browser import chromium_path

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


@dataclass
class PdfRun:
    """``buildtools.pdf`` printing a site in a process of its own (the browser tests may hold a
    sync Playwright, and its event loop, open in this one)."""
    site: Path
    out: Path
    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, site: Path, out: Path) -> "PdfRun":
        log = out / "pdf.log"
        with log.open("w") as sink:
            process = subprocess.Popen([sys.executable, "-m", "buildtools.pdf", str(site), str(out)],
                                       cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        return cls(site, out, process, log)

    def wait(self, timeout: int = 600) -> Path:
        returncode = self.process.wait(timeout=timeout)
        assert returncode == 0, f"python -m buildtools.pdf failed:\n{self.log.read_text()[-3000:]}"
        return self.out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, request) -> Build:
    build = mkdocs_build(ROOT, tmp_path_factory.mktemp("site") / "site")
    assert build.returncode == 0, build.output[-4000:]
    # the PDF editions print on the second core while the tests that follow run on the first
    # (tests/test_pdf.py waits for them): most tests use one core, and the printing takes a minute
    if chromium_path() and any(item.path.name == "test_pdf.py" for item in request.session.items):
        request.config.handbook_pdf_run = PdfRun.start(build.site, tmp_path_factory.mktemp("pdf"))
    return build


def pytest_terminal_summary(terminalreporter):
    """How many blocks of each page ran as a reader runs them (and were skipped); search hit rates."""
    counts = getattr(terminalreporter.config, "handbook_block_counts", None)  # set by test_copy_paste
    if counts:
        terminalreporter.section("code blocks run as pasted (ran / skipped)")
        shared = getattr(terminalreporter.config, "handbook_shared_runs", {})
        for page, (ran, skipped) in sorted(counts.items()):
            twin = f"  (one run with {shared[page]}: the same program)" if page in shared else ""
            terminalreporter.write_line(f"{page:28s} {ran:3d} / {skipped}{twin}")
        total = [sum(column) for column in zip(*counts.values())]
        terminalreporter.write_line(f"{'all pages':28s} {total[0]:3d} / {total[1]}")
    scores = getattr(terminalreporter.config, "handbook_search_scores", None)  # set by test_search
    if scores:
        terminalreporter.section("search benchmark (typed into the search box)")
        for lang, score in sorted(scores.items()):
            terminalreporter.write_line(f"{lang}: {score['n']} queries  hit@1 {score['hit@1']:.2f}  "
                                        f"hit@3 {score['hit@3']:.2f}")
