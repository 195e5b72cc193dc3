"""Tiles benchmark: map tiles and vector tiles, ours vs the raw read+encode vs titiler/tipg.

    .venv/bin/python bench/tiles.py [--size 8000] [--side 300] [--rounds 15] [--no-others]

Builds, in a throwaway stack (PostgreSQL + our web app under gunicorn, 2 workers x 4
threads), a 10 m land-cover product of ``size`` x ``size`` px whose entropy is that of
real land cover (the generator's classes with ``--speckle`` of the pixels set to a random
class: it prints the DEFLATE bytes per pixel of the real CORINE layer beside the bench
data's), ingested with its COG pyramid; and a table of ``side`` x ``side`` 100 m squares
classed by the generator. Then, contenders timed in turn, round after round (medians):

- map tiles (PNG, WebMercatorQuad) at zooms 6-14, in process: our route (Flask, the
  pyramid, the palette PNG) vs rio-tiler reading the same COG (nearest) + the same PNG
  encoder (the practical limit); then over HTTP: ours vs titiler (its ``/cog`` tiles with
  the legend as colormap), each under gunicorn with 2 workers;
- the cost of a zoom-6 tile against a zoom-14 one (bounded cost at every zoom);
- 20 concurrent clients against ours: throughput and p95 vs one client (goal: >= 80 % of
  cores x one client's throughput, p95 < 4x one client's p50, no error);
- vector tiles (MVT) over HTTP: ours vs the raw ``ST_AsMVT`` statement behind the same
  HTTP floor (``bench/raw_wsgi.py`` under the same gunicorn) vs tipg.

titiler and tipg are installed, when they are not importable here, into a separate
virtualenv under ``--workdir`` (with uv, from the package index), and skipped with the
reason when that fails. Compare ratios: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import morecantile
import numpy as np
import rasterio
import requests
import yaml
from features import build_table, raw_server
from harness import throwaway_settings, timed_together, wait_http
from sqlalchemy.engine import make_url

from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.ops.generator import write_geotiff
from landgrid.ops.migrate import upgrade
from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack
from landgrid.raster.cogs import cog_path
from landgrid.raster.product import Extent, load_products
from landgrid.raster.store import create_store, ingest_year
from landgrid.settings import PROJECT_ROOT
from landgrid.tiles.render import Background, Palette, palette_png, rgba_table
from landgrid.web.app import create_app

PID, YEAR = "bench-tiles", 2021
TABLE = "bench_squares"
WEB = morecantile.tms.get("WebMercatorQuad")
ZOOMS = range(6, 15)
CLIENTS = 20
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "lausanne-clc" / "ls100_12.tif"


def bytes_per_pixel(codes: np.ndarray) -> float:
    return len(zlib.compress(codes.tobytes(), 6)) / codes.size


def build_raster(settings, size: int, speckle: float):
    """The product definition (in ``settings.products_dir``) and its store with COGs."""
    base = load_products(PROJECT_ROOT / "config" / "products")["clcplus-backbone"]
    e = base.extent
    extent = Extent(xmin=e.xmin, ymax=e.ymax, xmax=e.xmin + size * 10, ymin=e.ymax - size * 10)
    product = base.model_copy(update={"id": PID, "extent": extent, "years": [YEAR]})
    settings.products_dir.mkdir(parents=True, exist_ok=True)
    (settings.products_dir / f"{PID}.yml").write_text(
        yaml.safe_dump(product.model_dump(mode="json"))
    )
    tif = settings.data_dir / f"{PID}.tif"
    started = time.perf_counter()
    write_geotiff(tif, product, YEAR, 2018, size, size, workers=2)
    rng = np.random.default_rng(7)
    codes = [c.code for c in product.legend if c.code < 250]
    with rasterio.open(tif, "r+") as ds:
        for _, window in ds.block_windows(1):
            block = ds.read(1, window=window)
            hit = rng.random(block.shape) < speckle
            block[hit] = rng.choice(codes, int(hit.sum()))
            ds.write(block, 1, window=window)
        sample = ds.read(1, window=((0, min(size, 2000)), (0, min(size, 2000))))
    store = settings.products_data_dir / f"{PID}.nc"
    create_store(product, store)
    ingest_year(product, store, tif, YEAR)
    tif.unlink()
    print(f"  built {size} x {size} px store + COG in {time.perf_counter() - started:.0f} s")
    real = ""
    if REAL.exists():
        with rasterio.open(REAL) as src:
            real = f"; real CORINE (Lausanne, 100 m) {bytes_per_pixel(src.read(1)):.3f}"
    print(f"  entropy: DEFLATE {bytes_per_pixel(sample):.3f} B/px{real}")
    return product, store


def sample_tiles(product, per_zoom: int = 6) -> dict[int, list[morecantile.Tile]]:
    """Tiles of each zoom inside the product (CRS84 box of its middle half)."""
    from pyproj import Transformer

    b = product.bounds
    w, h = b[2] - b[0], b[3] - b[1]
    inner = (b[0] + w / 4, b[1] + h / 4, b[2] - w / 4, b[3] - h / 4)
    lon0, lat0, lon1, lat1 = Transformer.from_crs(
        product.crs, "EPSG:4326", always_xy=True
    ).transform_bounds(*inner)
    rng = np.random.default_rng(3)
    out = {}
    for z in ZOOMS:
        tiles = list(WEB.tiles(lon0, lat0, lon1, lat1, [z]))
        picks = rng.choice(len(tiles), min(per_zoom, len(tiles)), replace=False)
        out[z] = [tiles[i] for i in picks]
    return out


def map_tiles_in_process(settings, product, store, tiles, rounds: int) -> None:
    from rio_tiler.io import Reader

    client = create_app(settings).test_client()
    table = rgba_table(Palette.of(product), Background())
    cog = cog_path(store, YEAR)
    reader = Reader(str(cog))
    print(f"\nmap tiles, PNG, in process (median of {rounds} rounds x {len(tiles[6])} tiles)")
    print(f"{'zoom':>4} {'ours ms':>9} {'rio-tiler+enc ms':>17} {'ours/raw':>9}")
    per_zoom = {}
    for z, zoom_tiles in tiles.items():
        state = {"i": 0, "j": 0}

        def ours(zoom_tiles=zoom_tiles, state=state) -> None:
            t = zoom_tiles[state["i"] % len(zoom_tiles)]
            state["i"] += 1
            r = client.get(f"/collections/{PID}/map/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}?f=png")
            assert r.status_code == 200, r.get_data(as_text=True)[:200]

        def raw(zoom_tiles=zoom_tiles, state=state) -> None:
            t = zoom_tiles[state["j"] % len(zoom_tiles)]
            state["j"] += 1
            img = reader.tile(t.x, t.y, t.z, tilesize=256, resampling_method="nearest")
            palette_png(np.where(img.mask, img.data[0], product.nodata).astype(np.uint8), table)

        a, b = timed_together([ours, raw], rounds * len(zoom_tiles))
        per_zoom[z] = a
        print(f"{z:>4} {a * 1000:9.2f} {b * 1000:17.2f} {a / b:8.2f}x")
    print(f"  zoom 6 tile / zoom 14 tile (ours): {per_zoom[6] / per_zoom[14]:.2f}x (goal <= 2)")


def load(url_of, paths: list[str], clients: int, total: int) -> tuple[float, float, float, int]:
    """``clients`` threads issue ``total`` requests: (req/s, p50 s, p95 s, errors)."""
    latencies: list[float] = []
    errors = 0

    def worker(k: int) -> list[tuple[float, bool]]:
        session, out = requests.Session(), []
        for i in range(k, total, clients):
            started = time.perf_counter()
            try:
                ok = session.get(url_of(paths[i % len(paths)]), timeout=120).status_code == 200
            except requests.RequestException:
                ok = False
            out.append((time.perf_counter() - started, ok))
        return out

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for result in pool.map(worker, range(clients)):
            latencies += [t for t, _ in result]
            errors += sum(1 for _, ok in result if not ok)
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=20)
    return total / elapsed, statistics.median(latencies), q[18], errors


def other_server(workdir: Path, package: str, module: str) -> Path | None:
    """An interpreter that has ``module``: ours, or a separate virtualenv where ``package``
    is installed (with uv); None (said why) if that fails."""
    try:
        __import__(module)
        return Path(sys.executable)
    except ImportError:
        pass
    venv = workdir / f"venv-{package.split('.')[0]}"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  installing {package} into {venv} ...")
        uv = _uv()
        if uv is None:
            print(f"  {package}: skipped (uv not found; scripts/setup.sh installs it)")
            return None
        try:
            subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
            subprocess.run([*uv, "pip", "install", "-q", "--python", str(python), package,
                            "uvicorn", "gunicorn"], check=True, timeout=900)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as e:
            print(f"  {package}: not installable here ({e}); skipped")
            shutil.rmtree(venv, ignore_errors=True)
            return None
    return python


def _uv() -> list[str] | None:
    """uv as scripts/setup.sh finds it: on PATH, or as a module of this or the base
    interpreter."""
    if shutil.which("uv"):
        return ["uv"]
    for python in (sys.executable, str(Path(sys.base_prefix) / "bin" / "python3")):
        probe = subprocess.run([python, "-m", "uv", "--version"], capture_output=True)
        if probe.returncode == 0:
            return [python, "-m", "uv"]
    return None


def serve_asgi(stack: Stack, python: Path, app: str, port: int, env: dict[str, str]) -> str:
    """An ASGI app under gunicorn with uvicorn workers, our web app's sizes."""
    s = stack.settings
    stack.spawn(
        f"asgi-{port}",
        [str(python.parent / "gunicorn"), "-k", "uvicorn.workers.UvicornWorker", "--bind",
         f"127.0.0.1:{port}", "--workers", str(s.web_workers), app],
        extra_env=env,
    )  # fmt: skip
    return f"http://127.0.0.1:{port}"


def mvt_sql(t: morecantile.Tile) -> str:
    """The raw statement: the tile's squares, transformed, clipped and encoded by PostGIS
    with their attributes (what our route does, without the request's parsing)."""
    env = f"ST_TileEnvelope({t.z}, {t.x}, {t.y})"
    return (
        f"SELECT ST_AsMVT(q, '{TABLE}', 4096, 'geom', 'id') FROM (SELECT id, code, label,"
        f" ST_AsMVTGeom(ST_Transform(geom, 3857), {env}, 4096, 64, true) AS geom"
        f" FROM {TABLE} WHERE geom && ST_Transform(ST_TileEnvelope({t.z}, {t.x}, {t.y},"
        f" margin => 64.0 / 4096), 3035)) q"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--side", type=int, default=300)
    parser.add_argument("--speckle", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-others", action="store_true", help="skip titiler and tipg")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "landgrid-bench-tiles"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = throwaway_settings().model_copy(update={"web_workers": os.cpu_count() or 2})
    settings = settings.model_copy(update={"products_dir": settings.data_dir / "products-def"})
    stack = Stack(settings, lambda m: print(f"  {m}"))
    try:
        print("building ...")
        product, store = build_raster(settings, args.size, args.speckle)
        tiles = sample_tiles(product)
        map_tiles_in_process(settings, product, store, tiles, args.rounds)

        stack.start_database()
        upgrade(settings.db_url())
        build_table(settings.db_url(), args.side)
        write_vector_product(
            VectorProduct(id=TABLE, title=TABLE, table=TABLE, storage_crs="EPSG:3035"),
            settings.data_dir / "vector-products",
        )
        stack.start_web()
        stack.wait_web()
        ours = settings.url
        paths = [f"{t.z}/{t.y}/{t.x}" for z in ZOOMS for t in tiles[z]]
        contenders = {"ours": f"{ours}/collections/{PID}/map/tiles/WebMercatorQuad/{{}}?f=png"}
        cog = cog_path(store, YEAR)
        if not args.no_others and (
            python := other_server(args.workdir, "titiler.application", "titiler.application")
        ):
            port = free_port()
            base = serve_asgi(stack, python, "titiler.application.main:app", port, {})
            wait_http(f"{base}/healthz", "titiler")
            cmap = json.dumps(
                {str(c.code): [*c.rgb, 255] for c in product.legend if c.code != product.nodata}
            )
            query = requests.compat.urlencode(
                {"url": str(cog), "resampling": "nearest", "colormap": cmap}
            )
            contenders["titiler"] = f"{base}/cog/tiles/WebMercatorQuad/{{}}.png?{query}"
        xy_paths = [f"{t.z}/{t.x}/{t.y}" for z in ZOOMS for t in tiles[z]]  # titiler: z/x/y

        print(
            f"\nmap tiles over HTTP, zooms 6-14 mixed ({len(paths)} tiles, "
            f"median of {args.rounds} rounds)"
        )
        sessions = {n: requests.Session() for n in contenders}
        k = {"i": 0}

        def fetch(name: str):
            def fn() -> None:
                i = k["i"] % len(paths)
                p = xy_paths[i] if name == "titiler" else paths[i]
                r = sessions[name].get(contenders[name].format(p), timeout=120)
                assert r.status_code == 200, (name, r.status_code, r.text[:200])

            return fn

        names = list(contenders)
        samples = {n: [] for n in names}
        for _ in range(args.rounds):
            for i in range(len(paths)):
                k["i"] = i
                for n in names:
                    started = time.perf_counter()
                    fetch(n)()
                    samples[n].append(time.perf_counter() - started)
        med = {n: statistics.median(v) for n, v in samples.items()}
        for n in names:
            extra = f"  {med[n] / med['ours']:.2f}x ours" if n != "ours" else ""
            print(f"  {n:8} {med[n] * 1000:8.2f} ms{extra}")

        cores = os.cpu_count() or 2
        url_of = contenders["ours"].format
        single = load(url_of, paths, 1, len(paths) * 3)
        many = load(url_of, paths, CLIENTS, len(paths) * 10)
        print(
            f"\nours under load ({cores} cores, {settings.web_workers} workers x "
            f"{settings.web_threads} threads)"
        )
        print(
            f"  1 client:   {single[0]:7.1f} req/s  p50 {single[1] * 1000:6.1f} ms  "
            f"p95 {single[2] * 1000:6.1f} ms"
        )
        print(
            f"  {CLIENTS} clients: {many[0]:7.1f} req/s  p50 {many[1] * 1000:6.1f} ms  "
            f"p95 {many[2] * 1000:6.1f} ms  errors {many[3]}"
        )
        print(
            f"  throughput / (cores x 1 client) = {many[0] / (cores * single[0]):.2f} "
            "(goal >= 0.8); "
            f"p95 / 1-client p50 = {many[2] / single[1]:.1f} (goal < 4)"
        )

        # vector tiles: a few tiles per zoom over the table (10-14: its range)
        from pyproj import Transformer

        w, s, e, n = Transformer.from_crs(
            "EPSG:3035", "EPSG:4326", always_xy=True
        ).transform_bounds(
            4_300_000, 2_700_000 - args.side * 100, 4_300_000 + args.side * 100, 2_700_000
        )
        vtiles = [t for z in range(10, 15) for t in list(WEB.tiles(w, s, e, n, [z]))[:4]]
        raw_port = free_port()
        raw_server(stack, raw_port, [mvt_sql(t) for t in vtiles])
        mvt = {"ours": f"{ours}/collections/{TABLE}/tiles/WebMercatorQuad/{{}}"}
        ids = {f"{t.z}/{t.y}/{t.x}": i for i, t in enumerate(vtiles)}
        mvt["raw ST_AsMVT+HTTP"] = f"http://127.0.0.1:{raw_port}/raw/{{}}"
        if not args.no_others and (python := other_server(args.workdir, "tipg", "tipg")):
            port = free_port()
            plain = make_url(settings.db_url()).set(drivername="postgresql")  # asyncpg's form
            env = {"DATABASE_URL": plain.render_as_string(hide_password=False)}
            base = serve_asgi(stack, python, "tipg.main:app", port, env)
            wait_http(f"{base}/collections", "tipg")
            mvt["tipg"] = f"{base}/collections/public.{TABLE}/tiles/WebMercatorQuad/{{}}"
        print(
            f"\nvector tiles (MVT) over HTTP, zooms 10-14 ({len(vtiles)} tiles, "
            f"median of {args.rounds} rounds)"
        )
        vsessions = {name: requests.Session() for name in mvt}
        vsamples = {name: [] for name in mvt}
        for _ in range(args.rounds):
            for t in vtiles:
                for name in mvt:
                    key = (
                        ids[f"{t.z}/{t.y}/{t.x}"]
                        if name.startswith("raw")
                        else (f"{t.z}/{t.x}/{t.y}" if name == "tipg" else f"{t.z}/{t.y}/{t.x}")
                    )
                    started = time.perf_counter()
                    r = vsessions[name].get(mvt[name].format(key), timeout=120)
                    vsamples[name].append(time.perf_counter() - started)
                    assert r.status_code in (200, 204), (name, r.status_code, r.text[:200])
        vmed = {name: statistics.median(v) for name, v in vsamples.items()}
        for name, m in vmed.items():
            print(f"  {name:18} {m * 1000:8.2f} ms  {m / vmed['ours']:.2f}x ours")
        print(
            "  ours / raw ST_AsMVT behind HTTP: "
            f"{vmed['ours'] / vmed['raw ST_AsMVT+HTTP']:.2f}x (goal <= 1.3)"
        )
    finally:
        stack.stop()
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
