"""Settings for every Landgrid component, read once at the edge (CLI, app factory).

One source of truth per value: environment variables (prefix ``LANDGRID_``; the database
takes libpq's ``DATABASE_URL``) over the defaults below. ``.env.example`` lists them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where data lives, which ports the embedded stack uses, how Prefect is reached."""

    model_config = SettingsConfigDict(env_prefix="LANDGRID_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="all state of the stack")
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="external PostgreSQL+PostGIS; unset = private cluster in data_dir",
    )
    pg_port: int = 54329
    host: str = "127.0.0.1"
    port: int = 5000
    public_url: str | None = None
    prefect_port: int = 4200
    prefect_api_url: str | None = None
    work_pool: str = "landgrid"
    web_workers: int = 2
    web_threads: int = 4
    pygeoapi_config: Path = PROJECT_ROOT / "pygeoapi-config.yml"
    products_dir: Path = PROJECT_ROOT / "config" / "products"
    sync_threads: int = Field(default=4, description="threads per web worker for sync jobs")
    sync_wait: float = Field(
        default=30,
        description="seconds a sync request waits before "
        "it answers 201 and the job carries on asynchronously",
    )
    sync_wait_max: float = 300
    worker_threads: int = Field(default=4, description="flow runs one worker runs at once")
    worker_poll: float = Field(default=0.5, description="seconds between worker polls")
    reconcile_interval: float = Field(default=5, description="seconds between reconciler passes")
    stuck_after: float = Field(
        default=120,
        description="seconds in Pending/Cancelling or "
        "accepted-without-run before the reconciler repairs a job",
    )
    heartbeat_interval: float = Field(
        default=10,
        gt=0,
        description="seconds between the beats of a process running jobs; a running job "
        "without a beat for stuck_after seconds has lost its process and fails",
    )
    demo_size: int = Field(default=2000, description="demo raster width/height in pixels")
    demo_seed: int = 2018
    coverage_max_pixels: int = Field(
        default=16_777_216,
        gt=0,
        description="most pixels (width x height x years) one coverage response may hold; "
        "bigger areas go through the 'extract' process",
    )
    cors_origins: str = Field(
        default="*",
        description="origins whose pages may read our answers (no credentials): * for any, "
        "or a comma-separated list, or empty for none",
    )
    cors_credentials_origins: str = Field(
        default="",
        description="comma-separated origins whose pages may also send credentials (cookies, "
        "Authorization) and read the answers",
    )
    cache_max_age: int = Field(
        default=600,
        ge=0,
        description="seconds clients and caches may reuse tiles, maps and tileset documents "
        "without asking again (they revalidate with ETag afterwards)",
    )
    aoi_max_km2: float = Field(
        default=2500,
        gt=0,
        description="largest area of interest of the land-cover processes (extract, "
        "change-detection, vectorize), measured in equal-area EPSG:6933",
    )
    task_runner: Literal["sequential", "thread", "dask"] = Field(
        default="sequential",
        description="how a job runs its tiles: sequential (a loop, the fast path), thread "
        "(Prefect task runs in a thread pool) or dask (Prefect task runs on a Dask cluster)",
    )
    task_workers: int = Field(default=4, ge=1, description="threads of the 'thread' runner")
    dask_address: str | None = Field(
        default=None,
        description="scheduler of the 'dask' runner (tcp://host:8786); unset = a local cluster",
    )

    env: Literal["development", "production"] = Field(
        default="development", description="production refuses to start without a provider"
    )
    auth_mode: Literal["open", "oidc"] = Field(
        default="open",
        description="open: no authentication, everyone is the local admin "
        "'anonymous' (development only); oidc: bearer tokens",
    )
    oidc_issuer: str | None = Field(default=None, description="issuer URL (discovery)")
    oidc_audience: str | None = Field(default=None, description="our `aud` in access tokens")
    oidc_client_id: str | None = Field(default=None, description="introspection and login")
    oidc_client_secret: str | None = None
    oidc_algorithms: str = Field(
        default="RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA",
        description="accepted JWT algorithms (asymmetric only: 'none' and HS* are always refused)",
    )
    oidc_leeway: int = Field(default=30, ge=0, le=300, description="clock skew, seconds")
    jwks_ttl: float = Field(default=3600, description="seconds a fetched JWKS is trusted")
    introspection_ttl: float = Field(
        default=30,
        description="seconds an introspection "
        "answer is reused (revocation shows after at most this)",
    )
    auth_policy: Path = PROJECT_ROOT / "config" / "auth-policy.yml"
    secret_key: str | None = Field(default=None, description="signs browser session cookies")

    @property
    def url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def prefect_api(self) -> str:
        return self.prefect_api_url or f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def products_data_dir(self) -> Path:
        return self.data_dir / "products"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    def db_url(self, database: str = "landgrid", driver: str = "psycopg2") -> str:
        """SQLAlchemy URL of one of our databases (``landgrid`` or ``prefect``).

        With ``DATABASE_URL`` the Prefect database sits beside ours on the same server.
        """
        if self.database_url:
            url = self.database_url
            if database != "landgrid":
                url = f"{url.split('?')[0].rpartition('/')[0]}/{database}"
        else:
            url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/{database}"
        _, _, rest = url.partition("://")
        return f"postgresql+{driver}://{rest}"

    def prefect_db_url(self) -> str:
        return self.db_url("prefect", driver="asyncpg")
