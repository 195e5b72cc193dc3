"""Imports run one way: entry points -> web -> execution -> domain -> core (CONTRIBUTING.md).

Every import of every module is read from its source (function-level imports too), so a
shortcut taken anywhere fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("landgrid", "flows", "processes", "providers")
LAYERS = {  # module prefix -> layer rank (higher may import lower, never the reverse)
    "landgrid.ops": 4,
    "landgrid.web": 3,
    "flows": 2,
    "processes": 2,
    "providers": 2,
    "landgrid.analysis": 1,
    "landgrid.auth": 1,
    "landgrid.catalog": 1,
    "landgrid.catalogue": 1,
    "landgrid.coverage": 1,
    "landgrid.crs": 1,
    "landgrid.features": 1,
    "landgrid.jobs": 1,
    "landgrid.raster": 1,
    "landgrid.tiles": 1,
    "landgrid.settings": 0,
    "landgrid.errors": 0,
    "landgrid.db": 0,
    "landgrid.observability": 0,
    "landgrid": 0,  # the package itself
}
NAMES = {4: "entry points", 3: "web", 2: "execution", 1: "domain", 0: "core"}
# third-party frameworks and where they may be imported
FRAMEWORKS = {
    "flask": ("landgrid.web",),
    "flask_oidc": ("landgrid.web",),
    "werkzeug": ("landgrid.web",),
    "pygeoapi": ("processes", "providers"),  # the plugin contracts only
    "prefect": ("flows",),
    "prefect_dask": ("flows",),
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer(module: str) -> int:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[prefix]


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


MODULES = modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module: str) -> None:
    own = layer(module)
    upward = [
        f"{name} ({NAMES[layer(name)]})"
        for name in sorted(imports(MODULES[module]))
        if name.split(".")[0] in PACKAGES and layer(name) > own
    ]
    assert not upward, f"{module} ({NAMES[own]}) imports upward: {', '.join(upward)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_frameworks_stay_in_their_layer(module: str) -> None:
    misplaced = [
        name
        for name in sorted(imports(MODULES[module]))
        if name.split(".")[0] in FRAMEWORKS and not within(module, FRAMEWORKS[name.split(".")[0]])
    ]
    assert not misplaced, f"{module} imports {', '.join(misplaced)}"


def test_no_import_cycles() -> None:
    graph = {m: {n for n in imports(p) if n in MODULES and n != m} for m, p in MODULES.items()}
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_every_module_has_a_layer() -> None:
    assert all(layer(m) is not None for m in MODULES)
