"""Coverage benchmark: one window per format, our endpoint vs raw read+encode vs stock pygeoapi.

    .venv/bin/python bench/coverages.py            # 20000 x 20000 px product (~1-2 min setup)
    .venv/bin/python bench/coverages.py --size 4000 --repeat 3

Builds a 10 m CLC+ Backbone-like product of ``size`` x ``size`` pixels with the generator,
ingests it into a store (kept in ``--workdir`` for the next run), then for a ``window`` x
``window`` window in each format times (medians of ``repeat`` rounds in which the
contenders take turns, so that a loaded machine slows them alike):

- ``endpoint``: our Flask coverage route (parse, plan, read, encode; in process, no network);
- ``raw``: netCDF4 slice of the same window + the same encoder (the practical limit; for
  CoverageJSON, orjson of the uint8 array: a JSON encoder with no legend nor nulls);
- ``stock``: pygeoapi's xarray provider on the same store (netCDF and CoverageJSON only).

and prints ratios; the whole product as a 1024 px PNG (the HTML preview) vs GDAL's
decimated read + the same encoder; then the peak memory of one response at the pixel limit,
per format, for a native window and a resampled one, both in this process and in a gunicorn
worker serving the same routes over HTTP (peak RSS from ``/proc/<pid>/status`` ``VmHWM``,
reset before each request through ``clear_refs``; Linux only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import netCDF4
import numpy as np
import orjson
import rasterio
import requests
import yaml
from flask import Flask
from harness import timed_together
from rasterio.enums import Resampling

from landgrid.catalog import Catalog
from landgrid.coverage import encode, reader
from landgrid.coverage.plan import make_plan
from landgrid.coverage.query import parse_query
from landgrid.ops.generator import write_geotiff
from landgrid.ops.pgcluster import free_port
from landgrid.raster.product import Extent, load_products
from landgrid.raster.store import create_store, ingest_year
from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.coverages import coverage_blueprint

PID = "bench-backbone"
YEAR = 2021
MAX_PIXELS = 16_777_216


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
    settings = Settings(data_dir=workdir, products_dir=products_dir, coverage_max_pixels=MAX_PIXELS)
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
    ap.add_argument("--memory-only", action="store_true", help="only the peak memory part")
    ap.add_argument("--probe", help=argparse.SUPPRESS)  # one peak measurement (subprocess)
    args = ap.parse_args()
    settings, product = build(args.workdir, args.size)
    store = settings.products_data_dir / f"{PID}.nc"
    app = Flask("bench")
    app.register_blueprint(coverage_blueprint(settings.url, Catalog(settings), MAX_PIXELS))
    client = app.test_client()
    # a window in the middle of the product, aligned on pixels
    x0 = product.extent.xmin + (args.size // 2) * 10
    y1 = product.extent.ymax - (args.size // 2) * 10
    if args.probe:
        return _probe(settings, client, args.probe, x0, y1)
    if args.memory_only:
        return _peaks(settings, args, x0, y1)
    w = args.window * 10
    subset = f"X({x0}:{x0 + w}),Y({y1 - w}:{y1})"
    plan = make_plan(product, reader.years(store), parse_query({"subset": [subset]}), 10**9)
    r0, r1, c0, c1 = plan.window
    nc = netCDF4.Dataset(store)
    nc.set_auto_maskandscale(False)

    def raw_read() -> np.ndarray:
        return np.asarray(nc["land_cover"][0:1, r0:r1, c0:c1])

    def fast_json(a: np.ndarray) -> bytes:
        return orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)

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
            for _ in r.iter_encoded():  # a streamed body is produced only when read
                pass

        ours, base = timed_together([endpoint, raw_fn], args.repeat)
        line = f"{name:8} {ours * 1000:9.0f}ms {base * 1000:9.0f}ms {ours / base:6.2f}x"
        if name in stock:
            s = stock[name]
            line += f" {s * 1000:9.0f}ms {s / ours:10.1f}x" if isinstance(s, float) else f"  {s}"
        print(line)
    _overview(settings, product, client, min(args.repeat, 3))
    _peaks(settings, args, x0, y1)


def _overview(settings: Settings, product, client, repeat: int) -> None:
    """The whole product as a 1024 px wide PNG (the HTML page's preview) vs GDAL's
    decimated read of the same store (nearest) + the same PNG encoder."""
    store = settings.products_data_dir / f"{PID}.nc"
    params = {"f": "png", "width": "1024", "datetime": str(YEAR)}
    plan = make_plan(
        product, reader.years(store), parse_query({k: [v] for k, v in params.items()}), 10**9
    )

    def endpoint() -> None:
        r = client.get(f"/collections/{PID}/coverage", query_string=params)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]

    def raw() -> None:
        with rasterio.open(f"netcdf:{store}:land_cover") as src:
            shape = (plan.grid.height, plan.grid.width)
            data = src.read(1, out_shape=shape, resampling=Resampling.nearest)
        encode.png(data[None], plan)

    ours, base = timed_together([endpoint, raw], repeat)
    print(
        f"{'overview':8} {ours * 1000:9.0f}ms {base * 1000:9.0f}ms {ours / base:6.2f}x"
        f"   (whole product as a {plan.grid.width} px PNG; raw = GDAL decimated read)"
    )


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int | str) -> int:
    """Reset the process's peak RSS (VmHWM) to its current RSS; returns that, in kB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_kb(pid, "VmRSS")


def _limit_requests(settings: Settings, x0: float, y1: float) -> dict[str, dict[str, str]]:
    """The largest allowed request of each kind: a native window and a resampled one."""
    side = int(settings.coverage_max_pixels**0.5)
    w = side * 10
    native = {"subset": f"X({x0 - w / 2}:{x0 + w / 2}),Y({y1 - w / 2}:{y1 + w / 2})"}
    resampled = {
        "subset": f"X({x0 - w}:{x0 + w}),Y({y1 - w}:{y1 + w})",
        "width": str(side),
        "height": str(side),
    }
    return {
        f"{name} {kind}": {**params, "f": name}
        for name in ("tif", "nc", "covjson", "png")
        for kind, params in (("window", native), ("resampled", resampled))
    }


def _peaks(settings: Settings, args: argparse.Namespace, x0: float, y1: float) -> None:
    """Peak RSS of one limit-size response over the RSS just before it, each in a fresh
    process that served one small request of the same format first (imports, GDAL drivers):
    our routes in process (Flask test client, body consumed chunk by chunk) and a gunicorn
    worker over HTTP."""
    side = int(settings.coverage_max_pixels**0.5)
    print(
        f"\npeak memory of one limit-size response ({side} x {side} px = "
        f"{settings.coverage_max_pixels / 1e6:.1f} Mpx), MB above the RSS before it"
    )
    print(f"{'request':20} {'body':>7} {'in-process':>11} {'gunicorn':>9} {'bytes/px':>9}")
    for label, params in _limit_requests(settings, x0, y1).items():
        probe = [sys.executable, __file__, "--workdir", str(args.workdir), "--size"]
        out = subprocess.run(
            [*probe, str(args.size), "--probe", label], check=True, capture_output=True, text=True
        ).stdout.split()
        local, size = int(out[-2]), int(out[-1])
        with _server(settings) as (url, worker):
            _get_http(url, {**params, "subset": _small(x0, y1)})
            base = _reset_peak(worker)
            _get_http(url, params)
            served = _status_kb(worker, "VmHWM") - base
        print(
            f"{label:20} {size / 1e6:5.0f}MB {local / 1024:9.0f}MB {served / 1024:7.0f}MB "
            f"{served * 1024 / settings.coverage_max_pixels:9.1f}"
        )


def _small(x0: float, y1: float) -> str:
    return f"X({x0}:{x0 + 1000}),Y({y1 - 1000}:{y1})"


def _get_http(url: str, params: dict[str, str]) -> None:
    with requests.get(f"{url}/collections/{PID}/coverage", params=params, stream=True) as r:
        assert r.status_code == 200, r.text[:300]
        for _ in r.iter_content(1 << 20):
            pass


def _probe(settings: Settings, client, label: str, x0: float, y1: float) -> None:
    """One limit-size request in this (fresh) process: prints peak kB over RSS, body bytes."""
    params = _limit_requests(settings, x0, y1)[label]
    client.get(f"/collections/{PID}/coverage", query_string={**params, "subset": _small(x0, y1)})
    base = _reset_peak("self")
    r = client.get(f"/collections/{PID}/coverage", query_string=params)
    size = sum(len(chunk) for chunk in r.iter_encoded())
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    print(_status_kb("self", "VmHWM") - base, size)


@contextmanager
def _server(settings: Settings) -> Iterator[tuple[str, int]]:
    """gunicorn (one worker, the stack's thread count) serving the coverage routes."""
    port = free_port()
    env = {
        **os.environ,
        "LANDGRID_DATA_DIR": str(settings.data_dir),
        "LANDGRID_PRODUCTS_DIR": str(settings.products_dir),
        "LANDGRID_COVERAGE_MAX_PIXELS": str(settings.coverage_max_pixels),
    }
    args = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", "1", "--threads", str(settings.web_threads), "--timeout", "300"]
    args += ["--pythonpath", str(Path(__file__).parent), "coverages:server_app()"]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                requests.get(f"{url}/collections/{PID}/coverage/rangetype", timeout=30)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        yield url, int(children[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def server_app() -> Flask:
    """The coverage routes alone, configured from ``LANDGRID_*`` (what ``_server`` runs)."""
    settings = Settings()
    app = Flask("bench")
    app.register_blueprint(
        coverage_blueprint(settings.url, Catalog(settings), settings.coverage_max_pixels)
    )
    return app


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
