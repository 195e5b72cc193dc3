"""What the conformance modules share: the official schema sets, link lookups, HTML checks
and a walk over the operations of the API definition."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

OGC = "http://www.opengis.net/spec"
FEATURES = "schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/"
PROCESSES = "schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/schemas/"
COVERAGES = (
    "raw.githubusercontent.com/opengeospatial/ogcapi-coverages/master/standard/openapi/schemas/"
)
GEOJSON = "geojson.org/schema/"
CQL2 = "schemas.opengis.net/cql2/1.0/cql2.json"
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
DEMO_RASTER = "clcplus-backbone"
DEMO_VECTOR = "clcplus-backbone-polygons"
PLACES = "ne_110m_populated_places_simple"
COUNTRIES = "ne_110m_admin_0_countries"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def link(doc: dict, rel: str, media: str | None = None) -> dict:
    """The first link of ``doc`` with this relation (and type); fails when there is none."""
    for candidate in doc.get("links", []):
        if candidate["rel"] == rel and (media is None or candidate.get("type") == media):
            return candidate
    raise AssertionError(f"no {rel} link typed {media}: {doc.get('links')}")


def rels(doc: dict) -> set[str]:
    return {candidate["rel"] for candidate in doc.get("links", [])}


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def html_page(text: str) -> list[str]:
    """Check an HTML 5 document (doctype, html/head/body); its anchors' hrefs."""
    assert text.lstrip().lower().startswith("<!doctype html>"), text[:80]
    parser = _Anchors()
    parser.feed(text)
    assert {"html", "head", "body"} <= parser.tags
    return parser.hrefs


def feature_collections(api: str, http) -> list[dict]:
    """The collections of features served (``itemType: feature``)."""
    listed = http.get(f"{api}/collections", timeout=60).json()["collections"]
    return [c for c in listed if c.get("itemType") == "feature"]


def operations(oas: dict, method: str | None = None) -> Iterator[tuple[str, str, dict]]:
    for path, item in oas["paths"].items():
        for verb, operation in item.items():
            if method is None or verb == method:
                yield path, verb, operation


def parameters(oas: dict, operation: dict, where: str = "query") -> dict[str, dict[str, Any]]:
    """The operation's parameters of one kind, ``$ref``s followed, by name."""
    out = {}
    for p in operation.get("parameters", []):
        if "$ref" in p:
            node: Any = oas
            for part in p["$ref"][2:].split("/"):
                node = node[part]
            p = node
        if p["in"] == where:
            out[p["name"]] = p
    return out
