"""pygeoapi feature provider over ``landgrid.features``: a thin adapter.

Landgrid's own routes serve the items; this provider lets pygeoapi's machinery (its OpenAPI
generator, or a stock pygeoapi given our configuration) read the same products. The
provider definition carries the product (``product``) and the database (``connection``),
parsed once here, so nothing is read from files or the environment per request.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)

from landgrid.features.errors import FeatureError, NotFound
from landgrid.features.product import VectorProduct
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import SCHEMA_TYPES, FeatureStore

LOGGER = logging.getLogger(__name__)


class PostGISFeatureProvider(BaseProvider):
    """Features of one ``VectorProduct``; pygeoapi instantiates it per request (cheap)."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.product = VectorProduct.model_validate(provider_def["product"])
        limits = FeatureSettings.model_validate(provider_def.get("limits") or {})
        self.store = FeatureStore(provider_def["connection"], self.product, limits)
        self.id_field = self.product.id_column
        self.time_field = self.product.time_column
        self._fields = {}

    def get_fields(self) -> dict[str, dict[str, str]]:
        if not self._fields:
            try:
                info = self.store.info()
            except NotFound as e:  # table not loaded yet: no fields rather than a crash
                LOGGER.warning("%s", e)
                return {}
            self._fields = {
                n: dict(SCHEMA_TYPES.get(info.columns[n].kind, {"type": "string"}))
                for n in info.property_names
            }
        return self._fields

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: list | None = None,
        datetime_: str | None = None,
        properties: list | None = None,
        sortby: list | None = None,
        select_properties: list | None = None,
        skip_geometry: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Only reached when pygeoapi itself queries (our routes answer JSON and HTML
        pages by cursor); pygeoapi pages by offset, so only this path uses OFFSET."""
        args: dict[str, str] = {"limit": str(limit)}
        if bbox:
            args["bbox"] = ",".join(str(v) for v in bbox)
        if datetime_:
            args["datetime"] = datetime_
        for name, value in properties or []:
            args[name] = str(value)
        if sortby:
            args["sortby"] = ",".join(
                ("-" if s["order"] == "-" else "") + s["property"] for s in sortby
            )
        if select_properties:
            args["properties"] = ",".join(select_properties)
        if skip_geometry:
            args["skipGeometry"] = "true"
        try:
            info, req = self.store.parse(args)
            req.offset = int(offset or 0)
            req.count = resulttype == "hits"
            return self.store.items(info, req).feature_collection()
        except FeatureError as e:
            raise (ProviderInvalidQueryError if e.status == 400 else ProviderQueryError)(
                user_msg=e.message
            ) from e

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        try:
            text, _ = self.store.item(str(identifier))
        except NotFound as e:
            raise ProviderItemNotFoundError(user_msg=e.message) from e
        return json.loads(text)
