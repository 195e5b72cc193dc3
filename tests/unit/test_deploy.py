"""The deployment files are consistent with the repository (they cannot be run here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_services_and_roles():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    services = compose["services"]
    assert {"db", "prefect", "web", "worker", "reconciler", "keycloak", "migrate"} <= set(services)
    assert services["worker"]["command"] == ["python", "-m", "flows.worker"]
    assert services["reconciler"]["command"] == ["python", "-m", "flows.reconciler"]
    for name in ("web", "worker", "reconciler"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")


def test_long_running_services_restart_and_are_checked():
    from landgrid.ops.cli import main

    services = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())["services"]
    for name in ("db", "prefect", "web", "worker", "reconciler", "keycloak"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("db", "prefect", "web", "worker", "reconciler"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in ("worker", "reconciler"):
        command = services[name]["healthcheck"]["test"][1:]
        assert command[:3] == ["landgrid", "alive", name] and "alive" in main.commands
    for name in ("web", "worker", "reconciler"):
        after = services[name]["depends_on"]
        assert after["migrate"]["condition"] == "service_completed_successfully"
        assert after["prefect"]["condition"] == "service_healthy"


def test_dockerfile_serves_the_app_factory():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    module = re.search(r'"([a-z_.]+):create_app\(\)"', dockerfile).group(1)
    assert (ROOT / (module.replace(".", "/") + ".py")).exists()


def test_dockerfile_copies_what_exists():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+?) \S+$", dockerfile, flags=re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
