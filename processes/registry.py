"""The processes this server offers: the ``process`` resources of ``pygeoapi-config.yml``.

Processors are pygeoapi plugins (a dotted class path in the configuration), loaded by
pygeoapi's own plugin loader; a process description is its processor's ``metadata``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pygeoapi.plugin import load_plugin
from pygeoapi.util import yaml_load

from landgrid.errors import NoSuchProcess
from processes.base import LandgridProcessor, ProcessContext


def load_config(path: Path) -> dict[str, Any]:
    """pygeoapi's configuration (``${VAR}`` resolved from the environment, as pygeoapi
    does), parsed once per version of the file."""
    return _parsed(path, path.stat().st_mtime_ns)


@cache
def _parsed(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open(encoding="utf8") as fh:
        return yaml_load(fh)


class ProcessRegistry:
    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path

    def definitions(self) -> dict[str, dict[str, Any]]:
        """Process id -> its ``processor`` definition, in configuration order."""
        resources = load_config(self.config_path).get("resources") or {}
        return {
            id_: resource["processor"]
            for id_, resource in resources.items()
            if resource.get("type") == "process"
        }

    def ids(self) -> list[str]:
        return list(self.definitions())

    def processor(self, process_id: str, context: ProcessContext) -> LandgridProcessor:
        """A new processor bound to ``context``; ``NoSuchProcess`` for an unknown id."""
        definitions = self.definitions()
        if process_id not in definitions:
            raise NoSuchProcess(f"no process {process_id!r}")
        processor = load_plugin("process", definitions[process_id])
        if not isinstance(processor, LandgridProcessor):
            raise TypeError(f"process {process_id!r}: {type(processor)} is not a LandgridProcessor")
        return processor.bind(context)

    def description(self, process_id: str) -> dict[str, Any]:
        """The process description (its processor's metadata); instantiating a processor
        only stores its metadata, so this is cheap."""
        definitions = self.definitions()
        if process_id not in definitions:
            raise NoSuchProcess(f"no process {process_id!r}")
        return load_plugin("process", definitions[process_id]).metadata
