"""Subscriber callbacks without server-side request forgery.

A callback URI must be ``http``/``https`` to a host whose every address is public: not
loopback, private, link-local (cloud metadata at 169.254.169.254 included), shared
(100.64/10), multicast, reserved or unspecified, IPv4-mapped IPv6 read as IPv4. Networks in
``LANDGRID_CALLBACK_ALLOW`` are permitted although not public (internal hooks). The URI is
checked when the job is submitted (a 400 naming the rule) and again at every delivery: the
host is resolved once more, every address checked, and the POST goes to the checked
address itself (``Host`` and TLS name from the URI), so a DNS answer that changes between
check and use cannot redirect it; HTTP redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3

from landgrid.errors import InvalidParameterValue, LandgridError, StackError
from landgrid.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CallbackRefused(InvalidParameterValue):
    """A callback URI the policy does not let the server call."""


class CallbackFailed(LandgridError):
    """A delivery that did not reach a 2xx answer (refused, unreachable, error status)."""


@dataclass(frozen=True)
class Target:
    """A checked callback: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class CallbackPolicy:
    allow: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackPolicy:
        try:
            allow = tuple(
                ipaddress.ip_network(item.strip(), strict=False)
                for item in settings.callback_allow.split(",")
                if item.strip()
            )
        except ValueError as exc:
            raise StackError(f"LANDGRID_CALLBACK_ALLOW: {exc}") from exc
        return cls(allow)

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allow):
            return True
        return address.is_global and not address.is_multicast

    def target(self, uri: str, what: str = "callback") -> Target:
        """The URI checked and resolved; ``CallbackRefused`` saying which rule it breaks."""
        try:
            parts = urlsplit(uri)
            port = parts.port
        except ValueError as exc:
            raise CallbackRefused(f"{what}: not a valid URI ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CallbackRefused(f"{what} must be an http(s) URI with a host")
        if parts.username is not None or parts.password is not None:
            raise CallbackRefused(f"{what}: credentials in the URI are not supported")
        host = parts.hostname
        port = port or (443 if parts.scheme == "https" else 80)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise CallbackRefused(f"{what}: the host {host!r} cannot be resolved") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        denied = [a for a in addresses if not self.permits(a)]
        if denied or not addresses:
            raise CallbackRefused(
                f"{what}: {host!r} resolves to {denied[0] if denied else 'nothing'}, which is "
                "not a public address (loopback, private, link-local and metadata ranges are "
                "refused; operators may allow networks with LANDGRID_CALLBACK_ALLOW)"
            )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(parts.scheme, host, port, path, str(addresses[0]))


def deliver(policy: CallbackPolicy, uri: str, body: Any, timeout: float) -> int:
    """POST ``body`` as JSON to ``uri``, checked again now and sent to the checked address;
    the 2xx status, or ``CallbackFailed``."""
    try:
        target = policy.target(uri)
    except CallbackRefused as exc:
        raise CallbackFailed(exc.message) from exc
    tls: dict[str, Any] = {}
    pool_class: type[urllib3.HTTPConnectionPool] = urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool_class = urllib3.HTTPSConnectionPool
        tls = {
            "server_hostname": target.host,
            "assert_hostname": target.host,
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": certifi.where(),
        }
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": "landgrid-callback",
    }
    pool = pool_class(target.address, target.port, timeout=timeout, retries=False, **tls)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=json.dumps(body).encode(),
            headers=headers,
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=True,
        )
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise CallbackFailed(f"{target.host}: {exc}") from exc
    finally:
        pool.close()
    if not 200 <= response.status < 300:
        raise CallbackFailed(f"{target.host} answered HTTP {response.status}")
    return response.status
