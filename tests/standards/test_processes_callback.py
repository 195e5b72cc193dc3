"""OGC API - Processes Part 1, ``.../conf/callback``: an execute request's ``subscriber``
URIs are called as the job progresses and when it succeeds or fails."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.standards.helpers import OGC
from tests.standards.processes import execute, wait

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/callback"


class Inbox(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        Inbox.received.append((self.path, json.loads(self.rfile.read(length) or b"null")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def inbox():
    server = HTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_declared(conforms_to):
    assert CLASS in conforms_to


def delivered(path: str, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [body for p, body in Inbox.received if p == path]
        if found:
            return found
        time.sleep(0.5)
    return []


def test_success_and_failure_are_called_back(api, http, inbox):
    """/req/callback/job-callback: successUri gets the results, failedUri the exception."""
    subscriber = {"successUri": f"{inbox}/ok", "failedUri": f"{inbox}/failed"}
    ok = execute(
        http, api, "echo", {"echoInput": "call"}, prefer="respond-async", subscriber=subscriber
    )
    assert ok.status_code == 201
    wait(http, api, ok.json()["jobID"])
    assert {"echoOutput": "call"} in delivered("/ok")
    bad = execute(
        http,
        api,
        "sleep",
        {"seconds": 0, "steps": 1, "fail": True},
        prefer="respond-async",
        subscriber={"successUri": f"{inbox}/never", "failedUri": f"{inbox}/failed"},
    )
    wait(http, api, bad.json()["jobID"])
    failures = delivered("/failed")
    assert failures and "asked to fail" in json.dumps(failures)
    assert not [p for p, _ in Inbox.received if p == "/never"]


def test_a_subscriber_that_is_not_a_uri_is_400(api, http):
    r = execute(http, api, "echo", {"echoInput": "x"}, subscriber={"successUri": "ftp://x"})
    assert r.status_code == 400
