"""Demo products, loaded on first start through the same ingestion code operators use.

The raster product is made by our deterministic generator (one GeoTIFF per year), ingested
with ``ingest_year``; the vector product is the newest year polygonised into PostGIS.
Both steps are skipped when already done, so a restart is quick.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from landgrid.analysis.polygons import load_landcover_polygons, polygonize, table_exists
from landgrid.catalog import store_path
from landgrid.db import engine
from landgrid.ops.generator import write_geotiff
from landgrid.raster.cogs import build_cogs
from landgrid.raster.product import RasterProduct, load_products
from landgrid.raster.store import create_store, ingest_year, open_store, store_years
from landgrid.settings import Settings

DEMO_PRODUCT = "clcplus-backbone"
DEMO_POLYGONS = "clcplus_backbone_polygons"

Say = Callable[[str], None]
BarFactory = Callable[[str], AbstractContextManager[Callable[[int, int], None] | None]]


def _no_bar(_: str) -> AbstractContextManager[None]:
    return nullcontext()


def load_demo(settings: Settings, say: Say, bar: BarFactory = _no_bar) -> None:
    product = load_products(settings.products_dir)[DEMO_PRODUCT]
    store = store_path(settings, product.id)
    missing = [y for y in product.years if not store.exists() or y not in store_years(store)]
    db = engine(settings.db_url())
    if not missing and table_exists(db, DEMO_POLYGONS):
        if build_cogs(product, store):  # a store made before COGs existed
            say(f"demo raster product {product.id}: COGs brought up to date")
        say(f"demo products already loaded ({product.id}: {product.years})")
        return
    if missing:
        if not store.exists():
            create_store(product, store)
        size = min(settings.demo_size, product.width, product.height)
        with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
            for year in missing:
                source = Path(tmp) / f"{product.id}-{year}.tif"
                with bar(f"generate {product.id} {year} ({size}x{size} px)") as progress:
                    write_geotiff(source, product, year, settings.demo_seed, size, size, progress)
                with bar(f"ingest {product.id} {year}") as progress:
                    ingest_year(product, store, source, year, progress)
        say(f"demo raster product {product.id}: years {product.years} in {store}")
    year = max(product.years)
    count = load_landcover_polygons(
        db, DEMO_POLYGONS, product.crs.to_epsg(), _polygons(product, store, year)
    )
    say(f"demo vector product {DEMO_POLYGONS}: {count} polygons of {year}")


def _polygons(product: RasterProduct, store: Path, year: int) -> Iterator:
    with open_store(store) as ds:
        layer = ds["land_cover"].sel(time=ds.time.dt.year == year).isel(time=0).values
    labels = {c.code: c.label for c in product.legend}
    yield from polygonize(layer, product.transform, labels, year, product.nodata)
