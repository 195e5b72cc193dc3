"""OGC API - Features Part 4: create, replace, update and delete items of editable products.

Each operation validates the whole feature first (GeoJSON structure, known properties of the
right types, a valid geometry of the column's type, in the request's ``Content-Crs``), then
writes in one transaction: a rejected feature changes nothing. The acting identity is passed
in by the caller (the auth layer decides who may edit) and logged with every change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import shapely
import shapely.errors
import shapely.geometry
import sqlalchemy as sa

from landgrid.features.crs import CRS84, crs_info, crs_uri
from landgrid.features.errors import InvalidParameter, NotFound
from landgrid.features.store import FeatureStore, translate_db_errors
from landgrid.features.table import TableInfo
from landgrid.guards import LIMITS, Limits, check_geojson

LOGGER = logging.getLogger("landgrid.features.edits")
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


class ReadOnly(InvalidParameter):
    status = 405
    type = "MethodNotAllowed"


def _check_value(name: str, kind: str, value: Any) -> Any:
    if value is None:
        return None
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
    }.get(kind)
    if kind in ("date", "date-time"):
        try:
            parse = dt.date.fromisoformat if kind == "date" else dt.datetime.fromisoformat
            return parse(str(value).replace("Z", "+00:00"))
        except ValueError as e:
            raise InvalidParameter(f"property {name!r}: {value!r} is not an ISO {kind}") from e
    if ok is False:
        raise InvalidParameter(f"property {name!r}: expected {kind}, got {type(value).__name__}")
    return value


class FeatureEditor:
    def __init__(self, store: FeatureStore, limits: Limits = LIMITS) -> None:
        self.store = store
        self.product = store.product
        self.limits = limits

    def _info(self) -> TableInfo:
        if not self.product.editable:
            raise ReadOnly(f"collection {self.product.id!r} is read-only")
        return self.store.info()

    def _properties(self, info: TableInfo, properties: Any) -> dict[str, Any]:
        if not isinstance(properties, dict):
            raise InvalidParameter("'properties' must be an object")
        unknown = sorted(set(properties) - set(info.property_names))
        if unknown:
            raise InvalidParameter(f"unknown properties {unknown} (see /queryables)")
        return {n: _check_value(n, info.columns[n].kind, v) for n, v in properties.items()}

    def _geometry(self, info: TableInfo, geometry: Any, content_crs: str | None) -> Any:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if not isinstance(kind, str) or kind not in GEOMETRY_TYPES:
            raise InvalidParameter(
                "'geometry' must be a GeoJSON Point, LineString or Polygon (or Multi-) object"
            )
        try:
            empty = shapely.geometry.shape(geometry).is_empty
        except (
            ValueError,
            TypeError,
            AttributeError,
            IndexError,
            KeyError,
            shapely.errors.GEOSException,
        ) as e:
            raise InvalidParameter(f"'geometry' is not valid GeoJSON: {e}") from e
        if empty:
            raise InvalidParameter("'geometry' has no coordinates")
        try:
            crs = crs_info(crs_uri(content_crs.strip("<> ") if content_crs else CRS84))
        except ValueError as e:
            raise InvalidParameter(f"Content-Crs: {e}") from e
        geom = sa.func.ST_SetSRID(sa.func.ST_GeomFromGeoJSON(json.dumps(geometry)), crs.srid)
        if crs.lat_first:
            geom = sa.func.ST_FlipCoordinates(geom)
        if info.srid and info.srid != crs.srid:
            geom = sa.func.ST_Transform(geom, info.srid)
        if info.geometry_type.startswith("MULTI"):
            geom = sa.func.ST_Multi(geom)
        return geom

    def _validate_geometry(self, conn: sa.Connection, geom: Any) -> None:
        reason = conn.execute(sa.select(sa.func.ST_IsValidReason(geom))).scalar()
        if reason != "Valid Geometry":
            raise InvalidParameter(f"invalid geometry: {reason}")

    def _feature(
        self, info: TableInfo, feature: Any, crs: str | None, partial: bool = False
    ) -> dict[str, Any]:
        if not isinstance(feature, dict) or (not partial and feature.get("type") != "Feature"):
            raise InvalidParameter("the body must be a GeoJSON Feature")
        check_geojson(feature, self.limits, "body")  # before shapely and PostGIS see it
        values = self._properties(info, feature.get("properties") or {})
        if "geometry" in feature or not partial:
            values[self.product.geometry_column] = self._geometry(
                info, feature.get("geometry"), crs
            )
        return values

    def _key(self, info: TableInfo, item_id: str) -> Any:
        if info.columns[self.product.id_column].kind == "integer":
            if not item_id.lstrip("-").isdigit() or abs(int(item_id)) >= 2**63:
                raise NotFound(f"feature {item_id!r} not found")
            return int(item_id)
        return item_id

    def _write(self, statement: sa.Executable, geom: Any | None) -> Any:
        with translate_db_errors(), self.store.engine.begin() as conn:
            if geom is not None:
                self._validate_geometry(conn, geom)
            return conn.execute(statement)

    def create(self, feature: Any, content_crs: str | None, identity: str) -> str:
        info = self._info()
        values = self._feature(info, feature, content_crs)
        statement = sa.insert(info.table).values(values).returning(info.id)
        new_id = self._write(statement, values[self.product.geometry_column]).scalar_one()
        LOGGER.info("%s created %s/%s", identity, self.product.id, new_id)
        return str(new_id)

    def replace(self, item_id: str, feature: Any, content_crs: str | None, identity: str) -> None:
        info = self._info()
        values = self._feature(info, feature, content_crs)
        for name in info.property_names:  # a replacement clears what it does not give
            values.setdefault(name, None)
        self._change(info, item_id, values, identity, "replaced")

    def update(self, item_id: str, patch: Any, content_crs: str | None, identity: str) -> None:
        info = self._info()
        values = self._feature(info, patch, content_crs, partial=True)
        if not values:
            raise InvalidParameter("nothing to update: give 'properties' and/or 'geometry'")
        self._change(info, item_id, values, identity, "updated")

    def _change(
        self, info: TableInfo, item_id: str, values: dict[str, Any], identity: str, verb: str
    ) -> None:
        key = self._key(info, item_id)
        statement = sa.update(info.table).where(info.id == key).values(values)
        if self._write(statement, values.get(self.product.geometry_column)).rowcount == 0:
            raise NotFound(f"feature {item_id!r} not found")
        LOGGER.info("%s %s %s/%s", identity, verb, self.product.id, item_id)

    def delete(self, item_id: str, identity: str) -> None:
        info = self._info()
        key = self._key(info, item_id)
        if self._write(sa.delete(info.table).where(info.id == key), None).rowcount == 0:
            raise NotFound(f"feature {item_id!r} not found")
        LOGGER.info("%s deleted %s/%s", identity, self.product.id, item_id)
