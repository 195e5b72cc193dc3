"""The CQL2 abstract test suite's predicates over HTTP, in the four ways the server takes a
filter: CQL2 text and CQL2 JSON, each by GET and as a POST body."""

from __future__ import annotations

import json

import pytest
import requests

from tests.features.ats import params

MODES = ("get-text", "get-json", "post-text", "post-json")


def sweep(*classes: str):
    """Parametrize a test over the predicates of these ATS classes and the four modes."""

    def decorate(test):
        test = pytest.mark.parametrize("mode", MODES)(test)
        return pytest.mark.parametrize("predicate", params(*classes))(test)

    return decorate


def matches(http: requests.Session, api: str, predicate: dict, mode: str) -> dict:
    """The whole answer (one page) for a predicate sent in ``mode``."""
    url = f"{api}/collections/{predicate['collection']}/items"
    query = {"limit": "10000"}
    if mode == "get-text":
        r = http.get(url, params={**query, "filter": predicate["cql2_text"]}, timeout=30)
    elif mode == "get-json":
        filter_json = json.dumps(predicate["cql2_json"])
        r = http.get(
            url, params={**query, "filter": filter_json, "filter-lang": "cql2-json"}, timeout=30
        )
    elif mode == "post-json":
        r = http.post(
            url,
            params=query,
            data=json.dumps(predicate["cql2_json"]),
            headers={"Content-Type": "application/query-cql-json"},
            timeout=30,
        )
    else:
        r = http.post(
            url,
            params=query,
            data=predicate["cql2_text"].encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            timeout=30,
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert not any(link["rel"] == "next" for link in body["links"])
    return body


def check(http: requests.Session, api: str, predicate: dict, mode: str) -> None:
    assert matches(http, api, predicate, mode)["numberReturned"] == predicate["expected_count"]
