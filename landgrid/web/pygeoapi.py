"""The one module of the web layer that talks to pygeoapi: its OpenAPI generator.

pygeoapi generates the base of our OpenAPI document from a configuration in its format: the
server metadata and processes of ``pygeoapi-config.yml``, plus one collection per product,
each served by our provider plugins (``providers/``). The configuration is built here in
memory from the settings and the catalog: nothing is written to disk or to the environment.
"""

from __future__ import annotations

import copy
from typing import Any

from pygeoapi.openapi import get_oas

from landgrid.catalog import Products
from landgrid.coverage import describe
from landgrid.crs import CRS84_URI
from landgrid.settings import Settings
from processes.registry import load_config


def collection_resources(products: Products, db_url: str) -> dict[str, dict[str, Any]]:
    """Every product as a pygeoapi collection resource served by our provider plugins."""
    resources: dict[str, dict[str, Any]] = {}
    for pid, raster in products.raster.items():
        resources[pid] = {
            "type": "collection",
            "title": raster.title,
            "description": raster.description,
            "keywords": raster.keywords,
            "extents": {"spatial": {"bbox": describe.wgs84_bbox(raster), "crs": CRS84_URI}},
            "providers": [
                {
                    "type": "coverage",
                    "name": "providers.coverage.LandgridCoverageProvider",
                    "data": pid,
                    "product": raster.model_dump(mode="json"),
                }
            ],
        }
    for pid, vector in products.vector.items():
        resources[pid] = {
            "type": "collection",
            "title": vector.title,
            "description": vector.description,
            "keywords": vector.keywords,
            "extents": {"spatial": {"bbox": vector.bbox, "crs": CRS84_URI}},
            "providers": [
                {
                    "type": "feature",
                    "name": "providers.features.PostGISFeatureProvider",
                    "data": f"{vector.db_schema}.{vector.table}",
                    "connection": db_url,
                    "id_field": vector.id_column,
                    "time_field": vector.time_column,
                    "storage_crs": vector.storage_crs,
                    "crs": list(dict.fromkeys([*vector.crs, vector.storage_crs])),
                    "editable": vector.editable,
                    "product": vector.model_dump(mode="json", by_alias=True),
                }
            ],
        }
    return resources


def generated_openapi(settings: Settings, products: Products) -> dict[str, Any]:
    """pygeoapi's OpenAPI document of this configuration (our paths are added after)."""
    config = copy.deepcopy(load_config(settings.pygeoapi_config))
    config.setdefault("server", {})["url"] = settings.url
    config["resources"] = collection_resources(products, settings.db_url()) | {
        rid: resource
        for rid, resource in (config.get("resources") or {}).items()
        if resource.get("type") == "process"
    }
    return get_oas(config, fail_on_invalid_collection=False)
