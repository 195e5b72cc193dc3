"""Concrete requests for the operations of the API definition: path parameters filled with
resources that exist (a feature of the collection, a finished job and its output)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import requests

from tests.standards.helpers import operations


class Resources:
    """Real values for the path parameters of the document."""

    def __init__(self, api: str, http: requests.Session) -> None:
        self.api, self.http = api, http
        done = http.post(
            f"{api}/processes/echo/execution",
            json={"inputs": {"echoInput": "sample"}, "response": "document"},
            timeout=60,
        )
        assert done.status_code == 200, done.text
        jobs = http.get(f"{api}/jobs", params={"processID": "echo", "limit": 1}, timeout=30)
        self.ids = {"jobId": jobs.json()["jobs"][0]["jobID"], "outputId": "echoOutput"}

    def feature_id(self, collection: str) -> str | None:
        page = self.http.get(
            f"{self.api}/collections/{collection}/items", params={"limit": 1}, timeout=30
        ).json()
        return str(page["features"][0]["id"]) if page["features"] else None

    def url(self, path: str) -> str | None:
        """The URL of ``path`` with its parameters filled (None: no such resource, e.g. a
        feature of an empty collection)."""
        ids = dict(self.ids)
        collection = path.split("/")[2] if path.startswith("/collections/") else None
        if "{featureId}" in path:
            fid = self.feature_id(collection)
            if fid is None:
                return None
            ids["featureId"] = fid
        if "{tileMatrixSetId}" in path:
            ids["tileMatrixSetId"] = "WebMercatorQuad"
        if "{tileMatrix}" in path:
            ids |= self.tile(path.split("/{tileMatrixSetId}")[0])
        if "{year}" in path:
            ids["year"] = str(self.newest_year(collection))
        if "{recordId}" in path:
            ids["recordId"] = self.first_id(f"{self.api}/collections/catalogue/items")
        if "{collectionId}" in path:
            ids["collectionId"] = "clcplus-backbone"
        if "{itemId}" in path:
            ids["itemId"] = self.first_id(f"{self.api}/stac/collections/clcplus-backbone/items")
        return self.api + re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)

    def tile(self, tilesets: str) -> dict[str, str]:
        """A tile inside the limits of the tileset (its deepest matrix's first tile)."""
        doc = self.http.get(f"{self.api}{tilesets}/WebMercatorQuad", timeout=30).json()
        limit = doc["tileMatrixSetLimits"][-1]
        return {
            "tileMatrix": limit["tileMatrix"],
            "tileRow": str(limit["minTileRow"]),
            "tileCol": str(limit["minTileCol"]),
        }

    def newest_year(self, collection: str) -> int:
        doc = self.http.get(f"{self.api}/collections/{collection}", timeout=30).json()
        return int(doc["extent"]["temporal"]["values"][-1][:4])

    def first_id(self, items: str) -> str:
        return self.http.get(items, params={"limit": 1}, timeout=30).json()["features"][0]["id"]

    def gets(self, oas: dict) -> Iterator[tuple[str, str, dict]]:
        """(documented path, URL, operation) of every GET that can be requested."""
        for path, _, operation in operations(oas, "get"):
            url = self.url(path)
            if url is not None:
                yield path, url, operation
