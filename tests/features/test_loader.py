"""The vector loader and its CLI against the real PostGIS."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from landgrid.db import engine
from landgrid.features.product import load_vector_products
from landgrid.ops.cli import main

pytestmark = pytest.mark.services


def test_load_vector_cli_loads_indexes_and_registers(database, ogc_data, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("LANDGRID_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(
        main,
        [
            "load-vector",
            str(ogc_data / "ne110m4cql2.gpkg"),
            "--layer",
            "ne_110m_rivers_lake_centerlines",
            "--id",
            "rivers-test",
            "--title",
            "Rivers",
        ],
    )
    assert result.exit_code == 0, result.output
    with engine(database).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rivers_test")).scalar_one() == 13
        indexes = (
            conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'rivers_test'"))
            .scalars()
            .all()
        )
    assert any("gist" in i for i in indexes)
    products = load_vector_products([tmp_path / "vector-products"])
    assert products["rivers-test"].table == "rivers_test"
    raw = yaml.safe_load((tmp_path / "vector-products" / "rivers-test.yml").read_text())
    assert raw["id"] == "rivers-test"


def test_load_vector_cli_rejects_a_bad_table_name(database, ogc_data, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("LANDGRID_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(
        main,
        [
            "load-vector",
            str(ogc_data / "ne110m4cql2.gpkg"),
            "--layer",
            "ne_110m_rivers_lake_centerlines",
            "--id",
            "x",
            "--table",
            'x"; DROP TABLE y; --',
        ],
    )
    assert result.exit_code != 0
