"""Where job results live: one store for every web process and worker.

Two kinds, by configuration:

- a shared path (the default): ``<store_dir>/results/<job id>/``; a job writes its files
  there and every web process reads them from there (NFS, a ReadWriteMany volume);
- object storage: ``LANDGRID_RESULTS_URL=s3://bucket/prefix`` (any S3 API: AWS, MinIO,
  Ceph; ``LANDGRID_RESULTS_ENDPOINT_URL`` for a non-AWS endpoint, credentials the usual
  AWS way): a job writes into a local scratch folder, its files are uploaded when it
  ends, and web processes stream them from the bucket.

A stored file is named by its key, ``<job id>/<file>``, the same for both kinds, and that
is what the job record keeps.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import IO

import fsspec

from landgrid.settings import Settings


class ResultStore:
    def __init__(self, settings: Settings) -> None:
        self.local = settings.results_url is None
        self.root = settings.results_dir.resolve()
        self.scratch = settings.data_dir / "scratch"
        if self.local:
            self.fs = fsspec.filesystem("file")
            self.base = str(self.root)
        else:
            protocol, _, path = settings.results_url.partition("://")
            options = {"endpoint_url": settings.results_endpoint_url} if protocol == "s3" else {}
            self.fs = fsspec.filesystem(protocol, **{k: v for k, v in options.items() if v})
            self.base = path.rstrip("/")

    def workdir(self, job_id: str) -> Path:
        """The folder a running job writes its files into."""
        return (self.root if self.local else self.scratch) / job_id

    def key(self, job_id: str, path: Path) -> str:
        """The key of a file the job wrote (a path inside its workdir)."""
        relative = path.resolve().relative_to(self.workdir(job_id).resolve())
        return f"{job_id}/{relative.as_posix()}"

    def keep(self, job_id: str, paths: list[Path]) -> None:
        """Store the job's files (object storage: upload them)."""
        if self.local:
            return
        for path in paths:
            self.fs.put_file(str(path), self._url(self.key(job_id, path)))

    def clear_scratch(self, job_id: str) -> None:
        """After a run (object storage): its local folder is not needed any more."""
        if not self.local:
            shutil.rmtree(self.workdir(job_id), ignore_errors=True)

    def file(self, key: str) -> Path | None:
        """A stored file's local path (shared-path store), None if it is not there."""
        path = (self.root / key).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None

    def open(self, key: str) -> IO[bytes] | None:
        """A stored file, streamed from object storage; None if it is not there."""
        if ".." in key.split("/") or not self.fs.exists(self._url(key)):
            return None
        return self.fs.open(self._url(key), "rb")

    def remove(self, job_id: str) -> None:
        """Remove every file of the job (its results were dismissed)."""
        shutil.rmtree(self.workdir(job_id), ignore_errors=True)
        if not self.local:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(self._url(job_id), recursive=True)

    def _url(self, key: str) -> str:
        return f"{self.base}/{key}"
