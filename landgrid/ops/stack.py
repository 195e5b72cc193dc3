"""The embedded stack behind ``make serve``: PostgreSQL, Prefect server and worker, gunicorn.

Each service is a child process with its log in ``<data_dir>/logs``; the console shows only
what a person needs (steps, URLs, one-line errors). Ctrl-C (or SIGTERM) stops every child,
then the database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from landgrid.auth.mode import auth_summary, check_auth_settings
from landgrid.db import engine
from landgrid.errors import StackError
from landgrid.ops.pgcluster import Cluster, port_in_use
from landgrid.settings import Settings

Say = Callable[[str], None]


class Stack:
    def __init__(self, settings: Settings, say: Say = print) -> None:
        self.settings = settings
        self.say = say
        self.children: dict[str, subprocess.Popen] = {}
        self.cluster: Cluster | None = None
        self.env = {**os.environ, **child_environment(settings)}
        self.bin = Path(sys.executable).parent
        (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)

    # database ----------------------------------------------------------------------------
    def start_database(self) -> None:
        settings = self.settings
        if settings.embedded_db:
            self.cluster = Cluster(settings.pg_dir, settings.pg_port)
            first = not self.cluster.ready
            self.cluster.init()
            self.cluster.start()
            self.cluster.ensure_database("landgrid", postgis=True)
            self.cluster.ensure_database("prefect")
            where = "new" if first else "existing"
            self.say(
                f"PostgreSQL: {where} private cluster in {settings.pg_dir} "
                f"(port {settings.pg_port})"
            )
        else:
            self.say("PostgreSQL: external database from DATABASE_URL")
        check_database(settings.db_url())

    # services ----------------------------------------------------------------------------
    def spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = (self.settings.data_dir / "logs" / f"{name}.log").open("ab")
        self.children[name] = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**self.env, **(extra_env or {})},
            cwd=self.settings.pygeoapi_config.parent,
            start_new_session=True,
        )

    def start_redis(self) -> None:
        """Redis for Prefect's messaging, when its server runs several API processes and
        no ``redis_url`` is given: a private ``redis-server`` (Debian's), messages only."""
        s = self.settings
        if s.prefect_workers == 1 or s.redis_url:
            return
        server = shutil.which("redis-server")
        if server is None:
            raise StackError(
                f"LANDGRID_PREFECT_WORKERS={s.prefect_workers} needs Redis: install "
                "redis-server (apt-get install redis-server) or set LANDGRID_REDIS_URL"
            )
        folder = s.data_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        args = ["--bind", "127.0.0.1", "--port", str(s.redis_port), "--dir", str(folder)]
        self.spawn("redis", [server, *args, "--save", "", "--appendonly", "no"])
        deadline = time.monotonic() + 20
        while not redis_answers(prefect_redis_url(s)):
            self.check_children()
            if time.monotonic() > deadline:
                raise StackError(f"redis-server did not answer on port {s.redis_port}")
            time.sleep(0.1)

    def start_prefect_server(self) -> None:
        """Prefect's server on our PostgreSQL; with ``prefect_workers`` > 1, that many API
        processes (Prefect then runs no loop services in them: a second child does) and
        Redis for the messages between them."""
        s = self.settings
        env = {"PREFECT_API_DATABASE_CONNECTION_URL": s.prefect_db_url()}
        server = [str(self.bin / "prefect"), "server"]
        address = ["--host", "127.0.0.1", "--port", str(s.prefect_port), "--analytics-off"]
        if s.prefect_workers == 1:
            self.spawn("prefect-server", [*server, "start", *address], env)
            return
        env |= prefect_redis_environment(prefect_redis_url(s))
        # one migration first: several API processes migrating at once get in each other's way
        upgrade = [*server, "database", "upgrade", "--yes"]
        done = subprocess.run(upgrade, env={**self.env, **env}, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise StackError(f"migrating Prefect's database failed: {tail}")
        env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "false"
        self.spawn("prefect-server", prefect_api_processes(self.bin, s), env | API_ONLY)
        self.spawn("prefect-services", [*server, "services", "start"], env)

    def wait_prefect(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if requests.get(f"{self.settings.prefect_api}/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise StackError(
            f"Prefect server did not answer in {timeout:.0f} s "
            f"(see {self.settings.data_dir / 'logs' / 'prefect-server.log'})"
        )

    def start_worker(self) -> None:
        """Our warm worker (``flows.worker``); ``prefect worker start --pool landgrid``
        works too, at the cost of a fresh interpreter per run."""
        self.spawn("worker", [str(self.bin / "python"), "-m", "flows.worker"])

    def start_reconciler(self) -> None:
        self.spawn("reconciler", [str(self.bin / "python"), "-m", "flows.reconciler"])

    def start_web(self) -> None:
        s = self.settings
        self.spawn(
            "web",
            [
                str(self.bin / "gunicorn"),
                "--config",
                "python:landgrid.ops.gunicorn_conf",
                "--bind",
                f"{s.host}:{s.port}",
                "--workers",
                str(s.web_workers),
                "--threads",
                str(s.web_threads),
                "--timeout",
                "300",
                "--access-logfile",
                "-",
                "landgrid.web.app:create_app()",
            ],
            {"PROMETHEUS_MULTIPROC_DIR": str(s.data_dir / "metrics" / f"web-{s.port}")},
        )

    def wait_web(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if requests.get(f"http://127.0.0.1:{self.settings.port}/", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise StackError(
            f"the web app did not answer in {timeout:.0f} s "
            f"(see {self.settings.data_dir / 'logs' / 'web.log'})"
        )

    # life cycle --------------------------------------------------------------------------
    def up(self, demo: bool = True, bar=None) -> None:
        """Everything ``make serve`` starts, in dependency order; Prefect boots meanwhile."""
        from landgrid.ops.demo import load_demo
        from landgrid.ops.migrate import upgrade

        self.preflight()
        self.start_database()
        self.start_redis()
        self.start_prefect_server()
        upgrade(self.settings.db_url(), self.settings.oidc_issuer)
        self.say("schema up to date")
        if demo:
            load_demo(self.settings, self.say, *([bar] if bar else []))
        self.wait_prefect()
        names = self.run_module("flows.deployments", "registering the Prefect deployments")
        self.say(f"Prefect deployments: {names}")
        self.start_worker()
        self.start_reconciler()
        self.start_web()
        self.wait_web()

    def preflight(self) -> None:
        """Fail before starting anything when auth is misconfigured or a port is taken;
        say loudly when auth is off."""
        check_auth_settings(self.settings)
        line, warning = auth_summary(self.settings)
        self.say(f"WARNING: {line}" if warning else line)
        for port, variable in (
            (self.settings.port, "LANDGRID_PORT"),
            (self.settings.prefect_port, "LANDGRID_PREFECT_PORT"),
            (self.settings.worker_metrics_port, "LANDGRID_WORKER_METRICS_PORT"),
            (self.settings.reconciler_metrics_port, "LANDGRID_RECONCILER_METRICS_PORT"),
            *self.redis_ports(),
        ):
            if port_in_use(port):
                raise StackError(f"port {port} is taken: stop what uses it or set {variable}")

    def redis_ports(self) -> list[tuple[int, str]]:
        s = self.settings
        return (
            [] if s.prefect_workers == 1 or s.redis_url else [(s.redis_port, "LANDGRID_REDIS_PORT")]
        )

    def run_module(self, module: str, what: str) -> str:
        """Run a setup step in a child with the services' environment (Prefect and pygeoapi
        read theirs when first imported); returns its output."""
        result = subprocess.run(
            [str(self.bin / "python"), "-m", module],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.settings.pygeoapi_config.parent,
        )
        if result.returncode != 0:
            tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise StackError(f"{what} failed: {tail}")
        return result.stdout.strip()

    def check_children(self) -> None:
        for name, child in self.children.items():
            if child.poll() is not None:
                raise StackError(
                    f"{name} exited with code {child.returncode} "
                    f"(see {self.settings.data_dir / 'logs' / (name + '.log')})"
                )

    def wait(self) -> None:
        """Block until Ctrl-C/SIGTERM or until a child dies."""
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            self.check_children()
            time.sleep(1)

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        if self.cluster is not None:
            self.cluster.stop()


def check_database(url: str) -> None:
    """One-line errors for the usual database problems."""
    try:
        with engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
            has_postgis = conn.execute(
                text("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
    except OperationalError as exc:
        reason = " ".join(str(exc.orig or exc).split())
        raise StackError(f"database unreachable: {reason}") from exc
    if not has_postgis:
        raise StackError(
            "PostGIS is not installed on the database server "
            "(Debian: apt-get install postgresql-15-postgis-3)"
        )


# What `prefect server start --workers N` sets for its API processes (no loop services)
# (and no block-type registration at start: the API processes would all do it at once,
# in each other's way; we use no blocks)
API_ONLY = {
    "PREFECT__SERVER_FINAL": "1",
    "PREFECT__SERVER_WEBSERVER_ONLY": "1",
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
}


def prefect_api_processes(bin: Path, settings: Settings) -> list[str]:
    """Prefect's API app in ``prefect_workers`` processes, as ``prefect server start
    --workers N`` runs it (uvicorn's multiprocess mode), but with a 60 s worker health
    check instead of uvicorn's 5 s: on a busy machine a worker still importing Prefect's
    app misses 5 s, is killed and restarted, over and over (measured here: 2-3 minutes to
    a first answer, against 30-40 s with the longer check)."""
    return [
        str(bin / "uvicorn"),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(settings.prefect_port),
        "--workers",
        str(settings.prefect_workers),
        "--timeout-worker-healthcheck",
        "60",
        "--timeout-keep-alive",
        "5",
    ]


def prefect_redis_url(settings: Settings) -> str:
    return settings.redis_url or f"redis://127.0.0.1:{settings.redis_port}/0"


def prefect_redis_environment(url: str) -> dict[str, str]:
    """Prefect's messaging, event ordering and lease storage in Redis (prefect-redis)."""
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_URL": url,
    }


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment of the stack's children: our settings (each child builds its
    ``Settings`` from them at its edge), Prefect's and libpq's, computed in one place so
    that the web app, the worker and the reconciler see the same values."""
    db = make_url(settings.db_url())
    own = {
        ("DATABASE_URL" if name == "database_url" else f"LANDGRID_{name.upper()}"): str(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }
    return own | {
        "PGHOST": db.host or "127.0.0.1",
        "PGPORT": str(db.port or 5432),
        "PGDATABASE": db.database or "landgrid",
        "PGUSER": db.username or "postgres",
        "PGPASSWORD": db.password or "",
        "PREFECT_API_URL": settings.prefect_api,
        "PREFECT_HOME": str(settings.data_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
        # our loggers' lines in a flow run also go to the run's logs in Prefect
        "PREFECT_LOGGING_EXTRA_LOGGERS": "landgrid,flows,processes",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        # Prefect's server is one process: spend it on job runs. No deployment has a
        # schedule, and marking a burst's backlog "Late" is one state change per run.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    }
