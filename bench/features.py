"""Features benchmark on a 1,000,000-polygon table: ours vs stock pygeoapi vs raw SQL.

    .venv/bin/python bench/features.py [--side 1000] [--repeat 15]

Builds (once per run, in a throwaway stack) a table of side x side 100 m squares in
EPSG:3035 whose class codes come from our land-cover generator (1000 x 1000 = 1,000,000
polygons), serves it through our stack (gunicorn, 2 workers x 4 threads) and through stock
pygeoapi's PostgreSQL provider under the same gunicorn settings, and times, per query:

- ``ours``: our /items endpoint (DB-built GeoJSON, keyset cursor for the deep page; a
  first page also counts up to ``LANDGRID_FEATURES_COUNT_BOUND`` matches for
  ``numberMatched``), and the same with ``count=false`` (no count), to show that cost;
- ``stock``: pygeoapi 0.24's PostgreSQL provider with its defaults (OFFSET paging, count);
- ``raw``: the single SQL statement that produces the same GeoJSON page (the practical limit),
  run in this process;
- ``raw+http``: that statement behind HTTP: a bare WSGI app (``bench/raw_wsgi.py``) under
  the same gunicorn settings, one autocommit connection per thread.

It also prints the HTTP floor (the bare app returning a constant, and our whole request
path without a query: ``limit=0``, answered 400), so ``ours/raw`` can be read: on small
pages most of our time is that floor, which no query avoids. HTTP clients keep alive.

Prints medians, requests/s and ratios. Compare ratios; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import requests
import yaml
from harness import serve_stock_pygeoapi, throwaway_settings, timed_together, wait_http

from landgrid.db import engine
from landgrid.features.cursor import encode
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.ops.generator import generate_year
from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack
from landgrid.settings import Settings

TABLE = "bench_squares"
X0, Y0, SIZE = 4_300_000, 2_700_000, 100  # top-left corner and square size, EPSG:3035
DEEP = 0.9  # the deep page starts at 90 % of the table


def build_table(url: str, side: int) -> None:
    codes = generate_year(2021, 7, side, side, scale=0.1)
    buffer = io.StringIO()
    for row in range(side):
        buffer.write(
            "".join(
                f"{row * side + col + 1}\t{row}\t{col}\t{codes[row, col]}\n" for col in range(side)
            )
        )
    buffer.seek(0)
    with engine(url).begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        conn.exec_driver_sql("CREATE TEMP TABLE cells (id int, r int, c int, code smallint)")
        conn.connection.dbapi_connection.cursor().copy_expert("COPY cells FROM STDIN", buffer)
        conn.exec_driver_sql(
            f"CREATE TABLE {TABLE} AS SELECT id::bigint AS id, code,"
            " (ARRAY['sealed','needle','broadleaf','evergreen','shrubs','grass','crops',"
            "'lichens','sparse','water','snow'])[code] AS label,"
            f" ST_Multi(ST_MakeEnvelope({X0} + c * {SIZE}, {Y0} - (r + 1) * {SIZE},"
            f" {X0} + (c + 1) * {SIZE}, {Y0} - r * {SIZE}, 3035))::geometry(MultiPolygon, 3035)"
            " AS geom FROM cells"
        )
        conn.exec_driver_sql(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        conn.exec_driver_sql(f"CREATE INDEX ON {TABLE} USING gist (geom)")
        conn.exec_driver_sql(f"CREATE INDEX ON {TABLE} (code)")
    with engine(url).connect() as conn:
        autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql(f"VACUUM ANALYZE {TABLE}")


def stock_server(stack: Stack, settings: Settings, port: int) -> None:
    """pygeoapi's own app with its PostgreSQL provider on the same table."""
    env = stack.env
    config = yaml.safe_load(settings.pygeoapi_config.read_text())
    config["server"]["url"] = f"http://127.0.0.1:{port}"
    config["server"].pop("manager", None)
    config["resources"] = {
        TABLE: {
            "type": "collection",
            "title": TABLE,
            "description": TABLE,
            "keywords": [],
            "extents": {"spatial": {"bbox": [-180, -90, 180, 90]}},
            "providers": [
                {
                    "type": "feature",
                    "name": "PostgreSQL",
                    "id_field": "id",
                    "table": TABLE,
                    "geom_field": "geom",
                    "storage_crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
                    "always_xy": True,
                    "data": {
                        "host": env["PGHOST"],
                        "port": env["PGPORT"],
                        "dbname": env["PGDATABASE"],
                        "user": env["PGUSER"],
                        "password": env["PGPASSWORD"],
                    },
                }
            ],
        }
    }
    serve_stock_pygeoapi(stack, settings, config, port)


def raw_server(stack: Stack, port: int, statements: list[str]) -> None:
    """``bench/raw_wsgi.py`` under gunicorn with our web app's settings."""
    sql_path = stack.settings.data_dir / "raw-sql.json"
    sql_path.write_text(json.dumps(statements))
    s = stack.settings
    stack.spawn(
        "raw-web",
        [
            str(stack.bin / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(s.web_workers),
            "--threads",
            str(s.web_threads),
            "--access-logfile",
            "-",
            "--pythonpath",
            str(Path(__file__).resolve().parent),
            "raw_wsgi:app",
        ],
        extra_env={"BENCH_SQL": str(sql_path)},
    )
    wait_http(f"http://127.0.0.1:{port}/floor", "the raw WSGI app")


def raw_sql(limit: int, where: str = "TRUE", order_from: int | None = None) -> str:
    keyset = f"id > {order_from}" if order_from is not None else "TRUE"
    return (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f),"
        " '[]'::json))::text FROM (SELECT json_build_object('type', 'Feature', 'id', id,"
        " 'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 9)::json, 'properties',"
        " json_build_object('code', code, 'label', label)) AS f"
        f" FROM {TABLE} WHERE {where} AND {keyset} ORDER BY id LIMIT {limit}) s"
    )


def timed(fn, repeat: int) -> float:
    return timed_together([fn], repeat)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    total = args.side**2
    settings = throwaway_settings()
    base_dir = settings.data_dir.parent
    stock_port, raw_port = free_port(), free_port()
    stack = Stack(settings, lambda m: print(f"  {m}"))
    try:
        stack.start_database()
        print(f"building {total:,} polygons ...")
        started = time.perf_counter()
        build_table(settings.db_url(), args.side)
        print(f"  built in {time.perf_counter() - started:.0f} s")
        write_vector_product(
            VectorProduct(id=TABLE, title=TABLE, table=TABLE, storage_crs="EPSG:3035"),
            settings.data_dir / "vector-products",
        )
        stack.up()
        stock_server(stack, settings, stock_port)
        ours = f"{settings.url}/collections/{TABLE}/items"
        stock = f"http://127.0.0.1:{stock_port}/collections/{TABLE}/items"
        db = engine(settings.db_url())
        deep_id = int(total * DEEP)
        # a bbox of 5 x 5 km inside the table, in CRS84
        bbox = "9.77,47.30,9.83,47.34"
        box = (
            "ST_Intersects(geom, ST_Transform(ST_MakeEnvelope(9.77, 47.30, 9.83, 47.34,"
            " 4326), 3035))"
        )
        cases = [
            ("limit=100", {"limit": 100}, {"limit": 100}, raw_sql(100)),
            ("limit=1000", {"limit": 1000}, {"limit": 1000}, raw_sql(1000)),
            (
                "bbox, limit=1000",
                {"limit": 1000, "bbox": bbox},
                {"limit": 1000, "bbox": bbox},
                raw_sql(1000, box),
            ),
            (
                "CQL2 code=3, limit=100",
                {"limit": 100, "filter": "code=3"},
                {"limit": 100, "filter": "code=3"},
                raw_sql(100, "code = 3"),
            ),
            (
                f"deep page ({DEEP:.0%}), limit=100",
                {"limit": 100, "cursor": encode("n", [deep_id])},
                {"limit": 100, "offset": deep_id},
                raw_sql(100, order_from=deep_id),
            ),
        ]
        raw_server(stack, raw_port, [sql for *_, sql in cases])
        raw_http = f"http://127.0.0.1:{raw_port}"
        ours_http, stock_http, bare_http = (requests.Session() for _ in range(3))

        def get(session: requests.Session, url: str, params: dict | None = None) -> None:
            session.get(url, params=params, timeout=300).raise_for_status()

        # our whole request path (auth hook, routing, parsing, OGC exception) but no query
        floor, our_floor = timed_together(
            [
                lambda: get(bare_http, f"{raw_http}/floor"),
                lambda: ours_http.get(ours, params={"limit": 0}, timeout=60),
            ],
            args.repeat * 4,
        )
        print(
            f"\nHTTP floor: bare WSGI app under the same gunicorn {floor * 1e3:.1f} ms;"
            f" our app without a query (limit=0 -> 400) {our_floor * 1e3:.1f} ms"
        )
        print(
            f"\n{'query':32}{'ours ms':>9}{'stock ms':>10}{'raw ms':>8}{'raw+http':>10}"
            f"{'ours/raw':>10}{'ours/raw+http':>15}{'stock/ours':>11}{'ours req/s':>11}"
            f"{'count=false':>12}"
        )
        for index, (name, ours_params, stock_params, sql) in enumerate(cases):
            theirs = timed(
                lambda p=stock_params: get(stock_http, stock, p), max(3, args.repeat // 3)
            )
            with db.connect() as conn:
                mine, raw, over_http, uncounted = timed_together(
                    [
                        lambda p=ours_params: get(ours_http, ours, p),
                        lambda s=sql: conn.exec_driver_sql(s).scalar(),
                        lambda i=index: get(bare_http, f"{raw_http}/raw/{i}"),
                        lambda p=ours_params: get(ours_http, ours, {**p, "count": "false"}),
                    ],
                    args.repeat,
                )
            print(
                f"{name:32}{mine * 1e3:9.1f}{theirs * 1e3:10.1f}{raw * 1e3:8.1f}"
                f"{over_http * 1e3:10.1f}{mine / raw:10.2f}{mine / over_http:15.2f}"
                f"{theirs / mine:11.1f}{1 / mine:11.0f}{uncounted * 1e3:12.1f}"
            )
        first, deep = timed_together(
            [lambda: get(ours_http, ours, cases[0][1]), lambda: get(ours_http, ours, cases[-1][1])],
            args.repeat * 2,
        )
        print(f"\ndeep page / first page (ours): {deep / first:.2f} (goal <= 1.2)")
    finally:
        stack.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
