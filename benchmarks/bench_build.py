"""Print the site's build times: cold (empty figure cache), warm rebuild, and without figures.

Usage: ``python benchmarks/bench_build.py [--repeat N]``. Runs ``mkdocs build --strict`` (both
languages) into a temporary folder; the cold run empties ``.cache`` (figures and rendered notebooks)
and the generated ``docs/figures`` and ``docs/notebooks``.
Also times the build without the chapter downloads (notebooks, zips) to show what they cost.
Targets for the finished site: cold <= 60 s; warm <= 1.2 x the build without figures.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(site_dir, figures=True, strict=True, downloads=True):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", HANDBOOK_FIGURES="on" if figures else "off",
               HANDBOOK_DOWNLOADS="on" if downloads else "off")
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(site_dir)]
    if strict:
        command.append("--strict")
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm and figure-free runs to take the best of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        for generated in (ROOT / ".cache", ROOT / "docs" / "figures", ROOT / "docs" / "notebooks"):
            shutil.rmtree(generated, ignore_errors=True)
        cold = build(site)
        warm = min(build(site) for _ in range(args.repeat))
        # figures off: the SVGs of the cold run stay in docs/, so the build is otherwise the same
        off = min(build(site, figures=False) for _ in range(args.repeat))
        # chapter notebooks and code zips off: what they add to a build
        bare = min(build(site, figures=False, downloads=False) for _ in range(args.repeat))
    print(f"cold build (empty cache)    {cold:6.2f} s   target <= 60 s")
    print(f"warm rebuild                {warm:6.2f} s")
    print(f"build without figures       {off:6.2f} s")
    print(f"warm / without figures      {warm / off:6.2f} x  target <= 1.2 x")
    print(f"without figures, downloads  {bare:6.2f} s   (chapter notebooks and zips cost {off - bare:.2f} s)")
    print(f"cold / warm                 {cold / warm:6.2f} x")


if __name__ == "__main__":
    main()
