"""The log line formats: the ids bound to a thread on every record, as text or JSON."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from landgrid.observability.logs import ContextFilter, bind, bind_job, formatter


@pytest.fixture
def capture():
    """A logger writing through our filter and formatter into a string."""

    def make(log_format: str) -> tuple[logging.Logger, io.StringIO]:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter(log_format, "worker"))
        handler.addFilter(ContextFilter())
        logger = logging.getLogger(f"landgrid.test.{log_format}")
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
        return logger, stream

    return make


def test_json_lines_carry_the_bound_ids(capture) -> None:
    logger, stream = capture("json")
    with bind(request_id="r-1"), bind_job("job-1", "echo", "alice"):
        logger.info("job %s running", "job-1")
    logger.warning("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "job job-1 running"
    assert first["level"] == "INFO" and first["logger"] == "landgrid.test.json"
    assert first["service"] == "worker" and "time" in first
    assert (first["request_id"], first["job_id"], first["process_id"], first["owner"]) == (
        "r-1",
        "job-1",
        "echo",
        "alice",
    )
    assert second["job_id"] is None and second["message"] == "outside"


def test_text_lines_show_the_ids_in_brackets(capture) -> None:
    logger, stream = capture("text")
    with bind_job("job-2", "sleep", "bob"):
        logger.info("started")
    logger.info("idle")
    first, second = stream.getvalue().splitlines()
    assert "[job_id=job-2 process_id=sleep owner=bob] started" in first
    assert second.endswith("landgrid.test.text idle")


def test_ids_stay_with_their_thread(capture) -> None:
    logger, stream = capture("json")
    with bind_job("job-main", "echo", "alice"):
        other = threading.Thread(target=lambda: logger.info("from another thread"))
        other.start()
        other.join()
        logger.info("from this thread")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {x["message"]: x["job_id"] for x in lines} == {
        "from another thread": None,
        "from this thread": "job-main",
    }
