"""Helpers shared by the tests: load a snippet file as a module, as a reader would run it; read a
recipe run's metrics log."""
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"


def load_snippet(relpath: str):
    """Import ``snippets/<relpath>`` the way ``python snippets/<relpath>`` sees it.

    The snippet's folder goes on ``sys.path`` so its sibling imports (``from schedules import ...``)
    resolve exactly as they do when a reader runs the file; snippet stems are unique repo-wide, so
    the plain module name is safe to cache in ``sys.modules``.
    """
    path = SNIPPETS / relpath
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_metrics(folder: Path, kind: str | None = None) -> list:
    """The records of a recipe run's ``metrics.jsonl`` (those of one ``kind``: step, epoch, final...)."""
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if kind is None or r["kind"] == kind]
