"""The whole-year COG files as the catalogue announces them: href, size and checksum.

The checksum (SHA2-256 as a multihash, STAC ``file:checksum``) is computed once per
version of a file and kept beside it (``<file>.sha256``: size, mtime and digest), so no web
worker reads a big file twice and a rebuilt file gets a new checksum.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from landgrid.catalogue.entry import BASE

SHA2_256 = "1220"  # multihash prefix: function 0x12 (sha2-256), 32-byte digest


@dataclass(frozen=True)
class CogFile:
    product: str
    year: int
    path: Path
    size: int
    checksum: str  # multihash, hexadecimal

    @property
    def href(self) -> str:
        return f"{BASE}{download_path(self.product, self.year)}"


def download_path(product_id: str, year: int) -> str:
    """Where the web app serves a year's COG (HTTP ranges, ETag)."""
    return f"/collections/{product_id}/cog/{year}.tif"


def cog_file(product_id: str, year: int, path: Path) -> CogFile | None:
    """The announced file, or None while it does not exist."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return CogFile(product_id, year, path, stat.st_size, checksum(path, stat))


def checksum(path: Path, stat: os.stat_result) -> str:
    key = f"{stat.st_size} {stat.st_mtime_ns}"
    sidecar = path.with_name(path.name + ".sha256")
    try:
        known, _, digest = sidecar.read_text(encoding="utf8").rpartition(" ")
        if known == key:
            return digest
    except OSError:
        pass
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            sha.update(block)
    digest = SHA2_256 + sha.hexdigest()
    tmp = sidecar.with_name(f".{sidecar.name}.{os.getpid()}")
    try:
        tmp.write_text(f"{key} {digest}", encoding="utf8")
        os.replace(tmp, sidecar)
    except OSError:  # a read-only folder: computed again next time
        tmp.unlink(missing_ok=True)
    return digest
