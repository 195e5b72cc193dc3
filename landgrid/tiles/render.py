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


@dataclass(frozen=True)
class Palette:
    """The colour of each code, and the code that means no data."""

    colours: tuple[tuple[int, tuple[int, int, int]], ...]
    nodata: int
    labels: tuple[tuple[int, str], ...] = ()

    @classmethod
    def of(cls, product: RasterProduct) -> Palette:
        return cls(
            tuple((c.code, c.rgb) for c in product.legend if c.code != product.nodata),
            product.nodata,
            tuple((c.code, c.label) for c in product.legend),
        )

    @property
    def void(self) -> int:
        """A code no entry uses: the palette slot of void pixels."""
        used = {code for code, _ in self.colours} | {self.nodata}
        return next(c for c in range(256) if c not in used)

    def colormap(self) -> dict[int, tuple[int, int, int, int]]:
        return {code: (*rgb, 255) for code, rgb in self.colours} | {self.nodata: (0, 0, 0, 0)}


@lru_cache(maxsize=256)
def rgba_table(palette: Palette, background: Background) -> np.ndarray:
    """(256, 4) uint8: the colour of every code; nodata, codes without a colour and the
    void slot take the background."""
    bg = (*background.colour, 0 if background.transparent else 255)
    table = np.tile(np.array(bg, dtype=np.uint8), (256, 1))
    for code, rgb in palette.colours:
        table[code] = (*rgb, 255)
    colour, clear = background.void
    table[palette.void] = (*colour, 0 if clear else 255)
    table.flags.writeable = False
    return table


def encode(
    codes: np.ndarray,
    palette: Palette,
    fmt: str,
    background: Background = Background(),
    crs: CRS | None = None,
    transform: Affine | None = None,
) -> bytes:
    """``codes`` (height, width) uint8 as ``fmt`` (a key of ``MEDIA``)."""
    table = rgba_table(palette, background)
    if fmt == "png":
        return palette_png(codes, table)
    if fmt == "tif":
        return geotiff(codes, palette, crs, transform)
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
    codes: np.ndarray, palette: Palette, crs: CRS | None, transform: Affine | None
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
            nodata=palette.nodata,
            compress="DEFLATE",
            tiled=False,
        ) as dst:
            dst.write(codes, 1)
            dst.write_colormap(1, palette.colormap())
            dst.update_tags(**{f"CLASS_{code}": label for code, label in palette.labels})
        return mem.read()


def _gdal(pixels: np.ndarray, driver: str, **options: str) -> bytes:
    height, width, count = pixels.shape
    with rasterio.MemoryFile(ext=".tif") as src_mem, rasterio.MemoryFile() as out:
        with src_mem.open(
            driver="GTiff",
            width=width,
            height=height,
            count=count,
            dtype="uint8",
            transform=Affine.translation(0, 0),  # a picture: no georeference wanted
        ) as src:
            src.write(np.moveaxis(pixels, -1, 0))
        with src_mem.open() as src:
            rasterio.shutil.copy(src, out.name, driver=driver, **options)
        return out.read()
