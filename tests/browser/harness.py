"""Real-browser harness: Debian's Chromium, headless, driven by Playwright for Python.

No browser build of Playwright's own is downloaded or used: the launch points at
``/usr/bin/chromium`` (``bash scripts/setup.sh --test`` installs it). Every request to a
non-loopback address goes to a closed local port, so a page that reaches for the internet
fails in the test (as it would for a user offline) instead of leaving the machine.

A test takes ``page``, loads local pages (``serve`` starts local HTTP servers), then calls
``assert_clean(page, allowed_origins)``.

The fixtures are defined here once and made visible to every test folder by the root
``tests/conftest.py``: one Playwright and one browser per session (a second sync Playwright
in the same process cannot start while the first runs).
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium reaches for Google hosts on start.
CHROMIUM_ARGS = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "landgrid" / "web" / "static" / "dist"
ABORTED = "net::ERR_ABORTED"


@dataclass
class PageLog:
    """What went wrong on a page, and every URL it requested."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)  # network errors, HTTP >= 400
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self, allowed_origins: list[str]) -> list[str]:
        """Requests to an origin not allowed; data: and blob: URLs never leave the page."""
        allowed = {origin_of(o) for o in allowed_origins}
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob") and origin_of(url) not in allowed
        ]


_logs: weakref.WeakKeyDictionary[Page, PageLog] = weakref.WeakKeyDictionary()


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL, the unit that ``allowed_origins`` is made of."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_log(page: Page) -> PageLog:
    """The log that the ``page`` fixture keeps for its page."""
    return _logs[page]


def assert_clean(page: Page, allowed_origins: list[str]) -> None:
    """Fail, listing them all, on console errors, uncaught exceptions, failed requests or
    requests to any origin but ``allowed_origins`` (e.g. ``["http://127.0.0.1:8000"]``)."""
    log = page_log(page)
    problems = {
        "console errors": log.console_errors,
        "uncaught exceptions": log.page_errors,
        "failed requests": log.failed_requests,
        f"requests outside {sorted(allowed_origins)}": log.foreign_requests(allowed_origins),
    }
    found = [f"{kind}:\n  " + "\n  ".join(items) for kind, items in problems.items() if items]
    assert not found, "\n".join(found)


@pytest.fixture(scope="session")
def closed_port() -> Iterator[int]:
    """A local port bound but never listening, held for the session: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser(closed_port: int) -> Iterator[Browser]:
    """Headless Debian Chromium; Playwright gives it a new empty profile folder."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (bash scripts/setup.sh --test)"
        if os.geteuid() == 0:
            pytest.fail(message)  # root: setup could have installed it, so not a quiet skip
        pytest.skip(message)
    args = [*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{closed_port}"]  # loopback bypasses
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run sandboxed as root
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context, logging what ``assert_clean`` checks."""
    context = browser.new_context()
    page = context.new_page()
    log = _logs[page] = PageLog()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url")
            log.console_errors.append(f"{message.text} ({where})" if where else message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: log.page_errors.append(f"{e.name}: {e.message}"))
    page.on("request", lambda r: log.requests.append(r.url))
    page.on(
        "requestfailed",
        # aborted is the page's own choice (it navigated away, a map dropped a tile it no
        # longer shows), not a failure
        lambda r: r.failure != ABORTED and log.failed_requests.append(f"{r.url}: {r.failure}"),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and log.failed_requests.append(f"{r.url}: HTTP {r.status}"),
    )
    yield page
    context.close()


class _Handler(SimpleHTTPRequestHandler):
    """Files from a folder, in-memory files first, optionally with CORS; no access log."""

    files: Mapping[str, tuple[bytes, str]] = {}
    cors = False
    has_folder = False

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path not in self.files:
            if self.has_folder:
                return super().do_GET()
            return self.send_error(404)
        body, content_type = self.files[path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        if self.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class Serve(Protocol):
    """The ``serve`` fixture's function."""

    def __call__(
        self,
        directory: Path | None = None,
        files: Mapping[str, tuple[bytes, str]] | None = None,
        cors: bool = False,
    ) -> str: ...


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(directory=None, files={path: (body, content_type)}, cors=False)`` starts a
    local HTTP server on a free port, for the test's duration, and returns its origin."""
    servers: list[ThreadingHTTPServer] = []

    def start(
        directory: Path | None = None,
        files: Mapping[str, tuple[bytes, str]] | None = None,
        cors: bool = False,
    ) -> str:
        attrs = {"files": dict(files or {}), "cors": cors, "has_folder": directory is not None}
        handler = type("Handler", (_Handler,), attrs)
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(directory or ROOT))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def dist() -> Path:
    """The built assets; built by ``bash scripts/setup.sh``."""
    if not (DIST / "LICENSES.txt").exists():
        pytest.fail(f"{DIST} is not built: run bash scripts/setup.sh")
    return DIST
