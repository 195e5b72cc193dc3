"""Zonal statistics: ``landcover-statistics`` vs rasterize+bincount, rasterstats, exactextract.

    .venv/bin/python bench/zonal_statistics.py                  # 20000 x 20000 px, 1,024 zones
    .venv/bin/python bench/zonal_statistics.py --size 6000 --zones 256 --repeat 3

Builds (once, kept in ``--workdir``) a 10 m CLC+ Backbone-like product with the generator,
as ``bench/coverages.py`` does, and ~``zones`` irregular polygons tiling it. Times (median of
``repeat``):

- ``read``: reading the layer alone;
- ``baseline``: read the whole layer, rasterize every zone in one go, one ``bincount``
  (the practical floor: no memory bound, assumes no overlaps);
- ``centre``: ``landgrid.analysis.zonal.class_counts`` (centre-in; row-block tiles of
  bounded memory, overlap layers), must equal the baseline and rasterstats;
- ``rasterstats``: ``zonal_stats(..., categorical=True)`` on the store (GDAL's netCDF
  driver), centre-in too, what a Python user would reach for first;
- ``fraction``: ``class_counts(method="fraction")`` (fractional coverage, exactextract on
  our row blocks), must agree with exactextract within 1e-3 of each zone's area;
- ``exactextract``: ``exact_extract(store, zones, ["unique", "frac", "count"])`` as a user
  would call it on the file (nodata is left out by exactextract, so it is compared on the
  other classes).

Plus ``extract`` of a 100 km2 AOI (COG) vs the same cut done by hand with rasterio (read
the window, mask by polygon, write a COG). Prints medians and ratios.
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
import rasterio
import shapely
from exactextract import exact_extract
from rasterio.features import geometry_mask, rasterize
from rasterstats import zonal_stats
from shapely.geometry import Polygon, mapping

from landgrid.analysis.source import source
from landgrid.analysis.zonal import Zone, class_counts
from landgrid.catalog import Catalog
from landgrid.features.settings import FeatureSettings
from processes.base import ProcessContext
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


def rasterstats_counts(store: Path, zones: list[Zone], nodata: int) -> np.ndarray:
    counts = np.zeros((len(zones), 256), dtype=np.int64)
    stats = zonal_stats(
        [z.geometry for z in zones], f"netcdf:{store}:land_cover", categorical=True, nodata=nodata
    )
    for z, per_code in enumerate(stats):
        for code, n in per_code.items():
            counts[z, int(code)] = n
    return counts


def exactextract_counts(store: Path, zones: list[Zone]) -> np.ndarray:
    counts = np.zeros((len(zones), 256))
    features = [
        {"type": "Feature", "properties": {}, "geometry": mapping(z.geometry)} for z in zones
    ]
    with rasterio.open(f"netcdf:{store}:land_cover") as ds:
        out = exact_extract(ds, features, ["unique", "frac", "count"])
    for z, feature in enumerate(out):
        p = feature["properties"]
        counts[z, np.asarray(p["unique"], dtype=np.int64)] = np.asarray(p["frac"]) * p["count"]
    return counts


def extract_by_hand(store: Path, area, out: Path) -> None:
    """What a rasterio user writes: window read, polygon mask, COG."""
    with rasterio.open(f"netcdf:{store}:land_cover") as ds:
        window = ds.window(*area.bounds).round_offsets().round_lengths()
        data = ds.read(1, window=window)
        transform = ds.window_transform(window)
        mask = geometry_mask([area], out_shape=data.shape, transform=transform)
        data[mask] = ds.nodata
        profile = {
            "driver": "COG",
            "width": data.shape[1],
            "height": data.shape[0],
            "count": 1,
            "dtype": "uint8",
            "crs": ds.crs,
            "transform": transform,
            "nodata": ds.nodata,
            "compress": "deflate",
        }
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)


def ratio(t: float, ref: float) -> str:
    return f"{t / ref:5.2f}x"


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
    src = source(Catalog(settings), cov.PID, [cov.YEAR])
    zones = make_zones(product, args.zones)
    nodata = product.nodata
    print(
        f"{len(zones)} zones over {args.size} x {args.size} px "
        f"({args.size**2 / 1e6:.0f} Mpx), median of {args.repeat}"
    )
    t_centre, centre = _median(lambda: class_counts(src, zones, [cov.YEAR])[0], args.repeat)
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_base, base = _median(lambda: baseline(src.store, product, zones), args.repeat)
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_read, _ = _median(lambda: read_only(src.store), args.repeat)
    t_rs, rs = _median(lambda: rasterstats_counts(src.store, zones, nodata), args.repeat)
    t_frac, frac = _median(
        lambda: class_counts(src, zones, [cov.YEAR], method="fraction")[0], args.repeat
    )
    t_ee, ee = _median(lambda: exactextract_counts(src.store, zones), args.repeat)

    assert np.array_equal(centre, base), "centre-in and the baseline disagree"
    valid = np.arange(256) != nodata
    assert np.array_equal(centre[:, valid], rs[:, valid]), "centre-in and rasterstats disagree"
    zone_px = frac.sum(axis=1)  # the polygon's area in pixels, nodata included
    worst = (np.abs(frac[:, valid] - ee[:, valid]).max(axis=1) / zone_px).max()
    assert worst <= 1e-3, f"fraction and exactextract differ by {worst:.2e} of a zone"
    rect = np.array([z.geometry.area for z in zones]) / product.resolution**2
    adds_up = np.abs(zone_px - rect).max() / rect.min()

    classes = int((centre.sum(axis=0)[:nodata] > 0).sum())
    print(f"  {classes} classes present, {centre[:, nodata].sum() / centre.sum():.1%} nodata")
    print(f"  peak RSS: {rss_ours:.0f} MB after ours, {rss_base:.0f} MB after the baseline")
    print("  centre-in (a pixel is in a zone when its centre is)")
    print(f"    read the layer alone      {t_read:7.2f} s")
    print(f"    rasterize+bincount        {t_base:7.2f} s  (baseline)")
    print(
        f"    landcover-statistics      {t_centre:7.2f} s  {ratio(t_centre, t_base)} the baseline"
        "  (identical counts)"
    )
    print(
        f"    rasterstats categorical   {t_rs:7.2f} s  {ratio(t_rs, t_base)} the baseline;"
        f" ours is {t_rs / t_centre:.2f}x faster  (identical counts)"
    )
    print("  fractional coverage (a pixel counts by the share of it a zone covers)")
    print(f"    exactextract              {t_ee:7.2f} s")
    print(
        f"    landcover-statistics      {t_frac:7.2f} s  {ratio(t_frac, t_ee)} exactextract"
        f"  (max difference {worst:.1e} of a zone; areas add up to the polygons' within "
        f"{adds_up:.1e})"
    )
    area = shapely.box(
        product.extent.xmin,
        product.extent.ymax - 10_000,
        product.extent.xmin + 10_000,
        product.extent.ymax,
    )
    with tempfile.TemporaryDirectory() as tmp:
        context = ProcessContext(settings, Catalog(settings), FeatureSettings(), workdir=Path(tmp))
        proc = ExtractProcessor({"name": "extract"}).bind(context)
        aoi = {"type": "Polygon", "coordinates": [list(area.exterior.coords)]}
        inputs = {"product": cov.PID, "year": cov.YEAR, "aoi": aoi, "aoiCrs": "EPSG:3035"}
        t_extract, out = _median(lambda: proc.run(inputs), args.repeat)
        size = out["coverage"].path.stat().st_size / 1e3
        by_hand = Path(tmp) / "by-hand.tif"
        t_hand, _ = _median(lambda: extract_by_hand(src.store, area, by_hand), args.repeat)
        with rasterio.open(out["coverage"].path) as a, rasterio.open(by_hand) as b:
            assert np.array_equal(a.read(1), b.read(1)), "extract and rasterio disagree"
    print("  extract of a 100 km2 AOI to a COG (1000 x 1000 px)")
    print(f"    rasterio by hand          {t_hand:7.2f} s")
    print(
        f"    extract process           {t_extract:7.2f} s  {ratio(t_extract, t_hand)} by hand"
        f"  ({size:.0f} kB, identical pixels; ours adds the legend, colours and metadata)"
    )


if __name__ == "__main__":
    main()
