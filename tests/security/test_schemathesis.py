"""Schemathesis over every operation of the OpenAPI document the running server serves, on
the real stack (PostGIS features, the demo coverage, Prefect jobs), in ``open`` mode and in
``oidc`` mode with a real token: requests built from the document, valid ones and invalid
ones (negative mode), with its examples and its boundary values (coverage phase). Every
answer is checked by schemathesis (no 5xx; status, media type, headers and body as the
document says; invalid data refused, valid data accepted; a 405 with ``Allow``) and by us:
every 4xx is an OGC exception document. Seeded: a failure prints its ``curl`` and the same
seed makes the same requests again."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import BaseSchema, Case, CheckContext, Response
from schemathesis.checks import negative_data_rejection, not_a_server_error

from landgrid.db import engine
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import Settings
from tests.auth.provider import OidcProvider

pytestmark = pytest.mark.services

SEED = 17
EXAMPLES = 10  # per operation in the fuzzing phase, beside the examples and coverage phases
EXECUTE_EXAMPLES = 4  # a process execution is a real job
ITEMS = "/collections/clcplus-backbone-polygons/items"
EDITS = "fuzz-edits"  # ours: the demo collections are read-only, Part 4 writes get fuzzed here
# Other tests' collections join the session's catalog (a CQL2 dataset, editable ones the
# standards tests count on): not fuzzed, theirs to keep, and each would add ~15 operations.
FUZZED = ("clcplus-backbone", "clcplus-backbone-polygons", EDITS, "catalogue")
OTHERS = r"^/collections/(?!({})(/|$))".format("|".join(map(re.escape, FUZZED)))
# Schema-valid values the document cannot tell from valid ones: grammars it names but JSON
# Schema does not spell out (CQL2, datetime, subset, bbox in a CRS, CRS URIs, cursors) and
# the server's state (which products and years exist, whether a callback host resolves).
# On an operation with such a parameter or a body a 400 (or 413, too large) is an answer to
# a schema-valid request; everywhere else a valid request must succeed. (5xx are judged
# by ``no_server_error``, as by default.)
GRAMMAR_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "413", "429", "5xx"]
CRASH = ("SIGSEGV", "Worker was sent", "WORKER TIMEOUT")


def ogc_exception(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 4xx is an OGC exception document: JSON with its ``type``."""
    if not 400 <= response.status_code < 500:
        return None
    media = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media in ("application/json", "application/problem+json"), (
        f"{response.status_code} answered as {media!r}, not the OGC exception JSON"
    )
    body = response.json()
    assert isinstance(body, dict) and body.get("type"), f"no exception type in {body!r}"
    return True


def no_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """``not_a_server_error`` but for the one 5xx the document promises: the exception of
    a job that failed as asked (``sleep`` with ``fail: true``), answered by its synchronous
    execution or by its results (OGC API - Processes /req/core/job-results-failed: an
    error status reflecting the failure). A crash says "internal error" instead."""
    if response.status_code < 500:
        return None
    body = response.json() if response.headers.get("content-type") == ["application/json"] else {}
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    assert response.status_code == 500 and detail.startswith("failed: asked to fail"), (
        f"{response.status_code}: {response.text[:300]}"
    )
    return True


def inputs_of(case: Case) -> dict[str, Any] | None:
    inputs = case.body.get("inputs") if isinstance(case.body, dict) else None
    return inputs if isinstance(inputs, dict) else None


def tame(case: Case) -> None:
    """Bounded cost: the document allows an hour of ``sleep`` and ten minutes of ``echo``
    pause (capped at 1 s), and ``ingest`` reads an http(s) source with GDAL from anywhere
    (sent to a closed local port instead, so the fuzz never leaves the machine)."""
    inputs = inputs_of(case)
    if inputs is None:
        return
    for name in ("seconds", "pause"):
        value = inputs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
            inputs[name] = 1
    source = inputs.get("source")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        inputs["source"] = "http://127.0.0.1:9/" + source.split("/", 3)[-1][:50]


def limit_over_maximum(case: Case) -> int | None:
    """The documented maximum of ``limit`` on a features page, when the case asks more.
    OGC API - Features 1.0.1 /req/core/fc-limit-response-1 C: that is no error, the server
    serves the maximum; the document keeps ``maximum``, as the standard's own fragment does
    (and its test suite wants), so schemathesis takes 10001 for invalid data."""
    param = case.operation.query.get("limit") if case.path.endswith("/items") else None
    limit = str((case.query or {}).get("limit"))  # an int, or its digits (coverage phase)
    if param is None or not limit.isdigit():
        return None
    maximum = param.definition["schema"].get("maximum")
    return maximum if maximum is not None and int(limit) > maximum else None


def call(case: Case) -> None:
    tame(case)
    maximum = limit_over_maximum(case)
    excluded = [not_a_server_error] + ([negative_data_rejection] if maximum else [])
    response = case.call_and_validate(
        additional_checks=[ogc_exception, no_server_error], excluded_checks=excluded
    )
    if maximum and response.status_code == 200:
        assert len(response.json()["features"]) <= maximum


def has_grammar(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A free-form string (or a list of them): no enum, pattern or format bounds it."""
    if "$ref" in schema:
        schema = resolve(document, schema)
    if schema.get("type") == "array":
        return has_grammar(document, schema.get("items", {}))
    return schema.get("type") == "string" and not {"enum", "pattern", "format"} & set(schema)


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        for part in node["$ref"].removeprefix("#/").split("/"):
            document = document[part]
        node = document
    return node


def grammar_operations(document: dict[str, Any]) -> list[str]:
    """Operations with a body or a parameter that has a grammar."""
    ids = []
    for item in document["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            shared = item.get("parameters", [])
            params = [resolve(document, p) for p in [*shared, *op.get("parameters", [])]]
            if "requestBody" in op or any(has_grammar(document, p["schema"]) for p in params):
                ids.append(op["operationId"])
    return ids


def config(document: dict[str, Any], url: str, known: dict[str, list[str]]) -> schemathesis.Config:
    """Every phase but the stateful one; real ids in path parameters half of the time (the
    ids differ from run to run: the jobs are made anew)."""
    bind = {f"path.{n}": {"dictionary": n, "probability": 0.5} for n in known if n != "doomed"}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": url,
            "request-timeout": 120,
            "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
            "phases": {  # no feedback from responses: the same seed, the same requests
                "stateful": {"enabled": False},
                "examples": {"extra-data-sources": {"responses": False}},
                "coverage": {"extra-data-sources": {"responses": False}},
                "fuzzing": {
                    "extra-data-sources": {"responses": False},
                    "error-feedback": {"enabled": False},
                },
            },
            "dictionaries": {name: {"values": values} for name, values in known.items()},
            "parameters": bind,
            "operations": [
                {
                    "include-operation-id": grammar_operations(document),
                    "checks": {"positive_data_acceptance": {"expected-statuses": GRAMMAR_STATUSES}},
                },
                {
                    "include-operation-id-regex": r"\.execute$",
                    "generation": {"max-examples": EXECUTE_EXAMPLES},
                },
                {  # dismissal gets jobs of its own: the others keep theirs to be read
                    "include-operation-id": "dismissJob",
                    "parameters": {"path.jobId": {"dictionary": "doomed", "probability": 0.5}},
                },
            ],
        }
    )


def execute(base_url: str, headers: dict[str, str], process: str, inputs: dict) -> list[str]:
    """The job's id, or none if the caller may not run the process."""
    r = requests.post(
        f"{base_url}/processes/{process}/execution",
        json={"inputs": inputs, "response": "document"},
        headers=headers | {"Prefer": "respond-async"},
        timeout=60,
    )
    assert r.status_code in (201, 403), r.text
    return [r.json()["jobID"]] if r.status_code == 201 else []


def wait_final(base_url: str, headers: dict[str, str], job_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}/jobs/{job_id}", headers=headers, timeout=30).json()
        if status["status"] in ("successful", "failed"):
            return
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not final in 120 s")


def real_ids(base_url: str, headers: dict[str, str]) -> dict[str, list[str]]:
    """Ids that exist: jobs that succeeded and failed, features, outputs."""
    kept = execute(base_url, headers, "echo", {"echoInput": "fuzz"})
    kept += execute(base_url, headers, "sleep", {"seconds": 0, "fail": True})  # operators'
    doomed = [i for _ in range(2) for i in execute(base_url, headers, "echo", {"echoInput": "x"})]
    for job_id in kept + doomed:
        wait_final(base_url, headers, job_id)
    page = requests.get(f"{base_url}{ITEMS}?limit=3", headers=headers, timeout=60).json()
    return {
        "jobId": kept,
        "doomed": doomed,
        "featureId": [str(f["id"]) for f in page["features"]],
        "outputId": ["echoOutput", "slept", "steps"],
    }


def unfinished(base_url: str, headers: dict[str, str]) -> Iterator[str]:
    url: str | None = f"{base_url}/jobs?status=accepted&status=running&limit=100"
    while url:
        page = requests.get(url, headers=headers, timeout=60).json()
        yield from (job["jobID"] for job in page["jobs"])
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)


def fuzz_schema(base_url: str, headers: dict[str, str], log: Path) -> Iterator[BaseSchema]:
    """The served document, loaded as the caller sees it; afterwards the jobs the fuzzing
    left queued or running are dismissed (the worker is the next tests'), and no web worker
    may have died on the way."""
    logged = log.stat().st_size
    before = set(unfinished(base_url, headers))
    document = requests.get(f"{base_url}/openapi?f=json", headers=headers, timeout=60).json()
    known = real_ids(base_url, headers)
    schema = schemathesis.openapi.from_dict(document, config=config(document, base_url, known))
    yield schema
    for job_id in set(unfinished(base_url, headers)) - before:
        requests.delete(f"{base_url}/jobs/{job_id}", headers=headers, timeout=60)
    with log.open("rb") as f:
        f.seek(logged)
        text = f.read().decode(errors="replace")
    assert not any(sign in text for sign in CRASH), text[-3000:]


@pytest.fixture(scope="module")
def edits(settings: Settings, database: str) -> Iterator[str]:
    """An editable collection of our own, with a column of each kind the editor checks;
    gone afterwards, with whatever the fuzzing wrote."""
    with engine(database).begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS fuzz_edits")  # an interrupted run's
        conn.exec_driver_sql(
            "CREATE TABLE fuzz_edits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "code integer, label text, area double precision, day date, "
            "geom geometry(Geometry, 4326) NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO fuzz_edits (code, label, area, day, geom) VALUES "
            "(1, 'a', 2.5, '2021-01-01', 'SRID=4326;POINT(9.85 47.3)')"
        )
    product = VectorProduct(id=EDITS, title="Fuzzed edits", table="fuzz_edits", editable=True)
    definition = write_vector_product(product, settings.data_dir / "vector-products")
    yield EDITS
    definition.unlink()
    with engine(database).begin() as conn:
        conn.exec_driver_sql("DROP TABLE fuzz_edits")


@pytest.fixture(scope="module")
def web_log(settings: Settings) -> Path:
    """Both apps' (open and oidc mode share the stack's folder)."""
    return Path(settings.data_dir) / "logs" / "web.log"


@pytest.fixture(scope="module")
def open_schema(base_url: str, edits: str, web_log: Path) -> Iterator[BaseSchema]:
    yield from fuzz_schema(base_url, {}, web_log)


class Bearer(requests.auth.AuthBase):
    """A fresh token from the provider each minute (they live five)."""

    def __init__(self, oidc: OidcProvider, who: str) -> None:
        self.oidc, self.who, self.at = oidc, who, 0.0

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        fresh = time.monotonic() - self.at > 60
        if fresh:
            self.at = time.monotonic()
        r.headers["Authorization"] = f"Bearer {self.oidc.token(self.who, fresh=fresh)}"
        return r


@pytest.fixture(scope="module")
def oidc_schema(
    auth_url: str, oidc: OidcProvider, edits: str, web_log: Path
) -> Iterator[BaseSchema]:
    """As ``user-a``, a user with no role: the document, the collections and jobs theirs."""
    for schema in fuzz_schema(auth_url, oidc.headers("user-a"), web_log):
        schema.auth.set_from_requests(Bearer(oidc, "user-a"))
        yield schema


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 names each operation's report by rewriting ``node._nodeid``, an
    attribute pytest 9.2 no longer has (it keeps ``_id``): give the node one to rewrite."""
    request.node._nodeid = request.node.nodeid


open_api = schemathesis.pytest.from_fixture("open_schema").exclude(path_regex=OTHERS)
oidc_api = schemathesis.pytest.from_fixture("oidc_schema").exclude(path_regex=OTHERS)


@open_api.parametrize()
def test_open_mode(case: Case) -> None:
    call(case)


@oidc_api.parametrize()
def test_oidc_mode(case: Case) -> None:
    call(case)
