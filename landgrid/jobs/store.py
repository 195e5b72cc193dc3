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
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from landgrid.db import database_down, engine
from landgrid.errors import LandgridError
from landgrid.jobs.model import Job, Service
from landgrid.observability import metrics

LOGGER = logging.getLogger(__name__)
OPEN = ("accepted", "running")
FINAL = ("successful", "failed", "dismissed")
STATUSES = (*OPEN, *FINAL)
JOB_LIMIT = (1, 10, 1000)  # minimum, default, maximum of `limit` on /jobs
# the reconciler never needs a job's inputs or results (megabytes for some jobs)
LIGHT = (defer(Job.inputs, raiseload=True), defer(Job.results, raiseload=True))
CREATE_LOCK = 7_163_001  # advisory lock: counting open jobs and inserting one is atomic
Cursor = tuple[datetime, str]  # (created, id) of the last row of a page


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


@dataclass(frozen=True)
class JobLimits:
    """Fair share: most open (queued + running) jobs per owner, and of everybody."""

    per_owner: int
    total: int


class JobLimitReached(LandgridError):
    """A new job would exceed a ``JobLimits`` bound."""

    def __init__(self, whose: str, limit: int) -> None:
        super().__init__(f"{whose} already {limit} queued or running jobs (the limit)")
        self.limit = limit


def durable[T](write: Callable[[], T], within: float = 60) -> T:
    """``write()``, tried again across a database restart (the connection refused or lost)
    for up to ``within`` seconds: a job's outcome must not be lost to a short outage."""
    deadline, delay = time.monotonic() + within, 0.5
    while True:
        try:
            return write()
        except Exception as exc:
            if not database_down(exc) or time.monotonic() + delay > deadline:
                raise
            LOGGER.warning("job database unavailable, retrying in %.1f s: %s", delay, exc)
        time.sleep(delay)
        delay = min(delay * 2, 5)


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

    def create(self, job: Job, limits: JobLimits | None = None) -> tuple[Job, bool]:
        """Insert; with an idempotency key already used by this owner, the existing job.
        With ``limits``, counting the open jobs and inserting is one atomic step (an
        advisory lock), so concurrent submissions cannot overshoot them."""
        if limits is not None:
            return self._create_within(job, limits)
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

    def _create_within(self, job: Job, limits: JobLimits) -> tuple[Job, bool]:
        with self.session() as session:
            session.execute(select(func.pg_advisory_xact_lock(CREATE_LOCK)))
            if job.idempotency_key is not None:  # a retried POST is never refused
                existing = session.scalar(
                    select(Job).where(
                        Job.owner == job.owner, Job.idempotency_key == job.idempotency_key
                    )
                )
                if existing is not None:
                    return existing, False
            total, mine = session.execute(
                select(func.count(), func.count().filter(Job.owner == job.owner)).where(
                    Job.status.in_(OPEN)
                )
            ).one()
            if mine >= limits.per_owner:
                raise JobLimitReached("you have", limits.per_owner)
            if total >= limits.total:
                raise JobLimitReached("the server has", limits.total)
            session.add(job)
            session.commit()
        return job, True

    def get(self, job_id: str) -> Job | None:
        with self.session() as session:
            return session.get(Job, job_id)

    def status(self, job_id: str) -> str | None:
        with self.session() as session:
            return session.scalar(select(Job.status).where(Job.id == job_id))

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

    # the reconciler's batches (light rows, keyset pages) --------------------------------
    def _light(self, query: Any) -> list[Job]:
        with self.session() as session:
            return list(session.scalars(query.options(*LIGHT)).all())

    def unsubmitted(self, before: datetime, after: Cursor | None, limit: int) -> list[Job]:
        """Async jobs accepted without a flow run, not updated since ``before``: newest
        first, so that a new job never waits behind a backlog of old ones."""
        query = select(Job).where(
            Job.status == "accepted",
            Job.mode == "async",
            Job.flow_run_id.is_(None),
            Job.updated < before,
        )
        if after:
            query = query.where(
                or_(Job.created < after[0], and_(Job.created == after[0], Job.id < after[1]))
            )
        return self._light(query.order_by(Job.created.desc(), Job.id.desc()).limit(limit))

    def open_page(self, after: Cursor | None, limit: int) -> list[Job]:
        """Open jobs, oldest first, after the cursor: the reconciler's sweep."""
        query = select(Job).where(Job.status.in_(OPEN))
        if after:
            query = query.where(
                or_(Job.created > after[0], and_(Job.created == after[0], Job.id > after[1]))
            )
        return self._light(query.order_by(Job.created, Job.id).limit(limit))

    def uncancelled(self, limit: int) -> list[Job]:
        """Dismissed async jobs whose flow run is not yet known to be over (a dismissal
        while Prefect was unreachable, a run stuck in Cancelling)."""
        query = select(Job).where(
            Job.status == "dismissed",
            Job.mode == "async",
            Job.flow_run_id.is_not(None),
            Job.mirrored.is_distinct_from("dismissed"),
            Job.finished > now() - timedelta(days=1),
        )
        return self._light(query.order_by(Job.finished).limit(limit))

    def database_started(self) -> datetime:
        """When the database server last started: beats missed while it was down are not
        a sign that a run died."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT pg_postmaster_start_time()")).scalar_one()

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

    def beat(self, job_ids: Collection[str]) -> set[str]:
        """Sign of life for the runs of ``job_ids`` in this process; returns those still
        running here (the others were dismissed or ended elsewhere: their work must stop)."""
        if not job_ids:
            return set()
        query = (
            update(Job)
            .where(Job.id.in_(job_ids), Job.status == "running", Job.runner == this_runner())
            .values(heartbeat=now())
            .returning(Job.id)
        )
        with self.session() as session:
            alive = set(session.scalars(query).all())
            session.commit()
        return alive

    # services (workers, reconcilers) ------------------------------------------------------
    def beat_service(self, name: str) -> None:
        values = {"runner": this_runner(), "name": name, "started": now(), "beat": now()}
        query = insert(Service).values(**values)
        query = query.on_conflict_do_update(index_elements=["runner"], set_={"beat": now()})
        with self.session() as session:
            session.execute(query)
            session.commit()

    def forget_service(self, runner: str) -> None:
        """A service process known to be gone (the stack saw it exit)."""
        with self.session() as session:
            session.execute(delete(Service).where(Service.runner == runner))
            session.commit()

    def services(self, name: str, since: datetime) -> list[Service]:
        """The ``name`` processes that beat since ``since``."""
        query = select(Service).where(Service.name == name, Service.beat >= since)
        with self.session() as session:
            return list(session.scalars(query.order_by(Service.beat.desc())).all())

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
            .order_by(Job.finished)
            .limit(limit)
            .options(*LIGHT)
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
