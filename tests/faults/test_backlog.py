"""A backlog of thousands of open jobs: 1,000 accepted while Prefect was down during a
flood, 2,000 running on another host. The reconciler works through them in bounded passes,
a new job never waits behind them, a job dismissed meanwhile is never submitted, every
other job gets exactly one flow run, and the live remote jobs are left alone.

A stack of its own (PostgreSQL, Prefect, the deployments, the reconciler; no worker, so
the runs stay Scheduled and cost nothing to execute)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, insert, select, update

from landgrid.jobs.model import Job
from landgrid.jobs.store import JobStore
from landgrid.ops.migrate import upgrade
from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack
from landgrid.settings import Settings
from tests.faults.conftest import measure, throwaway_dir, wait_until

pytestmark = pytest.mark.services

BACKLOG = 1000  # accepted, never submitted
ELSEWHERE = 2000  # running on another host, beating
DISMISSED = 100  # the oldest of the backlog, dismissed while the reconciler works


@pytest.fixture(scope="module")
def reconciled() -> Iterator[tuple[Settings, Stack]]:
    base = throwaway_dir("landgrid-backlog-")
    settings = Settings(
        data_dir=base / "var", pg_port=free_port(), port=free_port(), prefect_port=free_port()
    )
    stack = Stack(settings, lambda _: None)
    try:
        stack.start_database()
        stack.start_prefect_server()
        upgrade(settings.db_url())
        stack.wait_prefect()
        stack.run_module("flows.deployments", "registering the deployments")
        yield settings, stack
    finally:
        stack.stop()
        shutil.rmtree(base, ignore_errors=True)


def backlog_rows(count: int, since: datetime) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "process_id": "echo",
            "owner": "anonymous",
            "status": "accepted",
            "message": "queued: waiting for the workflow engine",
            "mode": "async",
            "progress": 0,
            "inputs": {"echoInput": f"backlog {i}"},
            "response": "raw",
            "created": since + timedelta(milliseconds=i),
            "updated": since + timedelta(milliseconds=i),
        }
        for i in range(count)
    ]


def elsewhere_rows(count: int, since: datetime) -> list[dict]:
    rows = backlog_rows(count, since)
    for row in rows:
        row |= {"status": "running", "mode": "sync", "runner": "elsewhere:1", "heartbeat": since}
    return rows


def unsubmitted(store: JobStore) -> int:
    with store.session() as session:
        return session.scalar(
            select(func.count()).where(Job.status == "accepted", Job.flow_run_id.is_(None))
        )


def test_a_new_job_is_submitted_ahead_of_a_backlog(reconciled):
    settings, stack = reconciled
    store = JobStore(settings.db_url())
    rows = backlog_rows(BACKLOG, datetime.now(UTC) - timedelta(minutes=30))
    remote = elsewhere_rows(ELSEWHERE, datetime.now(UTC) - timedelta(minutes=20))
    remote_ids = [row["id"] for row in remote]

    beating = threading.Event()

    def remote_beats() -> None:  # the other host's runs are alive: they beat
        while True:
            with store.session() as session:
                now = datetime.now(UTC)
                session.execute(update(Job).where(Job.id.in_(remote_ids)).values(heartbeat=now))
                session.commit()
            if beating.wait(settings.heartbeat_interval):
                return

    with store.session() as session:
        session.execute(insert(Job), rows + remote)
        session.commit()
    threading.Thread(target=remote_beats, daemon=True).start()
    try:
        check_backlog(settings, stack, store, rows, remote_ids)
    finally:
        beating.set()


def check_backlog(settings, stack, store, rows, remote_ids) -> None:
    stack.start_reconciler()
    wait_until(lambda: unsubmitted(store) <= BACKLOG - 50, 180, "the reconciler at work")
    grace = 2 * settings.reconcile_interval
    new_id = str(uuid.uuid4())
    just_now = datetime.now(UTC) - timedelta(seconds=grace + 1)  # its web process died
    store.create(
        Job(id=new_id, process_id="echo", owner="anonymous", status="accepted", mode="async",
            inputs={"echoInput": "new"}, created=just_now, updated=just_now)
    )  # fmt: skip
    oldest = [row["id"] for row in rows[:DISMISSED]]
    with store.session() as session:  # as DELETE /jobs/{id} does, while the pass runs
        session.execute(
            update(Job).where(Job.id.in_(oldest)).values(status="dismissed", message="dismissed")
        )
        session.commit()
    bound = settings.reconcile_budget + settings.reconcile_interval + 10
    submitted = wait_until(lambda: store.get(new_id).flow_run_id, bound, "the new job submitted")
    assert unsubmitted(store) > 0, "the new job should not have waited for the whole backlog"
    total = BACKLOG + ELSEWHERE
    measure(f"a new job behind {total} open jobs -> submitted", submitted, bound)

    rest = wait_until(lambda: not unsubmitted(store), 400, "the backlog submitted", every=2)
    measure(f"{BACKLOG} unsubmitted of {total} open jobs -> all submitted", submitted + rest, 400)
    with store.session() as session:
        leaked = session.scalar(
            select(func.count()).where(Job.id.in_(oldest), Job.flow_run_id.is_not(None))
        )
        submitted_ids = session.scalars(select(Job.id).where(Job.flow_run_id.is_not(None))).all()
    assert leaked == 0, "a dismissed job was submitted"
    assert len(submitted_ids) == BACKLOG - DISMISSED + 1
    count = requests.post(f"{settings.prefect_api}/flow_runs/count", json={}, timeout=60).json()
    assert count == len(submitted_ids), "exactly one flow run per job"
    assert stack.children["reconciler"].poll() is None
    with store.session() as session:
        still = session.scalar(
            select(func.count()).where(Job.id.in_(remote_ids), Job.status == "running")
        )
    assert still == ELSEWHERE, "a live job on another host was failed"
