"""Coverage benchmark: one window per format, our endpoint vs raw read+encode vs stock pygeoapi.

    .venv/bin/python bench/coverages.py            # 20000 x 20000 px product (~1-2 min setup)
    .venv/bin/python bench/coverages.py --size 4000 --repeat 3

Builds a 10 m CLC+ Backbone-like product of ``size`` x ``size`` pixels with the generator,
ingests it into a store (kept in ``--workdir`` for the next run), then for a ``window`` x
``window`` window in each format times (median of ``repeat``):

- ``endpoint``: our Flask coverage route (parse, plan, read, encode; in process, no network);
- ``raw``: netCDF4 slice of the same window + the same encoder (the practical limit);
- ``stock``: pygeoapi's xarray provider on the same store (netCDF and CoverageJSON only).

and prints ratios, plus the process's peak RSS after one response at the pixel limit.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
import yaml
from flask import Flask

from landgrid.coverage import covjson, encode, reader
from landgrid.coverage.plan import make_plan
from landgrid.coverage.query import parse_query
from landgrid.coverage.routes import coverage_blueprint
from landgrid.generator import write_geotiff
from landgrid.products import Extent, load_products
from landgrid.rasterstore import create_store, ingest_year
from landgrid.settings import PROJECT_ROOT, Settings

PID = "bench-backbone"
YEAR = 2021


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def build(workdir: Path, size: int) -> tuple[Settings, object]:
    base = load_products(PROJECT_ROOT / "config" / "products")["clcplus-backbone"]
    e = base.extent
    extent = Extent(xmin=e.xmin, ymax=e.ymax, xmax=e.xmin + size * 10, ymin=e.ymax - size * 10)
    product = base.model_copy(update={"id": PID, "extent": extent, "years": [YEAR]})
    products_dir = workdir / "products-def"
    products_dir.mkdir(parents=True, exist_ok=True)
    (products_dir / f"{PID}.yml").write_text(yaml.safe_dump(product.model_dump(mode="json")))
    settings = Settings(data_dir=workdir, products_dir=products_dir, coverage_max_pixels=16_777_216)
    store = settings.products_data_dir / f"{PID}.nc"
    if not store.exists():
        tif = workdir / f"{PID}.tif"
        t = time.perf_counter()
        write_geotiff(tif, product, YEAR, 2018, size, size, workers=2)
        create_store(product, store)
        ingest_year(product, store, tif, YEAR)
        tif.unlink()
        print(f"built {size} x {size} store in {time.perf_counter() - t:.0f} s: {store}")
    return settings, product


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--window", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "landgrid-bench-coverages"
    )
    args = ap.parse_args()
    settings, product = build(args.workdir, args.size)
    store = settings.products_data_dir / f"{PID}.nc"
    app = Flask("bench")
    app.register_blueprint(coverage_blueprint(settings))
    client = app.test_client()
    # a window in the middle of the product, aligned on pixels
    x0 = product.extent.xmin + (args.size // 2) * 10
    y1 = product.extent.ymax - (args.size // 2) * 10
    w = args.window * 10
    subset = f"X({x0}:{x0 + w}),Y({y1 - w}:{y1})"
    plan = make_plan(product, reader.years(store), parse_query({"subset": [subset]}), 10**9)
    r0, r1, c0, c1 = plan.window
    nc = netCDF4.Dataset(store)
    nc.set_auto_maskandscale(False)

    def raw_read() -> np.ndarray:
        return np.asarray(nc["land_cover"][0:1, r0:r1, c0:c1])

    fast_json: Callable[[np.ndarray], bytes]
    try:
        import orjson

        def fast_json(a: np.ndarray) -> bytes:
            return orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)
    except ImportError:  # orjson comes with Prefect; our own encoder otherwise

        def fast_json(a: np.ndarray) -> bytes:
            return covjson.values_json(a, 255)

    raw = {
        "tif": lambda: encode.geotiff(raw_read(), plan),
        "nc": lambda: encode.netcdf(raw_read(), plan),
        "covjson": lambda: fast_json(raw_read()),
        "png": lambda: encode.png(raw_read(), plan),
    }
    stock = _stock(store, x0, y1, w)
    print(
        f"\nwindow {args.window} x {args.window} px of a {args.size} x {args.size} product, "
        f"median of {args.repeat}"
    )
    print(
        f"{'format':8} {'endpoint':>10} {'raw':>10} {'ratio':>7} {'stock':>10} {'stock/ours':>11}"
    )
    for name, raw_fn in raw.items():

        def endpoint(name: str = name) -> None:
            r = client.get(
                f"/collections/{PID}/coverage", query_string={"subset": subset, "f": name}
            )
            assert r.status_code == 200, r.get_data(as_text=True)[:300]

        ours = _median(endpoint, args.repeat)
        base = _median(raw_fn, args.repeat)
        line = f"{name:8} {ours * 1000:9.0f}ms {base * 1000:9.0f}ms {ours / base:6.2f}x"
        if name in stock:
            s = stock[name]
            line += f" {s * 1000:9.0f}ms {s / ours:10.1f}x" if isinstance(s, float) else f"  {s}"
        print(line)
    side = int(settings.coverage_max_pixels**0.5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = client.get(
        f"/collections/{PID}/coverage",
        query_string={
            "f": "covjson",
            "subset": f"X({x0}:{x0 + side * 10})",
            "width": str(side),
            "height": str(side),
        },
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"\nlimit-size response ({side} x {side} px CoverageJSON, status {r.status_code}, "
        f"{len(r.get_data()) / 1e6:.0f} MB): peak RSS {peak / 1024:.0f} MB "
        f"(was {before / 1024:.0f} MB before it)"
    )


def _stock(store: Path, x0: float, y1: float, w: float) -> dict[str, float | str]:
    """pygeoapi 0.24's xarray provider on the same store, same window."""
    out: dict[str, float | str] = {}
    try:
        from pygeoapi.provider.xarray_ import XarrayProvider

        provider = XarrayProvider(
            {
                "name": "xarray",
                "type": "coverage",
                "data": str(store),
                "x_field": "x",
                "y_field": "y",
                "time_field": "time",
                "format": {"name": "netcdf", "mimetype": "application/x-netcdf"},
            }
        )
    except Exception as e:  # report, do not abort the benchmark
        return {"nc": f"failed: {e}"[:60], "covjson": f"failed: {e}"[:60]}
    subsets = {"x": [x0, x0 + w], "y": [y1 - w, y1]}
    for name, fmt in (("nc", "netcdf"), ("covjson", "json")):
        try:

            def run(fmt: str = fmt) -> None:
                result = provider.query(subsets=subsets, format_=fmt)
                if fmt == "json":
                    json.dumps(result)

            out[name] = _median(run, 1 if name == "covjson" else 3)
        except Exception as e:  # report, do not abort the benchmark
            out[name] = f"failed: {type(e).__name__}: {e}"[:80]
    return out


if __name__ == "__main__":
    main()
