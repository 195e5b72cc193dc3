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
    store_dir: Path | None = Field(
        default=None,
        description="the product and result store (products/, results/), shared by every "
        "web process and worker: a shared path (NFS, a ReadWriteMany volume); unset = data_dir",
    )
    results_url: str | None = Field(
        default=None,
        description="job results in object storage (s3://bucket/prefix; credentials the "
        "usual AWS way); unset = files under store_dir/results",
    )
    results_endpoint_url: str | None = Field(
        default=None, description="the S3 API endpoint of results_url when not AWS (MinIO, Ceph)"
    )
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
    prefect_ui_url: str | None = Field(
        default=None,
        description="the Prefect UI as operators reach it (job pages link their runs); "
        "unset = the API's server without /api",
    )
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
    reconcile_budget: float = Field(
        default=10,
        gt=0,
        description="seconds one reconciler pass may work (in batches) before it sleeps; "
        "what is left waits for the next pass, newest submissions first",
    )
    reconcile_batch: int = Field(default=100, ge=1, le=200, description="jobs per batch")
    stuck_after: float = Field(
        default=120,
        description="seconds in Pending/Cancelling or "
        "accepted-without-run before the reconciler repairs a job",
    )
    heartbeat_interval: float = Field(
        default=2,
        gt=0,
        description="seconds between the beats of each running job (and of the worker and "
        "reconciler); a dismissed job notices at its next beat",
    )
    heartbeat_timeout: float = Field(
        default=20,
        gt=0,
        description="seconds without a beat after which a running job has lost its run "
        "(whatever became of its process) and fails",
    )
    max_jobs_per_user: int = Field(
        default=100, ge=1, description="queued + running jobs one user may have (then 429)"
    )
    max_jobs: int = Field(
        default=1000, ge=1, description="queued + running jobs of all users (then 429)"
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per record; json: one JSON object per line "
        "with request_id, job_id, process_id and owner, for a log collector",
    )
    worker_metrics_port: int = Field(default=9101, description="the worker's /metrics port")
    reconciler_metrics_port: int = Field(default=9102, description="the reconciler's /metrics port")
    prefect_workers: int = Field(
        default=1,
        ge=1,
        description="API processes of the stack's Prefect server; more than one needs Redis "
        "for Prefect's messaging (redis_url, or a private redis-server the stack starts)",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for Prefect's messaging (redis://host:6379/0); unset with "
        "prefect_workers > 1 = a private redis-server in data_dir",
    )
    redis_port: int = Field(default=6389, description="port of the private redis-server")
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
    basemap_url: str | None = Field(
        default=None,
        description="XYZ tile URL template ({z}/{x}/{y}) of a basemap drawn under the products "
        "on the pages' maps, e.g. an internal tile server; unset = none (the products are the "
        "map, and pages request nothing from another origin)",
    )
    basemap_attribution: str = Field(default="", description="credit shown on maps with it")
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
    callback_allow: str = Field(
        default="",
        description="networks (CIDR, comma-separated) that subscriber callbacks may reach "
        "although they are not public, e.g. 10.1.2.0/24 for an internal hook; by default "
        "callbacks go to public addresses only",
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
    def prefect_ui(self) -> str:
        return (self.prefect_ui_url or self.prefect_api.removesuffix("/api")).rstrip("/")

    @property
    def embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def products_data_dir(self) -> Path:
        return (self.store_dir or self.data_dir) / "products"

    @property
    def vector_products_dir(self) -> Path:
        """Vector product definitions registered at run time (load-vector, vectorize)."""
        return (self.store_dir or self.data_dir) / "vector-products"

    @property
    def results_dir(self) -> Path:
        return (self.store_dir or self.data_dir) / "results"

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
