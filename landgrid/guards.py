"""Guards: linear-time checks of untrusted input before any parser or library sees it.

The libraries behind the API are not safe on hostile input (docs/upstream/cql2-deep-nesting.md):
cql2 0.6.0 overflows its stack and kills the worker with SIGSEGV at about 1,540 nested
parentheses or 16,000 chained ``OR``, and its parser backtracks in O(2^depth) on a
parenthesised syntax error while holding the GIL (20 levels: 2.7 s, 30 levels: about 50 min);
Python's ``json`` raises ``RecursionError`` on deep nesting; GEOS raises on ``1e308``. Each
guard refuses such input with a 400 (413 for an oversized body) naming the parameter and the
limit. None recurses, so a guard cannot itself be the problem. Order of use:

* ``check_query_args`` on every request's query parameters;
* ``check_json_text`` -> ``json.loads`` -> ``check_strings`` -> ``check_cql2_json`` or
  ``check_geojson`` on JSON bodies and inputs;
* ``check_cql2_text`` before ``cql2.parse_text``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from itertools import accumulate, chain, repeat
from operator import sub
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from landgrid.errors import InvalidParameterValue, PayloadTooLarge

KIB = 1024
MIB = 1024 * KIB


class Limits(BaseSettings):
    """Limits no real request reaches, set well below where a parser breaks (8 MiB stacks).
    Each is a setting: ``LANDGRID_LIMIT_<NAME>`` (``LANDGRID_LIMIT_JSON_BYTES=...``), read
    by ``Limits()`` at a process's edge and passed down.

    Measured with cql2 0.6.0: SIGSEGV at ~1,540 nested parentheses, ~3,400 ``NOT``, ~9,000
    chained ``+`` and ~16,000 chained ``AND``/``OR``; a failing parse costs 2^depth steps
    (16 levels: 0.17 s). Python's ``json`` recurses about 1,000 deep; cql2's JSON reader stops
    at 128.
    """

    model_config = SettingsConfigDict(env_prefix="LANDGRID_LIMIT_", frozen=True, extra="ignore")

    # Request bodies (execute requests, CQL2, GeoJSON features) and JSON in them. A 20 MB
    # GeoJSON of inline zones (about a million positions) is the realistic upper bound, so
    # 16 MiB would refuse it; 32 MiB admits it with room for indentation, while json.loads
    # stays near a second and about ten times the body in memory. Bigger zone sets belong
    # in a collection.
    json_bytes: int = 32 * MIB
    # A zones execute body nests about 12 deep; 64 is far from json's ~1,000.
    json_depth: int = 64
    # CQL2 text: a hand-written or generated filter is a few KiB; a 3,000-vertex polygon
    # literal fits in 64 KiB. Longer geometries belong in an AOI input or a collection.
    cql2_text_chars: int = 64 * KIB
    # Parentheses of any kind (grouping, function, WKT): a failing parse doubles per level,
    # so 12 bounds it near 30 ms (the worst of some 300 shapes tried). Real filters need
    # about 8: NOT ((a AND (b OR S_INTERSECTS(g, MULTIPOLYGON(((...))))))).
    cql2_text_depth: int = 12
    # Boolean, comparison and arithmetic operators: each chain link is a stack frame in
    # cql2; 1,000 is under a third of the lowest crash point (3,400 NOT) and still allows
    # 500 ``id = n OR`` clauses (IN takes a list of any length).
    cql2_text_operators: int = 1_000
    # CQL2 JSON: depth in JSON containers (two per operator level); cql2 stops at 128.
    cql2_json_depth: int = 64
    # Arguments of one operator: a flat AND of 10,000 took 12 s end to end.
    cql2_json_args: int = 1_000
    # Values in the expression; each geometry-literal position counts one.
    cql2_json_nodes: int = 10_000
    # GeoJSON: FeatureCollection > Feature > GeometryCollection > MultiPolygon is 9 levels.
    geojson_depth: int = 32
    # Features per collection, and zones per statistics request (inline or by reference).
    geojson_features: int = 100_000
    # Overlapping zones cost a layer each (n identical zones: n^2 / 2 pairs), so their pairs
    # are bounded too: 100,000 pairs cost about half a second to find; 100,000 parcels
    # that only touch have none.
    zone_overlaps: int = 100_000
    # Positions per geometry and per document: a detailed country outline has ~200,000;
    # 32 MiB holds about 1.6 million positions at 6 decimals.
    geojson_vertices: int = 500_000
    geojson_positions: int = 2_000_000
    # Absolute coordinate bound: 25 times the Earth's circumference in metres, so every
    # projected CRS fits, while GEOS and PROJ stay far from overflow.
    coordinate_max: float = 1e9


LIMITS = Limits.model_construct()  # the defaults, without reading the environment

GEOMETRIES = frozenset(
    ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
)

_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")  # less 1: steps of +1, -1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_BAD_IN_DUMP = re.compile(r"\\u0000|[\ud800-\udfff]")  # a hint: the walk decides
_BAD_ARG_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_ARG_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF, CR ok
_CQL2_TOKEN = re.compile(
    r"""'(?:[^']|'')*+'          # string literal, '' is a quote
    |"(?:[^"]|"")*+"             # quoted identifier, "" is a quote
    |(?P<unterminated>['"])
    |(?P<word>[^\W\d][\w.:]*)
    |\d+(?:\.\d*)?(?:[eE][+-]?\d+)?
    |(?P<op><>|<=|>=|!=|[-+*/%^=<>])
    |(?P<open>\()
    |(?P<close>\))
    |(?P<comma>,)""",
    re.VERBOSE,
)
_WORD_OPERATORS = frozenset(("AND", "OR", "NOT", "DIV", "LIKE", "IN", "BETWEEN", "IS"))
_WKT = frozenset(w.upper() for w in GEOMETRIES) | {"GEOMETRYCOLLECTION"}
_WKT_SUFFIX = frozenset(("Z", "M", "ZM"))

Path = tuple[Any, ...]  # (parent path, key), () at the root: built in O(1), read on error


def _where(what: str, path: Path) -> str:
    keys: list[str] = []
    while path:
        path, key = path
        keys.append(str(key))
    return "/".join([what, *reversed(keys)])


def _bad_char(char: str) -> str:
    if char == "\x00":
        return "a NUL character"
    kind = "lone surrogate" if "\ud800" <= char <= "\udfff" else "control character"
    return f"a {kind} U+{ord(char):04X}"


def check_json_text(raw: bytes | str, limits: Limits = LIMITS, what: str = "body") -> None:
    """Size, then nesting depth, of JSON text in one pass of C-level scans, so that
    ``json.loads`` never recurses deep; malformed JSON is left to ``json.loads``."""
    too_large = PayloadTooLarge(f"{what}: more than {limits.json_bytes} bytes")
    if len(raw) > limits.json_bytes:  # characters are at most UTF-8 bytes: before encoding
        raise too_large
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > limits.json_bytes:
        raise too_large
    # Drop escaped backslashes, then escaped quotes: every '"' left opens or closes a
    # string, so the even pieces of a split are the text outside strings.
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(plain.split(b'"')[::2])
    steps = outside.translate(_BRACKET_STEP, _NOT_BRACKET)
    if max(accumulate(map(sub, steps, repeat(1))), default=0) > limits.json_depth:
        raise InvalidParameterValue(f"{what}: nesting depth over {limits.json_depth}")


def check_strings(value: Any, what: str = "body") -> None:
    """No NUL character (PostgreSQL refuses it) nor lone surrogate (not encodable as
    UTF-8) in any string or key of a parsed JSON value, named by its path."""
    try:  # C-level pre-filter: json.dumps escapes NUL as \u0000, keeps surrogates as they are
        if not _BAD_IN_DUMP.search(json.dumps(value, ensure_ascii=False, check_circular=False)):
            return
    except (TypeError, ValueError, RecursionError):  # not plain JSON, or deeper than json goes
        pass
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if bad := _BAD_TEXT.search(node):
                raise InvalidParameterValue(f"{_where(what, path)}: {_bad_char(bad[0])}")
        elif isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str) and (bad := _BAD_TEXT.search(key)):
                    raise InvalidParameterValue(
                        f"{_where(what, path)}: {_bad_char(bad[0])} in the key {key!r}"
                    )
                stack.append((item, (path, key)))
        elif isinstance(node, list):
            stack.extend((item, (path, i)) for i, item in enumerate(node))


def check_query_args(args: Mapping[str, str | list[str]]) -> None:
    """No NUL, lone surrogate or control character in query parameter names and values
    (tab, CR and LF are allowed in values: a pasted multi-line filter)."""
    lists = getattr(args, "lists", None)  # a werkzeug MultiDict: every value, not the first
    for name, values in lists() if callable(lists) else args.items():
        if bad := _BAD_ARG_NAME.search(name):
            raise InvalidParameterValue(
                f"query parameter {name!r}: {_bad_char(bad[0])} in its name"
            )
        for value in [values] if isinstance(values, str) else values:
            if bad := _BAD_ARG_VALUE.search(value):
                raise InvalidParameterValue(f"{name}: {_bad_char(bad[0])}")


def check_cql2_text(text: str, limits: Limits = LIMITS, what: str = "filter") -> None:
    """Length, parenthesis nesting, operator count, balance and quotes of cql2-text, by
    one tokenising pass, so cql2 neither overflows its stack nor backtracks for long."""
    if len(text) > limits.cql2_text_chars:
        raise InvalidParameterValue(
            f"{what}: {len(text)} characters, over the limit of {limits.cql2_text_chars}"
        )
    if bad := _BAD_TEXT.search(text):
        raise InvalidParameterValue(f"{what}: {_bad_char(bad[0])}")
    wkt: list[bool] = []  # per open parenthesis: inside a WKT coordinate list
    operators = 0
    signs = 0  # '+' and '-' since the last '(', ')' or ',': a WKT position has at most 4
    geometry_next = False  # the last word was a WKT type: its '(' opens coordinates
    for token in _CQL2_TOKEN.finditer(text):
        kind = token.lastgroup
        word = token[0].upper() if kind == "word" else ""
        match kind:
            case "word":
                operators += word in _WORD_OPERATORS
            case "op":
                # More signs than a WKT position holds is an arithmetic chain: cql2 reads
                # POINT(1 -1 -1 ...) as a function call and recurses once per operator.
                in_wkt = bool(wkt) and wkt[-1] and token[0] in "+-"
                signs += in_wkt
                operators += not in_wkt or signs > 4
            case "open":
                if len(wkt) >= limits.cql2_text_depth:
                    raise InvalidParameterValue(
                        f"{what}: nesting depth over {limits.cql2_text_depth}"
                    )
                wkt.append(geometry_next or (bool(wkt) and wkt[-1]))
                signs = 0
            case "close":
                if not wkt:
                    raise InvalidParameterValue(f"{what}: unbalanced parentheses")
                wkt.pop()
                signs = 0
            case "comma":
                signs = 0
            case "unterminated":
                quoted = "string literal" if token[0] == "'" else "identifier"
                raise InvalidParameterValue(f"{what}: unterminated quoted {quoted}")
        geometry_next = word in _WKT or (geometry_next and word in _WKT_SUFFIX)
        if operators > limits.cql2_text_operators:
            raise InvalidParameterValue(f"{what}: more than {limits.cql2_text_operators} operators")
    if wkt:
        raise InvalidParameterValue(f"{what}: unbalanced parentheses")


def _is_coordinates(node: dict[str, Any], key: str, item: Any) -> bool:
    """A geometry's ``coordinates``, or a ``bbox`` array (GeoJSON, CQL2, OGC bbox input)."""
    if key == "bbox":
        return isinstance(item, Sequence) and not isinstance(item, str)
    kind = node.get("type")
    return key == "coordinates" and isinstance(kind, str) and kind in GEOMETRIES


def _coordinates(coords: Any, limits: Limits, what: str, path: Path) -> int:
    """Positions in GeoJSON ``coordinates`` (or a ``bbox``; lists, or tuples as shapely and
    fiona give them), each number finite and within
    ``limits.coordinate_max``; a ring or line is checked at once by C-level builtins."""
    bound = limits.coordinate_max
    positions = 0
    stack: list[tuple[Any, int, Path]] = [(coords, 1, path)]  # level 4: MultiPolygon positions
    while stack:
        node, level, at = stack.pop()
        if not isinstance(node, list | tuple) or level > 4:
            raise InvalidParameterValue(
                f"{_where(what, at)}: not GeoJSON coordinates (at most 4 nested arrays)"
            )
        if not node:
            continue
        if not isinstance(node[0], list | tuple):
            numbers, count = iter(node), 1  # one position, or a bbox
        elif level < 4 and node[0] and not isinstance(node[0][0], list | tuple):
            numbers, count = chain.from_iterable(node), len(node)  # a line or a ring
        else:
            stack.extend((item, level + 1, (at, i)) for i, item in enumerate(node))
            continue
        try:
            flat = list(numbers)
            ok = math.isfinite(sum(flat)) and -bound <= min(flat) and max(flat) <= bound
            ok = ok and bool not in set(map(type, flat))  # true/false sum as numbers
        except (TypeError, ValueError, OverflowError):  # not numbers, or an int beyond float
            ok = False
        if not ok:
            raise InvalidParameterValue(
                f"{_where(what, at)}: coordinates must be finite numbers within +-{bound:,.0f}"
            )
        positions += count
    return positions


def check_cql2_json(value: Any, limits: Limits = LIMITS, what: str = "filter") -> None:
    """A parsed CQL2 JSON expression: an object or a boolean literal at the top (OGC 21-065
    ``booleanExpression``), bounded depth, arguments per operator and size."""
    if isinstance(value, bool):
        return
    if not isinstance(value, dict):
        raise InvalidParameterValue(
            f"{what}: a CQL2 JSON expression is an object or true/false, not {type(value).__name__}"
        )
    nodes = 1
    stack: list[tuple[Any, int, Path]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if depth > limits.cql2_json_depth:
            raise InvalidParameterValue(f"{what}: nesting depth over {limits.cql2_json_depth}")
        if isinstance(node, dict):
            args = node.get("args")
            if isinstance(args, list) and len(args) > limits.cql2_json_args:
                raise InvalidParameterValue(
                    f"{what}: an operator with {len(args)} arguments, over the limit of "
                    f"{limits.cql2_json_args}"
                )
            items: list[tuple[Any, Any]] = []
            for key, item in node.items():
                if _is_coordinates(node, key, item):
                    nodes += _coordinates(item, limits, what, (path, key))
                else:
                    items.append((key, item))
        else:
            items = list(enumerate(node))
        nodes += len(items)
        if nodes > limits.cql2_json_nodes:
            raise InvalidParameterValue(f"{what}: more than {limits.cql2_json_nodes} nodes")
        stack.extend(
            (item, depth + 1, (path, key)) for key, item in items if isinstance(item, dict | list)
        )


def check_geojson(value: Any, limits: Limits = LIMITS, what: str = "geojson") -> None:
    """A parsed GeoJSON object (geometry, Feature or FeatureCollection) small and sane
    enough for shapely, GEOS and PROJ: bounded depth, features, positions and values."""
    if not isinstance(value, dict):
        raise InvalidParameterValue(f"{what}: not a GeoJSON object")
    total = 0
    stack: list[tuple[Any, int, Path]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if depth > limits.geojson_depth:
            raise InvalidParameterValue(f"{what}: nesting depth over {limits.geojson_depth}")
        if isinstance(node, list):
            stack.extend(
                (item, depth + 1, (path, i))
                for i, item in enumerate(node)
                if isinstance(item, dict | list)
            )
            continue
        kind = node.get("type")
        features = node.get("features")
        if (
            kind == "FeatureCollection"
            and isinstance(features, list)
            and len(features) > limits.geojson_features
        ):
            raise InvalidParameterValue(
                f"{what}: {len(features)} features, over the limit of {limits.geojson_features}"
            )
        for key, item in node.items():
            if _is_coordinates(node, key, item):
                count = _coordinates(item, limits, what, (path, key))
                if count > limits.geojson_vertices:
                    raise InvalidParameterValue(
                        f"{_where(what, path)}: {count} positions, over the limit of "
                        f"{limits.geojson_vertices} per geometry"
                    )
                total += count
                if total > limits.geojson_positions:
                    raise InvalidParameterValue(
                        f"{what}: more than {limits.geojson_positions} positions"
                    )
            elif isinstance(item, dict | list):
                stack.append((item, depth + 1, (path, key)))
