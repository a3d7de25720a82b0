"""Headless Chromium (Debian's, driven by Playwright) for page tests.

Every page test gets a `page` that records each request; at the end of the test it asserts that
no request went to another host — deployments have no internet, so anything fetched from
elsewhere would be a broken page there — and that the page broke no rule of its
Content-Security-Policy (a refused script, style or worker is a broken page too). Screenshots go
to test-artifacts/.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    # WebGL through SwiftShader, for maps (MapLibre) and the 3D viewer (CesiumJS).
    "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# Each securitypolicyviolation event, logged where the console listener below sees it (Chromium
# also logs its own "Refused to …" message for most, not all, violations).
_REPORT_CSP = """document.addEventListener("securitypolicyviolation", e => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));"""


def _wait_for_function(page, expression, arg=None, timeout=30_000, polling=None):
    """page.wait_for_function, polling with evaluate(): Playwright compiles a wait_for_function
    predicate with eval() inside the page, which the pages' Content-Security-Policy refuses."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    interval = polling / 1000 if isinstance(polling, (int, float)) else 0.05
    while True:
        try:
            value = page.evaluate(expression, arg) if arg is not None else page.evaluate(expression)
        except Error as exc:  # navigating: the next page is asked again
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            value = None
        if value:
            return _Value(value)
        if time.monotonic() > deadline:
            raise TimeoutError(f"wait_for_function: {expression!r} not true after {timeout} ms")
        page.wait_for_timeout(interval * 1000)


class _Value:
    def __init__(self, value):
        self._value = value

    def json_value(self):
        return self._value


class RecordingPage:
    """A Playwright page plus the list of every URL it requested and every CSP violation."""

    def __init__(self, page, base_url: str):
        self.page = page
        page.wait_for_function = functools.partial(_wait_for_function, page)
        self.base_url = base_url
        self.requests: list[str] = []
        self.csp_violations: list[str] = []
        self.console: list[str] = []  # every console message, for failure reports
        page.on("request", lambda r: self.requests.append(r.url))
        page.add_init_script(_REPORT_CSP)
        page.on("console", self._console)

    def _console(self, message):
        text = message.text
        self.console.append(f"{message.type}: {text}")
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.csp_violations.append(f"{self.page.url}: {text}")

    def foreign_requests(self) -> list[str]:
        ours = urlsplit(self.base_url).netloc
        return [u for u in self.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).netloc != ours]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_page(browser, live_server):
    """Factory: open_page(width=…, height=…, touch=…) → a RecordingPage in a fresh context. Every
    page opened is checked at the end of the test for requests to other hosts."""
    opened = []

    def factory(width=1280, height=800, touch=False, locale="zh-CN"):
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height}, has_touch=touch)
        recorder = RecordingPage(context.new_page(), live_server.url)
        opened.append((context, recorder))
        return recorder

    yield factory
    for context, recorder in opened:
        context.close()
        assert recorder.foreign_requests() == [], "requests left for another host"
        assert recorder.csp_violations == [], f"the page broke its Content-Security-Policy: {recorder.csp_violations}"


@pytest.fixture
def page(open_page):
    return open_page()
