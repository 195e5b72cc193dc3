"""pygeoapi coverage provider for Landgrid raster products (a thin adapter).

Landgrid's own routes serve the coverage (``landgrid.web.coverages``: pygeoapi's coverage
layer honours only the first ``subset``, ignores ``bbox-crs`` and scaling, and answers a
bad bbox with 500); this provider describes the product to pygeoapi's machinery (its
OpenAPI generator). The product definition travels in the provider definition
(``product``); parsed once per definition and cached, since pygeoapi instantiates
providers on every use.
"""

from __future__ import annotations

import json
from functools import lru_cache

from pygeoapi.provider.base import BaseProvider, ProviderQueryError

from landgrid.coverage import describe
from landgrid.coverage.plan import FIELD
from landgrid.raster.product import RasterProduct


@lru_cache(maxsize=32)
def _product(definition: str) -> RasterProduct:
    return RasterProduct.model_validate(json.loads(definition))


class LandgridCoverageProvider(BaseProvider):
    """Describes one product; ``query`` is answered by Landgrid's own coverage routes."""

    def __init__(self, provider_def: dict) -> None:
        super().__init__(provider_def)
        self.product = _product(json.dumps(provider_def["product"], sort_keys=True))
        p = self.product
        self.axes = ["x", "y", "time"]
        self.crs = p.crs.to_string()
        self.num_bands = 1
        self._coverage_properties = {
            "width": p.width,
            "height": p.height,
            "resx": p.resolution,
            "resy": p.resolution,
            "bbox": list(p.bounds),
            "bbox_crs": p.crs.to_string(),
            "x_axis_label": "x",
            "y_axis_label": "y",
            "time_axis_label": "time",
        }
        self.get_fields()

    def get_fields(self) -> dict:
        if not self._fields:
            self._fields = describe.fields(self.product)
        return self._fields

    def get_coverage_domainset(self, *args, **kwargs) -> dict:
        return describe.domainset(self.product, list(self.product.years))

    def get_coverage_rangetype(self, *args, **kwargs) -> dict:
        return describe.rangetype(self.product)

    def query(self, **kwargs):
        raise ProviderQueryError(
            f"/collections/{self.product.id}/coverage is served by Landgrid's coverage routes"
        )

    def __repr__(self) -> str:
        return f"<LandgridCoverageProvider> {self.product.id} ({FIELD})"
