"""``landgrid ingest``: the operators' command line over the validated ingestion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from landgrid.raster.store import store_years

LANDGRID = str(Path(sys.executable).parent / "landgrid")


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LANDGRID_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [LANDGRID, "ingest", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_ingest_then_reject_a_bad_file(shared_data, tmp_path):
    clc = shared_data / "lausanne-clc"
    ok = run(["corine-land-cover", "2006", str(clc / "ls100_06.tif")], tmp_path)
    assert ok.returncode == 0, ok.stderr
    store = tmp_path / "products" / "corine-land-cover.nc"
    assert store_years(store) == [2006]
    before = store.read_bytes()
    bad = run(["corine-land-cover", "2012", str(clc / "gmb-lausanne.gpkg")], tmp_path)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr and "error:" in bad.stderr
    assert store.read_bytes() == before
    unknown = run(["no-such-product", "2012", str(clc / "ls100_12.tif")], tmp_path)
    assert unknown.returncode == 2 and "unknown product" in unknown.stderr
