"""Render the Helm chart in ``deploy/helm/landgrid`` as ``helm template`` does, offline.

With ``helm`` on PATH that is used. Otherwise (Helm is in neither Debian nor PyPI) the chart
is rendered by ``helmrender/main.go``: Helm's template engine (Go's text/template, Sprig v3,
Helm's own functions) rebuilt from Debian's Go packages (``golang-go``,
``golang-github-masterminds-sprig-dev``, ``golang-github-ghodss-yaml-dev``; ``setup.sh
--test`` installs them), compiled once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE.parents[1] / "deploy" / "helm" / "landgrid"
GOPATH = Path("/usr/share/gocode")  # Debian's Go library sources
# Sprig v3 and semver v3 are modules with a /v3 import path; Debian ships them at the path
# without it, so a private GOPATH links the /v3 paths to them.
V3_MODULES = ("github.com/Masterminds/sprig", "github.com/Masterminds/semver")


class RenderError(Exception):
    """The chart did not render (a template error or a ``required`` value missing)."""


def renderer(workdir: Path) -> list[str] | None:
    """The command that renders a chart (``helm template`` or our build), None if neither
    Helm nor the Go packages are installed."""
    if helm := shutil.which("helm"):
        return [helm, "template", "landgrid"]
    go = shutil.which("go")
    if go is None or not all((GOPATH / "src" / m).is_dir() for m in V3_MODULES):
        return None
    private = workdir / "gopath"
    for module in V3_MODULES:
        link = private / "src" / module / "v3"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(GOPATH / "src" / module)
    source = private / "src" / "helmrender"
    source.mkdir()
    shutil.copy(HERE / "helmrender" / "main.go", source)
    binary = workdir / "helmrender"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{private}:{GOPATH}",
        "GOCACHE": str(workdir / "gocache"),
        "GOFLAGS": "",
    }
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=source, env=env, check=True)
    return [str(binary), "-name", "landgrid"]


def render(command: list[str], *values: Path, chart: Path = CHART) -> list[dict]:
    """The chart's manifests with ``values`` files over its defaults."""
    args = [*command]
    for path in values:
        args += ["-f", str(path)]
    result = subprocess.run([*args, str(chart)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip())
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
