"""Which MkDocs command runs: under ``mkdocs serve`` a hook reports a fault and keeps serving.

A hook imports ``on_startup`` (MkDocs calls it with the command) and asks ``serving()``.
"""
_COMMAND = {"name": "build"}


def on_startup(command, dirty):
    _COMMAND["name"] = command


def serving() -> bool:
    return _COMMAND["name"] == "serve"
