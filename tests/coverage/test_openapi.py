"""The OpenAPI document describes the coverage routes as they are, self-contained."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from landgrid.catalog import Products
from landgrid.features.settings import FeatureSettings
from landgrid.settings import Settings
from landgrid.web.openapi import assemble
from landgrid.web.openapi.coverages import PARAMETERS, describe
from landgrid.web.openapi.shared import Context

ID = "clcplus-backbone"
NAMES = {
    "subset",
    "subset-crs",
    "bbox",
    "bbox-crs",
    "datetime",
    "properties",
    "exclude-properties",
    "resolution",
    "width",
    "height",
    "crs",
    "f",
    "scale-size",
    "scale-factor",
    "scale-axes",
    "scaleSize",
    "scaleFactor",
    "scaleAxes",
}
MEDIA = {
    "image/tiff; application=geotiff",
    "application/x-netcdf",
    "application/vnd.cov+json",
    "application/prs.coverage+json",
    "image/png",
    "text/html",
}


def _resolve(document: dict, node: Any) -> Any:
    """``node`` with a local ``$ref`` followed; a remote one fails the test."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"not self-contained: {ref}"
        node = document
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def check_coverage_paths(document: dict, product_id: str) -> None:
    """Structure of OpenAPI 3.0 operations, parameters and responses (what a validator
    checks for these paths), and our parameters and media types."""
    base = f"/collections/{product_id}/coverage"
    operation = document["paths"][base]["get"]
    for ref in _refs(operation):
        _resolve(document, {"$ref": ref})
    params = [_resolve(document, p) for p in operation["parameters"] if p["in"] == "query"]
    assert {p["name"] for p in params} == NAMES
    for p in params:
        assert p["in"] == "query" and isinstance(p["description"], str)
        assert p["schema"]["type"] in {"string", "integer", "number", "array"}
        if p["schema"]["type"] == "array":
            assert p["style"] == "form" and p["explode"] is False and "items" in p["schema"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == MEDIA
    assert {"Content-Crs", "Content-Bbox", "Content-Datetime"} <= set(ok["headers"])
    for status, response in operation["responses"].items():
        response = _resolve(document, response)  # shared answers (414, 431) by $ref
        assert status.isdigit() and response["description"]
        for media in response.get("content", {}).values():
            assert "type" in _resolve(document, media["schema"])
    for what in ("domainset", "rangetype"):
        assert "200" in document["paths"][f"{base}/{what}"]["get"]["responses"]
    ids = [
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_each_raster_product_is_described(corine):
    context = Context(
        base="http://x",
        settings=Settings(),
        features=FeatureSettings(),
        products=Products({corine.id: corine}, {}),
        processes={},
        tables={},
    )
    document = assemble([describe(context)], {"title": "t", "version": "1"}, "http://x")
    check_coverage_paths(document, corine.id)
    assert set(PARAMETERS) == NAMES


@pytest.mark.services
def test_served_document_describes_the_coverage(base_url):
    r = requests.get(f"{base_url}/openapi", params={"f": "json"}, timeout=30)
    assert r.status_code == 200
    document = r.json()
    assert document["openapi"].startswith("3.0")
    check_coverage_paths(document, ID)
