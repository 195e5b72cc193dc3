"""Binary encodings of a coverage: GeoTIFF (COG), PNG quick look and CF netCDF.

GeoTIFF and PNG go through GDAL in memory (``/vsimem``): a plain GeoTIFF holding the array,
copied by the COG or PNG driver, so the result is a valid COG (tiled, DEFLATE, overviews by
nearest neighbour, colour table) or a paletted PNG whose nodata is transparent. netCDF is
written with netCDF4 in memory under the reader's HDF5 lock, keeping the store's CF legend
attributes (``flag_values``/``flag_meanings``/``flag_colors``).
"""

from __future__ import annotations

import datetime as dt

import netCDF4
import numpy as np
import rasterio
import rasterio.shutil
from pyproj import CRS

from landgrid.coverage.plan import Plan
from landgrid.coverage.reader import LOCK
from landgrid.raster.product import flag_meaning


def geotiff(data: np.ndarray, plan: Plan) -> bytes:
    with rasterio.MemoryFile(ext=".tif") as out, rasterio.MemoryFile(ext=".tif") as src_mem:
        _write(src_mem, data, plan, colormap=True)
        with src_mem.open() as src:
            rasterio.shutil.copy(
                src,
                out.name,
                driver="COG",
                COMPRESS="DEFLATE",
                BLOCKSIZE="512",
                OVERVIEW_RESAMPLING="NEAREST",
                RESAMPLING="NEAREST",
            )
        return out.read()


def png(data: np.ndarray, plan: Plan) -> bytes:
    with rasterio.MemoryFile(ext=".png") as out, rasterio.MemoryFile(ext=".tif") as src_mem:
        _write(src_mem, data, plan, colormap=True)
        with src_mem.open() as src:
            rasterio.shutil.copy(src, out.name, driver="PNG", ZLEVEL="6", WORLDFILE="NO")
        return out.read()


def _write(mem: rasterio.MemoryFile, data: np.ndarray, plan: Plan, colormap: bool) -> None:
    count, height, width = data.shape
    with mem.open(
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype="uint8",
        crs=plan.grid.crs.to_wkt(),
        transform=plan.grid.transform,
        nodata=plan.product.nodata,
    ) as dst:
        dst.write(data)
        for band, year in enumerate(plan.years, start=1):
            dst.set_band_description(band, str(year))
            dst.update_tags(band, YEAR=str(year))
        if colormap and count == 1:
            dst.write_colormap(1, plan.product.colormap)
        dst.update_tags(
            PRODUCT=plan.product.id,
            TITLE=plan.product.title,
            LICENSE=plan.product.licence,
            **{f"CLASS_{c.code}": c.label for c in plan.product.legend},
        )


def _grid_mapping(crs: CRS, plan: Plan) -> dict[str, object]:
    attrs = {k: v for k, v in crs.to_cf().items() if v is not None}
    t = plan.grid.transform
    wkt = crs.to_wkt()
    attrs.update(
        crs_wkt=wkt,
        spatial_ref=wkt,
        GeoTransform=" ".join(repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e)),
    )
    return attrs


def netcdf(data: np.ndarray, plan: Plan) -> bytes:
    p, g = plan.product, plan.grid
    geographic = g.crs.is_geographic
    xname, yname = ("lon", "lat") if geographic else ("x", "y")
    t = g.transform
    xs = t.c + (np.arange(g.width) + 0.5) * t.a
    ys = t.f + (np.arange(g.height) + 0.5) * t.e
    days = [(dt.date(y, 1, 1) - dt.date(1970, 1, 1)).days for y in plan.years]
    ends = [(dt.date(y + 1, 1, 1) - dt.date(1970, 1, 1)).days for y in plan.years]
    entries = [c for c in p.legend if not c.nodata]
    with LOCK:
        ds = netCDF4.Dataset(f"{p.id}.nc", "w", format="NETCDF4", memory=max(data.size, 1 << 16))
        ds.setncatts(
            {
                "Conventions": "CF-1.8",
                "title": p.title,
                "summary": p.description,
                "license": p.licence,
                "institution": p.provider.name,
                "product_id": p.id,
                "source": p.provider.url,
                "history": f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ} "
                "extracted by landgrid (OGC API - Coverages)",
            }
        )
        ds.createDimension("time", len(plan.years))
        ds.createDimension("nv", 2)
        ds.createDimension(yname, g.height)
        ds.createDimension(xname, g.width)
        tv = ds.createVariable("time", "i4", ("time",))
        tv.setncatts(
            {
                "standard_name": "time",
                "units": "days since 1970-01-01",
                "calendar": "proleptic_gregorian",
                "axis": "T",
                "bounds": "time_bnds",
            }
        )
        tv[:] = days
        ds.createVariable("time_bnds", "i4", ("time", "nv"))[:] = np.array([days, ends]).T
        for name, values, axis in ((yname, ys, "Y"), (xname, xs, "X")):
            v = ds.createVariable(name, "f8", (name,))
            if geographic:
                std = "latitude" if axis == "Y" else "longitude"
                units = "degrees_north" if axis == "Y" else "degrees_east"
                v.setncatts({"standard_name": std, "units": units, "axis": axis})
            else:
                v.setncatts(
                    {"standard_name": f"projection_{name}_coordinate", "units": "m", "axis": axis}
                )
            v[:] = values
        ds.createVariable("crs", "i4").setncatts(_grid_mapping(g.crs, plan))
        var = ds.createVariable(
            "land_cover",
            "u1",
            ("time", yname, xname),
            zlib=True,
            complevel=1,
            chunksizes=(1, min(512, g.height), min(512, g.width)),
            fill_value=np.uint8(p.nodata),
        )
        var.setncatts(
            {
                "long_name": f"{p.title}: land cover class",
                "units": "1",
                "grid_mapping": "crs",
                "flag_values": np.array([c.code for c in entries], dtype=np.uint8),
                "flag_meanings": " ".join(flag_meaning(c.label) for c in entries),
                "flag_colors": " ".join(c.colour.upper() for c in entries),
                "coverage_content_type": "thematicClassification",
            }
        )
        var.set_auto_maskandscale(False)
        var[:] = data
        return bytes(ds.close())
