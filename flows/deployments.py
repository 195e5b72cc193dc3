"""Register the work pool and one deployment per configured process with Prefect."""

from __future__ import annotations

from contextlib import suppress

from prefect.client.schemas.actions import WorkPoolCreate
from prefect.deployments.runner import EntrypointType
from prefect.exceptions import ObjectAlreadyExists

from flows.client import prefect_client, prefect_settings
from flows.ogc_process import FLOW_NAME, ogc_process
from landgrid.settings import Settings
from processes.registry import ProcessRegistry


def ensure_work_pool(settings: Settings) -> None:
    with prefect_client(settings) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=settings.work_pool, type="process"))


def register(settings: Settings) -> list[str]:
    """Create or update the deployments; returns their full names."""
    ensure_work_pool(settings)
    names = []
    for process_id in ProcessRegistry(settings.pygeoapi_config).ids():
        deployment = ogc_process.to_deployment(
            name=process_id,
            work_pool_name=settings.work_pool,
            entrypoint_type=EntrypointType.MODULE_PATH,  # import by module, from any directory
            tags=[f"process:{process_id}"],
            description=f"OGC API - Processes jobs of the '{process_id}' process",
        )
        with prefect_settings(settings):
            deployment.apply()
        names.append(f"{FLOW_NAME}/{process_id}")
    return names


if __name__ == "__main__":
    print(", ".join(register(Settings())))
