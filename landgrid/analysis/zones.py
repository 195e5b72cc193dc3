"""Zones for statistics: inline GeoJSON, or features of a collection selected by CQL2.

Either way the result is a list of checked polygons in the product's CRS. Zones by reference
reuse the Features API's own CQL2 compiler and table description, so a filter means here
exactly what it means on ``/collections/{id}/items``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from shapely import wkb
from shapely.validation import explain_validity

from landgrid.analysis.aoi import geometry, project
from landgrid.analysis.zonal import Zone, layers
from landgrid.catalog import Catalog
from landgrid.crs import parse_crs
from landgrid.db import engine
from landgrid.errors import InvalidParameterValue
from landgrid.features.params import parse_items
from landgrid.features.query import where
from landgrid.features.settings import FeatureSettings
from landgrid.features.table import describe
from landgrid.guards import LIMITS, Limits, check_geojson
from landgrid.raster.product import RasterProduct


@dataclass(frozen=True)
class ZoneSources:
    """Where zones by reference come from: the vector products of the catalog the caller
    sees (so a collection they may not read does not exist here either), read with the
    Features API's own settings (limits, statement timeout) and the input limits."""

    catalog: Catalog
    db_url: str
    features: FeatureSettings
    limits: Limits = LIMITS


def load_zones(
    sources: ZoneSources, value: dict[str, Any], crs_value: str | None, product: RasterProduct
) -> list[Zone]:
    if "collection" in value:
        zones = _from_collection(sources, value, product)
    else:
        zones = _inline(value, crs_value, product, sources.limits)
    layers([z.geometry for z in zones], sources.limits.zone_overlaps)  # bounded, or refused
    return zones


def _inline(
    collection: dict[str, Any], crs_value: str | None, product: RasterProduct, limits: Limits
) -> list[Zone]:
    check_geojson(collection, limits, "zones")  # features, positions, finite coordinates
    crs = parse_crs(crs_value, "input 'zonesCrs'")
    zones = []
    for i, feature in enumerate(collection["features"]):
        geom_json = (feature or {}).get("geometry") or {}
        if geom_json.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        geom = geometry(geom_json, f"zones/features/{i}")
        zone_id = feature.get("id", i)
        zones.append(
            Zone(zone_id, project(geom, crs, product.crs), dict(feature.get("properties") or {}))
        )
    if not zones:
        raise InvalidParameterValue("input 'zones': no feature has a Polygon or MultiPolygon")
    return zones


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _from_collection(
    sources: ZoneSources, ref: dict[str, Any], product: RasterProduct
) -> list[Zone]:
    products = sources.catalog.products().vector  # only what the caller may read
    name = ref["collection"]
    if name not in products:
        raise InvalidParameterValue(
            f"input 'zones': no feature collection {name!r}; available: {sorted(products)}"
        )
    most = sources.limits.geojson_features
    db = engine(sources.db_url)
    srid = product.crs.to_epsg()
    with db.connect() as conn:
        info = describe(conn, products[name])
        args = (
            {}
            if ref.get("filter") is None or isinstance(ref["filter"], dict)
            else {"filter": ref["filter"]}
        )
        body = ref["filter"] if isinstance(ref.get("filter"), dict) else None
        request = parse_items(
            args, info, sources.features, body, ref.get("filter-lang"), sources.limits
        )
        props = [info.table.c[n] for n in info.property_names]
        query = (
            sa.select(info.id, sa.func.ST_AsBinary(sa.func.ST_Transform(info.geom, srid)), *props)
            .where(*where(info, request))
            .order_by(info.id)
        )
        rows = conn.execute(query.limit(most + 1)).all()
    if len(rows) > most:
        raise InvalidParameterValue(
            f"input 'zones': more than {most} features selected, over the limit of {most} "
            "zones (LANDGRID_LIMIT_GEOJSON_FEATURES); narrow the filter"
        )
    zones = []
    for row in rows:
        if row[1] is None:
            continue
        geom = wkb.loads(bytes(row[1]))
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            continue
        if not geom.is_valid:
            raise InvalidParameterValue(
                f"input 'zones': feature {row[0]} of {name!r} is invalid: {explain_validity(geom)}"
            )
        zones.append(
            Zone(
                _plain(row[0]),
                geom,
                {n: _plain(v) for n, v in zip(info.property_names, row[2:], strict=True)},
            )
        )
    if not zones:
        what = "no polygon" if rows else "no feature"
        how = "selects" if ref.get("filter") is not None else "has"
        raise InvalidParameterValue(f"input 'zones': collection {name!r} {how} {what}")
    return zones
