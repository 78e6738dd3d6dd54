"""One headless Chromium for the whole session, driving the built site served on 127.0.0.1.

Without Chromium the browser tests skip with buildtools.browser.INSTALL_HINT, unless
HANDBOOK_REQUIRE_BROWSER=1 (set by .ci/run): then they fail. HANDBOOK_SITE_DIR=<folder> tests an
already built site instead of building one (quicker while working on these tests).
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from buildtools.browser import INSTALL_HINT, chromium, chromium_path, serve


def require_browser():
    if chromium_path() is None:
        if os.environ.get("HANDBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HANDBOOK_REQUIRE_BROWSER=1 but no Chromium: {INSTALL_HINT}", pytrace=False)
        pytest.skip(INSTALL_HINT)


@dataclass
class Browser:
    """The served site, the Chromium context, the one page reused by every test, and what it saw."""
    site: Path
    base: str
    context: object
    page: object
    requests: list = field(default_factory=list)        # (page being visited, URL)
    console_errors: list = field(default_factory=list)  # (page, text)
    page_errors: list = field(default_factory=list)     # (page, text)
    current: str = ""

    def url(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def goto(self, rel: str):
        self.current = rel
        response = self.page.goto(self.url(rel), wait_until="load")
        assert response is not None and response.ok, f"{rel}: HTTP {response and response.status}"
        return response


@pytest.fixture(scope="session")
def site_browser(request, tmp_path_factory):
    require_browser()
    if os.environ.get("HANDBOOK_SITE_DIR"):
        site = Path(os.environ["HANDBOOK_SITE_DIR"]).resolve()
    else:
        site = request.getfixturevalue("built_site").site
    profile = tmp_path_factory.mktemp("chromium-profile")
    with serve(site) as base, chromium(profile) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(15_000)
        # Material remembers the palette of an earlier visit: forget it so each scheme is emulated afresh
        page.add_init_script("localStorage.clear()")
        state = Browser(site, base, context, page)
        # the context also sees the search worker's requests
        context.on("request", lambda req: state.requests.append((state.current, req.url)))
        page.on("console", lambda msg: msg.type == "error"
                and state.console_errors.append((state.current, f"{msg.text} @ {msg.location}")))
        page.on("pageerror", lambda err: state.page_errors.append((state.current, str(err))))
        yield state
