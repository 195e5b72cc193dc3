"""Authorization wherever data is read, and identities that cannot collide, on the app in
``oidc`` mode with a real OpenID provider (``tests/auth``): a process input naming a
collection or product gets the same read check as ``/collections``, so a caller never reads,
counts or probes what they may not see, and no message names it."""

from __future__ import annotations

import pytest
import requests

from tests.auth.forge import claims, signed
from tests.auth.test_matrix import call, wait_final

pytestmark = pytest.mark.services

RASTER, VECTOR = "clcplus-backbone", "clcplus-backbone-polygons"  # raster: operator, editor
AOI = {"bbox": [4300000, 2698000, 4301000, 2699000], "crs": "EPSG:3035"}
STATISTICS = "/processes/landcover-statistics/execution"


@pytest.fixture(scope="module")
def private(auth_url, oidc) -> str:
    """A collection the operator published (vectorize): theirs and admins' only."""
    r = call(
        oidc,
        "operator",
        "POST",
        f"{auth_url}/processes/vectorize/execution",
        json={"inputs": {"product": RASTER, "year": 2021, "aoi": AOI}, "response": "document"},
    )
    assert r.status_code == 200, r.text
    return r.json()["collection"]["href"].rsplit("/", 1)[1]


def statistics(oidc, auth_url, who, zones, product: str = RASTER):
    body = {"inputs": {"product": product, "year": 2021, "zones": zones}, "response": "document"}
    return call(oidc, who, "POST", f"{auth_url}{STATISTICS}", json=body)


def detail(response: requests.Response, asked: str) -> str:
    """A 400's message with the caller's own input taken out (echoing it reveals nothing)."""
    assert response.status_code == 400, response.text
    return response.json()["detail"].replace(repr(asked), "<asked>")


def test_zones_by_reference_read_with_the_owners_rights(auth_url, oidc, private):
    r = statistics(oidc, auth_url, "operator", {"collection": private})
    assert r.status_code == 200, r.text
    assert r.json()["statistics"]["zones"], r.text


def test_zones_of_anothers_collection_cannot_be_told_from_none(auth_url, oidc, private):
    """The editor may read the raster, not the operator's collection: the same 400 as for
    a collection that does not exist, with or without a filter (no yes/no oracle on its
    rows), and the list of collections holds only readable ones."""
    who = "editor"
    ghost = "no-such-collection-anywhere"
    for filter_ in (None, "code = 1", "code = 999"):
        zones = {"collection": private} | ({"filter": filter_} if filter_ else {})
        theirs = statistics(oidc, auth_url, "operator", zones)
        yours = statistics(oidc, auth_url, who, zones)
        none = statistics(oidc, auth_url, who, {**zones, "collection": ghost})
        # the operator (the owner) does read it; the raster is theirs to read too
        assert theirs.status_code in (200, 400), theirs.text
        assert detail(yours, private) == detail(none, ghost)
        assert private not in detail(yours, private)
    listed = detail(statistics(oidc, auth_url, who, {"collection": ghost}), ghost)
    assert "no feature collection" in listed
    assert private not in listed and VECTOR in listed


def test_products_the_caller_may_not_read(auth_url, oidc):
    """To user A the demo raster (operators and editors only) is no product, anywhere."""
    zones = {"collection": VECTOR, "filter": "code = 1"}
    yours = statistics(oidc, auth_url, "user-a", zones)
    none = statistics(oidc, auth_url, "user-a", zones, product="no-such-raster")
    assert detail(yours, RASTER) == detail(none, "no-such-raster")
    assert RASTER not in detail(yours, RASTER)
    for process, inputs in (
        ("extract", {"product": RASTER, "year": 2021, "aoi": AOI}),
        ("change-detection", {"product": RASTER, "yearA": 2018, "yearB": 2021, "aoi": AOI}),
        ("vectorize", {"product": RASTER, "year": 2021, "aoi": AOI}),
    ):
        r = call(
            oidc,
            "user-a",
            "POST",
            f"{auth_url}/processes/{process}/execution",
            json={"inputs": inputs},
        )
        assert r.status_code == 400 and RASTER not in detail(r, RASTER), (process, r.text)
    assert statistics(oidc, auth_url, "operator", zones).status_code == 200


def test_extract_of_anothers_collection(auth_url, oidc, private):
    inputs = {"product": private, "aoi": AOI}
    url = f"{auth_url}/processes/extract/execution"
    yours = call(oidc, "editor", "POST", url, json={"inputs": inputs})
    none = call(oidc, "editor", "POST", url, json={"inputs": inputs | {"product": "ghost-x"}})
    assert detail(yours, private) == detail(none, "ghost-x")
    mine = call(oidc, "operator", "POST", url, json={"inputs": inputs, "response": "document"})
    assert mine.status_code == 200, mine.text


@pytest.mark.parametrize("who", ["anonymous", "user-b", "editor"])
def test_collection_pages_name_no_private_collection(auth_url, oidc, private, who):
    for path in ("/collections?f=html", "/collections?f=json", "/?f=html", "/openapi?f=json"):
        r = call(oidc, who, "GET", f"{auth_url}{path}")
        assert r.status_code == 200, (path, r.text[:300])
        assert private not in r.text, path
    r = call(oidc, "operator", "GET", f"{auth_url}/collections?f=html")
    assert private in r.text


# --- identities --------------------------------------------------------------------------
def token(oidc, sub: str, **extra) -> dict[str, str]:
    payload = claims(oidc.issuer, oidc.audience, sub=sub, client_id="forged", **extra)
    return {"Authorization": f"Bearer {signed(oidc.key, payload)}"}


def test_a_token_named_anonymous_is_not_open_modes_user(base_url, auth_url, oidc):
    """Both modes share the database: the open-mode job stays invisible to ``sub:
    anonymous`` (which, unlike open mode's user, is no admin either)."""
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "open mode"}, "response": "document"},
        headers={"Prefer": "respond-async"},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    open_job = r.json()["jobID"]
    headers = token(oidc, "anonymous")
    listed = requests.get(f"{auth_url}/jobs?limit=1000", headers=headers, timeout=60)
    assert listed.status_code == 200, listed.text
    assert open_job not in {job["jobID"] for job in listed.json()["jobs"]}
    r = requests.get(f"{auth_url}/jobs/{open_job}", headers=headers, timeout=60)
    assert r.status_code == 404


@pytest.mark.parametrize("sub", ["x" * 300, "y" * 4000, "a\x00b", "\u00e9t\u00e9 \U0001f600", " "])
def test_any_sub_owns_its_jobs(auth_url, oidc, sub):
    """A ``sub`` of any length or content is an identity (a hash): its jobs work, and
    another ``sub`` does not see them."""
    headers = token(oidc, sub)
    r = requests.post(
        f"{auth_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "mine"}, "response": "document"},
        headers=headers | {"Prefer": "respond-async"},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    job_url = r.headers["Location"]
    assert wait_final_with(headers, job_url)["status"] == "successful"
    listed = requests.get(f"{auth_url}/jobs?limit=1000", headers=headers, timeout=60).json()
    assert job_url.rsplit("/", 1)[1] in {job["jobID"] for job in listed["jobs"]}
    other = token(oidc, sub + "2")
    assert requests.get(job_url, headers=other, timeout=60).status_code == 404


def wait_final_with(headers: dict[str, str], url: str) -> dict:
    class Bearer:
        def headers(self, who):
            return headers

    return wait_final(Bearer(), None, url)
