"""Long fuzz run: hostile requests against a throwaway stack under gunicorn, for minutes.

What it sends, from a seeded generator (``--seed``): CQL2 text (random trees over real
property names, deep and unbalanced parentheses, long chains, NUL, lone surrogates, quotes)
by GET and by POST, CQL2 JSON and GeoJSON bodies (random shapes, deep nesting, huge and
non-finite numbers), execute requests with random inputs and subscribers, and query
strings of random parameters and numbers on every GET endpoint. Every answer must be
below 500, a 4xx must be an OGC exception document, and gunicorn must log no killed worker.

    .venv/bin/python bench/fuzz.py --minutes 10

Progress is printed every 500 requests; the summary lists, per endpoint, the answers by
status and the requests per second. The suite runs a bounded version of the same checks
(tests/security, and hypothesis in tests/unit/test_guards.py and
tests/features/test_cql2_reference.py).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import requests
from harness import throwaway_settings

from landgrid.ops.stack import Stack

PROPERTIES = ["code", "label", "area_m2", "id", "geom", "nope", '"q"']
OPERATORS = [" AND ", " OR ", " = ", " <> ", " < ", " + ", " * ", " LIKE ", " IN ", ", ", " "]
ATOMS = [
    "1",
    "-2.5",
    "1e400",
    "'x'",
    "'it''s'",
    "'\x00'",
    "'\ud800'",
    "TRUE",
    "NULL",
    "(",
    ")",
    "'",
    "POINT(1 2)",
    "BBOX(0,0,1,1)",
    "TIMESTAMP('2020-01-01T00:00:00Z')",
    "DATE('x')",
    "S_INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 0)))",
    "CASEI(label)",
    "A_CONTAINS(a, b)",
]
NUMBERS = ["0", "-0", "1e400", "-1e400", "5e-324", "NaN", "inf", "1" + "0" * 40, "0x10", "1_0", ""]
GET_PATHS = [
    "/collections/clcplus-backbone-polygons/items",
    "/collections/clcplus-backbone/coverage",
    "/collections/clcplus-backbone/coverage/domainset",
    "/jobs",
    "/processes",
    "/collections",
]
PARAMS = [
    "limit",
    "bbox",
    "datetime",
    "filter",
    "filter-lang",
    "sortby",
    "properties",
    "crs",
    "bbox-crs",
    "subset",
    "scale-factor",
    "scale-size",
    "resolution",
    "width",
    "height",
    "f",
    "cursor",
    "minDuration",
    "status",
    "processID",
    "code",
    "area_m2",
]


def cql2_text(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 6 or roll < 0.3:
        return rng.choice(PROPERTIES + ATOMS)
    if roll < 0.4:
        return "(" * rng.choice([1, 5, 13, 40, 2000]) + cql2_text(rng, depth + 1)
    if roll < 0.45:
        return rng.choice([" OR ", " AND "]).join(["code = 1"] * rng.choice([10, 999, 20_000]))
    return cql2_text(rng, depth + 1) + rng.choice(OPERATORS) + cql2_text(rng, depth + 1)


def json_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 5 or roll < 0.35:
        return rng.choice(
            [1, -1, 1e308, 10**400, 0.5, "a", "\x00", "\ud800", None, True, False, "", [], {}]
        )
    if roll < 0.45:
        return {
            "type": rng.choice(["Polygon", "Point", "FeatureCollection", "Feature"]),
            "coordinates": json_value(rng, depth + 1),
            "features": [json_value(rng, depth + 1)],
        }
    if roll < 0.55:
        return {
            "op": rng.choice(["and", "or", "not", "=", "in", "s_intersects", "x"]),
            "args": [json_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3]))],
        }
    if roll < 0.75:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(PROPERTIES): json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True).replace("Infinity", "1e999")


def request(rng: random.Random, base: str) -> tuple[str, dict[str, Any]]:
    """(endpoint name, requests.request keyword arguments) of one hostile request."""
    items = f"{base}/collections/clcplus-backbone-polygons/items"
    kind = rng.choice(["get", "cql2-get", "cql2-post", "cql2-json", "geojson", "execute", "deep"])
    if kind == "get":
        path = rng.choice(GET_PATHS)
        params = {rng.choice(PARAMS): rng.choice([*NUMBERS, cql2_text(rng)]) for _ in range(3)}
        return path, {"method": "GET", "url": base + path, "params": params}
    if kind == "cql2-get":
        return "items GET filter", {
            "method": "GET",
            "url": items,
            "params": {"filter": cql2_text(rng)[:3000]},
        }
    if kind == "cql2-post":
        return "items POST cql2-text", {
            "method": "POST",
            "url": items,
            "data": cql2_text(rng).encode("utf-8", "surrogatepass"),
            "headers": {"Content-Type": "text/plain"},
        }
    if kind in ("cql2-json", "geojson"):
        media = "application/query-cql-json" if kind == "cql2-json" else "application/geo+json"
        return f"items POST {kind}", {
            "method": "POST",
            "url": items,
            "data": dumps(json_value(rng)),
            "headers": {"Content-Type": media},
        }
    if kind == "execute":
        process = rng.choice(["echo", "landcover-statistics", "extract", "vectorize", "nope"])
        body = {
            "inputs": json_value(rng),
            "subscriber": {
                "successUri": rng.choice(
                    ["http://127.0.0.1:1/", "http://169.254.169.254/", "x", "http://[::1]/"]
                )
            },
        }
        if rng.random() < 0.5:
            body = json_value(rng)
        return f"execute {process}", {
            "method": "POST",
            "data": dumps(body),
            "url": f"{base}/processes/{process}/execution",
            "headers": {"Content-Type": "application/json"},
        }
    depth = rng.choice([65, 1000, 100_000])
    return "deep JSON", {
        "method": "POST",
        "url": f"{base}/processes/echo/execution",
        "data": "[" * depth + "]" * depth,
        "headers": {"Content-Type": "application/json"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    settings = throwaway_settings()
    stack = Stack(settings, print)
    rng = random.Random(args.seed)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    problems: list[str] = []
    try:
        stack.up()
        base, log = settings.url, Path(settings.data_dir) / "logs" / "web.log"
        start, sent = time.monotonic(), 0
        session = requests.Session()
        while time.monotonic() - start < args.minutes * 60 and len(problems) < 20:
            name, kwargs = request(rng, base)
            try:
                r = session.request(timeout=120, **kwargs)
            except requests.RequestException as exc:  # a dropped connection: a dead worker
                problems.append(f"{name}: {exc}")
                counts[name]["dropped"] += 1
                continue
            sent += 1
            counts[name][f"{r.status_code // 100}xx"] += 1
            if r.status_code >= 500:
                problems.append(f"{name} {r.status_code}: {kwargs.get('params')} {r.text[:200]}")
            elif r.status_code >= 400 and not r.headers.get("Content-Type", "").startswith(
                "application/json"
            ):
                problems.append(f"{name} {r.status_code} not OGC JSON: {r.text[:200]}")
            if sent % 500 == 0:
                rate = sent / (time.monotonic() - start)
                print(f"{sent} requests, {rate:.0f}/s, {len(problems)} problems", flush=True)
        elapsed = time.monotonic() - start
        killed = [
            s
            for s in ("SIGSEGV", "Worker was sent", "WORKER TIMEOUT")
            if s in log.read_text(errors="replace")
        ]
        print(f"\n{sent} requests in {elapsed:.0f} s ({sent / elapsed:.1f}/s), seed {args.seed}")
        print(f"{'endpoint':32} {'2xx':>6} {'4xx':>6} {'5xx':>6} {'dropped':>8}")
        for name, c in sorted(counts.items()):
            print(f"{name:32} {c['2xx']:>6} {c['4xx']:>6} {c['5xx']:>6} {c['dropped']:>8}")
        print(f"gunicorn: {', '.join(killed) or 'no worker killed'}")
        for problem in problems:
            print("PROBLEM", problem)
        if problems or killed:
            raise SystemExit(1)
    finally:
        stack.stop()
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
