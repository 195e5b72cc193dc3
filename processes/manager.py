"""The Prefect-backed job manager behind pygeoapi's Processes API.

Submission order: validate, record the job (our table is the source of truth for clients),
then hand it to Prefect. Async jobs go to a worker via ``run_deployment`` with the job id as
idempotency key and flow-run name, so a retried submission never makes a second run. Sync
jobs run the same flow in the web process: still a Prefect flow run, without a worker's
process start.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.states import Cancelling
from pygeoapi.process.base import JobNotFoundError, JobResultNotFoundError, ProcessorExecuteError
from pygeoapi.process.manager.base import BaseManager, Subscriber
from pygeoapi.util import JobStatus, ProcessExecutionMode, RequestedProcessExecutionMode

from flows.ogc_process import FLOW_NAME, ogc_process
from landgrid.jobs import FINAL, JobStore
from landgrid.models import Job
from landgrid.settings import Settings

LOGGER = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class PrefectManager(BaseManager):
    def __init__(self, manager_def: dict) -> None:
        super().__init__(manager_def)
        self.is_async = True
        self.supports_subscribing = True
        self.settings = Settings()
        self.store = JobStore(manager_def.get("connection") or self.settings.db_url())

    # reading -----------------------------------------------------------------------------
    def _as_dict(self, job: Job) -> dict[str, Any]:
        return {
            "identifier": job.id,
            "process_id": job.process_id,
            "status": job.status,
            "message": job.message,
            "progress": job.progress,
            "created": _iso(job.created),
            "started": _iso(job.started),
            "finished": _iso(job.finished),
            "updated": _iso(job.updated),
            "mimetype": (job.results or {}).get("mimetype", "application/json"),
        }

    def get_jobs(self, status: JobStatus | None = None, limit: int | None = None,
                 offset: int | None = None) -> dict:
        jobs = self.store.list(limit=limit, offset=offset or 0)
        return {"jobs": [self._as_dict(j) for j in jobs], "numberMatched": self.store.count()}

    def get_job(self, job_id: str) -> dict:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFoundError()
        return self._as_dict(job)

    def get_job_result(self, job_id: str) -> tuple[str, Any]:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFoundError()
        if not job.results:
            raise JobResultNotFoundError()
        return job.results["mimetype"], job.results["outputs"]

    # acting ------------------------------------------------------------------------------
    def delete_job(self, job_id: str) -> bool:
        job = self.store.get(job_id)
        if job is None:
            raise JobNotFoundError()
        if job.flow_run_id and job.status not in FINAL:
            with get_client(sync_client=True) as client:
                client.set_flow_run_state(uuid.UUID(job.flow_run_id), Cancelling(), force=True)
        self.store.update(job_id, status="dismissed", message="dismissed by the client")
        return True

    def execute_process(self, process_id: str, data_dict: dict,
                        execution_mode: RequestedProcessExecutionMode | None = None,
                        requested_outputs: dict | None = None,
                        subscriber: Subscriber | None = None,
                        requested_response: str | None = "raw",
                        ) -> tuple[str, str, Any, JobStatus, dict[str, str] | None]:
        processor = self.get_processor(process_id)
        options = processor.metadata.get("jobControlOptions", [])
        can_async = ProcessExecutionMode.async_execute.value in options
        can_sync = ProcessExecutionMode.sync_execute.value in options
        run_async = can_async and (
            execution_mode == RequestedProcessExecutionMode.respond_async or not can_sync
        )
        job = self.store.create(Job(
            id=str(uuid.uuid4()),
            process_id=process_id,
            owner="anonymous",
            status=JobStatus.accepted.value,
            message="accepted",
            progress=0,
            inputs=data_dict,
            requested_outputs=requested_outputs,
            response=requested_response or "raw",
        ))
        if run_async:
            self._submit(job)
            headers = {"Preference-Applied": "respond-async"} if execution_mode else None
            return job.id, "application/json", None, JobStatus.accepted, headers
        ogc_process(job.id, process_id, data_dict)
        done = self.store.get(job.id)
        if done is None or done.status != JobStatus.successful.value:
            message = done.message if done else "job vanished"
            raise ProcessorExecuteError(message)
        headers = {"Preference-Applied": "wait"} if execution_mode else None
        return (job.id, done.results["mimetype"], done.results["outputs"],
                JobStatus.successful, headers)

    def _submit(self, job: Job) -> None:
        flow_run = run_deployment(
            f"{FLOW_NAME}/{job.process_id}",
            parameters={"job_id": job.id, "process_id": job.process_id, "inputs": job.inputs},
            timeout=0,
            idempotency_key=job.id,
            flow_run_name=job.id,
            tags=[f"process:{job.process_id}", f"owner:{job.owner}"],
        )
        self.store.update(job.id, flow_run_id=str(flow_run.id))
