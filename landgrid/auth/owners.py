"""Collections published by jobs belong to their owner.

A vector product definition with an ``owner`` (written by a process such as ``vectorize``)
is visible to that identity and to admins only; for everyone else it does not exist (404,
and absent from ``/collections``), as for other users' jobs. The definitions are re-read
when a definitions folder changes (one ``stat`` per folder per request).
"""

from __future__ import annotations

from flask import g

from landgrid.features.product import load_vector_products, vector_products_dirs
from landgrid.settings import Settings


class CollectionOwners:
    def __init__(self, settings: Settings) -> None:
        self.dirs = vector_products_dirs(settings)
        self.stamp: tuple[int, ...] | None = None
        self.owners: dict[str, str] = {}

    def _refresh(self) -> None:
        stamp = tuple(d.stat().st_mtime_ns if d.exists() else 0 for d in self.dirs)
        if stamp != self.stamp:
            products = load_vector_products(self.dirs)
            self.owners = {pid: p.owner for pid, p in products.items() if p.owner}
            self.stamp = stamp

    def visible(self, collection_id: str | None) -> bool:
        """May the current identity (``g.identity``, ``g.is_admin``) see this collection?"""
        if collection_id is None:
            return True
        self._refresh()
        owner = self.owners.get(collection_id)
        return owner is None or bool(g.get("is_admin")) or owner == g.get("identity")
