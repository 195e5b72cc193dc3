"""The products this server serves, as they are now, and who may see each.

Raster products are the definitions in ``products_dir`` that have a store in
``<data_dir>/products``; vector products are the definitions shipped beside them
(``config/vector-products``) and those registered while running in
``<data_dir>/vector-products`` (``landgrid load-vector``, the ``vectorize`` process), later
folders overriding earlier ones. One ``stat`` per folder tells whether anything changed, so
a web worker, a flow or the CLI sees a product, a new year or a removal at once, without
a restart.

A vector product with an ``owner`` (published by a job) is visible to that identity and to
admins only; for everyone else it does not exist.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from landgrid.features.product import VectorProduct, load_vector_products
from landgrid.raster.product import RasterProduct, load_products
from landgrid.settings import Settings


def store_path(settings: Settings, product_id: str) -> Path:
    """The netCDF store of a raster product."""
    return settings.products_data_dir / f"{product_id}.nc"


def vector_products_dirs(settings: Settings) -> list[Path]:
    """Shipped definitions beside the raster ones, then those registered at run time."""
    return [settings.products_dir.parent / "vector-products", settings.vector_products_dir]


@dataclass(frozen=True)
class Products:
    """One consistent view of every product."""

    raster: dict[str, RasterProduct] = field(default_factory=dict)
    vector: dict[str, VectorProduct] = field(default_factory=dict)


class Catalog:
    """Every product, re-read when one of its folders changed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.vector_dirs = vector_products_dirs(settings)
        self._watched = [settings.products_dir, settings.products_data_dir, *self.vector_dirs]
        self._stamp: tuple[int | None, ...] | None = None
        self._products = Products()
        self._lock = threading.Lock()

    def products(self) -> Products:
        stamp = tuple(_mtime(d) for d in self._watched)
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._products = self._load()
                    self._stamp = stamp
        return self._products

    def _load(self) -> Products:
        defined = load_products(self.settings.products_dir)
        raster = {pid: p for pid, p in defined.items() if self.store(pid).exists()}
        return Products(raster, load_vector_products(self.vector_dirs))

    def defined_rasters(self) -> dict[str, RasterProduct]:
        """Raster product definitions, with or without a store (ingestion targets)."""
        return load_products(self.settings.products_dir)

    def raster(self, product_id: str) -> RasterProduct | None:
        return self.products().raster.get(product_id)

    def vector(self, product_id: str) -> VectorProduct | None:
        return self.products().vector.get(product_id)

    def store(self, product_id: str) -> Path:
        return store_path(self.settings, product_id)

    def owner(self, collection_id: str) -> str | None:
        product = self.vector(collection_id)
        return product.owner if product else None

    def visible(self, collection_id: str | None, identity: str, is_admin: bool) -> bool:
        """May ``identity`` know that this collection exists?"""
        if collection_id is None:
            return True
        owner = self.owner(collection_id)
        return owner is None or is_admin or owner == identity

    def visible_ids(self, identity: str, is_admin: bool) -> list[str]:
        products = self.products()
        ids = [*products.raster, *products.vector]
        return [cid for cid in ids if self.visible(cid, identity, is_admin)]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
