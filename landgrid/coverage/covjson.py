"""CoverageJSON (``application/vnd.cov+json``) with a categorical legend, streamed.

The values array is the bulk of the document: stock providers build it as a Python list
of millions of floats (~4-7 s for 4 Mpx, codes turned into floats). Here it is written in
blocks of ``BLOCK`` pixels by orjson straight from the uint8 array, nodata codes turned into
``null`` by ``bytes.replace`` in the blocks that hold any, so the response is a generator of
bytes chunks: memory beyond the array itself stays at one block, whatever the coverage size.
Codes stay integers, and ``categoryEncoding`` maps each category to its code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import orjson

from landgrid.coverage.plan import Plan
from landgrid.crs import CRS84, crs_uri
from landgrid.raster.product import RasterProduct

MEDIA_TYPE = "application/vnd.cov+json"
BLOCK = 1 << 18  # pixels per chunk: ~0.5-1 MB of JSON


def _nulls(text: bytes, nodata: int) -> bytes:
    """``text`` (``v,v,...`` of uint8 codes, ``nodata`` among them) with every ``nodata``
    value written ``null``."""
    code = str(nodata).encode()
    if len(code) == 3:  # no other uint8 value contains three digits: replace as a substring
        return text.replace(code, b"null")
    # shorter codes occur inside others (5 in 15): replace whole values only; two passes,
    # since a match consumes the comma that the next value's match would start with
    wrapped = b"," + text + b","
    for _ in range(2):
        wrapped = wrapped.replace(b"," + code + b",", b",null,")
    return wrapped[1:-1]


def values_chunks(data: np.ndarray, nodata: int, block: int = BLOCK) -> Iterator[bytes]:
    """``[v,v,...]`` of a uint8 array in C order, nodata as null, in chunks of ``block``."""
    flat = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    yield b"["
    for start in range(0, flat.size, block):
        chunk = flat[start : start + block]
        text = orjson.dumps(chunk, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
        if start:
            yield b","  # apart, rather than a copy of the chunk with it
        yield _nulls(text, nodata) if (chunk == nodata).any() else text
    yield b"]"


def _parameter(product: RasterProduct) -> dict:
    base = f"{product.provider.url.rstrip('/')}#"
    classes = [c for c in product.legend if not c.nodata]
    return {
        "type": "Parameter",
        "description": {"en": f"{product.title}: land cover class"},
        "observedProperty": {
            "id": f"{base}land_cover",
            "label": {"en": "Land cover"},
            "categories": [
                {"id": f"{base}{c.code}", "label": {"en": c.label}, "preferredColor": c.colour}
                for c in classes
            ],
        },
        "categoryEncoding": {f"{base}{c.code}": c.code for c in classes},
    }


def coverage(data: np.ndarray, plan: Plan) -> Iterator[bytes]:
    """The CoverageJSON document in chunks: metadata, then the values block by block.

    The metadata is built here, before the response starts, so that any error in it is
    still an error response rather than a truncated document.
    """
    g = plan.grid
    t = g.transform
    geographic = g.crs == CRS84 or g.crs.is_geographic
    system = {"type": "GeographicCRS" if geographic else "ProjectedCRS", "id": crs_uri(g.crs)}
    doc = {
        "type": "Coverage",
        "domain": {
            "type": "Domain",
            "domainType": "Grid",
            "axes": {
                "x": {"start": t.c + t.a / 2, "stop": t.c + t.a * (g.width - 0.5), "num": g.width},
                "y": {
                    "start": t.f + t.e / 2,
                    "stop": t.f + t.e * (g.height - 0.5),
                    "num": g.height,
                },
                "t": {"values": [f"{y}-01-01T00:00:00Z" for y in plan.years]},
            },
            "referencing": [
                {"coordinates": ["x", "y"], "system": system},
                {"coordinates": ["t"], "system": {"type": "TemporalRS", "calendar": "Gregorian"}},
            ],
        },
        "parameters": {"land_cover": _parameter(plan.product)},
        "ranges": {
            "land_cover": {
                "type": "NdArray",
                "dataType": "integer",
                "axisNames": ["t", "y", "x"],
                "shape": list(data.shape),
                "values": "@VALUES@",
            }
        },
    }
    head, tail = json.dumps(doc, separators=(",", ":")).encode().split(b'"@VALUES@"')
    return _chunks(head, values_chunks(data, plan.product.nodata), tail)


def _chunks(head: bytes, values: Iterator[bytes], tail: bytes) -> Iterator[bytes]:
    yield head
    yield from values
    yield tail
