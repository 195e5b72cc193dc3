"""What the Processes modules share: executing a process and waiting for its job."""

from __future__ import annotations

import time

import requests


def execute(http: requests.Session, api: str, process: str, inputs: dict, prefer=None, **body):
    headers = {"Prefer": prefer} if prefer else {}
    return http.post(
        f"{api}/processes/{process}/execution",
        json={"inputs": inputs, **body},
        headers=headers,
        timeout=120,
    )


def wait(http, api, job_id, statuses=("successful", "failed", "dismissed"), timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"{api}/jobs/{job_id}", timeout=30).json()
        if job["status"] in statuses or time.monotonic() > deadline:
            return job
        time.sleep(0.3)
