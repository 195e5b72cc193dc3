"""The job record: what OGC clients see of a job, whoever executes it.

Every write goes through ``JobStore`` so that the web app, the Prefect flows and their state
hooks agree on one table. Final states are never overwritten by late, stale updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from landgrid.db import engine
from landgrid.models import Job

FINAL = ("successful", "failed", "dismissed")


def now() -> datetime:
    return datetime.now(UTC)


class JobStore:
    def __init__(self, url: str) -> None:
        self.engine = engine(url)

    def create(self, job: Job) -> Job:
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(job)
            session.commit()
        return job

    def get(self, job_id: str) -> Job | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(Job, job_id)

    def list(self, limit: int | None = None, offset: int = 0) -> Sequence[Job]:
        query = select(Job).order_by(Job.created.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with Session(self.engine, expire_on_commit=False) as session:
            return session.scalars(query).all()

    def count(self) -> int:
        from sqlalchemy import func

        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(Job)) or 0

    def update(self, job_id: str, **values: Any) -> bool:
        """Update a job unless it is already final; True if a row changed."""
        values.setdefault("updated", now())
        query = (
            update(Job)
            .where(Job.id == job_id, Job.status.not_in(FINAL))
            .values(**values)
        )
        with Session(self.engine) as session:
            changed = session.execute(query).rowcount
            session.commit()
        return bool(changed)

    def mark_running(self, job_id: str, message: str = "running") -> bool:
        return self.update(job_id, status="running", started=now(), message=message, progress=0)

    def report(self, job_id: str, progress: int, message: str | None = None) -> bool:
        values: dict[str, Any] = {"progress": max(0, min(100, int(progress)))}
        if message is not None:
            values["message"] = message
        return self.update(job_id, **values)

    def finish(self, job_id: str, status: str, message: str,
               results: dict[str, Any] | None = None) -> bool:
        values: dict[str, Any] = {"status": status, "message": message, "finished": now()}
        if status == "successful":
            values["progress"] = 100
            values["results"] = results
        return self.update(job_id, **values)
