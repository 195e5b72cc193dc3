"""Which years of a product a request selects, from ``datetime`` or a ``time`` subset.

A land-cover layer describes a whole year: year Y covers [Y-01-01, Y+1-01-01). An instant
selects the year containing it; an interval selects every year it touches; ``time(*)`` the
newest year. QGIS sends ``0000-01-01T00:00:00Z`` as an open start, so year 0 is read as "no
lower bound". A time with no year in it is a 404 (``/req/subsetting-temporal/out-of-bounds``).
"""

from __future__ import annotations

import datetime as dt
import re

from landgrid.coverage.query import CoverageQuery
from landgrid.errors import InvalidParameterValue, NotFound

_YEAR = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
T_NAMES = {"time", "t", "date", "datetime"}


def parse_instant(text: str, param: str) -> dt.datetime:
    text = text.strip().strip('"')
    match = _YEAR.match(text)
    try:
        if match:
            year, month = int(match.group(1)), int(match.group(2) or 1)
            if year == 0:
                return dt.datetime.min
            return dt.datetime(year, month, 1)
        if text.startswith("0000-"):
            return dt.datetime.min
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidParameterValue(f"{param}: {text!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _interval(q: CoverageQuery) -> tuple[dt.datetime | None, dt.datetime | None, str] | None:
    times = [s for s in q.subsets if s.axis.lower() in T_NAMES]
    if times and q.datetime:
        raise InvalidParameterValue("datetime: give either datetime or subset=time(...)")
    if times:
        s = times[0]
        if s.point and s.low is None:  # time(*): the newest
            return dt.datetime.max, dt.datetime.max, "subset"
        low = parse_instant(s.low, "subset") if s.low else None
        high = parse_instant(s.high, "subset") if s.high else None
        return low, high, "subset"
    if not q.datetime:
        return None
    text = q.datetime.strip()
    if "/" in text:
        start, _, end = text.partition("/")
        low = None if start.strip() in ("", "..") else parse_instant(start, "datetime")
        high = None if end.strip() in ("", "..") else parse_instant(end, "datetime")
        return low, high, "datetime"
    instant = parse_instant(text, "datetime")
    return instant, instant, "datetime"


def select_years(store_years: list[int], q: CoverageQuery) -> list[tuple[int, int]]:
    """``(year, index in the store's time axis)`` pairs, oldest first."""
    if not store_years:
        raise InvalidParameterValue("datetime: this product has no year loaded yet")
    interval = _interval(q)
    if interval is None:
        return [(store_years[-1], len(store_years) - 1)]
    low, high, param = interval
    if low and high and low > high:
        raise InvalidParameterValue(f"{param}: start {low:%Y-%m-%d} is after end {high:%Y-%m-%d}")
    if low == dt.datetime.max:
        return [(store_years[-1], len(store_years) - 1)]
    chosen = []
    for index, year in enumerate(store_years):
        start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
        if (high is None or start <= high) and (low is None or end > low):
            chosen.append((year, index))
    if not chosen:
        raise NotFound(
            f"{param}: no year of this product in the requested time; years: {store_years}"
        )
    return chosen
