"""Which processes exist: the ``process`` resources of the pygeoapi configuration."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pygeoapi.plugin import load_plugin
from pygeoapi.util import yaml_load

from processes.base import LandgridProcessor


def process_definitions(config_path: Path) -> dict[str, dict]:
    return _definitions(config_path, config_path.stat().st_mtime_ns)


@cache
def _definitions(config_path: Path, mtime_ns: int) -> dict[str, dict]:
    """Parsed once per version of the file: a run should not pay a YAML parse (~50 ms)."""
    with config_path.open(encoding="utf8") as fh:
        config = yaml_load(fh)
    return {
        id_: resource["processor"]
        for id_, resource in config.get("resources", {}).items()
        if resource.get("type") == "process"
    }


def load_processor(config_path: Path, process_id: str) -> LandgridProcessor:
    definitions = process_definitions(config_path)
    if process_id not in definitions:
        raise KeyError(f"unknown process {process_id!r}")
    return load_plugin("process", definitions[process_id])
