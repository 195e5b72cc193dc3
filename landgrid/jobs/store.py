"""The job record: what OGC clients see of a job, whoever executes it.

Every write goes through ``JobStore`` so that the web app, the Prefect flows, their state
hooks and the reconciler agree on one table. Final states are never overwritten by late,
stale updates (``update`` only touches non-final rows).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from landgrid.db import engine
from landgrid.jobs.model import Job
from landgrid.observability import metrics

LOGGER = logging.getLogger(__name__)
FINAL = ("successful", "failed", "dismissed")
STATUSES = ("accepted", "running", *FINAL)
JOB_LIMIT = (1, 10, 1000)  # minimum, default, maximum of `limit` on /jobs


def now() -> datetime:
    return datetime.now(UTC)


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobFilter:
    """The job-list query parameters of OGC API - Processes, already validated."""

    owners: list[str] | None = None  # None: everybody's (admin)
    process_ids: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    created_from: datetime | None = None
    created_to: datetime | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    limit: int = 10
    after: tuple[datetime, str] | None = None  # keyset cursor: (created, id) of the last row


def start_heartbeat(store: JobStore, interval: float) -> threading.Thread:
    """Beat for this process's running jobs every ``interval`` seconds, in a daemon thread:
    the reconciler fails a running job whose beats stop, whichever host ran it."""

    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                store.beat()
            except SQLAlchemyError as exc:  # the database is back at the next beat
                LOGGER.warning("job heartbeat failed: %s", exc)

    thread = threading.Thread(target=loop, name="job-heartbeat", daemon=True)
    thread.start()
    return thread


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created.isoformat(), job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str]:
    """Raises ValueError for anything that is not one of our cursors."""
    padded = token + "=" * (-len(token) % 4)
    created, job_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return datetime.fromisoformat(created), str(job_id)


class JobStore:
    def __init__(self, url: str) -> None:
        self.engine = engine(url)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def create(self, job: Job) -> tuple[Job, bool]:
        """Insert; with an idempotency key already used by this owner, the existing job."""
        try:
            with self.session() as session:
                session.add(job)
                session.commit()
            return job, True
        except IntegrityError:
            if job.idempotency_key is None:
                raise
            with self.session() as session:
                existing = session.scalar(
                    select(Job).where(
                        Job.owner == job.owner, Job.idempotency_key == job.idempotency_key
                    )
                )
            if existing is None:
                raise
            return existing, False

    def get(self, job_id: str) -> Job | None:
        with self.session() as session:
            return session.get(Job, job_id)

    def find(self, jobs: JobFilter) -> list[Job]:
        """One page, newest first, by keyset (no OFFSET); ``limit + 1`` rows tell "more"."""
        query = select(Job)
        if jobs.owners is not None:
            query = query.where(Job.owner.in_(jobs.owners))
        if jobs.process_ids:
            query = query.where(Job.process_id.in_(jobs.process_ids))
        if jobs.statuses:
            query = query.where(Job.status.in_(jobs.statuses))
        if jobs.created_from:
            query = query.where(Job.created >= jobs.created_from)
        if jobs.created_to:
            query = query.where(Job.created <= jobs.created_to)
        if jobs.min_duration is not None or jobs.max_duration is not None:
            duration = func.extract("epoch", func.coalesce(Job.finished, func.now()) - Job.started)
            query = query.where(Job.started.is_not(None))
            if jobs.min_duration is not None:
                query = query.where(duration >= jobs.min_duration)
            if jobs.max_duration is not None:
                query = query.where(duration <= jobs.max_duration)
        if jobs.after:
            created, job_id = jobs.after
            query = query.where(
                or_(Job.created < created, and_(Job.created == created, Job.id < job_id))
            )
        query = query.order_by(Job.created.desc(), Job.id.desc()).limit(jobs.limit + 1)
        with self.session() as session:
            return list(session.scalars(query).all())

    def census(self) -> tuple[list[tuple[str, str, int]], datetime | None]:
        """Jobs by process and status, and when the oldest still queued one was created."""
        by_state = select(Job.process_id, Job.status, func.count()).group_by(
            Job.process_id, Job.status
        )
        oldest = select(func.min(Job.created)).where(Job.status == "accepted")
        with self.session() as session:
            rows = [(p, s, n) for p, s, n in session.execute(by_state).all()]
            return rows, session.scalar(oldest)

    def open_jobs(self) -> Sequence[Job]:
        with self.session() as session:
            return session.scalars(select(Job).where(Job.status.in_(("accepted", "running")))).all()

    def pending_notifications(self, limit: int = 50) -> Sequence[Job]:
        query = (
            select(Job)
            .where(
                Job.subscriber.is_not(None),
                or_(Job.notified.is_(None), Job.notified != Job.status),
                Job.status != "accepted",
                Job.status != "dismissed",
                Job.notify_attempts < 6,
                or_(Job.notify_after.is_(None), Job.notify_after <= func.now()),
            )
            .limit(limit)
        )
        with self.session() as session:
            return session.scalars(query).all()

    def update(self, job_id: str, **values: Any) -> bool:
        """Update a job unless it is already final; True if a row changed."""
        values.setdefault("updated", now())
        query = update(Job).where(Job.id == job_id, Job.status.not_in(FINAL)).values(**values)
        with self.session() as session:
            changed = session.execute(query).rowcount
            session.commit()
        return bool(changed)

    def set(self, job_id: str, **values: Any) -> None:
        """Unconditional update, for bookkeeping columns (outbox, results removal)."""
        with self.session() as session:
            session.execute(update(Job).where(Job.id == job_id).values(**values))
            session.commit()

    def mark_running(self, job_id: str, flow_run_id: str | None = None) -> Job | None:
        """Start (or, after a retry in the Prefect UI, restart) a job; never a dismissed or
        successful one (None then)."""
        values: dict[str, Any] = {
            "status": "running",
            "started": now(),
            "message": "running",
            "progress": 0,
            "runner": this_runner(),
            "heartbeat": now(),
            "finished": None,
            "results": None,
            "updated": now(),
        }
        if flow_run_id:
            values["flow_run_id"] = flow_run_id
        query = (
            update(Job)
            .where(Job.id == job_id, Job.status.in_(("accepted", "running", "failed")))
            .values(**values)
            .returning(Job)
        )
        with self.session() as session:
            job = session.scalars(query).one_or_none()
            session.commit()
        if job is not None and job.started is not None:
            metrics.job_left(job.process_id, "accepted", job.created, job.started)
        return job

    def beat(self) -> None:
        """Sign of life for every job this process runs (see ``start_heartbeat``)."""
        query = update(Job).where(Job.runner == this_runner(), Job.status == "running")
        with self.session() as session:
            session.execute(query.values(heartbeat=now()))
            session.commit()

    def unmirrored(self, limit: int = 50) -> Sequence[Job]:
        """Sync jobs that ended while Prefect was unreachable: their flow run is missing or
        does not show their final state yet."""
        query = (
            select(Job)
            .where(
                Job.mode == "sync",
                Job.status.in_(FINAL),
                or_(Job.mirrored.is_(None), Job.mirrored != Job.status),
                Job.created > now() - timedelta(days=1),
            )
            .limit(limit)
        )
        with self.session() as session:
            return session.scalars(query).all()

    def report(self, job_id: str, progress: int, message: str | None = None) -> bool:
        values: dict[str, Any] = {"progress": max(0, min(100, int(progress)))}
        if message is not None:
            values["message"] = message[:1000]
        return self.update(job_id, **values)

    def finish(
        self, job_id: str, status: str, message: str, results: dict[str, Any] | None = None
    ) -> Job | None:
        """End a job that is not final yet; the job as it ended, None if it already had."""
        values: dict[str, Any] = {
            "status": status,
            "message": message[:1000],
            "finished": now(),
            "results": results,
            "updated": now(),
        }
        if status == "successful":
            values["progress"] = 100
        query = (
            update(Job)
            .where(Job.id == job_id, Job.status.not_in(FINAL))
            .values(**values)
            .returning(Job)
        )
        with self.session() as session:
            job = session.scalars(query).one_or_none()
            session.commit()
        if job is not None and job.finished is not None:
            metrics.job_left(job.process_id, "running", job.started, job.finished)
            metrics.job_finished(job.process_id, job.status, job.created, job.finished)
        return job

    def notification_failed(self, job: Job) -> None:
        delay = timedelta(seconds=2 ** (job.notify_attempts + 1))
        self.set(job.id, notify_attempts=job.notify_attempts + 1, notify_after=now() + delay)
