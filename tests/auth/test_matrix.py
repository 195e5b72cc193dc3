"""Who may do what: anonymous / user A / user B / operator / admin over every endpoint group,
on the app in oidc mode with the test policy (``sleep`` for operators only, standing in for
``ingest``; the demo raster and ``private-product`` readable by operators only). Each
answer is asserted."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.services

WHO = ("anonymous", "user-a", "user-b", "operator", "admin")
VECTOR, RASTER = "clcplus-backbone-polygons", "clcplus-backbone"
NO_SUCH_JOB = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"
FEATURE = {
    "type": "Feature",
    "properties": {"code": 1},
    "geometry": {"type": "Point", "coordinates": [6.6, 46.5]},
}


def call(oidc, who, method, url, **kwargs) -> requests.Response:
    headers = oidc.headers(who) | kwargs.pop("headers", {})
    return requests.request(method, url, headers=headers, timeout=60, **kwargs)


def expect(response: requests.Response, status: int) -> None:
    """An exact status (an allowed request asserts its success status, not just "no 401")."""
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if status == 403:
        assert response.json()["type"] == "Forbidden"


def wait_final(oidc, who, url) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = call(oidc, who, "GET", url).json()
        if job["status"] in ("successful", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"{url} not final in 120 s")


@pytest.fixture(scope="module")
def jobs(auth_url, oidc) -> dict[str, str]:
    """One finished async echo job per user A and user B: their job ids."""
    ids = {}
    for who in ("user-a", "user-b"):
        r = call(
            oidc,
            who,
            "POST",
            f"{auth_url}/processes/echo/execution",
            json={"inputs": {"echoInput": f"from {who}"}, "response": "document"},
            headers={"Prefer": "respond-async"},
        )
        assert r.status_code == 201, r.text
        ids[who] = r.json()["jobID"]
    for who, job_id in ids.items():
        assert wait_final(oidc, who, f"{auth_url}/jobs/{job_id}")["status"] == "successful"
    return ids


# --- reading: public products, a private one ---------------------------------------------
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    "path",
    [
        "/collections",
        f"/collections/{VECTOR}",
        f"/collections/{VECTOR}/items?limit=2",
        f"/collections/{VECTOR}/queryables",
        "/processes",
        "/processes/sleep",
    ],
)
def test_public_reads(auth_url, oidc, who, path):
    expect(call(oidc, who, "GET", f"{auth_url}{path}"), 200)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("user-a", 403),
        ("user-b", 403),
        ("operator", 404),
        ("admin", 404),
    ],
)
def test_private_collection_not_configured(auth_url, oidc, who, status):
    """404 for those who may read: the collection is in the policy, not in the server."""
    for path in ("", "/items", "/coverage"):
        expect(call(oidc, who, "GET", f"{auth_url}/collections/private-product{path}"), status)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("user-a", 403), ("user-b", 403), ("operator", 200), ("admin", 200)],
)
@pytest.mark.parametrize(
    "path",
    ["", "/coverage?f=png&width=32&height=32", "/coverage/domainset", "/coverage/rangetype"],
)
def test_private_raster_product(auth_url, oidc, who, status, path):
    """The demo raster is operators-only in the test policy: collection and coverage."""
    expect(call(oidc, who, "GET", f"{auth_url}/collections/{RASTER}{path}"), status)


@pytest.mark.parametrize("who", WHO)
def test_collection_list_hides_what_the_caller_cannot_read(auth_url, oidc, who):
    r = call(oidc, who, "GET", f"{auth_url}/collections?f=json")
    expect(r, 200)
    ids = {c["id"] for c in r.json()["collections"]}
    assert VECTOR in ids
    assert (RASTER in ids) == (who in ("operator", "admin"))


# --- transactions: editors and admin write, nobody else -------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("user-a", 403),
        ("user-b", 403),
        ("operator", 403),
        ("editor", 201),
        ("admin", 201),
    ],
)
def test_transactions(auth_url, oidc, editable, who, status):
    """A write that really succeeds on an editable collection (created, read back,
    replaced, deleted) for the editor role and admin; 401/403 for everyone else."""
    url = f"{auth_url}/collections/{editable}/items"
    created = call(
        oidc, who, "POST", url, json=FEATURE, headers={"Content-Type": "application/geo+json"}
    )
    expect(created, status)
    if status != 201:
        expect(call(oidc, who, "DELETE", f"{url}/1"), status)
        return
    item = created.headers["Location"]
    assert call(oidc, who, "GET", item).json()["properties"]["code"] == 1
    replaced = FEATURE | {"properties": {"code": 2}}
    expect(call(oidc, who, "PUT", item, json=replaced), 204)
    assert call(oidc, who, "GET", item).json()["properties"]["code"] == 2
    expect(call(oidc, "user-a", "DELETE", item), 403)  # another user may not delete it
    expect(call(oidc, who, "DELETE", item), 204)
    expect(call(oidc, who, "GET", item), 404)


@pytest.mark.parametrize("who", WHO)
def test_transactions_on_a_read_only_collection(auth_url, oidc, who):
    """The collection itself is read-only: 405 for everyone, whatever their rights, as for
    a method no route has (the answer says what the resource allows, nothing of the
    caller)."""
    url = f"{auth_url}/collections/{VECTOR}/items"
    r = call(oidc, who, "POST", url, json=FEATURE, headers={"Content-Type": "application/geo+json"})
    expect(r, 405)
    assert r.json()["type"] == "MethodNotAllowed" and "POST" in r.headers["Allow"]
    item = call(oidc, who, "PUT", f"{url}/1", json=FEATURE)
    expect(item, 405)
    assert item.headers["Allow"] == "GET, HEAD, OPTIONS"
    expect(call(oidc, who, "TRACE", f"{auth_url}/jobs"), 405)


@pytest.mark.parametrize("who", WHO)
def test_cql2_post_is_a_read(auth_url, oidc, who):
    r = call(
        oidc,
        who,
        "POST",
        f"{auth_url}/collections/{VECTOR}/items?limit=1",
        data="code = 1",
        headers={"Content-Type": "application/cql2-text"},
    )
    expect(r, 200)


# --- execution ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("user-a", 200),
        ("user-b", 200),
        ("operator", 200),
        ("admin", 200),
    ],
)
def test_execute_echo(auth_url, oidc, who, status):
    r = call(
        oidc,
        who,
        "POST",
        f"{auth_url}/processes/echo/execution",
        json={"inputs": {"echoInput": who}},
    )
    expect(r, status)
    if status == 200:
        assert r.text == who


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("user-a", 403),
        ("user-b", 403),
        ("operator", 201),
        ("admin", 201),
    ],
)
def test_execute_operator_process(auth_url, oidc, who, status):
    r = call(
        oidc,
        who,
        "POST",
        f"{auth_url}/processes/sleep/execution",
        json={"inputs": {"seconds": 0.2, "steps": 1}},
        headers={"Prefer": "respond-async"},
    )
    expect(r, status)
    if status == 201:
        job = wait_final(oidc, who, r.headers["Location"])
        assert job["status"] == "successful"


# --- jobs, results, dismissal: owner or admin, others 404 --------------------------------
def job_matrix(owner: str) -> list[tuple[str, str, int]]:
    return [
        ("anonymous", owner, 401),
        ("user-a", owner, 200 if owner == "user-a" else 404),
        ("user-b", owner, 200 if owner == "user-b" else 404),
        ("operator", owner, 404),
        ("admin", owner, 200),
    ]


@pytest.mark.parametrize(("who", "owner", "status"), job_matrix("user-a") + job_matrix("user-b"))
def test_job_status_and_results(auth_url, oidc, jobs, who, owner, status):
    job_url = f"{auth_url}/jobs/{jobs[owner]}"
    r = call(oidc, who, "GET", job_url)
    expect(r, status)
    if status == 404:
        assert r.json()["type"] == NO_SUCH_JOB  # not 403: existence is not revealed
    results = call(oidc, who, "GET", f"{job_url}/results")
    expect(results, status)
    if status == 200:
        assert results.json() == {"echoOutput": f"from {owner}"}
    expect(call(oidc, who, "GET", f"{job_url}/results/echoOutput"), status)
    logs = call(oidc, who, "GET", f"{job_url}/logs")  # the job's own log: its owner's only
    expect(logs, status)
    if status == 200:
        lines = logs.json()["lines"]
        assert lines and all(jobs[owner] in line["message"] for line in lines)


@pytest.mark.parametrize("who", WHO)
def test_job_list_shows_what_the_caller_may_see(auth_url, oidc, jobs, who):
    r = call(oidc, who, "GET", f"{auth_url}/jobs?processID=echo&limit=1000")
    if who == "anonymous":
        expect(r, 401)
        return
    expect(r, 200)
    listed = {job["jobID"] for job in r.json()["jobs"]}
    for owner, job_id in jobs.items():
        assert (job_id in listed) == (who in (owner, "admin")), (owner, listed)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("user-b", 404),
        ("operator", 404),
        ("user-a", 200),
    ],
)
def test_dismissal(auth_url, oidc, who, status):
    """Runs last in this module: user A finally dismisses a job of its own."""
    r = call(
        oidc,
        "user-a",
        "POST",
        f"{auth_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "to dismiss"}},
        headers={"Prefer": "respond-async"},
    )
    job_url = r.headers["Location"]
    expect(call(oidc, who, "DELETE", job_url), status)
    if status != 200:
        expect(call(oidc, "admin", "DELETE", job_url), 200)  # admin may dismiss any job


# --- collections published by a job belong to its owner ----------------------------------
def test_published_collection_belongs_to_its_owner(auth_url, oidc):
    """The operator may read the demo raster (operators only here), so may vectorize it."""
    aoi = {"bbox": [4300000, 2698000, 4301000, 2699000], "crs": "EPSG:3035"}
    body = {"inputs": {"product": RASTER, "year": 2021, "aoi": aoi}, "response": "document"}
    url = f"{auth_url}/processes/vectorize/execution"
    refused = call(oidc, "user-a", "POST", url, json=body)  # user A may not read the raster
    expect(refused, 400)
    assert RASTER not in refused.json()["detail"].split("available:")[-1]
    r = call(oidc, "operator", "POST", url, json=body)
    assert r.status_code == 200, r.text
    collection = r.json()["collection"]["href"].rsplit("/", 1)[1]
    for who, status in (
        ("operator", 200),
        ("admin", 200),
        ("user-a", 404),
        ("user-b", 404),
        ("anonymous", 404),
    ):
        for path in ("", "/items?limit=1"):
            url = f"{auth_url}/collections/{collection}{path}"
            expect(call(oidc, who, "GET", url, params={"f": "json"}), status)
        listed = call(oidc, who, "GET", f"{auth_url}/collections?f=json").json()["collections"]
        assert (collection in {c["id"] for c in listed}) == (status == 200)
    # its vector tiles, map and map tiles: the same rule, and never in a shared cache
    base = f"{auth_url}/collections/{collection}"
    r = call(oidc, "operator", "GET", f"{base}/tiles/WebMercatorQuad")
    assert r.status_code == 200, r.text
    tileset = r.json()
    lim = tileset["tileMatrixSetLimits"][-1]
    cell = f"{lim['tileMatrix']}/{lim['minTileRow']}/{lim['minTileCol']}"
    paths = (
        "/tiles",
        "/tiles/WebMercatorQuad",
        f"/tiles/WebMercatorQuad/{cell}",
        "/map/tiles/WebMercatorQuad",
        f"/map/tiles/WebMercatorQuad/{cell}",
        "/map?width=64",
    )
    for who, status in (("operator", 200), ("admin", 200), ("user-a", 404), ("anonymous", 404)):
        for path in paths:
            r = call(oidc, who, "GET", base + path)
            if status == 200:
                assert r.status_code in (200, 204), (who, path, r.text)
                assert r.headers["Cache-Control"].startswith("private"), (path, r.headers)
            else:
                expect(r, status)
