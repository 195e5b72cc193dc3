"""Vector product definitions: which PostGIS table a collection serves, and how.

A vector product is data (``config/vector-products/*.yml``, plus the definitions that
``landgrid load-vector`` registers in ``<data_dir>/vector-products``), validated here into a
typed model so that the provider, the routes and the loader never handle raw dicts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator

from landgrid.catalogue.metadata import ProductMetadata
from landgrid.errors import LandgridError
from landgrid.features.crs import CRS84, SUPPORTED, crs_uri

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class VectorProductError(LandgridError, ValueError):
    """A vector product definition is unreadable or invalid."""


class VectorProduct(ProductMetadata):
    """One feature collection: a PostGIS table and its metadata (``ProductMetadata``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str
    description: str = ""
    table: str = Field(pattern=IDENTIFIER)
    db_schema: str = Field(default="public", pattern=IDENTIFIER, alias="schema")
    id_column: str = Field(default="id", pattern=IDENTIFIER)
    geometry_column: str = Field(default="geom", pattern=IDENTIFIER)
    storage_crs: str = Field(default=CRS84, description="CRS of the stored coordinates")
    crs: list[str] = Field(default_factory=lambda: list(SUPPORTED))
    time_column: str | None = Field(default=None, pattern=IDENTIFIER)
    time_end_column: str | None = Field(default=None, pattern=IDENTIFIER)
    editable: bool = False
    legend: str | None = Field(
        default=None,
        description="raster product whose legend colours the features (by their `code`) in maps",
    )
    owner: str | None = Field(
        default=None,
        description="identity of the job that published it: only they and admins see it",
    )
    bbox: list[float] = Field(
        default=[-180.0, -90.0, 180.0, 90.0],
        min_length=4,
        max_length=4,
        description="extent in CRS84 (metadata only)",
    )
    interval: list[str | None] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="first and last time of the time column, RFC 3339 (metadata only)",
    )

    @field_validator("storage_crs")
    @classmethod
    def _storage_crs(cls, value: str) -> str:
        return crs_uri(value)

    @field_validator("crs")
    @classmethod
    def _crs(cls, values: list[str]) -> list[str]:
        return [crs_uri(v) for v in values]


def load_vector_product(path: Path) -> VectorProduct:
    """Parsed once per version of the file: callers (``/conformance``, job-published
    collections) ask on every request."""
    try:
        return _load_version(path, path.stat().st_mtime_ns)
    except OSError as e:
        raise VectorProductError(f"{path}: {e}") from e


@lru_cache(maxsize=1024)
def _load_version(path: Path, mtime_ns: int) -> VectorProduct:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf8"))
        return VectorProduct.model_validate(raw)
    except (OSError, yaml.YAMLError) as e:
        raise VectorProductError(f"{path}: {e}") from e
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise VectorProductError(f"{path}: field {where!r}: {first['msg']}") from e


def load_vector_products(dirs: Iterable[Path]) -> dict[str, VectorProduct]:
    """Every ``*.yml`` in the folders (missing folders are skipped), keyed by id; later
    folders override earlier ones so that a registration can replace a shipped product."""
    products: dict[str, VectorProduct] = {}
    for directory in dirs:
        if directory.is_dir():
            for path in sorted(directory.glob("*.yml")):
                product = load_vector_product(path)
                products[product.id] = product
    return products


def write_vector_product(product: VectorProduct, directory: Path) -> Path:
    """Register a definition (e.g. in ``<data_dir>/vector-products``); the catalog of every
    running process picks it up at its next look (``landgrid.catalog``). Written aside and
    renamed into place: a reader never parses half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (re.sub(r"[^A-Za-z0-9_.-]", "_", product.id) + ".yml")
    data = product.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.writing")
    aside.write_text(
        yaml.safe_dump({"id": product.id, **data}, sort_keys=False, allow_unicode=True),
        encoding="utf8",
    )
    os.replace(aside, path)
    return path
