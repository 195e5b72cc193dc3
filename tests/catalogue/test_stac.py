"""STAC API on the real stack: pystac-client searching and opening items, rasterio and
gdalinfo reading a COG asset by HTTP range, documents validated against the STAC schemas."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.schemas import validate

STAC = "schemas.stacspec.org/v1.1.0/"
STAC_API = "api.stacspec.org/v1.0.0/"


def validate_stac(doc: dict) -> None:
    kind = (
        "collection-spec/json-schema/collection.json"
        if doc["type"] == "Collection"
        else ("item-spec/json-schema/item.json")
    )
    validate(doc, STAC + kind)
    for extension in doc.get("stac_extensions", []):
        validate(doc, extension)


@pytest.fixture(scope="session")
def client(base_url):
    from pystac_client import Client

    return Client.open(f"{base_url}/stac")


def test_landing_and_conformance(http, base_url):
    landing = http.get(f"{base_url}/stac").json()
    validate(landing, STAC + "catalog-spec/json-schema/catalog.json")
    assert "https://api.stacspec.org/v1.0.0/item-search" in landing["conformsTo"]
    rels = [(link["rel"], link.get("method")) for link in landing["links"]]
    assert ("search", "GET") in rels and ("search", "POST") in rels
    assert http.get(f"{base_url}/stac/conformance").json()["conformsTo"] == landing["conformsTo"]


def test_collections_valid_with_extensions(client, http, base_url):
    ids = {c.id for c in client.get_collections()}
    assert {"clcplus-backbone", "clcplus-backbone-polygons", "results"} <= ids
    for cid in ids:
        validate_stac(http.get(f"{base_url}/stac/collections/{cid}").json())
    raster = http.get(f"{base_url}/stac/collections/clcplus-backbone").json()
    data = raster["item_assets"]["data"]
    classes = {c["value"]: c for c in data["classification:classes"]}
    assert classes[1]["title"] == "Sealed" and classes[1]["color_hint"] == "FF0000"
    assert classes[255]["nodata"] is True
    assert raster["license"] == "CC-BY-4.0"
    assert raster["summaries"]["proj:code"] == ["EPSG:3035"]


def test_items_valid_and_linked(http, base_url):
    body = http.get(f"{base_url}/stac/collections/clcplus-backbone/items").json()
    validate(
        body, STAC_API + "fragments/itemcollection/openapi.yaml#/components/schemas/itemCollection"
    )
    assert [f["id"] for f in body["features"]] == ["clcplus-backbone-2018", "clcplus-backbone-2021"]
    for item in body["features"]:
        validate_stac(item)
        data = item["assets"]["data"]
        assert data["file:size"] > 0 and data["file:checksum"].startswith("1220")
        assert item["assets"]["thumbnail"]["type"] == "image/png"
        rels = {link["rel"] for link in item["links"]}
        assert "http://www.opengis.net/def/rel/ogc/1.0/coverage" in rels
    thumb = http.get(body["features"][0]["assets"]["thumbnail"]["href"])
    assert thumb.status_code == 200 and thumb.content[:4] == b"\x89PNG"


def test_pystac_client_search_then_rasterio_reads_by_range(client, base_url):
    import rasterio
    from rasterio.windows import Window

    search = client.search(
        collections=["clcplus-backbone"],
        bbox=[9.8, 47.3, 9.9, 47.4],
        datetime="2021-01-01/2021-12-31",
        filter={"op": ">=", "args": [{"property": "year"}, 2020]},
        filter_lang="cql2-json",
    )
    items = list(search.items())
    assert [i.id for i in items] == ["clcplus-backbone-2021"]
    item = items[0]
    assert item.properties["year"] == 2021
    href = item.assets["data"].href
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(href) as ds:
        assert ds.crs.to_epsg() == 3035 and ds.overviews(1)
        assert ds.colormap(1)[1][:3] == (255, 0, 0)
        block = ds.read(1, window=Window(0, 0, 64, 64))
        assert block.shape == (64, 64)
    size = item.assets["data"].extra_fields["file:size"]
    assert size > 0


def test_search_get_post_and_paging(client, http, base_url):
    every = {i.id for i in client.search(max_items=100).items()}
    assert {
        "clcplus-backbone-2018",
        "clcplus-backbone-2021",
        "clcplus-backbone-polygons-features",
    } <= every
    paged = [i.id for i in client.search(limit=1, max_items=100).items()]  # next links, POST
    assert sorted(paged) == sorted(every)
    by_get = [i.id for i in client.search(limit=1, method="GET", max_items=100).items()]
    assert sorted(by_get) == sorted(every)
    text = http.get(
        f"{base_url}/stac/search",
        params={"filter": "year = 2018", "ids": "clcplus-backbone-2018,x"},
    )
    assert [f["id"] for f in text.json()["features"]] == ["clcplus-backbone-2018"]
    down = http.post(
        f"{base_url}/stac/search",
        json={
            "collections": ["clcplus-backbone"],
            "sortby": [{"field": "datetime", "direction": "desc"}],
        },
    )
    assert [f["id"] for f in down.json()["features"]] == [
        "clcplus-backbone-2021",
        "clcplus-backbone-2018",
    ]
    hit = http.post(
        f"{base_url}/stac/search",
        json={"intersects": {"type": "Point", "coordinates": [9.85, 47.32]}},
    )
    assert "clcplus-backbone-2021" in {f["id"] for f in hit.json()["features"]}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("GET", {"bbox": "1,2"}),
        ("GET", {"datetime": "yesterday"}),
        ("GET", {"filter": "year =="}),
        ("GET", {"limit": "0"}),
        ("GET", {"limit": "-3"}),
        ("GET", {"sortby": "stac"}),
        ("GET", {"token": "not-a-token"}),
        ("GET", {"what": "1"}),
        ("POST", {"bbox": "not a list"}),
        ("POST", {"filter": {"op": "=", "args": [{"property": "owner"}, "x"]}}),
        ("POST", {"intersects": {"type": "Nope"}}),
        ("POST", {"limit": 0}),
    ],
)
def test_bad_searches_are_400(http, base_url, method, params):
    url = f"{base_url}/stac/search"
    r = http.get(url, params=params) if method == "GET" else http.post(url, json=params)
    assert r.status_code == 400, (params, r.text)
    assert r.json()["type"] and r.json()["detail"]


def test_unknown_collection_and_item_404(http, base_url):
    assert http.get(f"{base_url}/stac/collections/nope").status_code == 404
    assert http.get(f"{base_url}/stac/collections/nope/items").status_code == 404
    r = http.get(f"{base_url}/stac/collections/clcplus-backbone/items/clcplus-backbone-1999")
    assert r.status_code == 404 and r.json()["type"]


def test_cog_download_ranges_etag(http, base_url):
    url = f"{base_url}/collections/clcplus-backbone/cog/2021.tif"
    head = http.head(url)
    assert head.status_code == 200 and head.headers["Accept-Ranges"] == "bytes"
    size, etag = int(head.headers["Content-Length"]), head.headers["ETag"]
    part = http.get(url, headers={"Range": "bytes=0-15"})
    assert (
        part.status_code == 206 and len(part.content) == 16 and part.content[:2] in (b"II", b"MM")
    )
    assert part.headers["Content-Range"] == f"bytes 0-15/{size}"
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert http.get(f"{base_url}/collections/clcplus-backbone/cog/1999.tif").status_code == 404
    assert http.get(f"{base_url}/collections/nope/cog/2021.tif").status_code == 404


def test_gdalinfo_vsicurl(base_url):
    url = f"{base_url}/collections/clcplus-backbone/cog/2018.tif"
    out = subprocess.run(
        ["gdalinfo", "-json", f"/vsicurl/{url}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={
            "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
            "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
            "PATH": "/usr/bin:/bin",
        },
    )
    info = json.loads(out.stdout)
    band = info["bands"][0]
    assert band["colorInterpretation"] == "Palette" and band["overviews"]
    assert info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"] == "COG"
