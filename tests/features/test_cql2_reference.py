"""CQL2 on real data, checked against an independent evaluation in Python.

The CORINE Land Cover 2012 raster of the Lausanne region (``shared/data/lausanne-clc``,
real data, see its README) is polygonised here with rasterio into a GeoPackage (EPSG:2056):
one polygon per connected patch, with its grid code, CLC code and label, its area, and the
2006 grid code at the same place (null where the 2006 raster has nodata). That file is
loaded by our loader and served; each filter below is then run by the server (CQL2 text by
GET, CQL2 JSON by POST) and evaluated over the same file read with fiona, by shapely and
plain Python, never through our code. The id sets must be equal. Spatial filters use the
real municipal boundary of Lausanne, in the data's own CRS (``filter-crs``), so neither
side reprojects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cql2
import fiona
import hypothesis
import numpy as np
import pytest
import rasterio
import rasterio.features
import requests
import shapely
from hypothesis import strategies as st
from shapely.geometry import mapping, shape

from landgrid.db import engine
from landgrid.features.loader import load_layer, product_definition
from landgrid.features.product import write_vector_product
from landgrid.raster.product import load_products

from .conftest import serve_registered

pytestmark = pytest.mark.services
COLLECTION = "lausanne-clc-2012"
EPSG_2056 = "http://www.opengis.net/def/crs/EPSG/0/2056"
REPO = Path(__file__).resolve().parents[2]
Row = tuple[dict[str, Any], Any]  # (properties, shapely geometry)


def polygonise(clc_dir: Path, out: Path) -> Path:
    """CLC 2012 patches as polygons with their legend and the 2006 code at a point inside."""
    legend = {
        c.code: c for c in load_products(REPO / "config" / "products")["corine-land-cover"].legend
    }
    with rasterio.open(clc_dir / "ls100_12.tif") as src:
        codes = src.read(1)
        shapes = list(
            rasterio.features.shapes(codes, mask=codes != src.nodata, transform=src.transform)
        )
        crs = src.crs
    geoms = [shape(g) for g, _ in shapes]
    points = [g.representative_point() for g in geoms]
    with rasterio.open(clc_dir / "ls100_06.tif") as old:
        before = [int(v[0]) for v in old.sample([(p.x, p.y) for p in points])]
        nodata_2006 = old.nodata
    schema = {
        "geometry": "Polygon",
        "properties": {
            "grid_code": "int",
            "clc_code": "int",
            "label": "str",
            "area_ha": "float",
            "grid_code_2006": "int",
        },
    }
    with fiona.open(
        out, "w", driver="GPKG", layer="clc2012", crs=crs.to_wkt(), schema=schema
    ) as dst:
        for geom, (_, value), code_2006 in zip(geoms, shapes, before, strict=True):
            cls = legend[int(value)]
            dst.write(
                {
                    "geometry": mapping(geom),
                    "properties": {
                        "grid_code": int(value),
                        "clc_code": cls.clc_code,
                        "label": cls.label,
                        "area_ha": round(geom.area / 10_000, 4),
                        "grid_code_2006": None if code_2006 == nodata_2006 else code_2006,
                    },
                }
            )
    return out


@pytest.fixture(scope="module")
def clc_gpkg(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    clc_dir = shared_data / "lausanne-clc"
    if not (clc_dir / "ls100_12.tif").exists():
        pytest.skip("CORINE Lausanne data not found")
    return polygonise(clc_dir, tmp_path_factory.mktemp("clc") / "clc2012.gpkg")


@pytest.fixture(scope="module")
def rows(clc_gpkg: Path) -> dict[int, Row]:
    """The reference: the same file read with fiona, keyed by feature id."""
    with fiona.open(clc_gpkg) as layer:
        return {int(f.id): (dict(f.properties), shape(f.geometry)) for f in layer}


@pytest.fixture(scope="module")
def lausanne(shared_data: Path) -> Any:
    with fiona.open(shared_data / "lausanne-clc" / "gmb-lausanne.gpkg") as layer:
        return shape(next(iter(layer)).geometry)


@pytest.fixture(scope="module")
def clc_url(settings, database, clc_gpkg, stack) -> str:
    db = engine(database)
    result = load_layer(db, clc_gpkg, "lausanne_clc_2012", layer="clc2012", replace=True)
    product = product_definition(result, COLLECTION, "CORINE Land Cover 2012, Lausanne (patches)")
    write_vector_product(product, settings.data_dir / "vector-products")
    return serve_registered(stack, COLLECTION)


def like(pattern: str) -> Callable[[str | None], bool]:
    """CQL2 LIKE: ``%`` any run, ``_`` one character, case-sensitive, whole value."""
    regex = re.compile(
        "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern) + r"\Z",
        re.S,
    )
    return lambda value: value is not None and regex.match(value) is not None


def cases(lausanne: Any) -> list[tuple[str, dict, Callable[[dict, Any], bool]]]:
    """(CQL2 text, CQL2 JSON, Python predicate over (properties, geometry))."""
    wkt = shapely.to_wkt(lausanne, rounding_precision=-1)
    boundary = mapping(lausanne)
    centre = lausanne.representative_point()
    point = {"type": "Point", "coordinates": [centre.x, centre.y]}
    corridor = shapely.LineString([(2530000, 1150000), (2545000, 1158000)])

    def prop(name: str) -> dict:
        return {"property": name}

    def geo(name: str, value: dict) -> dict:
        return {"op": name, "args": [prop("geom"), value]}

    is_urban = like("%urban%")
    return [
        (
            f"S_INTERSECTS(geom, {wkt})",
            geo("s_intersects", boundary),
            lambda p, g: g.intersects(lausanne),
        ),
        (f"S_WITHIN(geom, {wkt})", geo("s_within", boundary), lambda p, g: g.within(lausanne)),
        (
            f"S_DISJOINT(geom, {wkt})",
            geo("s_disjoint", boundary),
            lambda p, g: g.disjoint(lausanne),
        ),
        (
            f"S_CONTAINS(geom, {wkt})",
            geo("s_contains", boundary),
            lambda p, g: g.contains(lausanne),
        ),
        (
            f"S_CONTAINS(geom, POINT({centre.x!r} {centre.y!r}))",
            geo("s_contains", point),
            lambda p, g: g.contains(centre),
        ),
        (
            f"S_OVERLAPS(geom, {wkt})",
            geo("s_overlaps", boundary),
            lambda p, g: g.overlaps(lausanne),
        ),
        (
            f"S_CROSSES(geom, {corridor.wkt})",
            geo("s_crosses", mapping(corridor)),
            lambda p, g: g.crosses(corridor),
        ),
        (
            "grid_code = 41",
            {"op": "=", "args": [prop("grid_code"), 41]},
            lambda p, g: p["grid_code"] == 41,
        ),
        (
            "clc_code <> 112",
            {"op": "<>", "args": [prop("clc_code"), 112]},
            lambda p, g: p["clc_code"] != 112,
        ),
        (
            "area_ha > 100",
            {"op": ">", "args": [prop("area_ha"), 100]},
            lambda p, g: p["area_ha"] > 100,
        ),
        (
            "area_ha <= 1",
            {"op": "<=", "args": [prop("area_ha"), 1]},
            lambda p, g: p["area_ha"] <= 1,
        ),
        (
            "label LIKE '%urban%'",
            {"op": "like", "args": [prop("label"), "%urban%"]},
            lambda p, g: is_urban(p["label"]),
        ),
        (
            "label LIKE 'Broad-leaved fores_'",
            {"op": "like", "args": [prop("label"), "Broad-leaved fores_"]},
            lambda p, g: like("Broad-leaved fores_")(p["label"]),
        ),
        (
            "NOT label LIKE 'P%'",
            {"op": "not", "args": [{"op": "like", "args": [prop("label"), "P%"]}]},
            lambda p, g: not like("P%")(p["label"]),
        ),
        (
            "grid_code IN (1, 2, 3, 41)",
            {"op": "in", "args": [prop("grid_code"), [1, 2, 3, 41]]},
            lambda p, g: p["grid_code"] in (1, 2, 3, 41),
        ),
        (
            "clc_code NOT IN (112, 211, 242)",
            {"op": "not", "args": [{"op": "in", "args": [prop("clc_code"), [112, 211, 242]]}]},
            lambda p, g: p["clc_code"] not in (112, 211, 242),
        ),
        (
            "area_ha BETWEEN 10 AND 50",
            {"op": "between", "args": [prop("area_ha"), 10, 50]},
            lambda p, g: 10 <= p["area_ha"] <= 50,
        ),
        # property-property: patches whose class changed since 2006 (nulls compare unknown)
        (
            "grid_code <> grid_code_2006",
            {"op": "<>", "args": [prop("grid_code"), prop("grid_code_2006")]},
            lambda p, g: p["grid_code_2006"] is not None and p["grid_code"] != p["grid_code_2006"],
        ),
        (
            "grid_code = grid_code_2006",
            {"op": "=", "args": [prop("grid_code"), prop("grid_code_2006")]},
            lambda p, g: p["grid_code_2006"] is not None and p["grid_code"] == p["grid_code_2006"],
        ),
        (
            "grid_code_2006 IS NULL",
            {"op": "isNull", "args": [prop("grid_code_2006")]},
            lambda p, g: p["grid_code_2006"] is None,
        ),
        (
            f"S_INTERSECTS(geom, {wkt}) AND (grid_code < 10 OR area_ha > 20)"
            " AND NOT grid_code_2006 = 0",
            {
                "op": "and",
                "args": [
                    geo("s_intersects", boundary),
                    {
                        "op": "or",
                        "args": [
                            {"op": "<", "args": [prop("grid_code"), 10]},
                            {"op": ">", "args": [prop("area_ha"), 20]},
                        ],
                    },
                    {"op": "not", "args": [{"op": "=", "args": [prop("grid_code_2006"), 0]}]},
                ],
            },
            lambda p, g: (
                g.intersects(lausanne)
                and (p["grid_code"] < 10 or p["area_ha"] > 20)
                and p["grid_code_2006"] is not None
            ),  # NOT (NULL = 0) is unknown: excluded
        ),
    ]


def served_ids(url: str, mode: str, text: str, json_filter: dict) -> set[int]:
    """Every id the server returns for the filter, following ``next`` links."""
    items = f"{url}/collections/{COLLECTION}/items"
    params = {"limit": "1000", "filter-crs": EPSG_2056, "skipGeometry": "true"}
    if mode == "get-text":
        response = requests.get(items, params={**params, "filter": text}, timeout=60)
    else:
        response = requests.post(
            items,
            params=params,
            data=json.dumps(json_filter),
            headers={"Content-Type": "application/query-cql-json"},
            timeout=60,
        )
    ids: set[int] = set()
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        ids |= {f["id"] for f in page["features"]}
        nxt = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if nxt is None:
            return ids
        response = requests.get(nxt, timeout=60)


def test_the_patches_are_served_whole(clc_url, rows):
    """The reference and the collection hold the same rows (so differences are filters)."""
    ids = served_ids(clc_url, "post-json", "", {"op": ">=", "args": [{"property": "grid_code"}, 0]})
    assert ids == set(rows) and len(rows) > 500


@pytest.mark.parametrize("mode", ["get-text", "post-json"])
def test_cql2_filters_match_shapely_and_python(clc_url, rows, lausanne, mode):
    mismatches = []
    for text, json_filter, predicate in cases(lausanne):
        expected = {fid for fid, (props, geom) in rows.items() if predicate(props, geom)}
        got = served_ids(clc_url, mode, text, json_filter)
        if got != expected:
            mismatches.append((text[:80], len(got), len(expected), sorted(got ^ expected)[:10]))
    assert not mismatches


def test_the_reference_cases_are_not_trivial(rows, lausanne):
    """Each filter selects some rows but not all, or it would prove little."""
    for text, _, predicate in cases(lausanne):
        n = sum(predicate(p, g) for p, g in rows.values())
        if text.startswith("S_CONTAINS(geom, MULTIPOLYGON") or text.startswith(
            "S_CONTAINS(geom, POLYGON"
        ):
            continue  # no 100 m patch contains the whole municipality: a true empty answer
        assert 0 < n < len(rows), text[:80]


def test_the_2006_sample_is_real(rows):
    """The property-property cases compare real codes: most patches kept their class."""
    codes = np.array([(p["grid_code"], p["grid_code_2006"] or -1) for p, _ in rows.values()])
    same = (codes[:, 0] == codes[:, 1]).mean()
    assert 0.5 < same < 1.0


# --- generated filters: hypothesis against the same independent evaluation ---------------
# SQL's three-valued logic: a comparison with NULL is unknown (None), AND/OR/NOT combine
# unknowns as SQL does, and only rows whose filter is TRUE are selected.
NUMBERS = {"grid_code": "int", "clc_code": "int", "area_ha": "float", "grid_code_2006": "int"}


def _and(values: list[bool | None]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _or(values: list[bool | None]) -> bool | None:
    return True if True in values else (None if None in values else False)


COMPARE = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
SPATIAL = {
    "s_intersects": shapely.intersects,
    "s_within": shapely.within,
    "s_disjoint": shapely.disjoint,
    "s_contains": shapely.contains,
}


def evaluate(node: Any, props: dict, geom: Any) -> Any:
    """The reference: a CQL2 JSON tree evaluated over one row in plain Python + shapely."""
    if isinstance(node, bool | int | float | str) or node is None:
        return node
    if "property" in node:
        return props[node["property"]]
    op, args = node["op"], node["args"]
    if op == "and":
        return _and([evaluate(a, props, geom) for a in args])
    if op == "or":
        return _or([evaluate(a, props, geom) for a in args])
    if op == "not":
        value = evaluate(args[0], props, geom)
        return None if value is None else not value
    if op == "isNull":
        return evaluate(args[0], props, geom) is None
    if op in SPATIAL:
        return bool(SPATIAL[op](geom, shapely.box(*args[1]["bbox"])))
    values = [evaluate(a, props, geom) for a in (args[:1] if op == "in" else args)]
    if None in values:
        return None
    if op in COMPARE:
        return COMPARE[op](*values)
    if op == "between":
        return values[1] <= values[0] <= values[2]
    if op == "in":
        return values[0] in args[1]
    if op == "like":
        return like(values[1])(values[0])
    raise AssertionError(op)


@st.composite
def cql2_filters(draw: st.DrawFn, rows: dict[int, Row]) -> dict:
    """Random CQL2 JSON over the CORINE properties, with literals taken from the data
    (so that comparisons select something) and boxes inside its extent."""
    props = [p for p, _ in rows.values()]
    x0, y0, x1, y1 = shapely.total_bounds([g for _, g in rows.values()])

    def value(name: str) -> Any:
        seen = draw(st.sampled_from(props))[name]
        return seen if seen is not None else draw(st.integers(0, 50))

    def leaf() -> dict:
        kind = draw(st.sampled_from(["compare", "between", "in", "like", "null", "spatial"]))
        name = draw(st.sampled_from(sorted(NUMBERS)))
        prop = {"property": name}
        if kind == "compare":
            other = draw(st.sampled_from([None, *sorted(NUMBERS)]))
            right = {"property": other} if other else value(name)
            return {"op": draw(st.sampled_from(sorted(COMPARE))), "args": [prop, right]}
        if kind == "between":
            low, high = sorted([value(name), value(name)])
            return {"op": "between", "args": [prop, low, high]}
        if kind == "in":
            return {
                "op": "in",
                "args": [prop, [value(name) for _ in range(draw(st.integers(1, 4)))]],
            }
        if kind == "like":
            label = draw(st.sampled_from(props))["label"]
            cut = draw(st.integers(0, len(label)))
            pattern = draw(st.sampled_from(["{}%", "%{}", "%{}%", "{}"])).format(label[:cut])
            return {"op": "like", "args": [{"property": "label"}, pattern]}
        if kind == "null":
            return {"op": "isNull", "args": [prop]}
        xs = sorted(draw(st.floats(x0, x1)) for _ in range(2))
        ys = sorted(draw(st.floats(y0, y1)) for _ in range(2))
        box = {"bbox": [round(xs[0]), round(ys[0]), round(xs[1]) + 1, round(ys[1]) + 1]}
        return {"op": draw(st.sampled_from(sorted(SPATIAL))), "args": [{"property": "geom"}, box]}

    def tree(depth: int) -> dict:
        if depth == 0 or draw(st.booleans()):
            return leaf()
        op = draw(st.sampled_from(["and", "or", "not"]))
        if op == "not":
            return {"op": "not", "args": [tree(depth - 1)]}
        return {"op": op, "args": [tree(depth - 1) for _ in range(draw(st.integers(2, 3)))]}

    return tree(3)


@pytest.mark.parametrize("mode", ["get-text", "post-json"])
def test_generated_cql2_filters_match_python(clc_url, rows, mode):
    """A bounded number of random filters in CI (``bench/fuzz.py`` runs many more)."""

    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    @hypothesis.given(data=st.data())
    def check(data: st.DataObject) -> None:
        tree = data.draw(cql2_filters(rows))
        text = cql2.parse_json(json.dumps(tree)).to_text()
        expected = {fid for fid, (p, g) in rows.items() if evaluate(tree, p, g) is True}
        assert served_ids(clc_url, mode, text, tree) == expected, text

    check()
