"""Authorization as configuration: ``config/auth-policy.yml`` decides, nothing else does.

A rule is ``public`` (anyone, without a token), ``authenticated`` (any valid token) or a
list of roles/scopes of which the caller needs one; the admin roles pass every rule and
see every user's jobs. Ownership of jobs is not a rule: the job endpoints answer 404 for
other users' jobs whatever the policy says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from landgrid.auth.principal import Principal
from landgrid.errors import StackError

PUBLIC, AUTHENTICATED = "public", "authenticated"
Rule = str | frozenset[str]


class Decision(enum.Enum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"  # 401: no (valid) token where one is needed
    FORBIDDEN = "forbidden"  # 403: a valid token without the right


@dataclass(frozen=True)
class Action:
    """What a request does: its endpoint group, the right it needs, on which resource."""

    group: str
    right: str  # read | edit | describe | execute | jobs | public | admin
    resource: str | None = None


@dataclass(frozen=True)
class Policy:
    admin: frozenset[str]
    collections: dict[str, dict[str, Rule]]
    processes: dict[str, dict[str, Rule]]
    jobs: Rule

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf8")) or {}
            return cls.parse(raw)
        except (OSError, yaml.YAMLError, ValueError, TypeError, AttributeError) as exc:
            raise StackError(f"auth policy {path}: {exc}") from exc

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Policy:
        def table(section: str, defaults: dict[str, Rule]) -> dict[str, dict[str, Rule]]:
            entries = {
                k: {r: _rule(v) for r, v in (rules or {}).items()}
                for k, rules in (raw.get(section) or {}).items()
            }
            entries["default"] = defaults | entries.get("default", {})
            return entries

        return cls(
            admin=frozenset(raw.get("admin") or ["admin"]),
            collections=table("collections", {"read": PUBLIC, "edit": frozenset()}),
            processes=table("processes", {"describe": PUBLIC, "execute": AUTHENTICATED}),
            jobs=_rule(raw.get("jobs", AUTHENTICATED)),
        )

    def is_admin(self, principal: Principal | None) -> bool:
        return principal is not None and bool(principal.grants & self.admin)

    def rule(self, action: Action) -> Rule:
        if action.right == "public":
            return PUBLIC
        if action.right == "admin":
            return frozenset()
        if action.right == "jobs":
            return self.jobs
        table = self.processes if action.right in ("describe", "execute") else self.collections
        entry = table.get(action.resource or "", {})
        return entry.get(action.right, table["default"][action.right])

    def decide(self, principal: Principal | None, action: Action) -> Decision:
        rule = self.rule(action)
        if rule == PUBLIC:
            return Decision.ALLOW
        if principal is None:
            return Decision.UNAUTHENTICATED
        if rule == AUTHENTICATED or self.is_admin(principal):
            return Decision.ALLOW
        assert isinstance(rule, frozenset)
        return Decision.ALLOW if principal.grants & rule else Decision.FORBIDDEN


def _rule(value: Any) -> Rule:
    if value in (PUBLIC, AUTHENTICATED):
        return value
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ValueError(f"a rule is 'public', 'authenticated' or a list of roles, not {value!r}")
