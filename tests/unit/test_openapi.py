"""The OpenAPI document: valid OpenAPI 3.0, self-contained, and describing exactly the routes
served, including collections registered while the app runs (no database needed)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.app import create_app
from landgrid.web.openapi import assemble
from tests.schemas import validate_openapi

UNDESCRIBED = {"/static/<path:name>", "/login", "/authorize", "/logout"}  # assets, browser login
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    products = tmp_path / "config" / "products"
    shutil.copytree(PROJECT_ROOT / "config" / "products", products)
    shutil.copytree(
        PROJECT_ROOT / "config" / "vector-products", tmp_path / "config" / "vector-products"
    )
    settings = Settings(
        data_dir=tmp_path / "var",
        products_dir=products,
        public_url="http://localhost:5000",
        database_url="postgresql://nobody@127.0.0.1:1/landgrid",  # nothing answers
    )
    settings.products_data_dir.mkdir(parents=True)
    (settings.products_data_dir / "clcplus-backbone.nc").write_bytes(b"")
    return settings


@pytest.fixture
def client(settings: Settings):
    return create_app(settings).test_client()


def document(client) -> dict:
    r = client.get("/openapi")
    assert r.status_code == 200 and r.mimetype == "application/vnd.oai.openapi+json"
    return r.json


def refs(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_valid_openapi_30_and_self_contained(client):
    doc = document(client)
    assert doc["openapi"].startswith("3.0")
    validate_openapi(doc)
    remote = [r for r in refs(doc) if not r.startswith("#/")]
    assert not remote, remote
    for ref in set(refs(doc)):  # every local reference resolves
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]


def test_operation_ids_unique_and_coverage_suffix(client):
    doc = document(client)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert doc["paths"]["/collections/clcplus-backbone/coverage"]["get"]["operationId"].endswith(
        ".getCoverage"
    )


def _concrete(path: str) -> str:
    """A path of the template: ``0`` for each parameter (a string, and an ``<int:>``)."""
    return re.sub(r"\{[^}]+\}", "0", path)


def test_every_route_is_described_and_every_operation_routed(client, settings):
    editable = VectorProduct(id="zones", title="Zones", table="zones", editable=True)
    write_vector_product(editable, settings.data_dir / "vector-products")
    doc = document(client)
    app = client.application
    adapter = app.url_map.bind("localhost")
    for path, item in doc["paths"].items():
        for method in item:
            rule, _ = adapter.match(_concrete(path), method.upper(), return_rule=True)
            assert rule.rule not in UNDESCRIBED
    described = {(path, m) for path, item in doc["paths"].items() for m in item}
    for rule in app.url_map.iter_rules():
        if rule.rule in UNDESCRIBED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            matching = [
                p
                for p, m in described
                if m == method.lower() and _matches(adapter, _concrete(p), method, rule)
            ]
            assert matching, f"{method} {rule.rule} is served but not described"


def _matches(adapter, path: str, method: str, rule) -> bool:
    try:
        found, _ = adapter.match(path, method, return_rule=True)
    except (NotFound, MethodNotAllowed):
        return False
    return found == rule


def test_a_collection_registered_while_running_is_described_at_once(client, settings):
    before = document(client)
    assert "/collections/places/items" not in before["paths"]
    places = VectorProduct(
        id="places", title="Places", table="places", time_column="start", time_end_column="end"
    )
    write_vector_product(places, settings.data_dir / "vector-products")
    after = document(client)
    names = {p["name"] for p in after["paths"]["/collections/places/items"]["get"]["parameters"]}
    assert {"limit", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang"} <= names
    assert {"filter-crs", "offset", "cursor"} <= names
    assert "/collections/places/items/{featureId}" in after["paths"]
    polygons = after["paths"]["/collections/clcplus-backbone-polygons/items"]["get"]
    assert "datetime" not in {p["name"] for p in polygons["parameters"]}  # no time column


def test_limit_bounds_and_filter_lang_as_served(client):
    doc = document(client)
    params = {
        p["name"]: p
        for p in doc["paths"]["/collections/clcplus-backbone-polygons/items"]["get"]["parameters"]
    }
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10000,
        "default": 10,
    }
    assert params["filter-lang"]["schema"]["enum"] == ["cql2-text", "cql2-json"]
    assert params["filter-lang"]["schema"]["default"] == "cql2-text"
    assert "lang" not in params


def test_process_paging_and_outputs_as_served(client):
    """``after`` names a process (anything else is a 400); an output offered by reference
    only needs its ``transmissionMode`` (absent, it is ``value``, refused): both as the
    server checks them."""
    doc = document(client)
    listing = doc["paths"]["/processes"]["get"]["parameters"]
    after = next(p for p in listing if p["name"] == "after")
    assert "extract" in after["schema"]["enum"]
    assert client.get("/processes?after=no-such-process").status_code == 400
    bodies = {
        pid: doc["paths"][f"/processes/{pid}/execution"]["post"]["requestBody"]["content"]
        for pid in ("extract", "echo")
    }
    extract, echo = (b["application/json"]["schema"]["properties"] for b in bodies.values())
    assert extract["outputs"]["properties"]["coverage"]["required"] == ["transmissionMode"]
    assert "required" not in echo["outputs"]["properties"]["echoOutput"]
    body = {"inputs": {"echoInput": "a"}, "outputs": {"echoOutput": None}}
    r = client.post("/processes/echo/execution", json=body)
    assert r.status_code == 400 and "options must be an object" in r.json["detail"]


def test_transactions_only_for_editable_collections(client, settings):
    item = document(client)["paths"]["/collections/clcplus-backbone-polygons/items/{featureId}"]
    assert set(item) == {"get"}
    write_vector_product(
        VectorProduct(id="zones", title="Zones", table="zones", editable=True),
        settings.data_dir / "vector-products",
    )
    item = document(client)["paths"]["/collections/zones/items/{featureId}"]
    assert set(item) == {"get", "put", "patch", "delete", "options"}


def test_a_fragment_describing_an_operation_twice_is_refused():
    fragment = {"paths": {"/x": {"get": {"responses": {}}}}}
    with pytest.raises(ValueError, match="described twice"):
        assemble([fragment, fragment], {"title": "t", "version": "1"}, "http://x")
    one = {"components": {"schemas": {"s": {"type": "string"}}}}
    other = {"components": {"schemas": {"s": {"type": "integer"}}}}
    with pytest.raises(ValueError, match="defined twice"):
        assemble([one, other], {"title": "t", "version": "1"}, "http://x")
    assemble([one, one], {"title": "t", "version": "1"}, "http://x")  # the same twice is fine


def test_every_undeclared_parameter_is_refused(client):
    """Routes that need no database: each refuses a parameter the document does not name."""
    doc = document(client)
    for path in ("/", "/conformance", "/openapi", "/processes", "/processes/echo"):
        declared = {p["name"] for p in doc["paths"][path]["get"].get("parameters", [])}
        assert "nonsense" not in declared
        r = client.get(path, query_string={"nonsense": "1"})
        assert r.status_code == 400, (path, r.text)
        assert "nonsense" in r.json["detail"]
        for name in declared - {"limit", "after"}:
            value = "json" if name == "f" else "1"
            assert client.get(path, query_string={name: value}).status_code == 200, (path, name)
