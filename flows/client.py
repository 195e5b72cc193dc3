"""Prefect clients pointed at the API of our settings, not at whatever the environment says.

Every call into Prefect goes through ``prefect_client``: a web app built in process (tests)
and the stack's children reach the same server, and a submission fails fast instead of
retrying for a minute against a server that is down (the reconciler submits later).

A failed call is one of two things (``refusal``): Prefect refused the request itself (a 4xx:
asking again cannot help, the job fails with Prefect's reason), or the engine is
unavailable (no connection, a timeout, a 5xx, 408 or 429: asked again later).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import (
    PREFECT_API_REQUEST_TIMEOUT,
    PREFECT_API_URL,
    PREFECT_CLIENT_MAX_RETRIES,
    temporary_settings,
)

from landgrid.settings import Settings

PREFECT_ERRORS = (httpx.HTTPError, PrefectHTTPStatusError, OSError)
"""What a call into Prefect raises when it does not succeed (see ``refusal``)."""
TRANSIENT = {408, 425, 429}


def refusal(error: BaseException) -> str | None:
    """Prefect's reason when it refused the request (4xx); None when the engine is
    unavailable and the same request may succeed later."""
    if not isinstance(error, httpx.HTTPStatusError):
        return None
    status = error.response.status_code
    if not 400 <= status < 500 or status in TRANSIENT:
        return None
    try:
        body = error.response.json()
    except ValueError:
        body = error.response.text
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return f"HTTP {status}: {str(detail)[:500]}"


@contextmanager
def prefect_settings(settings: Settings, fail_fast: bool = False) -> Iterator[None]:
    updates: dict = {PREFECT_API_URL: settings.prefect_api}
    if fail_fast:
        updates |= {PREFECT_CLIENT_MAX_RETRIES: 0, PREFECT_API_REQUEST_TIMEOUT: 10.0}
    with temporary_settings(updates=updates):
        yield


@contextmanager
def prefect_client(settings: Settings, fail_fast: bool = False) -> Iterator[SyncPrefectClient]:
    with prefect_settings(settings, fail_fast), get_client(sync_client=True) as client:
        yield client
