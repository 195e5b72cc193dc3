"""Fixtures of the land-cover process tests.

``corine``: the real CORINE 2006/2012 Lausanne rasters (``shared/data/lausanne-clc``, see its
README for provenance) ingested into a CORINE store in a private data folder, with settings
pointing at it; no service is needed. ``lausanne``: the municipal boundary (EPSG:2056) as
GeoJSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fiona
import pytest

from landgrid.catalog import Catalog, store_path
from landgrid.features.settings import FeatureSettings
from landgrid.raster.product import load_products
from landgrid.raster.store import create_store, ingest_year
from landgrid.settings import Settings
from processes.base import ProcessContext

CORINE = "corine-land-cover"


@pytest.fixture(scope="session")
def clc_dir(shared_data: Path) -> Path:
    return shared_data / "lausanne-clc"


@pytest.fixture(scope="session")
def corine(tmp_path_factory: pytest.TempPathFactory, clc_dir: Path) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("corine"))
    product = load_products(settings.products_dir)[CORINE]
    store = store_path(settings, CORINE)
    store.parent.mkdir(parents=True)
    create_store(product, store)
    for year, name in ((2006, "ls100_06.tif"), (2012, "ls100_12.tif")):
        ingest_year(product, store, clc_dir / name, year)
    return settings


@pytest.fixture(scope="session")
def lausanne(clc_dir: Path) -> dict[str, Any]:
    with fiona.open(clc_dir / "gmb-lausanne.gpkg") as layer:
        feature = next(iter(layer))
        return {
            "type": "Feature",
            "id": "lausanne",
            "properties": dict(feature["properties"]),
            "geometry": dict(feature["geometry"].__geo_interface__),
        }


def bound(processor_class: type, settings: Settings, workdir: Path | None = None, **extra: Any):
    """A processor with the context a job gives it (``extra``: report, owner, run_tiles)."""
    context = ProcessContext(settings, Catalog(settings), FeatureSettings(), workdir=workdir)
    for name, value in extra.items():
        setattr(context, name, value)
    return processor_class({"name": processor_class.__name__}).bind(context)


def run(
    processor_class: type, settings: Settings, inputs: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    """Run a processor as the flow does (validated first, as the API does)."""
    processor = bound(processor_class, settings, workdir)
    processor.validate(inputs)
    return processor.run(inputs)
