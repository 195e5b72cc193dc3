"""OGC API - Records on the real stack: the catalogue collection, its records and queries,
validated against the vendored Records schemas, and OWSLib's Records client."""

from __future__ import annotations

import pytest
import requests

from tests.schemas import validate

RECORDS = "schemas.opengis.net/ogcapi/records/part1/1.0/openapi/"
CONF = "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf"


def checked(record: dict) -> dict:
    """A record as the schema can judge it: its ``time: null`` (no temporal extent) matches
    both branches of the schema's ``oneOf``, a known upstream defect (tests/schemas)."""
    return record | {"time": {}} if record["time"] is None else record


def ids(http: requests.Session, url: str, **params: str) -> list[str]:
    r = http.get(url, params={"limit": "1000", **params})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/geo+json")
    return [f["id"] for f in r.json()["features"]]


def test_catalogue_is_listed_as_a_record_collection(http, base_url):
    collections = http.get(f"{base_url}/collections").json()["collections"]
    catalogue = next(c for c in collections if c["id"] == "catalogue")
    assert catalogue["itemType"] == "record"
    doc = http.get(f"{base_url}/collections/catalogue").json()
    validate(doc, RECORDS + "schemas/catalog.yaml")
    rels = {link["rel"] for link in doc["links"]}
    assert {
        "self",
        "alternate",
        "items",
        "http://www.opengis.net/def/rel/ogc/1.0/sortables",
    } <= rels


def test_conformance_declares_records(http, base_url):
    classes = http.get(f"{base_url}/conformance").json()["conformsTo"]
    for name in (
        "record-core",
        "record-collection",
        "records-api",
        "searchable-catalog",
        "sorting",
        "json",
        "html",
    ):
        assert f"{CONF}/{name}" in classes


def test_every_product_and_year_is_a_valid_record(http, records_url):
    body = http.get(records_url, params={"limit": "100"}).json()
    body["features"] = [checked(f) for f in body["features"]]
    validate(body, RECORDS + "responses/Records.yaml#/content/application~1geo+json/schema")
    found = {f["id"]: f for f in body["features"]}
    assert {
        "clcplus-backbone",
        "clcplus-backbone-2018",
        "clcplus-backbone-2021",
        "clcplus-backbone-polygons",
    } <= set(found)
    for record in found.values():
        validate(checked(record), RECORDS + "schemas/recordGeoJSON.yaml")
        collection = [link for link in record["links"] if link["rel"] == "collection"]
        assert len(collection) == 1 and collection[0]["href"].endswith("/collections/catalogue")
    series = found["clcplus-backbone"]
    assert series["properties"]["license"] == "CC-BY-4.0"
    assert series["properties"]["years"] == [2018, 2021]
    assert any(link["rel"] == "license" for link in series["links"])
    assert series["time"] == {"interval": ["2018-01-01", "2021-12-31"]}
    assert {c["code"] for c in series["properties"]["legend"]} >= {1, 10, 255}


def test_one_record_and_404(http, records_url):
    r = http.get(f"{records_url}/clcplus-backbone-2021")
    assert r.status_code == 200 and r.json()["properties"]["year"] == 2021
    r = http.get(f"{records_url}/no-such-record")
    assert r.status_code == 404 and r.json()["type"]
    assert http.get(f"{records_url}/clcplus-backbone-polygons-features").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected", "absent"),
    [
        ({"q": "backbone"}, {"clcplus-backbone", "clcplus-backbone-polygons"}, set()),
        ({"q": "nothing-like-this,polygons"}, {"clcplus-backbone-polygons"}, {"clcplus-backbone"}),
        ({"q": "land   cover"}, {"clcplus-backbone"}, set()),  # words in order, any spacing
        ({"q": "cover land"}, set(), {"clcplus-backbone"}),
        ({"type": "series"}, {"clcplus-backbone"}, {"clcplus-backbone-2021"}),
        ({"type": "dataset,result"}, {"clcplus-backbone-2021"}, {"clcplus-backbone"}),
        (
            {"externalIds": "landgrid:clcplus-backbone"},
            {"clcplus-backbone"},
            {"clcplus-backbone-2021"},
        ),
        ({"externalIds": "clcplus-backbone"}, {"clcplus-backbone"}, {"clcplus-backbone-polygons"}),
        ({"externalIds": "landgrid:"}, {"clcplus-backbone", "clcplus-backbone-polygons"}, set()),
        ({"ids": "clcplus-backbone-2018,nope"}, {"clcplus-backbone-2018"}, {"clcplus-backbone"}),
        ({"datetime": "2019-01-01/2020-12-31"}, {"clcplus-backbone"}, {"clcplus-backbone-2018"}),
        ({"datetime": "2021-06-01"}, {"clcplus-backbone-2021"}, {"clcplus-backbone-2018"}),
        ({"bbox": "9.8,47.3,9.9,47.4"}, {"clcplus-backbone-2021"}, set()),
        ({"bbox": "0,0,1,1"}, set(), {"clcplus-backbone"}),
        ({"filter": "year = 2018"}, {"clcplus-backbone-2018"}, {"clcplus-backbone-2021"}),
        (
            {"filter": "type = 'dataset' AND license LIKE 'CC-%' AND year > 2019"},
            {"clcplus-backbone-2021"},
            {"clcplus-backbone-2018", "clcplus-backbone-polygons"},
        ),
        (
            {"filter": "S_INTERSECTS(geom, BBOX(9.8,47.3,9.9,47.4)) AND year IS NULL"},
            {"clcplus-backbone"},
            {"clcplus-backbone-2021"},
        ),
    ],
)
def test_queries(http, records_url, params, expected, absent):
    found = set(ids(http, records_url, **params))
    assert expected <= found
    assert not (absent & found)


def test_all_parameters_and(http, records_url):
    found = ids(
        http,
        records_url,
        q="backbone",
        type="dataset",
        datetime="2021-01-01/..",
        filter="year >= 2018",
        bbox="9.8,47.3,9.9,47.4",
    )
    assert found == ["clcplus-backbone-2021"]


def test_sorting_and_paging(http, records_url):
    down = ids(http, records_url, sortby="-title")
    assert down == sorted(down, key=lambda i: i) or len(down) > 1  # ids differ from titles
    titles = [
        f["properties"]["title"]
        for f in http.get(records_url, params={"sortby": "-title", "limit": "100"}).json()[
            "features"
        ]
    ]
    assert titles == sorted(titles, reverse=True)
    sortables = http.get(f"{records_url.rsplit('/', 1)[0]}/sortables").json()
    assert {"title", "updated", "year"} <= set(sortables["properties"])
    seen, url, params = [], records_url, {"limit": "1"}
    while url:
        page = http.get(url, params=params).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        params = {}
    assert seen == ids(http, records_url)
    everything = ids(http, records_url, sortby="title")
    assert len(everything) > 2
    assert ids(http, records_url, sortby="title", offset="2") == everything[2:]  # OWSLib pages so


def test_queryables(http, records_url):
    q = http.get(f"{records_url.rsplit('/', 1)[0]}/queryables")
    assert q.status_code == 200 and q.headers["Content-Type"].startswith("application/schema+json")
    props = q.json()["properties"]
    assert {"id", "type", "title", "year", "license", "geom"} <= set(props)
    assert not {"owner", "record", "stac", "search", "collection"} & set(props)


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "0,50,1,40"},
        {"datetime": "2021-13-01"},
        {"datetime": "../.."},
        {"filter": "year = "},
        {"filter": "owner = 'x'"},
        {"limit": "0"},
        {"limit": "many"},
        {"sortby": "record"},
        {"externalIds": "a:b:c"},
        {"q": ","},
        {"nonsense": "1"},
    ],
)
def test_bad_queries_are_400(http, records_url, params):
    r = http.get(records_url, params=params)
    assert r.status_code == 400, (params, r.text)
    assert r.json()["type"] and r.json()["detail"]


def test_unknown_collection_is_404(http, base_url):
    r = http.get(f"{base_url}/collections/catalogu/items")
    assert r.status_code == 404 and r.json()["type"]


def test_html(http, records_url):
    page = http.get(records_url, params={"f": "html", "q": "backbone"})
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "clcplus-backbone-2021" in page.text
    one = http.get(f"{records_url}/clcplus-backbone", headers={"Accept": "text/html"})
    assert one.status_code == 200 and "Legend" in one.text and "CC-BY-4.0" in one.text


def test_owslib_records_client(base_url):
    from owslib.ogcapi.records import Records

    client = Records(base_url)
    assert "catalogue" in client.records()
    found = client.collection_items("catalogue", q="backbone", type="dataset", limit=50)
    assert "clcplus-backbone-2021" in {f["id"] for f in found["features"]}
    one = client.collection_item("catalogue", "clcplus-backbone")
    assert one["properties"]["type"] == "series"


def test_collections_carry_their_metadata(http, base_url):
    for cid in ("clcplus-backbone", "clcplus-backbone-polygons"):
        doc = http.get(f"{base_url}/collections/{cid}").json()
        assert doc["license"] == "CC-BY-4.0"
        assert doc["providers"][0]["roles"]
        assert doc["keywords"]
        rels = {link["rel"]: link["href"] for link in doc["links"]}
        assert rels["license"].startswith("https://creativecommons.org/")
        assert rels["describedby"].endswith(f"/collections/catalogue/items/{cid}")
        assert http.get(rels["describedby"]).status_code == 200
    coverage = http.get(f"{base_url}/collections/clcplus-backbone").json()
    assert coverage["storageCrs"].endswith("/EPSG/0/3035") and coverage["crs"]
