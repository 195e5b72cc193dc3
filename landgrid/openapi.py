"""The OpenAPI document pygeoapi serves, generated from the resources we configure."""

from __future__ import annotations

import os
from pathlib import Path

from landgrid.settings import Settings


def generate(config_path: Path) -> str:
    from pygeoapi.openapi import generate_openapi_document

    return generate_openapi_document(config_path, "yaml")


def ensure_openapi(settings: Settings) -> Path:
    """(Re)write the document when the configuration is newer than it."""
    target = settings.data_dir / "openapi.yml"
    config = settings.pygeoapi_config
    if not target.exists() or target.stat().st_mtime < config.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(generate(config))
        tmp.replace(target)
    return target
