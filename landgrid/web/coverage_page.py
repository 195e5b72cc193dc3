"""The HTML view of a coverage request: a PNG preview per year and the legend.

A browser asking for ``/collections/{id}/coverage`` (``f=html`` or ``Accept: text/html``)
sees the product rather than downloading a GeoTIFF. The previews are our own PNG endpoint
with the same parameters, one image per selected year, at most ``PREVIEW_SIDE`` pixels wide
unless the request fixes the size; the page itself reads no pixel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from landgrid.coverage.describe import FORMATS
from landgrid.coverage.plan import Plan
from landgrid.coverage.query import split_items
from landgrid.coverage.timeaxis import T_NAMES
from landgrid.crs import crs_uri
from landgrid.raster.product import RasterProduct
from landgrid.web.pages import render as render_page

MEDIA_TYPE = "text/html"
PREVIEW_SIDE = 1024
SIZE_PARAMS = {"width", "height", "resolution", "scale-size", "scalesize", "scale-factor"}
SIZE_PARAMS |= {"scalefactor", "scale-axes", "scaleaxes"}


def _spatial(subsets: Sequence[str]) -> list[str]:
    """``subset`` values without their time items."""
    kept = []
    for value in subsets:
        items = [i for i in split_items(value) if i.split("(")[0].strip().lower() not in T_NAMES]
        if items:
            kept.append(",".join(items))
    return kept


def preview_args(args: Mapping[str, Sequence[str]], plan: Plan) -> dict[str, list[str]]:
    """The request's parameters for the preview PNGs, without ``f`` nor time (each preview
    names its year), and a width of at most ``PREVIEW_SIDE`` when the request leaves the
    size to the server."""
    out = {k: list(v) for k, v in args.items() if k.lower() not in {"f", "datetime"}}
    for key in [k for k in out if k.lower() == "subset"]:
        out[key] = _spatial(out[key])
    if not SIZE_PARAMS & {k.lower() for k in out}:
        out["width"] = [str(min(plan.grid.width, PREVIEW_SIDE))]
    return out


def _href(args: Mapping[str, Sequence[str]], **extra: str) -> str:
    return "coverage?" + urlencode({**args, **{k: [v] for k, v in extra.items()}}, doseq=True)


def render(
    base: str,
    product: RasterProduct,
    plan: Plan,
    args: Mapping[str, Sequence[str]],
    preview: Mapping[str, Sequence[str]],
    limit: int,
) -> str:
    """The page for ``plan`` (the request as asked, ``args``) previewed by ``preview``
    (see ``preview_args``) once per year;
    ``limit`` is the pixel limit of a download."""
    data = {k: v for k, v in args.items() if k.lower() != "f"}
    return render_page(
        "coverage.html",
        base=base,
        product=product,
        plan=plan,
        limit=limit,
        crs=crs_uri(plan.grid.crs),
        bounds=[round(v, 6) for v in plan.grid.bounds],
        previews=[(year, _href(preview, datetime=str(year), f="png")) for year in plan.years],
        legend=product.legend,
        downloads=[(name, media, _href(data, f=name)) for name, media in FORMATS.items()],
    )
