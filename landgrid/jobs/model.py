"""Our own tables. The job table is what OGC clients see; Prefect is what executes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("owner", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    owner: Mapped[str] = mapped_column(String(256), index=True, default="anonymous")
    """``anonymous`` (``open`` mode's local user) or ``oidc:<sha256 of issuer and sub>``."""
    grants: Mapped[list[str] | None] = mapped_column(JSONB)
    """The submitter's token roles and scopes (None: no token): the job's run reads the
    catalog with them, as the request did."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int | None] = mapped_column(Integer)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    requested_outputs: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response: Mapped[str] = mapped_column(String(16), default="raw")
    subscriber: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    idempotency_key: Mapped[str | None] = mapped_column(String(256))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(8), default="async")
    """``sync``: runs in a web process thread; ``async``: handed to a Prefect worker."""
    runner: Mapped[str | None] = mapped_column(String(128))
    """``host:pid`` of the process executing the flow, for the reconciler's liveness check."""
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Last sign of life of that process (it beats for its running jobs), from any host."""
    mirrored: Mapped[str | None] = mapped_column(String(16))
    """Final status of a sync job already set on its Prefect flow run (mirror outbox)."""
    notified: Mapped[str | None] = mapped_column(String(16))
    """Last status delivered to the subscriber (callback outbox)."""
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def final(self) -> bool:
        return self.status in ("successful", "failed", "dismissed")


class JobLog(Base):
    """One log line about a job, from whichever process wrote it (``landgrid.jobs.logbook``):
    what its owner reads at ``/jobs/<id>/logs``."""

    __tablename__ = "job_logs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), ForeignKey("jobs.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[str] = mapped_column(String(10))
    service: Mapped[str] = mapped_column(String(32))
    logger: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)


class Service(Base):
    """A worker or reconciler process and its last beat (``/health``, the stack)."""

    __tablename__ = "services"

    runner: Mapped[str] = mapped_column(String(128), primary_key=True)
    """``host:pid`` of the process."""
    name: Mapped[str] = mapped_column(String(32), index=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    beat: Mapped[datetime] = mapped_column(DateTime(timezone=True))
