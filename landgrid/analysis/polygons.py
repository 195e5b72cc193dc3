"""Vector products in PostGIS: polygons derived from a land-cover layer, loaded by COPY.

Geometries go to the database as WKB through ``COPY``, never as one INSERT per row, and the
table gets its spatial index after the load (faster than maintaining it row by row).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import Engine, text

from landgrid.analysis.checkpoint import Checkpoint, never

Progress = Callable[[int, int], None]
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class LandCoverPolygon:
    code: int
    label: str
    year: int
    geometry: MultiPolygon


def polygonize(
    codes: np.ndarray, transform: Affine, labels: dict[int, str], year: int, nodata: int
) -> Iterator[LandCoverPolygon]:
    """Connected pixels of one class (4-connectivity) as polygons; nodata is left out."""
    for geom, value in shapes(codes, mask=codes != nodata, transform=transform, connectivity=4):
        code = int(value)
        polygon = shape(geom)
        yield LandCoverPolygon(code, labels.get(code, str(code)), year, MultiPolygon([polygon]))


def _copy_rows(polygons: Iterable[LandCoverPolygon], srid: int) -> io.StringIO:
    buffer = io.StringIO()
    for p in polygons:
        label = p.label.replace("\\", "\\\\").replace("\t", " ")
        ewkb = shapely.to_wkb(shapely.set_srid(p.geometry, srid), hex=True, include_srid=True)
        buffer.write(f"{p.code}\t{label}\t{p.year}\t{p.geometry.area}\t{ewkb}\n")
    buffer.seek(0)
    return buffer


def load_landcover_polygons(
    engine: Engine,
    table: str,
    srid: int,
    polygons: Iterable[LandCoverPolygon],
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    check: Checkpoint = never,
) -> int:
    """(Re)create ``table`` and fill it; all or nothing, in one transaction (``check``
    runs per batch: a stopped load leaves nothing)."""
    if not TABLE_NAME.match(table):
        raise ValueError(f"invalid table name {table!r}")
    count = 0
    with engine.begin() as conn:
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
        conn.execute(
            text(
                f'CREATE TABLE "{table}" ('
                " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " code smallint NOT NULL, label text NOT NULL, year smallint NOT NULL,"
                f" area_m2 double precision NOT NULL, geom geometry(MultiPolygon, {srid}) NOT NULL)"
            )
        )
        cursor = conn.connection.dbapi_connection.cursor()
        chunk: list[LandCoverPolygon] = []
        for polygon in polygons:
            chunk.append(polygon)
            if len(chunk) >= batch:
                check()
                count += _copy(cursor, table, srid, chunk, progress)
                chunk = []
        count += _copy(cursor, table, srid, chunk, progress)
        conn.execute(text(f'CREATE INDEX "{table}_geom_idx" ON "{table}" USING gist (geom)'))
        conn.execute(text(f'CREATE INDEX "{table}_code_idx" ON "{table}" (code)'))
    with engine.begin() as conn:
        conn.execute(text(f'ANALYZE "{table}"'))
    return count


def _copy(
    cursor,
    table: str,
    srid: int,
    chunk: list[LandCoverPolygon],
    progress: Callable[[int], None] | None,
) -> int:
    if not chunk:
        return 0
    cursor.copy_expert(
        f'COPY "{table}" (code, label, year, area_m2, geom) FROM STDIN', _copy_rows(chunk, srid)
    )
    if progress:
        progress(len(chunk))
    return len(chunk)


def table_exists(engine: Engine, table: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar())
