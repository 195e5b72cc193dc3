"""Subscriber callbacks without SSRF: refused unless to a public address (after DNS),
checked again at delivery and sent to the checked address, no redirects followed. Only
loopback receivers are ever contacted here; public addresses are checked, never called."""

from __future__ import annotations

import http.server
import ipaddress
import json
import re
import socket
import threading
from collections.abc import Iterator

import pytest

from landgrid.errors import InvalidParameterValue, StackError
from landgrid.jobs.callbacks import CallbackFailed, CallbackPolicy, CallbackRefused, deliver
from landgrid.jobs.request import parse_execute
from landgrid.settings import Settings

PUBLIC = CallbackPolicy()
LOOPBACK = CallbackPolicy((ipaddress.ip_network("127.0.0.0/8"),))
ECHO = {"inputs": {}, "jobControlOptions": ["async-execute"]}


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:1/cb",
        "http://localhost/cb",
        "http://127.1/cb",
        "http://2130706433/cb",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/cb",
        "http://0.0.0.0/cb",
        "http://[::1]/cb",
        "http://[::ffff:127.0.0.1]/cb",  # IPv4-mapped
        "http://[::ffff:169.254.169.254]/cb",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://[fe80::1]/cb",
        "http://[fd00:ec2::254]/cb",  # AWS metadata over IPv6 (unique local)
        "http://10.1.2.3/cb",
        "http://172.16.0.1/cb",
        "http://192.168.1.1/cb",
        "http://100.64.0.1/cb",  # shared address space (CGNAT)
        "http://224.0.0.1/cb",  # multicast
        "http://240.0.0.1/cb",  # reserved
        "https://name.invalid/cb",  # does not resolve
        "http://user:secret@93.184.215.14/cb",
        "gopher://93.184.215.14/cb",
        "http:///cb",
        "http://93.184.215.14:99999/cb",
    ],
)
def test_refused(uri):
    with pytest.raises(CallbackRefused):
        PUBLIC.target(uri)


@pytest.mark.parametrize(
    "uri",
    ["http://93.184.215.14/cb?job=1", "https://93.184.215.14:8443/", "http://[2606:4700::1111]/x"],
)
def test_public_addresses_pass_the_check(uri):
    target = PUBLIC.target(uri)  # resolved and checked only: nothing is sent
    assert ipaddress.ip_address(target.address).is_global


def test_the_allow_list_admits_internal_networks_only():
    settings = Settings(callback_allow="10.1.2.0/24, fd00::/8")
    policy = CallbackPolicy.from_settings(settings)
    assert policy.target("http://10.1.2.3/hook").address == "10.1.2.3"
    assert policy.target("http://[fd00::5]/hook").address == "fd00::5"
    with pytest.raises(CallbackRefused):
        policy.target("http://10.1.3.1/hook")
    with pytest.raises(CallbackRefused):
        policy.target("http://169.254.169.254/")
    with pytest.raises(StackError, match="LANDGRID_CALLBACK_ALLOW"):
        CallbackPolicy.from_settings(Settings(callback_allow="10.1.2.0/33"))


def test_execute_request_names_the_refused_uri():
    body = {
        "inputs": {},
        "subscriber": {"successUri": "http://a.b/ok", "failedUri": "http://127.0.0.1/x"},
    }
    with pytest.raises(CallbackRefused, match="subscriber 'successUri'"):
        parse_execute(ECHO, body)
    body["subscriber"]["successUri"] = "http://93.184.215.14/ok"
    with pytest.raises(CallbackRefused, match=r"subscriber 'failedUri'.*127\.0\.0\.1"):
        parse_execute(ECHO, body)
    assert parse_execute(ECHO, body, LOOPBACK).subscriber == body["subscriber"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"subscriber": None}, "'subscriber' must be an object"),
        ({"subscriber": {"successUri": None}}, "subscriber 'successUri' must be an http(s) URI"),
        ({"outputs": None}, "'outputs' must be an object"),
        ({"outputs": {"echoOutput": {"transmissionMode": {}}}}, "transmissionMode"),  # was a 500
        ({"outputs": {"echoOutput": None}}, "options must be an object"),
    ],
)
def test_execute_request_members_of_the_wrong_kind(members, message):
    """Found by schemathesis: each was accepted as if absent, or answered 500."""
    echo = {**ECHO, "outputs": {"echoOutput": {}}}
    with pytest.raises(InvalidParameterValue, match=re.escape(message)):
        parse_execute(echo, {"inputs": {}, **members})


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Receiver.received.append(
            (self.path, self.headers["Host"], json.loads(self.rfile.read(length)))
        )
        if self.path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.received = []
    yield server.server_address[1]
    server.shutdown()


def test_delivery_to_an_allowed_receiver(receiver):
    status = deliver(LOOPBACK, f"http://localhost:{receiver}/done?job=1", {"status": "ok"}, 5)
    assert status == 204
    assert Receiver.received == [("/done?job=1", f"localhost:{receiver}", {"status": "ok"})]


def test_delivery_checks_again_and_follows_no_redirect(receiver):
    # allowed at submission, no longer at delivery (the allow-list changed, or the name
    # now resolves elsewhere): nothing is sent
    with pytest.raises(CallbackFailed, match="not a public address"):
        deliver(PUBLIC, f"http://127.0.0.1:{receiver}/done", {}, 5)
    assert Receiver.received == []
    with pytest.raises(CallbackFailed, match="HTTP 307"):
        deliver(LOOPBACK, f"http://127.0.0.1:{receiver}/redirect", {}, 5)
    assert [path for path, _, _ in Receiver.received] == ["/redirect"]  # not followed


def test_delivery_goes_to_the_checked_address(receiver, monkeypatch):
    """A name that resolves to a checked address once and elsewhere the next time (DNS
    rebinding) is connected to at the checked address: no second lookup."""
    answers = iter(["127.0.0.1", "169.254.169.254"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert deliver(LOOPBACK, f"http://rebind.test:{receiver}/pinned", {"n": 1}, 5) == 204
    assert Receiver.received == [("/pinned", f"rebind.test:{receiver}", {"n": 1})]


def test_delivery_failures_are_callback_failures():
    with pytest.raises(CallbackFailed):
        deliver(LOOPBACK, "http://127.0.0.1:1/closed", {}, 2)
