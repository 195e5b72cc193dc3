"""Who is calling, and which collections they may read: one check for every path.

A collection is readable when the policy allows its ``read`` right to the caller and, for
a collection a job published (it has an owner), the caller is that owner or an admin. For
everyone else such a collection does not exist: listings leave it out and its paths 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from landgrid.auth.policy import Action, Decision, Policy
from landgrid.auth.principal import Principal
from landgrid.catalog import Catalog


@dataclass(frozen=True)
class Caller:
    """The identity of a request: ``identity`` owns jobs and published collections."""

    identity: str
    principal: Principal | None = None
    is_admin: bool = False


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
