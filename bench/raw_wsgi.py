"""A bare WSGI app for ``bench/features.py`` and ``bench/tiles.py``: the HTTP floor, and raw
SQL over HTTP.

Served by gunicorn with our web app's settings, it shows what any Python server pays per
request before doing anything (``/floor``: a constant body) and what the raw SQL of each
benchmark case costs once behind HTTP (``/raw/<n>``: one psycopg2 connection per thread,
autocommit, the statement's single text or bytea column as the body). Connection settings come from
libpq's ``PG*`` variables; the statements from the JSON list in ``BENCH_SQL``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg2

_local = threading.local()
_SQL: list[str] = json.loads(Path(os.environ["BENCH_SQL"]).read_text())
FLOOR = b'{"type":"FeatureCollection","features":[]}'


def _cursor():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg2.connect("")
        conn.autocommit = True
    return conn.cursor()


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/floor":
        body = FLOOR
    else:
        index = path.removeprefix("/raw/")
        if not index.isdigit() or int(index) >= len(_SQL):
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        with _cursor() as cur:
            cur.execute(_SQL[int(index)])
            value = cur.fetchone()[0]
        if isinstance(value, memoryview | bytes):  # a bytea column: a binary body (MVT)
            body = bytes(value)
            media = "application/vnd.mapbox-vector-tile"
            start_response("200 OK", [("Content-Type", media), ("Content-Length", str(len(body)))])
            return [body]
        body = value.encode()
    start_response(
        "200 OK", [("Content-Type", "application/geo+json"), ("Content-Length", str(len(body)))]
    )
    return [body]
