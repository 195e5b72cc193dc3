"""Fixtures of the catalogue tests: the real stack (demo products) and its URLs."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture(scope="session")
def http() -> requests.Session:
    return requests.Session()


@pytest.fixture(scope="session")
def records_url(base_url: str) -> str:
    return f"{base_url}/collections/catalogue/items"
