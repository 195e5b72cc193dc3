"""Prefect clients pointed at the API of our settings, not at whatever the environment says.

Every call into Prefect goes through ``prefect_client``: a web app built in process (tests)
and the stack's children reach the same server, and a submission fails fast instead of
retrying for a minute against a server that is down (the reconciler submits later).
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

PREFECT_DOWN = (httpx.HTTPError, PrefectHTTPStatusError, OSError)


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
