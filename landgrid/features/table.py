"""What a product's table really holds: its columns and types, read from the catalogue.

Every identifier that reaches SQL (filter properties, ``sortby``, ``properties``, property
query parameters) is looked up here first, so nothing a client sends is ever spliced into
SQL. Descriptions are cached per process for a minute: pygeoapi builds a provider per
request and tables are rarely re-created.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.types import NullType, TypeEngine

from landgrid.features.errors import NotFound
from landgrid.features.product import VectorProduct

_KINDS: dict[str, tuple[str, TypeEngine]] = {
    "smallint": ("integer", sa.SmallInteger()),
    "integer": ("integer", sa.Integer()),
    "bigint": ("integer", sa.BigInteger()),
    "real": ("number", sa.Float()),
    "double precision": ("number", sa.Float()),
    "numeric": ("number", sa.Numeric()),
    "boolean": ("boolean", sa.Boolean()),
    "date": ("date", sa.Date()),
    "timestamp without time zone": ("date-time", sa.DateTime()),
    "timestamp with time zone": ("date-time", sa.DateTime(timezone=True)),
    "text": ("string", sa.Text()),
    "character varying": ("string", sa.Text()),
    "character": ("string", sa.Text()),
}

_COLUMNS = sa.text(
    "SELECT a.attname, format_type(a.atttypid, NULL), t.typname, NOT a.attnotnull"
    " FROM pg_attribute a"
    " JOIN pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = to_regclass(:rel) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum"
)
_GEOMETRY = sa.text(
    "SELECT srid, type FROM geometry_columns"
    " WHERE f_table_schema = :schema AND f_table_name = :table AND f_geometry_column = :column"
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # integer | number | string | boolean | date | date-time | geometry | other
    type: TypeEngine
    nullable: bool = True


@dataclass(frozen=True)
class TableInfo:
    product: VectorProduct
    columns: dict[str, Column]
    srid: int
    geometry_type: str
    table: sa.Table
    has_unaccent: bool
    # expressions built from this description, reused by requests (see query.feature_json)
    expressions: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> sa.ColumnElement:
        return self.table.c[self.product.id_column]

    @property
    def geom(self) -> sa.ColumnElement:
        return self.table.c[self.product.geometry_column]

    @property
    def property_names(self) -> list[str]:
        """Columns shown as feature properties: all but the id and geometry."""
        p = self.product
        return [
            n
            for n, c in self.columns.items()
            if n not in (p.id_column, p.geometry_column) and c.kind != "geometry"
        ]


_cache: dict[tuple[str, str], tuple[float, TableInfo]] = {}
_lock = threading.Lock()
TTL = 60.0


def describe(source: sa.Connection | sa.Engine, product: VectorProduct) -> TableInfo:
    """The cached description; given an engine, a connection is taken only on a miss."""
    engine = source if isinstance(source, sa.Engine) else source.engine
    key = (engine.url.render_as_string(), product.model_dump_json())
    with _lock:
        hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < TTL:
        return hit[1]
    if isinstance(source, sa.Engine):
        with source.connect() as conn:
            info = _describe(conn, product)
    else:
        info = _describe(source, product)
    with _lock:
        _cache[key] = (time.monotonic(), info)
    return info


def forget(product: VectorProduct | None = None) -> None:
    """Drop cached descriptions (after a load re-created a table)."""
    with _lock:
        for key in [k for k in _cache if product is None or _cache[k][1].product == product]:
            del _cache[key]


def _describe(conn: sa.Connection, product: VectorProduct) -> TableInfo:
    rel = f'"{product.db_schema}"."{product.table}"'
    rows = conn.execute(_COLUMNS, {"rel": rel}).all()
    if not rows:
        raise NotFound(f"the table of collection {product.id!r} does not exist")
    columns: dict[str, Column] = {}
    for name, type_name, typname, nullable in rows:
        if typname == "geometry":
            columns[name] = Column(name, "geometry", NullType(), nullable)
        else:
            kind, sa_type = _KINDS.get(type_name, ("other", NullType()))
            columns[name] = Column(name, kind, sa_type, nullable)
    for needed in (
        product.id_column,
        product.geometry_column,
        product.time_column,
        product.time_end_column,
    ):
        if needed and needed not in columns:
            raise NotFound(f"column {needed!r} of collection {product.id!r} does not exist")
    geometry = conn.execute(
        _GEOMETRY,
        {"schema": product.db_schema, "table": product.table, "column": product.geometry_column},
    ).first()
    srid, geometry_type = (geometry[0], geometry[1]) if geometry else (0, "GEOMETRY")
    table = sa.Table(
        product.table,
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in columns.values()),
        schema=product.db_schema,
    )
    has_unaccent = bool(
        conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")).scalar()
    )
    return TableInfo(product, columns, srid, geometry_type.upper(), table, has_unaccent)
