"""The catalogue table: entries written by the refresh, searched by Records and STAC.

Searching goes through the Features engine (``landgrid.features``): the same parameter
parsing, CQL2 compiler, keyset cursors and error translation as ``/items``, over the table
(Records) or its STAC view, each showing only the columns its queryables name. What a
search returns is the stored document itself, one JSON text per row.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from landgrid.catalogue.entry import Entry, Source
from landgrid.crs import CRS84_URI
from landgrid.db import engine
from landgrid.features.cursor import beyond, order_by
from landgrid.features.errors import NotFound
from landgrid.features.params import ItemsRequest
from landgrid.features.product import VectorProduct
from landgrid.features.query import sort_keys, where
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore, Page, translate_db_errors
from landgrid.features.table import TableInfo

TABLE = "catalogue_records"
STAC_VIEW = "catalogue_stac_items"
LOCK = "SELECT pg_advisory_xact_lock(hashtext('landgrid-catalogue'))"
RECORD_QUERYABLES = (
    "id", "type", "title", "description", "keywords", "product", "year", "process", "job",
    "license", "created", "updated", "time_start", "time_end", "geom",
)  # fmt: skip
STAC_QUERYABLES = (
    "id", "collection", "title", "description", "keywords", "product", "year", "process",
    "job", "license", "created", "updated", "start_datetime", "end_datetime", "geom",
)  # fmt: skip
COLUMNS = [
    "id", "source", "type", "title", "description", "keywords", "product", "year", "process",
    "job", "license", "created", "updated", "time_start", "time_end", "owner", "collection",
    "external_ids", "search", "stac_kind", "stac_collection", "stamp",
]  # fmt: skip
_UPSERT = sa.text(
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}, geom, record, stac) VALUES ("
    + ", ".join(f":{c}" for c in COLUMNS)
    + ", CASE WHEN CAST(:w AS float8) IS NULL THEN NULL"
    " ELSE ST_MakeEnvelope(:w, :s, :e, :n, 4326) END,"
    " CAST(:record AS jsonb), CAST(:stac AS jsonb))"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in [*COLUMNS[1:], "geom", "record", "stac"])
)


def _product(table: str, start: str, end: str) -> VectorProduct:
    return VectorProduct(
        id=table,
        title="Catalogue",
        table=table,
        storage_crs=CRS84_URI,
        time_column=start,
        time_end_column=end,
    )


RECORDS = _product(TABLE, "time_start", "time_end")  # what the Records API searches
STAC_ITEMS = _product(STAC_VIEW, "start_datetime", "end_datetime")  # and the STAC API


class CatalogueStore:
    """Writes of the refresh (one writer at a time, across processes) and the searches."""

    def __init__(self, url: str, settings: FeatureSettings) -> None:
        self.url = url
        self.records = DocumentStore(url, settings, RECORDS, RECORD_QUERYABLES, "record")
        self.items = DocumentStore(url, settings, STAC_ITEMS, STAC_QUERYABLES, "stac")

    def replace(self, source: Source, entries: Iterable[Entry]) -> int:
        """Make the rows of ``source`` exactly ``entries``; rows whose stamp did not change
        are left alone. Returns the number of rows written or deleted."""
        wanted = {entry.id: entry for entry in entries}
        with engine(self.url).begin() as conn:
            conn.execute(sa.text(LOCK))
            stamps = dict(
                conn.execute(
                    sa.text(f"SELECT id, stamp FROM {TABLE} WHERE source = :s"), {"s": source}
                ).all()
            )
            gone = [rid for rid in stamps if rid not in wanted]
            if gone:
                conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE id = ANY(:ids)"), {"ids": gone})
            changed = [e for e in wanted.values() if stamps.get(e.id) != e.stamp]
            self._write(conn, changed)
        return len(gone) + len(changed)

    def put(self, entry: Entry) -> None:
        with engine(self.url).begin() as conn:
            conn.execute(sa.text(LOCK))
            self._write(conn, [entry])

    def delete(self, record_id: str) -> None:
        with engine(self.url).begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE id = :id"), {"id": record_id})

    def stamps(self, source: Source) -> dict[str, str]:
        with engine(self.url).connect() as conn:
            query = sa.text(f"SELECT id, stamp FROM {TABLE} WHERE source = :s")
            return dict(conn.execute(query, {"s": source}).all())

    @staticmethod
    def _write(conn: sa.Connection, entries: list[Entry]) -> None:
        if not entries:
            return
        rows = []
        for entry in entries:
            row = entry.row()
            w, s, e, n = row.pop("bbox") or (None,) * 4
            row |= {"w": w, "s": s, "e": e, "n": n, "stamp": entry.stamp}
            row["record"] = None if entry.record is None else json.dumps(entry.record)
            row["stac"] = None if entry.stac is None else json.dumps(entry.stac)
            rows.append(row)
        conn.execute(_UPSERT, rows)


class DocumentStore(FeatureStore):
    """A Features store over the catalogue whose items are the stored documents."""

    def __init__(
        self,
        url: str,
        settings: FeatureSettings,
        product: VectorProduct,
        queryables: tuple[str, ...],
        document: str,
    ) -> None:
        super().__init__(url, product, settings)
        self.queryables_names = queryables
        self.document = document

    def info(self) -> TableInfo:
        """The table as its queryables show it: filters, sorts and property parameters
        never see the access and bookkeeping columns."""
        info = super().info()
        columns = {n: c for n, c in info.columns.items() if n in self.queryables_names}
        return dataclasses.replace(info, columns=columns)

    def search(
        self,
        args: Mapping[str, str],
        conditions: list[Any],
        body_filter: dict | str | None = None,
    ) -> tuple[Page, ItemsRequest]:
        info, req = self.parse(args, body_filter, "cql2-json" if body_filter else None)
        req.conditions = [*conditions, info.table.c[self.document].is_not(None)]
        keys = sort_keys(info, req.sortby)
        terms = where(info, req)
        forward = True
        if req.cursor is not None:
            forward, values = req.cursor
            terms.append(beyond(keys, values, forward))
        query = (
            sa.select(
                sa.cast(info.table.c[self.document], sa.Text).label("feature"),
                *(k.column.label(f"k{i}") for i, k in enumerate(keys)),
            )
            .select_from(info.table)
            .where(*terms)
            .order_by(*order_by(keys, reverse=not forward))
            .limit(req.limit + 1)
        )
        if req.offset and req.cursor is None:  # OWSLib's startposition pages by offset
            query = query.offset(req.offset)
        with translate_db_errors():
            page = self._retrying(lambda: self._page(info, req, query, len(keys)))
        return page, req

    def one(self, record_id: str, conditions: list[Any]) -> str:
        info = super().info()
        query = (
            sa.select(sa.cast(info.table.c[self.document], sa.Text))
            .select_from(info.table)
            .where(
                info.table.c.id == record_id, info.table.c[self.document].is_not(None), *conditions
            )
        )

        def read() -> str | None:
            with self.reader.connect() as conn:
                return conn.execute(query).scalar()

        with translate_db_errors():
            text = self._retrying(read)
        if text is None:
            raise NotFound(f"no record {record_id!r}")
        return text

    def table(self) -> sa.Table:
        return super().info().table
