"""Who is calling, and which collections they may read: one check for every path.

A collection is readable when the policy allows its ``read`` right to the caller and, for
a collection a job published (it has an owner), the caller is that owner or an admin. For
everyone else such a collection does not exist: listings leave it out and its paths 404.

The HTTP paths ask ``readable``; processes get the catalog as their caller sees it
(``catalog_for``), so an input naming a product or collection (zones by reference, the
vector branch of ``extract``, every ``product``) goes through the same check, and an error
message built from that catalog can only name what the caller may read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from landgrid.auth.policy import Action, Decision, Policy
from landgrid.auth.principal import Principal
from landgrid.catalog import Catalog, Products
from landgrid.raster.product import RasterProduct


@dataclass(frozen=True)
class Caller:
    """The identity of a request: ``identity`` owns jobs and published collections."""

    identity: str
    principal: Principal | None = None
    is_admin: bool = False

    @property
    def grants(self) -> list[str] | None:
        """What a job records of its caller, so that its run sees what the request saw."""
        return sorted(self.principal.grants) if self.principal is not None else None


class CollectionAccess:
    def __init__(self, policy: Policy, catalog: Catalog, open_mode: bool) -> None:
        self.policy = policy
        self.catalog = catalog
        self.open_mode = open_mode  # everyone is the local admin: the policy does not apply

    def exists_for(self, caller: Caller, collection_id: str) -> bool:
        """May the caller know that the collection exists (owned collections)?"""
        return self.catalog.visible(collection_id, caller.identity, caller.is_admin)

    def readable(self, caller: Caller, collection_id: str) -> bool:
        if not self.exists_for(caller, collection_id):
            return False
        if self.open_mode:
            return True
        action = Action("collections", "read", collection_id)
        return self.policy.decide(caller.principal, action) is Decision.ALLOW

    def readable_ids(self, caller: Caller, ids: list[str]) -> list[str]:
        return [cid for cid in ids if self.readable(caller, cid)]

    def catalog_for(self, caller: Caller) -> Catalog:
        """The catalog as ``caller`` sees it: only the products they may read."""
        return ReadableCatalog(self.catalog, lambda cid: self.readable(caller, cid))

    def shared_catalog(self) -> Catalog:
        """What anyone may know exists: every product but those a job published (one
        document for all callers, such as the OpenAPI description, shows no more)."""
        return ReadableCatalog(self.catalog, lambda cid: self.catalog.owner(cid) is None)

    def job_caller(self, owner: str, grants: list[str] | None) -> Caller:
        """The caller a job was submitted by, from what the job recorded: its owner and the
        token's roles and scopes (None: no token; in ``open`` mode, the local admin)."""
        principal = Principal(owner, frozenset(grants)) if grants is not None else None
        return Caller(owner, principal, self.open_mode or self.policy.is_admin(principal))


class ReadableCatalog(Catalog):
    """A catalog filtered by a read check, sharing its source's state (one load, no copy)."""

    def __init__(self, source: Catalog, readable: Callable[[str], bool]) -> None:
        self.settings = source.settings
        self.vector_dirs = source.vector_dirs
        self._source = source
        self._readable = readable

    def products(self) -> Products:
        products = self._source.products()
        return Products(
            {pid: p for pid, p in products.raster.items() if self._readable(pid)},
            {pid: p for pid, p in products.vector.items() if self._readable(pid)},
        )

    def defined_rasters(self) -> dict[str, RasterProduct]:
        return {pid: p for pid, p in self._source.defined_rasters().items() if self._readable(pid)}
