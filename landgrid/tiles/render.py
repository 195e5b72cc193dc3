"""Class codes drawn with the legend's colours: palette PNG, JPEG, WebP and GeoTIFF.

A land-cover picture has one colour per code, so PNG is written as a palette image (the
codes are the palette indices, the legend the palette, nodata transparent through ``tRNS``)
by a direct encoder: one ``zlib`` call over the rows, no intermediate dataset, which is the
bulk of a tile's cost otherwise (GDAL's PNG path copies an in-memory GeoTIFF: ~5 ms for
256 x 256 px, this ~1 ms). JPEG and WebP (no palette) go through GDAL on RGB(A) pixels;
GeoTIFF keeps the codes with the colour table (strips, as OGC API - Tiles asks).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from pyproj import CRS

from landgrid.raster.product import RasterProduct

MEDIA = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "tif": "image/tiff; application=geotiff",
}
ZLEVEL = 1  # deflate level of PNG tiles: the fastest; a few % larger than level 6 here
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Background:
    """Maps' background: the colour and opacity of no-data, and of void (outside the
    output CRS's valid area)."""

    colour: tuple[int, int, int] = WHITE
    transparent: bool = True
    void_colour: tuple[int, int, int] | None = None
    void_transparent: bool | None = None

    @property
    def void(self) -> tuple[tuple[int, int, int], bool]:
        colour = self.void_colour if self.void_colour is not None else self.colour
        clear = self.void_transparent if self.void_transparent is not None else self.transparent
        return colour, clear

    @property
    def distinct_void(self) -> bool:
        return self.void != (self.colour, self.transparent)


def void_code(product: RasterProduct) -> int:
    """A code no legend entry uses: the palette slot of void pixels."""
    used = set(product.valid_codes)
    return next(c for c in range(256) if c not in used)


def rgba_table(product: RasterProduct, background: Background) -> np.ndarray:
    """(256, 4) uint8: the legend's colour of every code; nodata, codes outside the legend
    and the void slot take the background."""
    colours = tuple((c.code, c.rgb) for c in product.legend if c.code != product.nodata)
    return _table(colours, void_code(product), background)


@lru_cache(maxsize=256)
def _table(
    colours: tuple[tuple[int, tuple[int, int, int]], ...], void: int, background: Background
) -> np.ndarray:
    bg = (*background.colour, 0 if background.transparent else 255)
    table = np.tile(np.array(bg, dtype=np.uint8), (256, 1))
    for code, rgb in colours:
        table[code] = (*rgb, 255)
    colour, clear = background.void
    table[void] = (*colour, 0 if clear else 255)
    table.flags.writeable = False
    return table


def encode(
    codes: np.ndarray,
    product: RasterProduct,
    fmt: str,
    background: Background = Background(),
    crs: CRS | None = None,
    transform: Affine | None = None,
) -> bytes:
    """``codes`` (height, width) uint8 as ``fmt`` (a key of ``MEDIA``)."""
    table = rgba_table(product, background)
    if fmt == "png":
        return palette_png(codes, table)
    if fmt == "tif":
        return geotiff(codes, product, crs, transform)
    rgb = table[codes]
    if fmt == "jpeg":
        return _gdal(rgb[..., :3], "JPEG", QUALITY="85")
    return _gdal(rgb, "WEBP", LOSSLESS="TRUE")


def palette_png(codes: np.ndarray, table: np.ndarray) -> bytes:
    height, width = codes.shape
    rows = np.empty((height, width + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none" on every row
    rows[:, 1:] = codes
    alpha = table[:, 3]
    used = int(np.flatnonzero(alpha != 255).max()) + 1 if (alpha != 255).any() else 0
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette
    parts = [
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", header),
        _chunk(b"PLTE", table[:, :3].tobytes()),
    ]
    if used:
        parts.append(_chunk(b"tRNS", alpha[:used].tobytes()))
    parts += [_chunk(b"IDAT", zlib.compress(rows.tobytes(), ZLEVEL)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def geotiff(
    codes: np.ndarray, product: RasterProduct, crs: CRS | None, transform: Affine | None
) -> bytes:
    """The codes as a GeoTIFF in strips, with the colour table, nodata and georeference."""
    height, width = codes.shape
    with rasterio.MemoryFile(ext=".tif") as mem:
        with mem.open(
            driver="GTiff",
            width=width,
            height=height,
            count=1,
            dtype="uint8",
            crs=crs.to_wkt() if crs is not None else None,
            transform=transform or Affine.identity(),
            nodata=product.nodata,
            compress="DEFLATE",
            tiled=False,
        ) as dst:
            dst.write(codes, 1)
            dst.write_colormap(1, product.colormap)
            dst.update_tags(
                PRODUCT=product.id, **{f"CLASS_{c.code}": c.label for c in product.legend}
            )
        return mem.read()


def _gdal(pixels: np.ndarray, driver: str, **options: str) -> bytes:
    height, width, count = pixels.shape
    with rasterio.MemoryFile(ext=".tif") as src_mem, rasterio.MemoryFile() as out:
        with src_mem.open(
            driver="GTiff", width=width, height=height, count=count, dtype="uint8"
        ) as src:
            src.write(np.moveaxis(pixels, -1, 0))
        with src_mem.open() as src:
            rasterio.shutil.copy(src, out.name, driver=driver, **options)
        return out.read()
