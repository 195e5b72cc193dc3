"""The OpenAPI document of what this server serves now.

pygeoapi's generator gives the base (``landgrid.web.pygeoapi``); our fragments then
describe our own operations as they really are (coverages, jobs and execution, and with
``oidc`` the security schemes of the policy). The document is rebuilt when the catalog
changes, so a collection added while the server runs is described at once.
"""

from __future__ import annotations

import threading
from typing import Any

from landgrid.auth.policy import Policy
from landgrid.catalog import Catalog, Products
from landgrid.settings import Settings
from landgrid.web.openapi import tiles
from landgrid.web.openapi.coverages import describe_coverages
from landgrid.web.openapi.jobs import describe_jobs
from landgrid.web.openapi.security import add_security
from landgrid.web.pygeoapi import generated_openapi


class OpenApi:
    def __init__(self, settings: Settings, catalog: Catalog, policy: Policy) -> None:
        self.settings = settings
        self.catalog = catalog
        self.policy = policy
        self._built: tuple[Products, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def document(self) -> dict[str, Any]:
        products = self.catalog.products()
        with self._lock:
            if self._built is None or self._built[0] != products:
                self._built = (products, self._build(products))
            return self._built[1]

    def _build(self, products: Products) -> dict[str, Any]:
        document = generated_openapi(self.settings, products)
        document = describe_coverages(document, products.raster)
        document = describe_jobs(document)
        document = tiles.merge(document, tiles.fragment(products))
        if self.settings.auth_mode == "oidc":
            document = add_security(document, self.settings, self.policy)
        return document
