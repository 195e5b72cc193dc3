"""The web app's ``/metrics`` in process, read with Prometheus' own text parser; the Grafana
dashboard's queries against the metrics Landgrid defines (the running services are scraped
in test_observability.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from landgrid.observability import metrics
from landgrid.settings import Settings
from landgrid.web.app import create_app

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "landgrid.json"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}


def sample_names(families) -> set[str]:
    """The series names a scrape of these families can hold (a counter ``x`` is ``x_total``)."""
    return {f.name + suffix for f in families for suffix in SUFFIXES.get(f.type, ("",))}


def dashboard_metrics() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    assert exprs, "the dashboard has no query"
    return {name for expr in exprs for name in re.findall(r"\b(landgrid_\w+)", expr)}


@pytest.fixture
def client(tmp_path: Path):
    return create_app(Settings(data_dir=tmp_path / "var")).test_client()


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}


def count(families: dict, **labels: str) -> float:
    return sum(
        s.value
        for s in families["landgrid_http_requests"].samples
        if s.name.endswith("_total") and labels.items() <= s.labels.items()
    )


def test_requests_are_counted_by_route_template(client) -> None:
    before = scrape(client)
    client.get("/conformance")
    client.get("/collections/no-such-collection")
    client.get("/collections/another-unknown-one")
    client.get("/nothing/serves/this/path")
    after = scrape(client)
    route = "/collections/<path:collection_id>"  # the rule as written
    assert count(after, route=route, status="404") - count(before, route=route, status="404") == 2
    assert count(after, route="/conformance", method="GET", status="200") >= 1
    assert count(after, route="<unmatched>", status="404") >= 1
    values = {v for s in after["landgrid_http_requests"].samples for v in s.labels.values()}
    assert not any("no-such-collection" in v or "nothing/serves" in v for v in values)
    latency = after["landgrid_http_request_duration_seconds"].samples
    buckets = [s for s in latency if s.name.endswith("_bucket") and s.labels["route"] == route]
    assert buckets and buckets[-1].labels["le"] == "+Inf" and buckets[-1].value >= 2


def test_metrics_answer_without_a_token_in_oidc_mode(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        auth_mode="oidc",
        oidc_issuer="http://127.0.0.1:9/realms/none",  # never asked: /metrics is public
        oidc_audience="landgrid-api",
    )
    response = create_app(settings).test_client().get("/metrics")
    assert response.status_code == 200


def test_every_dashboard_query_names_a_defined_metric() -> None:
    defined = sample_names(REGISTRY.collect())  # every metric of landgrid.observability
    defined |= {metrics.JOBS, metrics.QUEUE_DEPTH, metrics.OLDEST_QUEUED}
    named = dashboard_metrics()
    assert named, "the dashboard queries no Landgrid metric"
    assert named <= defined, sorted(named - defined)


def test_the_dashboard_check_would_see_a_misspelt_metric() -> None:
    defined = sample_names(REGISTRY.collect())
    assert "landgrid_http_requests_total" in defined
    assert "landgrid_http_request_total" not in defined
