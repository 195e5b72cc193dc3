"""Input guards: each limit holds at its edge, guarded input is safe for the parsers behind
it (cql2, json, shapely), and the guards do linear work (counted in executed lines, not
timed) without recursion.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import cql2
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from landgrid import guards
from landgrid.errors import ApiError, InvalidParameterValue, PayloadTooLarge
from landgrid.guards import (
    LIMITS,
    MIB,
    Limits,
    check_cql2_json,
    check_cql2_text,
    check_geojson,
    check_json_text,
    check_query_args,
    check_strings,
)

# The cql2 0.6.0 crashes (docs/upstream/cql2-deep-nesting.md); never parsed in-process.
DEEP_TEXT = "(" * 2000 + "a = 1" + ")" * 2000
LONG_OR = " OR ".join(["a = 1"] * 20000)
EXPONENTIAL = "(" * 30 + "a = 1"  # about 50 minutes of parsing with the GIL held
HYPOTHESIS = settings(
    deadline=None,  # no timing assertions
    max_examples=150,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


def refused(fn: Callable[..., None], *args: Any, status: int = 400) -> str:
    """The message of the error ``fn`` raises, after checking its HTTP status and type."""
    with pytest.raises(ApiError) as info:
        fn(*args)
    error = info.value
    assert error.status == status
    assert error.type == ("PayloadTooLarge" if status == 413 else "InvalidParameterValue")
    assert isinstance(error, PayloadTooLarge if status == 413 else InvalidParameterValue)
    return error.message


def nested(depth: int, inner: Any = 0) -> Any:
    """``depth`` lists around ``inner``, built without recursion."""
    for _ in range(depth):
        inner = [inner]
    return inner


def json_depth(value: Any) -> int:
    """Nesting depth as json.loads builds it: 0 for a scalar, 1 for ``[]``."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            stack.extend(
                (item, depth) for item in (node.values() if isinstance(node, dict) else node)
            )
        deepest = max(deepest, depth)
    return deepest


def polygon(n: int, x: float = -10.5) -> dict[str, Any]:
    ring = [[x + i * 1e-4, -20.25] for i in range(n - 1)] + [[x, -20.25]]
    return {"type": "Polygon", "coordinates": [ring]}


def collection(geometries: list[dict[str, Any]]) -> dict[str, Any]:
    features = [
        {"type": "Feature", "properties": {"n": i}, "geometry": g} for i, g in enumerate(geometries)
    ]
    return {"type": "FeatureCollection", "features": features}


def lines_run(fn: Callable[..., None], *args: Any) -> int:
    """Lines of landgrid/guards.py executed by ``fn(*args)``: a clock-free measure of work."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != guards.__file__:
            return None
        count += event == "line"
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*args)
    except ApiError:
        pass
    finally:
        sys.settrace(previous)
    return count


def test_limits_are_frozen_and_documented_defaults() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        LIMITS.json_depth = 1000  # type: ignore[misc]
    assert LIMITS.json_bytes == 32 * MIB and LIMITS.cql2_text_chars == 64 * 1024
    assert LIMITS.cql2_text_depth == 12 and LIMITS.cql2_json_depth == 64


# --- check_json_text ------------------------------------------------------------------


def test_json_size_limit_is_in_bytes() -> None:
    small = Limits(json_bytes=100)
    check_json_text(b" " * 100, small)
    assert refused(check_json_text, b" " * 101, small, status=413) == "body: more than 100 bytes"
    check_json_text('"' + "é" * 49 + '"', small)  # 100 bytes in UTF-8
    assert "more than 100 bytes" in refused(
        check_json_text, '"' + "é" * 50 + '"', small, status=413
    )
    limit = b"[" + b" " * (LIMITS.json_bytes - 2) + b"]"
    check_json_text(limit)
    refused(check_json_text, limit + b" ", status=413)


@pytest.mark.parametrize("opening,closing", [("[", "]"), ('{"a":', "}")])
def test_json_depth_limit(opening: str, closing: str) -> None:
    check_json_text(opening * 64 + "1" + closing * 64)
    message = refused(check_json_text, opening * 65 + "1" + closing * 65, LIMITS, "execute")
    assert message == "execute: nesting depth over 64"


def test_json_brackets_in_strings_do_not_count() -> None:
    text = r'["[[[[{{", "\"]]]\\", "\\\\\"[[", {"k[": "}}"}]'
    assert json_depth(json.loads(text)) == 2
    check_json_text(text, Limits(json_depth=2))
    refused(check_json_text, text, Limits(json_depth=1))


def test_json_lone_surrogate_text_is_measured_not_refused() -> None:
    check_json_text('["\ud800"]')  # check_strings refuses it once parsed


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet='[]{}"\\/ :,ab\u00e9\u20ac\x00\n', max_size=8)
    | st.text(max_size=4)
)
json_values = st.recursive(
    json_scalars,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=3), kids, max_size=4)
    ),
    max_leaves=25,
)


@st.composite
def deep_json(draw: st.DrawFn) -> Any:
    """A value wrapped in up to 100 lists or objects, to cross the default limit too."""
    value = draw(json_values)
    for key in draw(st.lists(st.sampled_from([None, "k", "[", '"']), max_size=100)):
        value = [value] if key is None else {key: value}
    return value


@HYPOTHESIS
@given(value=deep_json(), ascii_only=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_json_depth_agrees_with_json_loads(
    value: Any, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    depth = json_depth(json.loads(text))
    for raw in (text, text.encode()):
        check_json_text(raw, Limits(json_depth=depth))
        if depth:
            refused(check_json_text, raw, Limits(json_depth=depth - 1))
    if depth > LIMITS.json_depth:
        refused(check_json_text, text)
    else:
        check_json_text(text)


# --- check_strings --------------------------------------------------------------------


def test_strings_clean_value_passes() -> None:
    check_strings({"inputs": {"name": "zone é €", "n": [1, 2.5, None, True, "\U0001f600"]}})


@pytest.mark.parametrize(
    "value,message",
    [
        ("a\x00b", "body: a NUL character"),
        ({"inputs": {"name": ["ok", "a\x00b"]}}, "body/inputs/name/1: a NUL character"),
        ({"inputs": {"a\x00": 1}}, "body/inputs: a NUL character in the key 'a\\x00'"),
        ({"filter": {"args": ["\ud800"]}}, "body/filter/args/0: a lone surrogate U+D800"),
        ({"\udfff": 1}, "body: a lone surrogate U+DFFF in the key '\\udfff'"),
    ],
)
def test_strings_refused(value: Any, message: str) -> None:
    assert refused(check_strings, value) == message


def test_strings_escape_as_text_is_no_nul() -> None:
    check_strings({"doc": "write \\u0000 for NUL", "deep": nested(5000, "\\ud800")})


def test_strings_from_json_escapes() -> None:
    assert "NUL" in refused(check_strings, json.loads('{"a": "a\\u0000b"}'), "execute")
    assert "U+D800" in refused(check_strings, json.loads('["\\ud800"]'))
    check_strings(json.loads('["\\ud83d\\ude00"]'))  # a surrogate pair is one character


# --- check_query_args -----------------------------------------------------------------


def test_query_args() -> None:
    check_query_args({"filter": "a = 'x'\n AND\tb = 1\r\n", "limit": ["10"], "é": "€"})
    assert refused(check_query_args, {"filter": "a\x00b"}) == "filter: a NUL character"
    assert refused(check_query_args, {"bbox": ["1,2,3,4", "\x1b[31m"]}) == (
        "bbox: a control character U+001B"
    )
    assert refused(check_query_args, {"f\nx": "1"}) == (
        "query parameter 'f\\nx': a control character U+000A in its name"
    )
    assert "U+D800" in refused(check_query_args, {"datetime": "\ud800"})
    assert "U+0085" in refused(check_query_args, {"q": "a\x85"})


def test_query_args_multidict_checks_every_value() -> None:
    args = MultiDict([("properties", "a"), ("properties", "b\x00")])
    assert refused(check_query_args, args) == "properties: a NUL character"


# --- check_cql2_text ------------------------------------------------------------------


def test_cql2_text_length() -> None:
    under = "a = '" + "x" * (64 * 1024 - 6) + "'"
    assert len(under) == 64 * 1024
    check_cql2_text(under)
    assert refused(check_cql2_text, under + " ") == (
        "filter: 65537 characters, over the limit of 65536"
    )


def test_cql2_text_depth() -> None:
    check_cql2_text("(" * 12 + "a = 1" + ")" * 12)
    assert refused(check_cql2_text, "(" * 13 + "a = 1" + ")" * 13) == (
        "filter: nesting depth over 12"
    )
    check_cql2_text("NOT ((a = 1 AND (b = 2 OR S_INTERSECTS(g, MULTIPOLYGON(((0 0, 1 0, 0 0)))))))")
    assert "depth over 12" in refused(check_cql2_text, "a = " + "f(" * 13 + "1" + ")" * 13)


def test_cql2_text_quotes() -> None:
    check_cql2_text(
        "a = '((((((((((((((' AND \"((((((((((((((\" = 'it''s'", Limits(cql2_text_depth=0)
    )
    check_cql2_text('"we""ird (" = 1', Limits(cql2_text_depth=0))
    assert refused(check_cql2_text, "a = 'it''s") == "filter: unterminated quoted string literal"
    assert refused(check_cql2_text, '"a = 1') == "filter: unterminated quoted identifier"


def test_cql2_text_balance() -> None:
    assert refused(check_cql2_text, "(a = 1") == "filter: unbalanced parentheses"
    assert refused(check_cql2_text, "a = 1)") == "filter: unbalanced parentheses"
    assert refused(check_cql2_text, ")(a = 1") == "filter: unbalanced parentheses"


def test_cql2_text_operators() -> None:
    chain_of_1000 = " OR ".join(["a = 1"] * 500)  # 500 '=' and 499 'OR'
    check_cql2_text(chain_of_1000 + " AND b")
    message = refused(check_cql2_text, chain_of_1000 + " AND NOT b")
    assert message == "filter: more than 1000 operators"
    refused(check_cql2_text, "a = " + " + ".join(["1"] * 1001))
    refused(check_cql2_text, "NOT " * 1001 + "a")
    refused(check_cql2_text, "a = " + "-" * 1001 + "1")


def test_cql2_text_wkt_signs_are_not_operators() -> None:
    ring = ", ".join(f"-{i}.5 -20.25" for i in range(3000)) + ", -0.5 -20.25"
    check_cql2_text(f"S_INTERSECTS(geom, POLYGON(({ring})))")
    check_cql2_text("S_INTERSECTS(g, POINT ZM (-1 -2 -3 -4))", Limits(cql2_text_operators=0))
    # POINT(1 -1 -1 ...) is no WKT: cql2 reads it as a function call over a '-' chain.
    assert "operators" in refused(check_cql2_text, "POINT(1 " + "-1 " * 1005 + ")")


def test_cql2_text_nul_and_surrogates() -> None:
    assert refused(check_cql2_text, "a = 'x\x00'") == "filter: a NUL character"
    assert refused(check_cql2_text, "a = '\ud800'") == "filter: a lone surrogate U+D800"


def test_cql2_text_at_the_limits_parses() -> None:
    for text in (
        "(" * 12 + "a = 1" + ")" * 12,
        "a = " + "(" * 11 + "1" + ")" * 11,
        " OR ".join(["a = 1"] * 500),
        "NOT " * 1000 + "a",
        "a = " + " + ".join(["1"] * 1000),
    ):
        check_cql2_text(text)
        cql2.parse_text(text)


@pytest.mark.parametrize("reproducer", [DEEP_TEXT, LONG_OR, EXPONENTIAL, "x" * 50_000_000])
def test_cql2_text_reproducers_refused_before_parsing(
    reproducer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_text(text: str) -> Any:
        raise AssertionError("the parser was reached")

    monkeypatch.setattr(cql2, "parse_text", parse_text)

    def guarded(text: str) -> Any:  # how the endpoints are to call it
        check_cql2_text(text)
        return cql2.parse_text(text)

    refused(guarded, reproducer)


def test_cql2_unguarded_reproducer_crashes() -> None:
    """Documents the upstream bug, in a child process; skips once cql2 is fixed."""
    code = f"import cql2; cql2.parse_text({DEEP_TEXT!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    if done.returncode != -signal.SIGSEGV:
        pytest.skip(f"cql2 {cql2.__version__} no longer crashes: the text limits may be raised")


cql2_atoms = st.sampled_from(
    [
        "a = 1",
        "b < -2.5",
        "c LIKE 'x(%'",
        "d IS NOT NULL",
        "e IN (1, 2, 3)",
        "x BETWEEN 1 AND 2",
        "S_INTERSECTS(g, POINT(1 -2))",
        "T_AFTER(t, TIMESTAMP('2020-01-01T00:00:00Z'))",
        "TRUE",
        "a",
        "1 +",
        "(",
        ")",
        "'",
        ",",
        "f(a, 1)",
        "\"q(\" = 'it''s'",
    ]
)
cql2_trees = st.recursive(
    cql2_atoms,
    lambda kids: (
        st.tuples(kids, st.sampled_from([" AND ", " OR ", " = ", " + ", " ", "-"]), kids).map(
            "".join
        )
        | kids.map("({})".format)
        | kids.map("NOT ({})".format)
        | kids.map("f({})".format)
        | kids.map("({}".format)
    ),
    max_leaves=40,
)


@st.composite
def cql2_texts(draw: st.DrawFn) -> str:
    """A random tree, then up to 14 more levels of (mostly closed) parentheses around it."""
    text = draw(cql2_trees)
    for opening in draw(
        st.lists(st.sampled_from(["(", "NOT (", "f(", "a = (", "(-"]), max_size=14)
    ):
        text = opening + text + draw(st.sampled_from([")", ")", ")", ""]))
    return text


@HYPOTHESIS
@given(text=cql2_texts())
def test_cql2_text_under_the_limits_parses_without_crashing(text: str) -> None:
    try:
        check_cql2_text(text)
    except InvalidParameterValue:
        return  # over a limit: never handed to the parser
    target(float(text.count("(")))  # steer towards deep nesting
    with contextlib.suppress(cql2.ParseError, ValueError):  # an error is fine, a crash is not
        cql2.parse_text(text)


# --- check_cql2_json ------------------------------------------------------------------


def test_cql2_json_top_level() -> None:
    check_cql2_json(True)
    check_cql2_json(False)
    check_cql2_json({"op": "=", "args": [{"property": "a"}, 1]})
    for value in ([True], "a = 1", None, 1):
        assert "an object or true/false" in refused(check_cql2_json, value)


def not_chain(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"op": "=", "args": [{"property": "a"}, 1]}  # depth 3
    for _ in range(levels):
        node = {"op": "not", "args": [node]}  # two levels each
    return node


def test_cql2_json_depth() -> None:
    def in_nested(levels: int) -> dict[str, Any]:  # depth 2 + levels
        return {"op": "in", "args": [{"property": "a"}, nested(levels, 1)]}

    check_cql2_json(in_nested(62))
    assert refused(check_cql2_json, in_nested(63)) == "filter: nesting depth over 64"
    check_cql2_json(not_chain(30))  # depth 63
    assert refused(check_cql2_json, not_chain(31)) == "filter: nesting depth over 64"


def test_cql2_json_args() -> None:
    clause = {"op": "=", "args": [{"property": "a"}, 1]}
    check_cql2_json({"op": "and", "args": [clause] * 1000}, Limits(cql2_json_nodes=10**6))
    assert refused(check_cql2_json, {"op": "and", "args": [True] * 1001}) == (
        "filter: an operator with 1001 arguments, over the limit of 1000"
    )


def test_cql2_json_nodes() -> None:
    def in_list(n: int) -> dict[str, Any]:  # 6 + n values, keys and all
        return {"op": "in", "args": [{"property": "a"}, list(range(n))]}

    check_cql2_json(in_list(9994))
    assert refused(check_cql2_json, in_list(9995)) == "filter: more than 10000 nodes"


def test_cql2_json_geometry_literal() -> None:
    def intersects(
        geometry: dict[str, Any],
    ) -> dict[str, Any]:  # 7 values (keys and all) + positions
        return {"op": "s_intersects", "args": [{"property": "g"}, geometry]}

    check_cql2_json(intersects(polygon(9993)))
    refused(check_cql2_json, intersects(polygon(9994)))
    far = {"type": "Point", "coordinates": [1e308, 0]}
    assert refused(check_cql2_json, intersects(far)) == (
        "filter/args/1/coordinates: coordinates must be finite numbers within +-1,000,000,000"
    )
    assert "finite" in refused(
        check_cql2_json, {"op": "s_intersects", "args": [{"bbox": [0, 0, 1e10, 1]}]}
    )


# --- check_geojson --------------------------------------------------------------------


def test_geojson_valid_passes() -> None:
    check_geojson(polygon(5))
    check_geojson(
        {
            "type": "Feature",
            "bbox": [-10, -21, 0, -20],
            "geometry": polygon(5),
            "properties": {"bbox": "x"},
        }
    )
    check_geojson(
        {"bbox": [6.5, 46.5, 6.7, 46.6], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    )
    gc = {
        "type": "GeometryCollection",
        "geometries": [polygon(4), {"type": "Point", "coordinates": [1, 2]}],
    }
    check_geojson(collection([gc, {"type": "Point", "coordinates": []}]))
    mp = {"type": "MultiPolygon", "coordinates": [polygon(4)["coordinates"]] * 2}
    check_geojson(mp)


def test_geojson_not_an_object() -> None:
    assert refused(check_geojson, [1, 2], LIMITS, "zones") == "zones: not a GeoJSON object"


def test_geojson_depth() -> None:
    value: dict[str, Any] = {"type": "Feature", "properties": {}}
    inner = value["properties"]
    for _ in range(30):  # 32 levels of objects
        inner["p"] = {}
        inner = inner["p"]
    check_geojson(value)
    inner["p"] = {}
    assert refused(check_geojson, value, LIMITS, "zones") == "zones: nesting depth over 32"


def test_geojson_features() -> None:
    point = {"type": "Point", "coordinates": [1, 2]}
    check_geojson(collection([point] * 100_000))
    assert refused(check_geojson, collection([point] * 100_001), LIMITS, "zones") == (
        "zones: 100001 features, over the limit of 100000"
    )


def test_geojson_vertices_and_positions() -> None:
    check_geojson(polygon(500_000))
    message = refused(
        check_geojson, {"type": "Feature", "geometry": polygon(500_001)}, LIMITS, "aoi"
    )
    assert message == "aoi/geometry: 500001 positions, over the limit of 500000 per geometry"
    check_geojson(collection([polygon(500_000)] * 4))
    assert refused(check_geojson, collection([polygon(500_000)] * 4 + [polygon(4)])) == (
        "geojson: more than 2000000 positions"
    )


@pytest.mark.parametrize(
    "coordinates",
    [
        [1e308, 0],
        [0, float("inf")],
        [float("nan"), 0],
        [1e9 * (1 + 1e-9), 0],
        [-1e10, 0],
        [10**400, 0],
        ["1", 2],
        [[0, 0], [1, None]],
        [[[0, 0], [1, 1]], [[0, 0], [[1, 1]]]],
        [[[[[0, 0]]]]],
        nested(10**6),
        5,
        [True, False],  # JSON booleans, not numbers (Python sums them as 1 and 0)
        [[0, 0], [1, True]],
    ],
)
def test_geojson_bad_coordinates(coordinates: Any) -> None:
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates}}
    message = refused(check_geojson, collection([polygon(4), feature["geometry"]]), LIMITS, "zones")
    assert message.startswith("zones/features/1/geometry/coordinates")


def test_geojson_type_that_is_not_a_string() -> None:
    """An object or a list as ``type`` is no geometry (it was a TypeError: a 500)."""
    check_geojson({"type": "Feature", "geometry": {"type": {}, "coordinates": [[1]]}})
    check_geojson({"type": [], "coordinates": 5})


def test_geojson_coordinate_bound_is_inclusive() -> None:
    check_geojson({"type": "LineString", "coordinates": [[-1e9, 1e9], [0, 0]]})


# --- linear work, no recursion ----------------------------------------------------------


def test_a_million_nested_brackets_refused_without_recursion() -> None:
    deep = nested(10**6)
    refused(check_json_text, "[" * 10**6 + "]" * 10**6)
    check_strings(deep)  # nothing to refuse, and no RecursionError on the way down
    refused(check_cql2_json, {"op": "not", "args": deep})
    refused(check_geojson, {"type": "Feature", "properties": deep})
    refused(check_cql2_text, "(" * 10**6, Limits(cql2_text_chars=10**7))


def test_json_text_is_checked_in_constant_python_lines() -> None:
    """The scan runs in C (bytes.replace/split/translate, accumulate): a 16 MiB body costs
    the same Python lines as a tiny one, so it is one pass whatever the size."""
    feature = {"type": "Feature", "properties": {"name": 'a "[" zone'}, "geometry": polygon(200)}
    tiny = json.dumps(collection([feature]))
    body = json.dumps(collection([feature] * (16 * MIB // (len(tiny) + 2) - 1)))
    assert 15 * MIB < len(body) <= 16 * MIB
    assert lines_run(check_json_text, tiny) == lines_run(check_json_text, body)
    check_json_text(body)
    value = json.loads(body)
    check_strings(value, "zones")
    check_geojson(value, LIMITS, "zones")


@pytest.mark.parametrize(
    "guard,make",
    [
        (check_strings, lambda n: [{"k": "v", "l": [1, "x"]}] * n),  # C-level pre-filter
        (check_strings, lambda n: [{"k": "v", "l": [1, "\\u0000 as text"]}] * n),  # the walk
        (check_cql2_json, lambda n: {"op": "in", "args": [{"property": "a"}, list(range(n))]}),
        (check_cql2_text, lambda n: "a IN (" + ", ".join(["'x'"] * n) + ")"),
        (check_cql2_text, lambda n: " OR ".join(["a = 1"] * n)),
        (check_geojson, lambda n: collection([polygon(5)] * n)),
        (check_geojson, lambda n: polygon(n * 10)),
        (check_query_args, lambda n: {f"p{i}": "v" for i in range(n)}),
    ],
)
def test_guards_work_is_linear(guard: Callable[..., None], make: Callable[[int], Any]) -> None:
    """Four times the input, at most about four times the executed lines (quadratic: 16)."""
    small, large = lines_run(guard, make(100)), lines_run(guard, make(400))
    assert small > 0
    assert large <= 4.5 * small
