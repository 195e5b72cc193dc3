"""A job's own log lines, kept in the job database for its owner to read.

``JobLogHandler`` sits on the root logger of the web app, the worker and the reconciler:
a record of our code (``landgrid``, ``flows``, ``processes``) that is about a job (a job id
bound with ``landgrid.observability.logs.bind``) is queued and written in batches by a
thread of its own, so logging never waits for the database. Lines that cannot be written
(the database restarting) are dropped: the process's own log still has them.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from landgrid.jobs.model import JobLog
from landgrid.jobs.store import JobStore
from landgrid.observability.logs import OURS, ContextFilter

BATCH = 200
FLUSH_SECONDS = 0.25
MAX_LINES = 1000  # most lines /jobs/<id>/logs returns


class JobLogHandler(logging.Handler):
    def __init__(self, store: JobStore, service: str, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.store = store
        self.service = service
        self.pending: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.addFilter(ContextFilter())
        self.flushed = threading.Event()
        threading.Thread(target=self._write_forever, name="job-logs", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        job_id = getattr(record, "job_id", None)
        if not job_id or not record.name.startswith(OURS):
            return
        self.pending.put(
            {
                "job_id": job_id,
                "time": datetime.fromtimestamp(record.created, UTC),
                "level": record.levelname,
                "service": self.service,
                "logger": record.name[:128],
                "message": record.getMessage()[:4000],
            }
        )

    def _write_forever(self) -> None:
        while True:
            rows = [self.pending.get()]
            self.flushed.clear()
            while len(rows) < BATCH:
                try:
                    rows.append(self.pending.get(timeout=FLUSH_SECONDS if len(rows) < 2 else 0))
                except queue.Empty:
                    break
            if not self._write(rows) and len(rows) > 1:
                for row in rows:  # keep the others when one names a job that is not there
                    self._write([row])
            if self.pending.empty():
                self.flushed.set()

    def _write(self, rows: list[dict[str, Any]]) -> bool:
        try:
            with self.store.session() as session:
                session.execute(insert(JobLog), rows)
                session.commit()
        except SQLAlchemyError:  # a job row not there (dismissed and removed), the db down
            return False
        return True


def job_lines(store: JobStore, job_id: str, limit: int = MAX_LINES) -> list[JobLog]:
    """The job's lines, oldest first (at most ``limit``: the first ones)."""
    query = (
        select(JobLog).where(JobLog.job_id == job_id).order_by(JobLog.time, JobLog.id).limit(limit)
    )
    with store.session() as session:
        return list(session.scalars(query).all())


def install(store: JobStore, service: str) -> JobLogHandler:
    handler = JobLogHandler(store, service)
    logging.getLogger().addHandler(handler)
    return handler
