"""Catalogue benchmark at 10,000 records: STAC item search and Records search vs raw SQL.

    .venv/bin/python bench/catalogue.py [--records 10000] [--repeat 31]

Starts a throwaway stack (demo products), adds ``--records`` synthetic STAC items/records
(copies of a real product-year row spread over Europe and 25 years) to the catalogue
table, then times the same query (bbox + datetime + CQL2 filter, 100 per page) as:

- ``stac``: ``GET /stac/search`` on our app (Features engine: parsing, CQL2, keyset page);
- ``records``: ``GET /collections/catalogue/items`` with the same parameters;
- ``raw``: the single SQL statement that returns the same page, run in this process;
- ``raw+http``: that statement behind HTTP (``bench/raw_wsgi.py`` under the same gunicorn).

Contenders take turns, round after round; prints medians and ratios (goal: ours within
1.5x of raw+http).
"""

from __future__ import annotations

import argparse
import shutil

import requests
from features import raw_server, timed_together
from harness import throwaway_settings

from landgrid.db import engine
from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack

BBOX = "0,40,10,50"
DATETIME = "2010-01-01T00:00:00Z/2015-12-31T23:59:59Z"
FILTER = "year >= 2012 AND license = 'CC-BY-4.0'"
RAW = (
    'SELECT \'{{"type":"FeatureCollection","features":[\' || coalesce(string_agg({doc}::text,'
    " ',' ORDER BY id), '') || ']}}' FROM (SELECT id, {doc} FROM catalogue_records WHERE {kind}"
    " AND ST_Intersects(geom, ST_MakeEnvelope(0, 40, 10, 50, 4326))"
    " AND time_end >= '2010-01-01T00:00:00Z' AND time_start <= '2015-12-31T23:59:59Z'"
    " AND year >= 2012 AND license = 'CC-BY-4.0' ORDER BY id LIMIT 100) s"
)


def add_records(url: str, count: int) -> None:
    """``count`` rows like the demo's 2021 item, each with its own id, box and year."""
    with engine(url).begin() as conn:
        conn.exec_driver_sql("DELETE FROM catalogue_records WHERE source = 'bench'")
        conn.exec_driver_sql(
            "INSERT INTO catalogue_records (id, source, type, title, description, keywords,"
            " product, year, license, time_start, time_end, geom, collection, search,"
            " stac_kind, stac_collection, record, stac, stamp)"
            " SELECT 'bench-' || lpad(i::text, 6, '0'), 'bench', 'dataset', 'bench ' || i,"
            " t.description, t.keywords, t.product, 1995 + mod(i, 25), t.license,"
            " make_timestamptz(1995 + mod(i, 25), 1, 1, 0, 0, 0, 'UTC'),"
            " make_timestamptz(1995 + mod(i, 25), 12, 31, 23, 59, 59, 'UTC'),"
            " ST_MakeEnvelope(-10 + mod(i, 100) * 0.4, 35 + (i / 100) * 0.3,"
            " -9.8 + mod(i, 100) * 0.4, 35.2 + (i / 100) * 0.3, 4326), t.collection, t.search,"
            " 'item', t.stac_collection,"
            " t.record || jsonb_build_object('id', 'bench-' || lpad(i::text, 6, '0')),"
            " t.stac || jsonb_build_object('id', 'bench-' || lpad(i::text, 6, '0')), 'bench'"
            f" FROM generate_series(1, {count}) i,"
            " (SELECT * FROM catalogue_records WHERE id = 'clcplus-backbone-2021') t"
        )
        conn.exec_driver_sql("ANALYZE catalogue_records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=31)
    args = parser.parse_args()
    settings = throwaway_settings()
    base_dir = settings.data_dir.parent
    stack = Stack(settings, lambda m: print(f"  {m}"))
    raw_port = free_port()
    try:
        stack.up()
        sessions = [requests.Session() for _ in range(3)]
        sessions[0].get(f"{settings.url}/stac/search", timeout=60).raise_for_status()  # refresh
        add_records(settings.db_url(), args.records)
        params = {"bbox": BBOX, "datetime": DATETIME, "filter": FILTER, "limit": "100"}
        statements = [
            RAW.format(doc="stac", kind="stac_kind = 'item'"),
            RAW.format(doc="record", kind="record IS NOT NULL"),
        ]
        raw_server(stack, raw_port, statements)
        raw_http = f"http://127.0.0.1:{raw_port}"
        db = engine(settings.db_url())
        ours = {
            "stac": f"{settings.url}/stac/search",
            "records": f"{settings.url}/collections/catalogue/items",
        }

        def get(session: requests.Session, url: str, p: dict | None = None) -> int:
            r = session.get(url, params=p, timeout=60)
            r.raise_for_status()
            return len(r.json()["features"])

        returned = get(sessions[0], ours["stac"], params)
        assert returned == get(sessions[2], f"{raw_http}/raw/0") == 100, returned
        print(f"\n{args.records:,} records; bbox + datetime + CQL2 filter, 100 per page")
        print(f"{'api':10}{'ours ms':>9}{'raw ms':>8}{'raw+http':>10}{'ours/raw+http':>15}")
        for index, (name, url) in enumerate(ours.items()):
            with db.connect() as conn:
                mine, raw, over_http = timed_together(
                    [
                        lambda u=url: get(sessions[0], u, params),
                        lambda s=statements[index]: conn.exec_driver_sql(s).scalar(),
                        lambda i=index: get(sessions[2], f"{raw_http}/raw/{i}"),
                    ],
                    args.repeat,
                )
            print(
                f"{name:10}{mine * 1e3:9.1f}{raw * 1e3:8.1f}{over_http * 1e3:10.1f}"
                f"{mine / over_http:15.2f}"
            )
    finally:
        stack.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
