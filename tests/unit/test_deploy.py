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


def test_dockerfile_copies_what_exists():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+?) \S+$", dockerfile, flags=re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
