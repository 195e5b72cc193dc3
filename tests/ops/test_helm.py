"""The Helm chart, rendered with its default and its production values, against the
Kubernetes API schemas (``kubernetes-validate``, strict: no unknown field), and its parts
checked against each other: what a pod refers to exists, the reconciler is alone, the
settings the chart gives are settings Landgrid reads."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from landgrid.settings import Settings
from tests.ops.helm import CHART, RenderError, render, renderer

KUBERNETES = "1.30.0"  # the oldest version the chart's kubeVersion admits that we test
PRODUCTION = CHART / "values-production.yaml"


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    command = renderer(tmp_path_factory.mktemp("helm"))
    if command is None:
        pytest.skip("neither helm nor Debian's Go packages (setup.sh --test installs them)")
    return command


@pytest.fixture(scope="module", params=["default", "production"])
def manifests(request: pytest.FixtureRequest, helm: list[str]) -> tuple[str, list[dict]]:
    values = [PRODUCTION] if request.param == "production" else []
    return request.param, render(helm, *values)


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    specs = {n: d["spec"]["template"] for n, d in by_kind(docs, "Deployment").items()}
    specs |= {n: d["spec"]["template"] for n, d in by_kind(docs, "Job").items()}
    return specs


def test_every_manifest_is_valid_kubernetes(manifests: tuple[str, list[dict]]) -> None:
    _, docs = manifests
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            pytest.fail(f"{name}: {exc.message} at {list(exc.path)}")


def test_the_parts_of_the_deployment(manifests: tuple[str, list[dict]]) -> None:
    case, docs = manifests
    deployments = by_kind(docs, "Deployment")
    parts = {name.removeprefix("landgrid-") for name in deployments}
    expected = {"web", "worker", "reconciler", "prefect", "prefect-services"}
    assert parts == (expected | {"redis"} if case == "default" else expected)
    assert set(by_kind(docs, "HorizontalPodAutoscaler")) == {"landgrid-web"}
    assert set(by_kind(docs, "Job")) == {"landgrid-migrate"}
    reconciler = deployments["landgrid-reconciler"]["spec"]
    assert reconciler["replicas"] == 1 and reconciler["strategy"]["type"] == "Recreate"
    assert "replicas" not in deployments["landgrid-web"]["spec"]  # the autoscaler's
    api = deployments["landgrid-prefect"]["spec"]["template"]["spec"]["containers"][0]
    assert api["command"][:3] == ["uvicorn", "--factory", "prefect.server.api.server:create_app"]
    assert {"name": "PREFECT__SERVER_WEBSERVER_ONLY", "value": "1"} in api["env"]
    workers = [a for a in api["command"] if a.startswith("--workers=")]
    assert workers == (["--workers=2"] if case == "default" else ["--workers=4"])


def test_what_pods_refer_to_exists(manifests: tuple[str, list[dict]]) -> None:
    case, docs = manifests
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    if case == "production":
        values = yaml.safe_load(PRODUCTION.read_text())
    oidc = values["auth"]["oidc"]
    external = {
        values["database"].get("existingSecret"),
        oidc.get("existingSecret"),
        values.get("results", {}).get("existingSecret"),
    }
    secrets = set(by_kind(docs, "Secret")) | (external - {None, ""})
    configmaps = set(by_kind(docs, "ConfigMap"))
    claims = set(by_kind(docs, "PersistentVolumeClaim")) | {values["storage"].get("existingClaim")}
    accounts = set(by_kind(docs, "ServiceAccount"))
    for name, template in pod_specs(docs).items():
        spec = template["spec"]
        assert spec.get("serviceAccountName", "default") in accounts | {"default"}, name
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, name
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps, name
            ports = {p.get("name") for p in container.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe"):
                for check in ("httpGet", "tcpSocket"):
                    port = container.get(probe, {}).get(check, {}).get("port")
                    assert port is None or port in ports, f"{name}: {probe} port {port}"
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            assert mounts <= {v["name"] for v in spec.get("volumes", [])}, name
    templates = pod_specs(docs)
    for name, service in by_kind(docs, "Service").items():
        selector = service["spec"]["selector"].items()
        assert any(selector <= t["metadata"]["labels"].items() for t in templates.values()), (
            f"Service {name} selects no pod"
        )
    for name, hpa in by_kind(docs, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["scaleTargetRef"]["name"] in by_kind(docs, "Deployment"), name


def test_the_chart_sets_only_settings_landgrid_reads(manifests: tuple[str, list[dict]]) -> None:
    _, docs = manifests
    known = {f"LANDGRID_{name.upper()}" for name in Settings.model_fields} | {"DATABASE_URL"}
    given = set()
    for config in by_kind(docs, "ConfigMap").values():
        given |= set(config["data"])
    for secret in by_kind(docs, "Secret").values():
        given |= set(secret.get("stringData", {}))
    ours = {key for key in given if key.startswith("LANDGRID_") or key == "DATABASE_URL"}
    assert ours and ours <= known, sorted(ours - known)


def test_production_keeps_its_secrets_outside_the_chart(helm: list[str]) -> None:
    docs = render(helm, PRODUCTION)
    assert by_kind(docs, "Secret") == {}
    config = by_kind(docs, "ConfigMap")["landgrid"]["data"]
    assert config["LANDGRID_AUTH_MODE"] == "oidc" and config["LANDGRID_ENV"] == "production"
    assert config["PREFECT_REDIS_MESSAGING_HOST"] == "redis.platform.svc.cluster.local"
    assert config["LANDGRID_RESULTS_URL"] == "s3://landgrid-results/jobs"
    ingress = by_kind(docs, "Ingress")["landgrid"]["spec"]
    assert ingress["tls"][0]["secretName"] == "landgrid-tls"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"auth": {"mode": "oidc", "oidc": {"clientSecret": "s", "secretKey": "k"}}}, "issuer"),
        ({"redis": {"enabled": False}}, "redis.host"),
        ({"database": {"url": ""}}, "database.url"),
    ],
)
def test_missing_values_stop_the_render_with_their_name(
    helm: list[str], tmp_path: Path, values: dict, message: str
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    with pytest.raises(RenderError, match=message):
        render(helm, path)
