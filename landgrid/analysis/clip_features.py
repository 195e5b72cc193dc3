"""Clip the features of a vector product to an area of interest, into a GeoPackage.

PostGIS cuts (``ST_Intersection`` on the features that intersect the AOI, found through the
table's spatial index) in the storage CRS; pyproj reprojects each cut feature to the output
CRS (any CRS, not only those with an EPSG code). Parts of lower dimension that a cut can
leave (a polygon touching the AOI along an edge gives a line) are dropped, so the layer
keeps one geometry type. Rows are streamed from a server-side cursor and written in
batches: memory does not grow with the number of features.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fiona
import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import CRS, Transformer
from shapely import wkb
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.db import engine
from landgrid.features.product import VectorProduct
from landgrid.features.table import TableInfo, describe

BATCH = 1000
# PostGIS geometry type -> (ST_CollectionExtract type, GeoPackage layer type)
KINDS = {
    "POLYGON": (3, "MultiPolygon"),
    "LINESTRING": (2, "MultiLineString"),
    "POINT": (1, "MultiPoint"),
}
FIELD_TYPES = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "date": "date",
    "date-time": "datetime",
}


@dataclass(frozen=True)
class FeatureClip:
    path: Path
    features: int
    geometry_type: str
    properties: list[str]


def _kind(info: TableInfo) -> tuple[int | None, str]:
    for name, kind in KINDS.items():
        if name in info.geometry_type:
            return kind
    return None, "Unknown"


def _value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def storage_crs(info: TableInfo) -> CRS:
    return CRS.from_epsg(info.srid) if info.srid else CRS.from_user_input("OGC:CRS84")


def clip_features(
    db_url: str,
    product: VectorProduct,
    aoi: BaseGeometry,
    out_crs: CRS | None,
    path: Path,
    years: list[int] | None = None,
    check: Checkpoint = never,
) -> FeatureClip:
    """Write the features of ``product`` cut to ``aoi`` (in the storage CRS) to ``path``;
    ``check`` runs per batch of features."""
    db = engine(db_url)
    with db.connect() as conn:
        info = describe(conn, product)
        src_crs = storage_crs(info)
        crs = out_crs or src_crs
        extract, layer_type = _kind(info)
        area = sa.func.ST_GeomFromWKB(sa.literal(shapely.to_wkb(aoi)), info.srid)
        cut = sa.func.ST_Intersection(info.geom, area)
        if extract is not None:
            cut = sa.func.ST_Multi(sa.func.ST_CollectionExtract(cut, extract))
        names = [product.id_column, *info.property_names]  # the source id kept as a property
        query = sa.select(sa.func.ST_AsBinary(cut), *(info.table.c[n] for n in names))
        query = query.where(info.geom.op("&&")(area), sa.func.ST_Intersects(info.geom, area))
        if years and product.time_column:
            year = sa.extract("year", info.table.c[product.time_column])
            query = query.where(year.in_(years))
        schema = {
            "geometry": layer_type,
            "properties": {n: FIELD_TYPES.get(info.columns[n].kind, "str") for n in names},
        }
        transformer = Transformer.from_crs(src_crs, crs, always_xy=True)
        count = 0
        rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            query.order_by(info.id)
        )
        with fiona.open(
            path, "w", driver="GPKG", layer=product.id, schema=schema, crs=crs.to_wkt()
        ) as dst:
            for batch in rows.partitions(BATCH):
                check()
                records = []
                for row in batch:
                    geom = wkb.loads(bytes(row[0])) if row[0] is not None else None
                    if geom is None or geom.is_empty:
                        continue
                    if crs != src_crs:
                        geom = shapely.transform(
                            geom,
                            lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
                        )
                    props = {n: _value(v) for n, v in zip(names, row[1:], strict=True)}
                    records.append({"geometry": mapping(geom), "properties": props})
                dst.writerecords(records)
                count += len(records)
    return FeatureClip(path, count, layer_type, names)
