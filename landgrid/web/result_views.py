"""A job's results for people: each output turned into what its page shows.

The JSON results stay the API's; this only shapes them for ``_results.html``: zonal
statistics as a table per zone (class areas and shares per year) with bars, a change
matrix with net change, a published collection as a link and a map, files as downloads
(with a map when they are GeoTIFFs), other values as they are. Colours come from the
product's legend, so the results look like the product's map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from landgrid.catalog import Catalog
from landgrid.jobs.documents import output_href
from landgrid.jobs.model import Job
from landgrid.jobs.results import ResultStore

GREY = "#BFBFBF"
SMALL_JSON = 64 * 1024  # a JSON file output this small is shown on the page too


@dataclass
class ClassRow:
    code: int
    label: str
    colour: str
    area_ha: dict[int, float]  # year -> area
    share: dict[int, float]  # year -> share of the zone


@dataclass
class ZoneTable:
    id: str
    name: str
    years: list[int]
    rows: list[ClassRow]
    total_ha: dict[int, float]
    largest_ha: float  # the longest bar


@dataclass
class Matrix:
    year_a: int
    year_b: int
    classes: list[tuple[int, str, str]]  # code, label, colour
    cells: dict[tuple[int, int], float]  # (from, to) -> ha
    area_a: dict[int, float]
    area_b: dict[int, float]
    changed_ha: float
    total_ha: float
    legend: list[dict[str, Any]]  # the change raster's


@dataclass
class OutputView:
    name: str
    title: str
    kind: str  # statistics | matrix | collection | file | value
    href: str
    media_type: str = ""
    data: Any = None
    size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def colours_of(catalog: Catalog, product_id: str | None) -> dict[int, str]:
    product = catalog.raster(product_id) if product_id else None
    return {c.code: c.colour for c in product.legend} if product else {}


def output_views(
    job: Job, description: dict[str, Any], base: str, catalog: Catalog, results: ResultStore
) -> list[OutputView]:
    """Every stored output of a successful job, in the order the process declares them."""
    stored: dict[str, Any] = (job.results or {}).get("outputs", {})
    declared: dict[str, Any] = description.get("outputs", {})
    names = [n for n in declared if n in stored] + [n for n in stored if n not in declared]
    product = (job.inputs or {}).get("product")
    views = []
    for name in names:
        output = stored[name]
        view = OutputView(
            name=name,
            title=declared.get(name, {}).get("title", name),
            kind="value",
            href=output_href(job, name, base),
        )
        if "file" in output:
            _file(view, output, results, colours_of(catalog, product))
        else:
            _value(view, output.get("value"), catalog, product)
        views.append(view)
    return views


def _file(
    view: OutputView, output: dict[str, Any], results: ResultStore, colours: dict[int, str]
) -> None:
    view.kind, view.media_type = "file", output.get("mediaType", "")
    path = results.file(output["file"])
    if path is None:  # not on a shared path (object storage): a link without a preview
        return
    view.size = path.stat().st_size
    view.extra["filename"] = path.name
    if view.media_type.startswith("image/tiff"):
        legend = path.parent / "legend.json"  # change rasters bring their own legend
        if legend.is_file():
            view.extra["legend"] = json.loads(legend.read_text())
        elif colours:
            view.extra["legend"] = [{"code": c, "colour": v} for c, v in colours.items()]
    elif view.media_type == "application/json" and view.size <= SMALL_JSON:
        view.data = json.loads(path.read_text())


def _value(view: OutputView, value: Any, catalog: Catalog, product: str | None) -> None:
    view.data = value
    if isinstance(value, dict) and "zones" in value and "years" in value:
        view.kind = "statistics"
        view.data = statistics_tables(value, colours_of(catalog, value.get("product")))
    elif isinstance(value, dict) and "transitions" in value and "net_change" in value:
        view.kind = "matrix"
        view.data = change_matrix(value, colours_of(catalog, value.get("product")))
    elif isinstance(value, dict) and value.get("rel") == "collection" and "href" in value:
        view.kind = "collection"
        view.extra["legend"] = [
            {"code": c, "colour": v} for c, v in colours_of(catalog, product).items()
        ]


def statistics_tables(stats: dict[str, Any], colours: dict[int, str]) -> list[ZoneTable]:
    years = [int(y) for y in stats["years"]]
    tables = []
    for zone in stats["zones"]:
        rows: dict[int, ClassRow] = {}
        for year in years:
            for c in zone["years"].get(str(year), {}).get("classes", []):
                row = rows.setdefault(
                    c["code"], ClassRow(c["code"], c["label"], colours.get(c["code"], GREY), {}, {})
                )
                row.area_ha[year], row.share[year] = c["area_ha"], c["share"]
        ordered = sorted(rows.values(), key=lambda r: r.code)
        props = zone.get("properties") or {}
        tables.append(
            ZoneTable(
                id=str(zone["id"]),
                name=str(props.get("name") or props.get("label") or zone["id"]),
                years=years,
                rows=ordered,
                total_ha={y: zone["years"].get(str(y), {}).get("area_ha", 0.0) for y in years},
                largest_ha=max((a for r in ordered for a in r.area_ha.values()), default=0.0),
            )
        )
    return tables


def change_matrix(body: dict[str, Any], colours: dict[int, str]) -> Matrix:
    labels: dict[int, str] = {}
    cells: dict[tuple[int, int], float] = {}
    for t in body["transitions"]:
        labels[t["from"]], labels[t["to"]] = t["from_label"], t["to_label"]
        cells[t["from"], t["to"]] = t["area_ha"]
    codes = sorted(labels)
    area_a = {c: sum(v for (f, _), v in cells.items() if f == c) for c in codes}
    area_b = {c: sum(v for (_, t), v in cells.items() if t == c) for c in codes}
    total = sum(cells.values())
    return Matrix(
        year_a=body["yearA"],
        year_b=body["yearB"],
        classes=[(c, labels[c], colours.get(c, GREY)) for c in codes],
        cells=cells,
        area_a=area_a,
        area_b=area_b,
        changed_ha=sum(v for (f, t), v in cells.items() if f != t),
        total_ha=total,
        legend=body.get("change_legend", []),
    )
