"""The Tiles and Maps OpenAPI fragment: valid OpenAPI 3.0 on its own, local references only,
and every route of the tiles and maps blueprints described for every collection."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openapi_spec_validator import validate

from landgrid.catalog import Catalog
from landgrid.settings import Settings
from landgrid.web.app import create_app
from landgrid.web.openapi.tiles import fragment


def served(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, public_url="http://localhost:5000")
    settings.products_data_dir.mkdir(parents=True)
    (settings.products_data_dir / "clcplus-backbone.nc").write_bytes(b"")
    return create_app(settings), Catalog(settings).products()


def test_fragment_is_valid_and_self_contained(tmp_path: Path):
    _, products = served(tmp_path)
    part = fragment(products)
    validate({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, **part})
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(part))
    assert refs and all(r.startswith("#/components/") for r in refs)


def test_every_tiles_and_maps_route_is_described(tmp_path: Path):
    app, products = served(tmp_path)
    paths = fragment(products)["paths"]
    ids = [*products.raster, *products.vector]
    assert ids
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("tiles", "maps"):
            continue
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        template = template.replace("{tms_id}", "{tileMatrixSetId}").replace("{z}", "{tileMatrix}")
        template = template.replace("{row}", "{tileRow}").replace("{col}", "{tileCol}")
        for cid in ids:
            path = template.replace("{collection_id}", cid)
            assert path in paths and "get" in paths[path], path
