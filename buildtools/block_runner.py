"""Run a page's code as a reader does, in the current (empty) folder; no project module is imported.

Reads JSON steps from stdin, the cells of a chapter notebook in order:
``{"where": ..., "write": "name.py", "code": ...}`` saves a file (``%%writefile``),
``{"where": ..., "run": "name.py", "args": [...]}`` runs it as ``python name.py args`` would, in the
interpreter's namespace (``%run``), and ``{"where": ..., "code": ...}`` runs code in that namespace.
Appends one JSON line per step to the report file named by its argument, ``start`` before the
step (so a hang is named) and the outcome after, with what the step printed; the code's own output
also goes to stdout and stderr.

Started as ``python -I block_runner.py REPORT`` (so its own folder is not on ``sys.path``) by
``buildtools.chapter_notebooks.run_notebook``.
"""
import builtins
import contextlib
import io
import json
import os
import runpy
import sys
import time
import traceback


REPORT = None


def report(**fields):
    REPORT.write(json.dumps(fields) + "\n")
    REPORT.flush()


def close_figures():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def run(steps):
    sys.path.insert(0, os.getcwd())  # as in an interactive interpreter: files saved here import
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for step in steps:
        report(start=step["where"])
        began, printed = time.perf_counter(), io.StringIO()
        try:
            with contextlib.redirect_stdout(Tee(printed, sys.stdout)), \
                    contextlib.redirect_stderr(Tee(printed, sys.stderr)):
                run_step(step, namespace)
            report(where=step["where"], ok=True, seconds=round(time.perf_counter() - began, 2),
                   output=printed.getvalue()[-20000:])
        except BaseException as error:  # noqa: BLE001 - every failure is reported, by block
            lines = traceback.format_exception(type(error), error, error.__traceback__)
            report(where=step["where"], ok=False, error=f"{type(error).__name__}: {error}",
                   traceback="".join(lines[-6:]), output=printed.getvalue()[-20000:])
        finally:
            close_figures()


class Tee(io.TextIOBase):
    """Write to the cell's record and to the real stream (a reader sees the output too)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def run_step(step, namespace):
    if "write" in step:
        with open(step["write"], "w", encoding="utf-8") as handle:
            handle.write(step["code"])
    elif "run" in step:
        sys.argv = [step["run"], *step.get("args", [])]
        try:
            namespace.update(runpy.run_path(step["run"], run_name="__main__"))
        except SystemExit as done:
            if done.code not in (None, 0):
                raise
    else:
        exec(compile(step["code"], step["where"], "exec"), namespace)


if __name__ == "__main__":
    with open(sys.argv[1], "a", encoding="utf-8") as REPORT:
        run(json.load(sys.stdin))
