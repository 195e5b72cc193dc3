"""Change between two years inside an AOI: transition matrix, net change, change raster.

Counts are centre-in over the AOI (as ``landgrid.analysis.clip``), one ``numpy.bincount`` of
``from * 256 + to``. The change raster (uint8) has its own legend, built per job: 0 = no
change, 1..253 = the observed transitions ``from -> to`` numbered by decreasing area,
254 = any rarer transition (only when more than 253 occur), 255 = nodata (outside the AOI or
nodata in either year). Each transition takes the colour of the class it changed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.analysis.clip import clip
from landgrid.analysis.source import Source
from landgrid.coverage.plan import Plan
from landgrid.raster.product import LegendClass, RasterProduct

NO_CHANGE, OTHER, NODATA = 0, 254, 255
MAX_TRANSITIONS = 253


@dataclass(frozen=True)
class Change:
    transitions: list[dict[str, Any]]  # from, to, pixels, area_m2, area_ha (changed + same)
    net: list[dict[str, Any]]  # per class: area in A, in B, net change
    legend: list[LegendClass]
    raster: np.ndarray  # uint8 (1, height, width)
    plan: Plan  # grid of the raster, with the change legend as its product


def detect(
    src: Source, year_a: int, year_b: int, aoi: BaseGeometry, check: Checkpoint = never
) -> Change:
    p = src.product
    cut = clip(src, [year_a, year_b], aoi, check=check)
    a, b = cut.data[0].astype(np.int64), cut.data[1].astype(np.int64)
    valid = cut.inside & (a != p.nodata) & (b != p.nodata)
    pairs = np.bincount((a * 256 + b)[valid], minlength=65536).reshape(256, 256)
    check()
    pixel_m2 = p.resolution**2
    labels = {c.code: c.label for c in p.legend}
    colours = {c.code: c.colour for c in p.legend}
    transitions = [
        {
            "from": int(i),
            "to": int(j),
            "from_label": labels.get(int(i), str(i)),
            "to_label": labels.get(int(j), str(j)),
            "pixels": int(pairs[i, j]),
            "area_m2": float(pairs[i, j] * pixel_m2),
            "area_ha": float(pairs[i, j] * pixel_m2 / 1e4),
        }
        for i, j in zip(*np.nonzero(pairs), strict=True)
    ]
    in_a, in_b = pairs.sum(axis=1), pairs.sum(axis=0)
    net = [
        {
            "code": int(c),
            "label": labels.get(int(c), str(c)),
            "area_a_m2": float(in_a[c] * pixel_m2),
            "area_b_m2": float(in_b[c] * pixel_m2),
            "net_m2": float((in_b[c] - in_a[c]) * pixel_m2),
        }
        for c in np.flatnonzero(in_a + in_b)
    ]
    changed = sorted(
        (t for t in transitions if t["from"] != t["to"]),
        key=lambda t: (-t["pixels"], t["from"], t["to"]),
    )
    lookup = np.full(65536, OTHER, dtype=np.uint8)
    legend = [LegendClass(code=NO_CHANGE, label="No change", colour="#D9D9D9")]
    for code, t in enumerate(changed[:MAX_TRANSITIONS], start=1):
        lookup[t["from"] * 256 + t["to"]] = code
        t["change_code"] = code
        legend.append(
            LegendClass(
                code=code,
                label=f"{t['from_label']} -> {t['to_label']}",
                colour=colours.get(t["to"], "#000000"),
            )
        )
    if len(changed) > MAX_TRANSITIONS:
        legend.append(LegendClass(code=OTHER, label="Other change", colour="#000000"))
    legend.append(LegendClass(code=NODATA, label="No data", colour="#000000", nodata=True))
    check()
    raster = np.where(a == b, NO_CHANGE, lookup[a * 256 + b]).astype(np.uint8)
    raster[~valid] = NODATA
    product = change_product(p, year_a, year_b, legend)
    plan = Plan(product, (year_b,), (0,), cut.plan.grid, cut.plan.window)
    return Change(transitions, net, legend, raster[None], plan)


def change_product(
    p: RasterProduct, year_a: int, year_b: int, legend: list[LegendClass]
) -> RasterProduct:
    """The change raster described as a product, so the coverage encoders can write it."""
    return p.model_copy(
        update={
            "id": f"{p.id}-change",
            "title": f"{p.title}: change {year_a} -> {year_b}",
            "legend": legend,
            "nodata": NODATA,
            "years": [year_b],
        }
    )
