"""Coverage request parameters, parsed into a typed ``CoverageQuery`` (syntax only).

Both generations of OGC API - Coverages are accepted, because real clients still send the
2022 draft: ``subset=Lon(a:b),Lat(c:d)&scaleSize=Lon(w),Lat(h)`` (GDAL's OGCAPI driver),
``scale-size``/``scale-factor``/``scale-axes`` (OWSLib), next to rc2's ``resolution``,
``width`` and ``height``. What the values mean for a product (axis names, CRS, years) is
decided in ``plan``; here every error names the parameter it comes from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from landgrid.errors import InvalidParameterValue

MAX_SIDE = 1_000_000  # a sanity bound on width/height; the pixel limit applies later
_ITEM = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*\((.*)\)\s*$", re.S)
_RANGE = re.compile(r'^\s*("[^"]*"|[^:"]*?)\s*:\s*("[^"]*"|[^:"]*?)\s*$')


@dataclass(frozen=True)
class AxisSubset:
    """One ``Axis(low:high)`` or ``Axis(value)``; bounds are raw text, ``None`` for ``*``."""

    axis: str
    low: str | None
    high: str | None
    point: bool = False


@dataclass(frozen=True)
class CoverageQuery:
    subsets: tuple[AxisSubset, ...] = ()
    subset_crs: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # as sent: the CRS's axis order
    bbox_crs: str | None = None
    datetime: str | None = None
    properties: tuple[str, ...] | None = None
    exclude_properties: tuple[str, ...] = ()
    crs: str | None = None
    resolution: tuple[tuple[str | None, float | None], ...] = ()  # None: native on that axis
    width: int | None = None
    height: int | None = None
    scale_size: tuple[tuple[str, int], ...] = ()
    scale_factor: float | None = None
    scale_axes: tuple[tuple[str, float], ...] = ()
    format: str | None = None


def _bad(param: str, message: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"{param}: {message}")


def split_items(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes."""
    items, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item for item in (s.strip() for s in items) if item]


def _unquote(text: str) -> str | None:
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1].strip()
    return None if text in ("*", "") else text


def parse_subsets(values: Sequence[str], param: str = "subset") -> tuple[AxisSubset, ...]:
    subsets: list[AxisSubset] = []
    for value in values:
        for item in split_items(value):
            match = _ITEM.match(item)
            if not match:
                raise _bad(param, f"{item!r} is not Axis(low:high) or Axis(value)")
            axis, body = match.group(1), match.group(2).strip()
            if not body:
                raise _bad(param, f"{item!r} has no value")
            bounds = _RANGE.match(body)
            if bounds:
                low, high = _unquote(bounds.group(1)), _unquote(bounds.group(2))
                subsets.append(AxisSubset(axis, low, high))
            else:  # a slice; time(*) is the newest time, for other axes a 400 in the plan
                point = _unquote(body)
                subsets.append(AxisSubset(axis, point, point, point=True))
    seen: set[str] = set()
    for s in subsets:
        if s.axis.lower() in seen:
            raise _bad(param, f"axis {s.axis!r} is given twice")
        seen.add(s.axis.lower())
    return tuple(subsets)


def parse_number(text: str, param: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(param, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _bad(param, f"{text!r} is not a finite number")
    return value


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Four numbers (six with heights, which are dropped), in the order sent; the plan
    checks them once it knows the CRS (its axis order, whether it wraps around)."""
    parts = [p for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise _bad("bbox", f"{text!r}: expected 4 numbers (lower corner, upper corner)")
    numbers = [parse_number(p.strip(), "bbox") for p in parts]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return numbers[0], numbers[1], numbers[2], numbers[3]


def parse_size(text: str, param: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise _bad(param, f"{text!r} is not a whole number of pixels") from None
    if not 1 <= value <= MAX_SIDE:
        raise _bad(param, f"{value} is outside 1..{MAX_SIDE}")
    return value


def _positive(text: str, param: str) -> float:
    value = parse_number(text, param)
    if value <= 0:
        raise _bad(param, f"{text!r} must be greater than 0")
    return value


def parse_axis_values[T](
    text: str, param: str, convert: Callable[[str, str], T]
) -> tuple[tuple[str, T], ...]:
    """``Axis(v),Axis(v)`` as used by scale-size, scale-axes and resolution."""
    out: list[tuple[str, T]] = []
    for item in split_items(text):
        match = _ITEM.match(item)
        if not match:
            raise _bad(param, f"{item!r} is not Axis(value)")
        out.append((match.group(1), convert(match.group(2), param)))
    if not out:
        raise _bad(param, "empty")
    return tuple(out)


def _positive_or_native(text: str, param: str) -> float | None:
    return None if not text.strip() else _positive(text, param)


def parse_resolution(text: str) -> tuple[tuple[str | None, float | None], ...]:
    """``10`` (both axes), ``10,20`` (x, y) or ``X(10),Y(20)``; empty (``resolution=`` or
    ``X()``) is the native resolution."""
    if not text.strip():
        return ()
    if "(" in text:
        return tuple(parse_axis_values(text, "resolution", _positive_or_native))
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) not in (1, 2):
        raise _bad("resolution", f"{text!r}: one or two numbers, or Axis(value) items")
    values = [_positive(p, "resolution") for p in parts]
    if len(values) == 1:
        return ((None, values[0]),)
    return (("x", values[0]), ("y", values[1]))


KNOWN = {
    "subset",
    "subset-crs",
    "bbox",
    "bbox-crs",
    "datetime",
    "properties",
    "exclude-properties",
    "crs",
    "resolution",
    "width",
    "height",
    "scale-size",
    "scalesize",
    "scale-factor",
    "scalefactor",
    "scale-axes",
    "scaleaxes",
    "f",
}


def parse_query(args: Mapping[str, Sequence[str]]) -> CoverageQuery:
    """Parse a multi-valued query string (``{name: [values]}``), names case-insensitive."""
    params: dict[str, list[str]] = {}
    for name, values in args.items():
        params.setdefault(name.lower(), []).extend(values)
    unknown = sorted(name for name in args if name.lower() not in KNOWN)
    if unknown:
        raise InvalidParameterValue(f"unknown query parameter(s): {', '.join(unknown)}")

    def one(name: str) -> str | None:
        values = params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise _bad(name, "given more than once")
        return values[0]

    def alias(*names: str) -> tuple[str, str] | None:
        found = [(n, v) for n in names if (v := one(n)) is not None]
        if len(found) > 1:
            raise _bad(names[0], f"given as both {found[0][0]} and {found[1][0]}")
        return found[0] if found else None

    bbox, props, excluded = one("bbox"), one("properties"), one("exclude-properties")
    width, height, res = one("width"), one("height"), one("resolution")
    size = alias("scale-size", "scalesize")
    factor = alias("scale-factor", "scalefactor")
    axes = alias("scale-axes", "scaleaxes")
    return CoverageQuery(
        subsets=parse_subsets(params.get("subset", [])),
        subset_crs=one("subset-crs"),
        bbox=parse_bbox(bbox) if bbox is not None else None,
        bbox_crs=one("bbox-crs"),
        datetime=one("datetime"),
        properties=tuple(p.strip() for p in props.split(",") if p.strip())
        if props is not None
        else None,
        exclude_properties=tuple(p.strip() for p in (excluded or "").split(",") if p.strip()),
        crs=one("crs"),
        resolution=parse_resolution(res) if res is not None else (),
        width=parse_size(width, "width") if width is not None else None,
        height=parse_size(height, "height") if height is not None else None,
        scale_size=parse_axis_values(size[1], "scale-size", parse_size) if size else (),
        scale_factor=_positive(factor[1], "scale-factor") if factor else None,
        scale_axes=parse_axis_values(axes[1], "scale-axes", _positive) if axes else (),
        format=one("f"),
    )
