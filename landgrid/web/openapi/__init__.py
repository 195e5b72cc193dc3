"""The OpenAPI 3.0 document of what this server serves now, to this caller.

It is ours, built from one fragment per API and self-contained: every ``$ref`` is local
(``#/components/...``), so offline validators, schemathesis and code generators read it
without the network. It is rebuilt when a product appears or goes, when the collections
the caller may read change, or when a table's columns become known (queryables), so a
collection added while the server runs is described at once.

How to describe a new API (Tiles, Maps, Records, STAC ...):

1. Add a module here with ``describe(context: Context) -> Fragment`` (see ``shared``):
   it returns ``{"paths": ..., "components": ..., "tags": [...]}`` for what its blueprint
   serves *now* to the caller (``context.products`` holds only what they may read): one
   path per concrete resource (``/collections/<id>/tiles``), every query parameter the
   route accepts and no other (names and bounds as the code checks them), every media type
   and status it answers with (errors as ``shared.error(...)``), an ``operationId`` unique
   in the document. Build operations with ``shared.operation``/``query``/``response``.
2. Register it: one line in ``FRAGMENTS`` below.
3. Fragments never define the same path and method twice, nor one component name two
   ways: assembling raises ``ValueError`` (tested). Prefix your component names
   (``tileSet``) when in doubt; the shared ones (``link``, ``exception``) are always there.
4. Declare no security: ``security.add_security`` derives it from the policy afterwards;
   nor the 414/431 of the HTTP server in front: ``assemble`` adds them to every operation.
5. ``tests/unit/test_openapi.py`` checks the whole document (OpenAPI 3.0 validity, local
   references, unique ids, every route of the app described, every declared parameter
   accepted and an undeclared one refused); regenerate ``openapi/landgrid.json`` with
   ``LANDGRID_UPDATE_SNAPSHOT=1``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from landgrid.auth.access import CollectionAccess
from landgrid.auth.policy import Policy
from landgrid.catalog import Catalog, Products
from landgrid.errors import ApiError
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore
from landgrid.features.table import TableInfo
from landgrid.settings import Settings
from landgrid.web.auth import caller
from landgrid.web.openapi import (
    catalogue,
    collections,
    common,
    coverages,
    features,
    jobs,
    processes,
    tiles,
)
from landgrid.web.openapi.security import add_security
from landgrid.web.openapi.shared import COMPONENTS, FRONT, Context, Describe, Fragment
from processes.registry import ProcessRegistry

FRAGMENTS: list[Describe] = [
    common.describe,
    collections.describe,
    features.describe,
    coverages.describe,
    processes.describe,
    jobs.describe,
    tiles.describe,
    catalogue.describe,
]
CACHED = 32  # documents kept per catalog version (one per distinct set of readable ids)


def assemble(fragments: Sequence[Fragment], info: Mapping[str, Any], url: str) -> dict:
    """One document from fragments; a path/method or component defined twice differently
    is a ``ValueError``."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, dict[str, Any]] = copy.deepcopy(COMPONENTS)
    tags: dict[str, dict[str, Any]] = {}
    front = {
        status: {"$ref": f"#/components/responses/{name}"} for status, (name, _) in FRONT.items()
    }
    for fragment in fragments:
        for path, item in fragment.get("paths", {}).items():
            methods = paths.setdefault(path, {})
            for method, op in item.items():
                if method in methods:
                    raise ValueError(f"OpenAPI: {method.upper()} {path} is described twice")
                methods[method] = {**op, "responses": {**op["responses"], **front}}
        for section, entries in fragment.get("components", {}).items():
            known = components.setdefault(section, {})
            for name, value in entries.items():
                if name in known and known[name] != value:
                    raise ValueError(f"OpenAPI: components/{section}/{name} defined twice")
                known[name] = value
        for tag in fragment.get("tags", []):
            tags.setdefault(tag["name"], tag)
    return copy.deepcopy(
        {
            "openapi": "3.0.3",
            "info": dict(info),
            "servers": [{"url": url}],
            "tags": list(tags.values()),
            "paths": dict(sorted(paths.items())),
            "components": components,
        }
    )


class OpenApi:
    def __init__(
        self,
        settings: Settings,
        features: FeatureSettings,
        catalog: Catalog,
        policy: Policy,
        access: CollectionAccess,
        registry: ProcessRegistry,
        metadata: Mapping[str, Any],
    ) -> None:
        """``metadata``: the ``metadata`` of pygeoapi's configuration (identification,
        licence, contact)."""
        self.settings = settings
        self.features = features
        self.catalog = catalog
        self.policy = policy
        self.access = access
        self.registry = registry
        self.metadata = metadata
        self._products: Products | None = None
        self._documents: dict[tuple, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def document(self) -> dict[str, Any]:
        """The document for the current request's caller."""
        products = self.catalog.products()
        ids = self.access.readable_ids(caller(), [*products.raster, *products.vector])
        readable = Products(
            {k: v for k, v in products.raster.items() if k in ids},
            {k: v for k, v in products.vector.items() if k in ids},
        )
        tables = {pid: self._table(pid) for pid in readable.vector}
        key = (
            tuple(ids),
            tuple((pid, _columns(t)) for pid, t in tables.items()),
            tuple(self.registry.ids()),
        )
        with self._lock:
            if self._products is not products:
                self._products, self._documents = products, {}
            document = self._documents.get(key)
        if document is None:
            document = self._build(readable, tables)
            with self._lock:
                if len(self._documents) >= CACHED:
                    self._documents.clear()
                self._documents[key] = document
        return document

    def _table(self, product_id: str) -> TableInfo | None:
        product = self.catalog.vector(product_id)
        if product is None:
            return None
        try:
            return FeatureStore(self.settings.db_url(), product, self.features).info()
        except (ApiError, SQLAlchemyError):  # no table yet, or no database: no queryables
            return None

    def _build(self, products: Products, tables: Mapping[str, TableInfo | None]) -> dict:
        context = Context(
            base=self.settings.url,
            settings=self.settings,
            features=self.features,
            products=products,
            processes={pid: self.registry.description(pid) for pid in self.registry.ids()},
            tables=tables,
        )
        document = assemble(
            [describe(context) for describe in FRAGMENTS], _info(self.metadata), context.base
        )
        if self.settings.auth_mode == "oidc":
            document = add_security(document, self.settings, self.policy)
        return document


def _info(metadata: Mapping[str, Any]) -> dict[str, Any]:
    ident, licence = metadata.get("identification", {}), metadata.get("license", {})
    contact = metadata.get("contact", {})
    info: dict[str, Any] = {
        "title": ident.get("title", "Landgrid"),
        "description": ident.get("description", ""),
        "version": "1.0.0",
    }
    if ident.get("terms_of_service"):
        info["termsOfService"] = ident["terms_of_service"]
    if licence.get("name"):
        info["license"] = {k: licence[k] for k in ("name", "url") if licence.get(k)}
    if contact.get("name"):
        info["contact"] = {k: contact[k] for k in ("name", "url", "email") if contact.get(k)}
    return info


def _columns(info: TableInfo | None) -> tuple | None:
    """What of a table the document shows (its queryables), to tell when to rebuild."""
    if info is None:
        return None
    return tuple((c.name, c.kind) for c in info.columns.values())
