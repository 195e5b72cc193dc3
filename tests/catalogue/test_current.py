"""The catalogue follows what happens while the server runs: a product ingested by the CLI,
a job that publishes results, a dismissal; and each identity sees exactly its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from landgrid.auth.access import Caller, CollectionAccess
from landgrid.auth.policy import Policy
from landgrid.catalog import Catalog
from landgrid.catalogue.refresh import Catalogue
from landgrid.ops.stack import child_environment
from landgrid.web.records import visibility
from tests.schemas import validate

LANDGRID = str(Path(sys.executable).with_name("landgrid"))
BOX = {
    "bbox": [4300000, 2698000, 4302000, 2700000],
    "crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
}
RECORD = "schemas.opengis.net/ogcapi/records/part1/1.0/openapi/schemas/recordGeoJSON.yaml"


def test_a_product_ingested_by_the_cli_appears_everywhere(stack, http, base_url, shared_data):
    records = f"{base_url}/collections/catalogue/items"
    assert http.get(f"{records}/corine-land-cover-2006").status_code == 404
    env = {**os.environ, **child_environment(stack.settings)}
    source = shared_data / "lausanne-clc" / "ls100_06.tif"
    run = subprocess.run(
        [LANDGRID, "ingest", "corine-land-cover", "2006", str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    # no restart: the collection, its record, its year and the STAC item are there at once
    assert http.get(f"{base_url}/collections/corine-land-cover").status_code == 200
    record = http.get(f"{records}/corine-land-cover-2006").json()
    validate(record, RECORD)
    assert record["properties"]["license"] == "other"
    assert any(
        link["rel"] == "license" and "data-policy" in link["href"] for link in record["links"]
    )
    item = http.get(
        f"{base_url}/stac/collections/corine-land-cover/items/corine-land-cover-2006"
    ).json()
    head = http.head(item["assets"]["data"]["href"])
    assert (
        head.status_code == 200
        and int(head.headers["Content-Length"]) == item["assets"]["data"]["file:size"]
    )
    series = http.get(f"{records}/corine-land-cover").json()
    assert 2006 in series["properties"]["years"]


@pytest.fixture(scope="module")
def vectorized(stack, http, base_url):
    r = http.post(
        f"{base_url}/processes/vectorize/execution",
        json={
            "inputs": {"product": "clcplus-backbone", "year": 2018, "aoi": BOX},
            "response": "document",
        },
        timeout=120,
    )
    assert r.status_code == 200, r.text
    job_id = r.headers["Location"].rsplit("/", 1)[-1] if "Location" in r.headers else None
    collection_id = r.json()["collection"]["id"]
    if job_id is None:
        jobs = http.get(
            f"{base_url}/jobs", params={"processID": "vectorize", "limit": 1000}
        ).json()["jobs"]
        job_id = next(
            j["jobID"]
            for j in jobs
            if j["status"] == "successful"
            and http.get(f"{base_url}/jobs/{j['jobID']}/results")
            .json()
            .get("collection", {})
            .get("id")
            == collection_id
        )
    return job_id, collection_id


def test_a_published_result_is_recorded_at_once(http, base_url, vectorized):
    job_id, collection_id = vectorized
    record = http.get(f"{base_url}/collections/catalogue/items/job-{job_id}").json()
    validate(record, RECORD)
    props = record["properties"]
    assert props["type"] == "result" and props["job"] == job_id and props["process"] == "vectorize"
    assert props["owner"] == "anonymous" and props["inputs"]["year"] == 2018
    rels = {link["rel"]: link["href"] for link in record["links"]}
    assert rels["describes"].endswith(f"/collections/{collection_id}")
    assert any(
        link["rel"] == "enclosure" and link["type"] == "application/geopackage+sqlite3"
        for link in record["links"]
    )
    assert http.get(f"{base_url}/collections/catalogue/items/{collection_id}").status_code == 200
    item = http.get(f"{base_url}/stac/collections/results/items/job-{job_id}").json()
    assert item["properties"]["job"] == job_id
    assert {"geopackage", "features"} <= set(item["assets"])
    found = http.get(
        f"{base_url}/collections/catalogue/items",
        params={"type": "result", "filter": f"job = '{job_id}'"},
    )
    assert [f["id"] for f in found.json()["features"]] == [f"job-{job_id}"]


def test_each_identity_sees_its_own(settings, stack, vectorized):
    """The catalogue's visibility as the web app applies it when auth is on (oidc): owned
    results for their owner and admins only; public products for everyone."""
    job_id, collection_id = vectorized
    catalog = Catalog(settings)
    catalogue = Catalogue(settings, catalog)
    access = CollectionAccess(Policy.load(settings.auth_policy), catalog, open_mode=False)
    products = catalog.products()
    names = [*products.raster, *products.vector]

    def seen(who: Caller, store) -> set[str]:
        conditions = visibility(store.table(), access, names, who)
        page, _ = store.search({"limit": "1000"}, conditions)
        import json

        return {json.loads(f)["id"] for f in page.features}

    owner, other, admin = Caller("anonymous"), Caller("someone-else"), Caller("root", is_admin=True)
    for store, mine in (
        (catalogue.store.records, {f"job-{job_id}", collection_id}),
        (catalogue.store.items, {f"job-{job_id}", f"{collection_id}-features"}),
    ):
        assert mine <= seen(owner, store)
        assert mine <= seen(admin, store)
        assert not mine & seen(other, store)
        assert "clcplus-backbone-2021" in seen(other, store)


def test_dismissal_removes_the_records(http, base_url, vectorized):
    job_id, collection_id = vectorized
    assert http.delete(f"{base_url}/jobs/{job_id}").status_code == 200
    assert http.get(f"{base_url}/collections/catalogue/items/job-{job_id}").status_code == 404
    assert http.get(f"{base_url}/collections/catalogue/items/{collection_id}").status_code == 404
    assert http.get(f"{base_url}/stac/collections/results/items/job-{job_id}").status_code == 404
    assert requests.get(f"{base_url}/collections/{collection_id}", timeout=30).status_code == 404
