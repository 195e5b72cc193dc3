"""Job results in object storage: an S3 API server (moto's, on loopback) as the bucket, a
real job of the session stack's products run by a web app configured for it, the file
served back from the bucket, and removed from it when the job is dismissed."""

from __future__ import annotations

from collections.abc import Iterator

import fsspec
import pytest

from landgrid.jobs.results import ResultStore
from landgrid.ops.pgcluster import free_port
from landgrid.settings import Settings
from landgrid.web.app import create_app

pytestmark = pytest.mark.services
BUCKET = "landgrid-results"


@pytest.fixture(scope="module")
def s3(monkeypatch_module) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "landgrid",
        "AWS_SECRET_ACCESS_KEY": "landgrid-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch_module.setenv(name, value)
    endpoint = f"http://127.0.0.1:{port}"
    fsspec.filesystem("s3", endpoint_url=endpoint, skip_instance_cache=True).mkdir(BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def bucket_settings(stack, settings: Settings, s3: str) -> Settings:
    return settings.model_copy(
        update={"results_url": f"s3://{BUCKET}/jobs", "results_endpoint_url": s3}
    )


def objects(settings: Settings, job_id: str) -> list[str]:
    fs = fsspec.filesystem(
        "s3", endpoint_url=settings.results_endpoint_url, skip_instance_cache=True
    )
    found = fs.find(f"{BUCKET}/jobs/{job_id}")
    return [path.rsplit("/", 1)[-1] for path in found]


def test_a_result_file_goes_to_the_bucket_and_back(bucket_settings: Settings) -> None:
    client = create_app(bucket_settings).test_client()
    collection = client.get("/collections/clcplus-backbone?f=json").json
    w, s, e, n = collection["extent"]["spatial"]["bbox"][0]
    aoi = [w + (e - w) / 4, s + (n - s) / 4, e - (e - w) / 4, n - (n - s) / 4]
    r = client.post(
        "/processes/extract/execution",  # no Prefer: run in this web app, synchronously
        json={
            "inputs": {"product": "clcplus-backbone", "year": 2021, "aoi": {"bbox": aoi}},
            "outputs": {"coverage": {"transmissionMode": "reference"}},
            "response": "document",
        },
    )
    assert r.status_code == 200, r.text
    href = r.json["coverage"]["href"]
    job_id = href.split("/jobs/")[1].split("/")[0]
    stored = objects(bucket_settings, job_id)
    assert stored, "nothing was uploaded"
    assert not ResultStore(bucket_settings).workdir(job_id).exists()  # scratch removed
    assert not (bucket_settings.results_dir / job_id).exists()  # nothing on the shared path
    tiff = client.get(f"/jobs/{job_id}/results/coverage")
    assert tiff.status_code == 200 and tiff.data[:4] in (b"II*\x00", b"MM\x00*")
    with ResultStore(bucket_settings).open(f"{job_id}/{stored[0]}") as handle:
        assert handle.read(4) in (b"II*\x00", b"MM\x00*")
    assert client.delete(f"/jobs/{job_id}").status_code == 200
    assert objects(bucket_settings, job_id) == []
    assert client.get(f"/jobs/{job_id}/results/coverage").status_code == 404


def test_a_key_never_leaves_the_store(bucket_settings: Settings, tmp_path) -> None:
    store = ResultStore(bucket_settings)
    assert store.open("../../etc/passwd") is None
    local = ResultStore(bucket_settings.model_copy(update={"results_url": None}))
    assert local.file("../../etc/passwd") is None
