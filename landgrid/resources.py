"""pygeoapi's configuration: ``pygeoapi-config.yml`` plus one collection per product.

Product definitions in ``config/products`` (rasters) and ``config/vector-products`` (plus
vector products registered in ``<data_dir>/vector-products``) are the one source of truth
for a product's title and extent; their collections are derived here, not written twice.
The merged file is what ``PYGEOAPI_CONFIG`` points at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pyproj import Transformer

from landgrid.features.product import (
    load_vector_products,
    vector_collection,
    vector_products_dirs,
)
from landgrid.products import RasterProduct, load_products
from landgrid.settings import Settings

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def product_store(settings: Settings, product_id: str) -> Path:
    return settings.products_data_dir / f"{product_id}.nc"


def wgs84_bbox(product: RasterProduct) -> list[float]:
    to_lonlat = Transformer.from_crs(product.crs, "OGC:CRS84", always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*product.bounds, densify_pts=21)
    return [round(v, 6) for v in (west, south, east, north)]


def coverage_collection(product: RasterProduct, store: Path) -> dict[str, Any]:
    """A raster product as a pygeoapi coverage collection served by our provider.

    The links (GeoTIFF/netCDF/CoverageJSON/PNG coverage, 2022-draft domainset/rangetype)
    are what GDAL's OGCAPI driver and OWSLib look for; ``${LANDGRID_URL}`` is filled by
    pygeoapi from the environment. The newest year is the temporal default.
    """
    from landgrid.coverage.describe import links

    years = sorted(product.years)
    temporal = (
        {
            "begin": f"{years[0]}-01-01T00:00:00Z",
            "end": f"{years[-1]}-12-31T23:59:59Z",
            "default": f"{years[-1]}-01-01T00:00:00Z",
        }
        if years
        else None
    )
    return {
        "type": "collection",
        "title": product.title,
        "description": product.description,
        "keywords": product.keywords,
        "links": links("${LANDGRID_URL}", product),
        "extents": {
            "spatial": {"bbox": wgs84_bbox(product), "crs": CRS84},
            "temporal": temporal,
        },
        "providers": [
            {
                "type": "coverage",
                "name": "providers.coverage.LandgridCoverageProvider",
                "data": str(store),
                "product": product.model_dump(mode="json"),
            }
        ],
    }


def write_pygeoapi_config(settings: Settings) -> Path:
    """Merge and write the configuration pygeoapi reads; returns its path."""
    with settings.pygeoapi_config.open(encoding="utf8") as fh:
        config = yaml.safe_load(fh)
    products = load_products(settings.products_dir)
    derived = {
        product.id: coverage_collection(product, product_store(settings, product.id))
        for product in products.values()
        if product_store(settings, product.id).exists()
    }
    vectors = load_vector_products(vector_products_dirs(settings))
    derived |= {pid: vector_collection(product) for pid, product in vectors.items()}
    config["resources"] = derived | config.get("resources", {})
    target = settings.data_dir / "pygeoapi-config.yml"
    _write_if_changed(target, yaml.safe_dump(config, sort_keys=False))
    return target


def openapi_path(settings: Settings) -> Path:
    """One document per auth mode: an open and an oidc server may share a data folder."""
    suffix = "" if settings.auth_mode == "open" else f"-{settings.auth_mode}"
    return settings.data_dir / f"openapi{suffix}.yml"


def write_openapi(settings: Settings, config: Path) -> Path:
    """The OpenAPI document pygeoapi serves, regenerated when the configuration (or, with
    auth, the policy) changed; with auth it declares the security schemes."""
    from pygeoapi.openapi import generate_openapi_document

    from landgrid.coverage import openapi as coverage_openapi
    from processes import openapi as jobs_openapi

    target = openapi_path(settings)
    # regenerate when we describe more
    sources = [config, Path(coverage_openapi.__file__), Path(jobs_openapi.__file__)]
    sources += [settings.auth_policy] if settings.auth_mode == "oidc" else []
    newest = max(source.stat().st_mtime for source in sources)
    if not target.exists() or target.stat().st_mtime < newest:
        document = yaml.safe_load(generate_openapi_document(config, "yaml"))
        document = coverage_openapi.describe_coverages(
            document, load_products(settings.products_dir)
        )
        document = jobs_openapi.describe_jobs(document)
        if settings.auth_mode == "oidc":
            from landgrid.auth.openapi import add_security
            from landgrid.auth.policy import Policy

            document = add_security(document, settings, Policy.load(settings.auth_policy))
        _write_if_changed(target, yaml.safe_dump(document, sort_keys=False))
    return target


def _write_if_changed(target: Path, content: str) -> None:
    """Atomic, and a no-op when equal: gunicorn workers may call this at the same time."""
    if target.exists() and target.read_text() == content:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    tmp.write_text(content)
    tmp.replace(target)


def prepare(settings: Settings) -> Path:
    """Write the merged configuration and its OpenAPI document; pygeoapi resolves the
    configuration's ``${VAR}``s from the environment, so that must be set first."""
    from landgrid.settings import service_environment

    os.environ.update(service_environment(settings))
    config = write_pygeoapi_config(settings)
    write_openapi(settings, config)
    return config


if __name__ == "__main__":
    print(prepare(Settings()))
