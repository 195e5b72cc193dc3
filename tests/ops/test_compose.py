"""The compose file against the Compose Specification's JSON schema (vendored in
tests/schemas), and its services against the code they run."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from landgrid.settings import Settings
from tests.schemas import validate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SCHEMA = "raw.githubusercontent.com/compose-spec/compose-spec/master/schema/compose-spec.json"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def test_the_compose_file_follows_the_compose_specification() -> None:
    validate(compose(), SCHEMA)


def test_a_broken_compose_file_is_caught() -> None:
    broken = compose()
    broken["services"]["worker"]["replica"] = 3  # a misspelt key (deploy.replicas)
    try:
        validate(broken, SCHEMA)
    except AssertionError as exc:
        assert "replica" in str(exc)
    else:
        raise AssertionError("an unknown service key passed the schema")


def test_services_run_code_that_exists() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on a missing service {needed}"
        command = service.get("command", [])
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]), f"{name}: no module {command[2]}"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    app = re.search(r'"([\w.]+):create_app\(\)"', dockerfile)
    config = re.search(r'"python:([\w.]+)"', dockerfile)
    assert app and importlib.util.find_spec(app.group(1)), "the image's CMD names no app"
    assert config and importlib.util.find_spec(config.group(1)), "no gunicorn config module"


def test_services_get_only_settings_landgrid_reads() -> None:
    known = {f"LANDGRID_{name.upper()}" for name in Settings.model_fields} | {"DATABASE_URL"}
    for name, service in compose()["services"].items():
        ours = {k for k in service.get("environment", {}) if k.startswith("LANDGRID_")}
        assert ours <= known, f"{name}: {sorted(ours - known)}"
