"""Which raster products and years a land-cover process can use, and their windows.

Years come from the store (what was really ingested), not from the definition file, so a
job never starts on a year that has no pixels. Reads go through the coverage reader (its
cached dataset and HDF5 lock), one window of the native grid at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
from affine import Affine
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.aoi import aoi_in_product
from landgrid.catalog import Catalog
from landgrid.coverage import reader
from landgrid.coverage.plan import Grid, Plan
from landgrid.errors import InvalidParameterValue
from landgrid.guards import LIMITS, Limits
from landgrid.raster.product import RasterProduct
from landgrid.raster.store import VARIABLE


@dataclass(frozen=True)
class Source:
    """A product with its store and the years the store holds."""

    product: RasterProduct
    store: Path
    years: tuple[int, ...]

    def plan(self, years: list[int], window: tuple[int, int, int, int]) -> Plan:
        """A native-grid read of rows r0:r1, columns c0:c1 for these years."""
        r0, r1, c0, c1 = window
        transform = self.product.transform @ Affine.translation(c0, r0)
        grid = Grid(self.product.crs, transform, c1 - c0, r1 - r0)
        indices = tuple(self.years.index(y) for y in years)
        return Plan(self.product, tuple(years), indices, grid, window)

    def read(self, years: list[int], window: tuple[int, int, int, int]) -> np.ndarray:
        """uint8 ``(len(years), rows, cols)`` of the window."""
        return reader.read(self.store, self.plan(years, window))

    def chunk_rows(self) -> int:
        """Rows per chunk of the store (reads aligned on them decompress each chunk once)."""
        with reader.LOCK, netCDF4.Dataset(self.store) as ds:
            return int(ds[VARIABLE].chunking()[1])

    def window(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Smallest native window (r0, r1, c0, c1) covering ``bounds``, cut to the grid."""
        p = self.product
        minx, miny, maxx, maxy = bounds
        c0 = max(0, int(np.floor((minx - p.extent.xmin) / p.resolution)))
        c1 = min(p.width, int(np.ceil((maxx - p.extent.xmin) / p.resolution)))
        r0 = max(0, int(np.floor((p.extent.ymax - maxy) / p.resolution)))
        r1 = min(p.height, int(np.ceil((p.extent.ymax - miny) / p.resolution)))
        return r0, max(r1, r0), c0, max(c1, c0)


def source(catalog: Catalog, product_id: str, years: list[int] | None = None) -> Source:
    """The product and its store; unknown products and missing years are client errors."""
    product = catalog.raster(product_id)
    if product is None:
        known = sorted(catalog.products().raster)
        raise InvalidParameterValue(
            f"input 'product': no raster product {product_id!r}; available: {known}"
        )
    store = catalog.store(product_id)
    held = tuple(reader.years(store))
    missing = [y for y in years or [] if y not in held]
    if missing:
        raise InvalidParameterValue(
            f"input 'year': product {product_id!r} has no year {missing}; it has {list(held)}"
        )
    return Source(product, store, held)


def source_and_aoi(
    catalog: Catalog,
    inputs: dict[str, Any],
    years: list[int],
    aoi_max_km2: float,
    limits: Limits = LIMITS,
) -> tuple[Source, BaseGeometry]:
    """The product with these years, and the ``aoi``/``aoiCrs`` inputs in its CRS (checked:
    inside the product, within the size limit): what every AOI process starts from."""
    src = source(catalog, inputs["product"], years)
    aoi = aoi_in_product(
        inputs["aoi"], inputs.get("aoiCrs"), src.product, aoi_max_km2, "aoi", limits
    )
    return src, aoi


def as_list(value: Any) -> list[Any]:
    """A ``maxOccurs > 1`` input given once arrives as a single value."""
    return value if isinstance(value, list) else [value]
