"""Load a GeoPackage/Shapefile/GeoJSON layer into PostGIS (fiona/OGR), by COPY.

Column names are kept exactly (the CQL2 conformance data has upper-case ones); the id is
the source feature id; geometries go in as EWKB through ``COPY`` and the spatial index is
built after the load. An existing table is replaced only when asked (``replace``), and
atomically: the new rows are loaded aside, into a table of their own, and swapped in at
the end of the same transaction (drop the old table, rename the new one), so readers keep
reading the old table during the load and then see the new one, never half of either; a
load that fails or is killed leaves the old table as it was.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fiona
import shapely
from pyproj import CRS
from shapely.geometry import shape
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from landgrid.crs import lonlat_bounds
from landgrid.errors import LandgridError
from landgrid.features.crs import CRS84, EPSG_URI
from landgrid.features.product import IDENTIFIER, VectorProduct

Progress = Callable[[int, int], None]  # (done, total)
_TYPES = {
    "int": "bigint",
    "int32": "integer",
    "int64": "bigint",
    "float": "double precision",
    "str": "text",
    "date": "date",
    "datetime": "timestamptz",
    "time": "time",
    "bool": "boolean",
}


class LoadError(LandgridError):
    """The source cannot be read or does not fit a table."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    count: int
    srid: int
    storage_crs: str
    geometry_type: str
    bbox: list[float]


def _quote(name: str) -> str:
    if '"' in name or "\x00" in name:
        raise LoadError(f"unsupported column name {name!r}")
    return f'"{name}"'


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def load_layer(
    engine: Engine,
    source: Path,
    table: str,
    layer: str | None = None,
    schema: str = "public",
    id_column: str = "id",
    geometry_column: str = "geom",
    progress: Progress | None = None,
    batch: int = 5000,
    replace: bool = False,
) -> LoadResult:
    """Create ``schema.table`` from one layer (replace it atomically only if ``replace``);
    returns what a product definition needs."""
    for name in (table, schema, id_column, geometry_column):
        if not re.match(IDENTIFIER, name):
            raise LoadError(f"invalid identifier {name!r}")
    src = _open(source, layer)
    if table_exists(engine, schema, table) and not replace:
        raise LoadError(f"table {schema}.{table} already exists: pass --replace to replace it")
    aside = f"{table[:40]}_load_{os.getpid()}"  # loaded here, swapped in at the end
    with src:
        props = dict(src.schema["properties"])
        if id_column in props or geometry_column in props:
            raise LoadError(f"the source already has a column {id_column!r}/{geometry_column!r}")
        epsg = CRS.from_user_input(src.crs.to_wkt()).to_epsg() if src.crs else None
        if epsg is None:
            raise LoadError(f"{source}: the layer's CRS has no EPSG code")
        gtype = src.schema["geometry"].replace("3D ", "").upper()
        multi = gtype.startswith("MULTI")
        columns = [f"{_quote(n)} {_TYPES.get(t.split(':')[0], 'text')}" for n, t in props.items()]
        rel = f'"{schema}"."{aside}"'
        total = len(src)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL TimeZone = 'UTC'"))
            conn.execute(text(f"DROP TABLE IF EXISTS {rel}"))
            conn.execute(
                text(
                    f"CREATE TABLE {rel} ({_quote(id_column)} bigint PRIMARY KEY, "
                    + "".join(f"{c}, " for c in columns)
                    + f"{_quote(geometry_column)} geometry({gtype}, {epsg}))"
                )
            )
            cursor = conn.connection.dbapi_connection.cursor()
            names = ", ".join([_quote(id_column), *map(_quote, props), _quote(geometry_column)])
            done = 0
            for chunk in _chunks(src, batch):
                buffer = io.StringIO()
                for feature in chunk:
                    geom = shape(feature.geometry) if feature.geometry else None
                    if geom is not None and multi and not geom.geom_type.startswith("Multi"):
                        geom = getattr(shapely, f"Multi{geom.geom_type}")([geom])
                    wkb = (
                        shapely.to_wkb(shapely.set_srid(geom, epsg), hex=True, include_srid=True)
                        if geom is not None
                        else None
                    )
                    values = [feature.id, *(feature.properties[n] for n in props), wkb]
                    buffer.write("\t".join(_copy_value(v) for v in values) + "\n")
                buffer.seek(0)
                cursor.copy_expert(f"COPY {rel} ({names}) FROM STDIN", buffer)
                done += len(chunk)
                if progress:
                    progress(done, total)
            conn.execute(
                text(f'CREATE INDEX "{aside}_gist" ON {rel} USING gist ({_quote(geometry_column)})')
            )
            native = conn.execute(
                text(
                    f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                    f"ST_Extent({_quote(geometry_column)}) AS e FROM {rel}) x"
                )
            ).one()
            _swap(conn, schema, aside, table, geometry_column)
        with engine.begin() as conn:
            conn.execute(text(f'ANALYZE "{schema}"."{table}"'))
    storage = CRS84 if epsg == 4326 else EPSG_URI.format(code=epsg)
    box = (
        lonlat_bounds(CRS.from_epsg(epsg), tuple(native))
        if native[0] is not None
        else [-180.0, -90.0, 180.0, 90.0]
    )
    return LoadResult(table, done, epsg, storage, gtype, box)


def _open(source: Path, layer: str | None) -> Any:
    """The source layer, or a one-line ``LoadError`` naming what is there instead."""
    try:
        return fiona.open(source, layer=layer)
    except ValueError as e:  # fiona: "Null layer" for a layer the source does not have
        try:
            layers = fiona.listlayers(source)
        except (fiona.errors.FionaError, OSError):
            raise LoadError(f"cannot read {source}: {e}") from e
        raise LoadError(f"{source.name} has no layer {layer!r}; its layers: {layers}") from e
    except (fiona.errors.FionaError, OSError) as e:
        raise LoadError(f"cannot read {source}: {e}") from e


def _swap(conn: Any, schema: str, aside: str, table: str, geometry_column: str) -> None:
    """Put the table loaded aside in the place of ``table``, in the caller's transaction:
    readers wait for the commit (milliseconds), not for the load."""
    conn.execute(text("SET LOCAL lock_timeout = '60s'"))
    conn.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{table}"'))
    conn.execute(text(f'ALTER TABLE "{schema}"."{aside}" RENAME TO "{table}"'))
    for old, new in (
        (f"{aside}_pkey", f"{table}_pkey"),
        (f"{aside}_gist", f"{table}_{geometry_column}_gist"),
    ):
        conn.execute(text(f'ALTER INDEX "{schema}"."{old}" RENAME TO "{new[:63]}"'))


def table_exists(engine: Engine, schema: str, table: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT to_regclass(:t)"), {"t": f'"{schema}"."{table}"'})
        return found.scalar() is not None


def time_interval(
    engine: Engine, table: str, start: str, end: str | None = None, schema: str = "public"
) -> list[str | None]:
    """First and last time of a loaded table's time column(s), RFC 3339 in UTC, for the
    collection's temporal extent."""
    rel = f'"{schema}"."{table}"'
    utc = "::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    query = text(
        f"SELECT to_char(min({_quote(start)}){utc}, to_char(max({_quote(end or start)}){utc}"
        f" FROM {rel}"
    )
    with engine.connect() as conn:
        first, last = conn.execute(query).one()
    return [first, last]


def ensure_unaccent(engine: Engine) -> bool:
    """ACCENTI needs PostgreSQL's unaccent extension (contrib); False when it cannot be had."""
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        return True
    except DBAPIError:  # missing contrib or privileges: ACCENTI then answers 400
        return False


def product_definition(
    result: LoadResult,
    product_id: str,
    title: str,
    description: str = "",
    keywords: Iterable[str] = (),
    id_column: str = "id",
    geometry_column: str = "geom",
    time_column: str | None = None,
    time_end_column: str | None = None,
    editable: bool = False,
    interval: list[str | None] | None = None,
) -> VectorProduct:
    """The definition that serves a loaded table (to register in ``vector-products``)."""
    return VectorProduct.model_validate(
        {
            "id": product_id,
            "title": title,
            "description": description,
            "keywords": list(keywords),
            "table": result.table,
            "id_column": id_column,
            "geometry_column": geometry_column,
            "storage_crs": result.storage_crs,
            "time_column": time_column,
            "time_end_column": time_end_column,
            "editable": editable,
            "bbox": result.bbox,
            "interval": interval,
        }
    )


def _chunks(features: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for feature in features:
        chunk.append(feature)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
