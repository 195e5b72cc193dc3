"""Which endpoint group a request belongs to and which right it needs.

Decided from the method and path alone (plus whether a POST carries a GeoJSON feature),
so it covers our blueprints and pygeoapi's alike; unknown paths are public to read and
admin-only to change, so a new pygeoapi endpoint is never writable by accident.
"""

from __future__ import annotations

from landgrid.auth.policy import Action

ALWAYS_PUBLIC = (
    "",
    "conformance",
    "openapi",
    "health",
    "metrics",
    "static",
    "login",
    "authorize",
    "logout",
    "favicon.ico",
)
READ = ("GET", "HEAD", "OPTIONS")


def classify(method: str, path: str, geojson_body: bool = False) -> Action:
    parts = [p for p in path.strip("/").split("/") if p]
    head = parts[0] if parts else ""
    if head in ALWAYS_PUBLIC:
        return Action("landing", "public")
    if head == "admin":  # pygeoapi's admin API (configuration), when enabled
        return Action("admin", "admin")
    if head == "collections":
        return _collections(method, parts[1:], geojson_body)
    if head == "processes":
        return _processes(method, parts[1:])
    if head == "jobs":
        if len(parts) >= 3 and parts[2] == "results":
            return Action("results", "jobs", parts[1])
        if len(parts) == 2 and method == "DELETE":
            return Action("dismissal", "jobs", parts[1])
        return Action("jobs", "jobs", parts[1] if len(parts) > 1 else None)
    return Action("other", "public" if method in READ else "admin")


def _collections(method: str, rest: list[str], geojson_body: bool) -> Action:
    if not rest:
        return Action("collections", "public" if method in READ else "admin")
    cid, sub = rest[0], rest[1] if len(rest) > 1 else None
    if sub == "items":
        changes = method in ("PUT", "PATCH", "DELETE") or (method == "POST" and geojson_body)
        if changes:
            return Action("transactions", "edit", cid)
        return Action("items", "read", cid)
    if sub == "coverage":
        return Action("coverage", "read", cid)
    return Action("collections", "read" if method in READ else "edit", cid)


def _processes(method: str, rest: list[str]) -> Action:
    if len(rest) >= 2 and rest[1] == "execution":
        return Action("execution", "execute", rest[0])
    if method not in READ:
        return Action("processes", "admin")
    return Action("processes", "describe", rest[0] if rest else None)
