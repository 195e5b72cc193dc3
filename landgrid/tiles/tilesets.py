"""Tileset documents (OGC 17-083r4 tileset metadata), tileset lists and TileJSON 3.0.

A tileset is one collection in one tile matrix set: map tiles (the legend's colours),
coverage tiles (the class codes, GeoTIFF) or vector tiles (MVT). ``query`` is the part of
the request's query string that selects content (``datetime``, ``filter`` ...): it is
carried into every link and tile template, so a client that opened
``/collections/x?datetime=2018`` (GDAL) keeps getting 2018.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from landgrid.tiles.matrices import Limit, definition, tile_matrix_set

REL = "http://www.opengis.net/def/rel/ogc/1.0"
JSON = "application/json"
TILEJSON = "application/vnd.mapbox.tile+json"
MVT = "application/vnd.mapbox-vector-tile"
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"
FORMATS = {  # dataType -> (f value, media type) of the tiles, the first is the default
    "map": [("png", "image/png"), ("jpeg", "image/jpeg"), ("webp", "image/webp")],
    "coverage": [("tif", "image/tiff; application=geotiff")],
    "vector": [("mvt", MVT)],
}
LIST_REL = {"map": "tilesets-map", "coverage": "tilesets-coverage", "vector": "tilesets-vector"}


@dataclass(frozen=True)
class Tileset:
    """What a tileset document says about one collection in one tile matrix set."""

    base: str  # the server's base URL
    collection: str
    title: str
    data_type: str  # map | coverage | vector
    tms_id: str
    limits: tuple[Limit, ...]
    crs84_bbox: list[float]
    query: dict[str, str] = field(default_factory=dict)
    legend_href: str | None = None
    layer: dict[str, Any] | None = None  # vector tiles: the layer's description

    @property
    def path(self) -> str:
        """``…/collections/{id}/map/tiles/{tms}`` or ``…/collections/{id}/tiles/{tms}``."""
        middle = "map/tiles" if self.data_type == "map" else "tiles"
        return f"{self.base}/collections/{self.collection}/{middle}/{self.tms_id}"

    def href(self, path: str, **extra: str) -> str:
        args = {**self.query, **extra}
        return f"{path}?{urlencode(args, safe=':/,')}" if args else path

    def tile_links(self) -> list[dict[str, Any]]:
        return [
            {
                "href": self.href(f"{self.path}/{TEMPLATE}", f=f),
                "rel": "item",
                "type": media,
                "templated": True,
                "title": f"{self.title}: {f} tiles",
            }
            for f, media in FORMATS[self.data_type]
        ]

    def common_links(self) -> list[dict[str, Any]]:
        links = [
            {
                "href": f"{self.base}/tileMatrixSets/{self.tms_id}",
                "rel": f"{REL}/tiling-scheme",
                "type": JSON,
                "title": f"the {self.tms_id} tile matrix set",
            },
            {
                "href": f"{self.base}/collections/{self.collection}",
                "rel": f"{REL}/geodata",
                "type": JSON,
                "title": self.title,
            },
        ]
        if self.legend_href:
            links.append(self.legend_link())
        return links

    def legend_link(self) -> dict[str, Any]:
        return {
            "href": self.legend_href,
            "rel": f"{REL}/schema",
            "type": "application/schema+json",
            "title": "the legend: class codes, labels and colours",
        }

    def summary(self) -> dict[str, Any]:
        """The tileset's entry in a tilesets list."""
        tms = tile_matrix_set(self.tms_id)
        return {
            "title": f"{self.title} ({self.tms_id})",
            "dataType": self.data_type,
            "crs": tms.crs.root,
            "tileMatrixSetURI": tms.uri,
            "links": [
                {"href": self.href(self.path), "rel": "self", "type": JSON, "title": "tileset"},
                *self.common_links()[:1],
            ],
        }

    def document(self) -> dict[str, Any]:
        """The tileset metadata (``/req/tileset/description``)."""
        tms = tile_matrix_set(self.tms_id)
        west, south, east, north = self.crs84_bbox
        doc: dict[str, Any] = {
            "title": f"{self.title} ({self.tms_id})",
            "dataType": self.data_type,
            "crs": tms.crs.root,
            "tileMatrixSetURI": tms.uri,
            "boundingBox": {
                "lowerLeft": [west, south],
                "upperRight": [east, north],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            },
            "tileMatrixSetLimits": [lim.document(self.tms_id) for lim in self.limits],
            "links": [
                {"href": self.href(self.path), "rel": "self", "type": JSON, "title": "this"},
                *(
                    [
                        {
                            "href": self.href(self.path, f="tilejson"),
                            "rel": "alternate",
                            "type": TILEJSON,
                            "title": "TileJSON",
                        }
                    ]
                    if self.tms_id == "WebMercatorQuad"
                    else []
                ),
                *self.common_links(),
                *self.tile_links(),
            ],
        }
        if self.legend_href:
            doc["style"] = {
                "id": "legend",
                "title": "the legend's colours",
                "links": [self.legend_link()],
            }
        if self.layer is not None:
            doc["layers"] = [self.layer]
        return doc

    def tilejson(self) -> dict[str, Any]:
        """TileJSON 3.0.0 (Web Mercator XYZ clients: MapLibre, Leaflet plugins)."""
        west, south, east, north = self.crs84_bbox
        f, _ = FORMATS[self.data_type][0]
        zooms = [lim.zoom for lim in self.limits]
        doc: dict[str, Any] = {
            "tilejson": "3.0.0",
            "name": self.title,
            "scheme": "xyz",
            "tiles": [self.href(f"{self.path}/{{z}}/{{y}}/{{x}}", f=f)],
            "minzoom": min(zooms),
            "maxzoom": max(zooms),
            "bounds": [west, south, east, north],
            "center": [
                (west + east) / 2,
                (south + north) / 2,
                max(min(zooms), min(max(zooms), 10)),
            ],
            "vector_layers": [],  # required by TileJSON 3.0.0, empty for pictures
        }
        if self.layer is not None:
            doc["vector_layers"] = [
                {
                    "id": self.layer["id"],
                    "fields": {
                        name: schema.get("type", "string")
                        for name, schema in self.layer["propertiesSchema"]["properties"].items()
                    },
                    "minzoom": min(zooms),
                    "maxzoom": max(zooms),
                }
            ]
        return doc


def tilesets_list(base_href: str, tilesets: list[Tileset], query: dict[str, str]) -> dict:
    """``…/tiles``: every tileset of a collection (``/req/tilesets-list/tileset-links``)."""
    self_href = f"{base_href}?{urlencode(query, safe=':/,')}" if query else base_href
    return {
        "links": [{"href": self_href, "rel": "self", "type": JSON, "title": "tilesets"}],
        "tilesets": [t.summary() for t in tilesets],
    }


def matrix_sets_list(base: str, ids: list[str]) -> dict:
    """``/tileMatrixSets``: id-links to each definition."""
    return {
        "links": [{"href": f"{base}/tileMatrixSets", "rel": "self", "type": JSON}],
        "tileMatrixSets": [
            {
                "id": tms_id,
                "title": definition(tms_id).get("title", tms_id),
                "uri": tile_matrix_set(tms_id).uri,
                "links": [
                    {
                        "href": f"{base}/tileMatrixSets/{tms_id}",
                        "rel": "self",
                        "type": JSON,
                        "title": f"the {tms_id} definition",
                    },
                    {
                        "href": f"{base}/tileMatrixSets/{tms_id}",
                        "rel": f"{REL}/tiling-scheme",
                        "type": JSON,
                        "title": f"the {tms_id} definition",
                    },
                ],
            }
            for tms_id in ids
        ],
    }
