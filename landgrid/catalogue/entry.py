"""One catalogue entry: the searchable columns of a record and its documents.

An entry is what the refresh writes and the searches read: the columns that filters, sorts
and access checks use, the OGC API - Records document, and (for what STAC describes) the
STAC item or collection. Documents are built with every href of ours on ``BASE``, replaced
by the server's URL when served, so that the rows do not depend on who wrote them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

BASE = "https://landgrid.invalid"  # RFC 6761: never a real host
CATALOGUE = "catalogue"  # the Records collection
RESULTS = "results"  # the STAC collection of published job results
Source = Literal["product", "result"]


@dataclass(frozen=True)
class Entry:
    id: str
    source: Source  # who refreshes the row: the product catalog, or the job table
    type: str  # Records type: series (a product), dataset (a year, a vector product), result
    title: str
    record: dict[str, Any] | None  # None: a STAC item only (a vector product's features)
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    product: str | None = None
    year: int | None = None
    process: str | None = None
    job: str | None = None
    license: str | None = None
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    time_start: dt.datetime | None = None
    time_end: dt.datetime | None = None
    bbox: list[float] | None = None  # CRS84
    owner: str | None = None  # set: only this identity and admins see it
    collection: str | None = None  # the collection whose read right governs it
    external_ids: list[str] = field(default_factory=list)  # scheme:value
    stac_kind: Literal["item", "collection"] | None = None
    stac_collection: str | None = None
    stac: dict[str, Any] | None = None

    @property
    def search(self) -> str:
        """The text ``q`` searches: title, description and keywords, lower case."""
        return " | ".join([self.title, self.description, *self.keywords]).lower()

    @property
    def stamp(self) -> str:
        """A digest of the row: an unchanged entry is not written again."""
        data = json.dumps(self.row(), sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()[:32]

    def row(self) -> dict[str, Any]:
        """The table row (without its stamp); the geometry as its box."""
        return {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "keywords": ", ".join(self.keywords),
            "product": self.product,
            "year": self.year,
            "process": self.process,
            "job": self.job,
            "license": self.license,
            "created": self.created,
            "updated": self.updated,
            "time_start": self.time_start,
            "time_end": self.time_end,
            "bbox": self.bbox,
            "owner": self.owner,
            "collection": self.collection,
            "external_ids": self.external_ids,
            "search": self.search,
            "stac_kind": self.stac_kind,
            "stac_collection": self.stac_collection,
            "record": self.record,
            "stac": self.stac,
        }


def year_interval(first: int, last: int) -> tuple[dt.datetime, dt.datetime]:
    """The instants a reference year (or a span of them) covers, in UTC."""
    start = dt.datetime(first, 1, 1, tzinfo=dt.UTC)
    return start, dt.datetime(last, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
