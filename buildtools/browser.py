"""Serve a built site on 127.0.0.1 and drive Debian's Chromium with Playwright, offline.

Shared by the browser tests and the screenshot script. Never downloads a browser: it uses the
``chromium`` on PATH (Debian package ``chromium``).
"""
import contextlib
import functools
import http.server
import shutil
import threading
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # without this Chromium still looks up Google hosts on its own
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
INSTALL_HINT = "install Chromium (Debian: apt-get install -y --no-install-recommends chromium)"


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def site_pages(site: Path):
    """Every page of a built site as a path relative to its root ('', 'lr-decay/', 'zh/', ...)."""
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if rel.split("/")[0] in ("assets", "search", "figures"):
            continue
        yield "" if rel == "." else rel + "/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site_dir: Path, handler_class=QuietHandler):
    """Serve ``site_dir`` on a free port of 127.0.0.1; yield the base URL."""
    handler = functools.partial(handler_class, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(user_data_dir: Path):
    """A headless Chromium (persistent context in a fresh profile folder)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not executable:
        raise RuntimeError(f"no Chromium found: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()
