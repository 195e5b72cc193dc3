"""The job table as gauges, read at each scrape: jobs by process and status, the queue's
depth and age. Registered by one process per deployment (the reconciler, which is alone),
so that the sums over all scraped processes stay right."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from landgrid.jobs.store import JobStore, now
from landgrid.observability import metrics


class JobCensus(Collector):
    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            rows, oldest = self.store.census()
        except SQLAlchemyError:  # a scrape while the database restarts: no job gauges then
            return
        jobs = GaugeMetricFamily(
            metrics.JOBS, "jobs in the table, by process and status", labels=["process", "status"]
        )
        for process, status, count in rows:
            jobs.add_metric([process, status], count)
        yield jobs
        queued = sum(count for _, status, count in rows if status == "accepted")
        yield GaugeMetricFamily(
            metrics.QUEUE_DEPTH, "jobs accepted and not yet started", value=queued
        )
        age = (now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            metrics.OLDEST_QUEUED, "how long the oldest queued job has waited", value=age
        )
