"""``openapi/landgrid.json`` is the OpenAPI document the shipped configuration serves.

The snapshot makes every change of the API surface visible in review. The document is built
in process from the shipped configuration (the demo raster product with a store, the demo
vector product, every process) with no database (so no column lists), at a fixed URL.
After an intended change, update it:
``LANDGRID_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/unit/test_openapi_snapshot.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.app import create_app

SNAPSHOT = PROJECT_ROOT / "openapi" / "landgrid.json"


def served_document(tmp_path: Path) -> dict:
    settings = Settings(
        data_dir=tmp_path,
        public_url="http://localhost:5000",
        database_url="postgresql://nobody@127.0.0.1:1/landgrid",  # nothing answers
    )
    settings.products_data_dir.mkdir(parents=True)
    (settings.products_data_dir / "clcplus-backbone.nc").write_bytes(b"")
    response = create_app(settings).test_client().get("/openapi")
    assert response.status_code == 200, response.text
    return response.json


def test_snapshot_is_the_served_document(tmp_path: Path) -> None:
    text = json.dumps(served_document(tmp_path), indent=1, sort_keys=True) + "\n"
    if os.environ.get("LANDGRID_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists() and SNAPSHOT.read_text() == text, (
        "the served OpenAPI document changed: review the difference, then update the "
        "snapshot with LANDGRID_UPDATE_SNAPSHOT=1 (see this module's docstring)"
    )
