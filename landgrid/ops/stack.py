"""The embedded stack behind ``make serve``: PostgreSQL, Prefect server and worker, gunicorn.

Each service is a child process with its log in ``<data_dir>/logs``; the console shows only
what a person needs (steps, URLs, one-line errors). Ctrl-C (or SIGTERM) stops every child,
then the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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

    def start_prefect_server(self) -> None:
        port = self.settings.prefect_port
        self.spawn(
            "prefect-server",
            [
                str(self.bin / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--analytics-off",
            ],
            {"PREFECT_API_DATABASE_CONNECTION_URL": self.settings.prefect_db_url()},
        )

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
        ):
            if port_in_use(port):
                raise StackError(f"port {port} is taken: stop what uses it or set {variable}")

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
        # Prefect's server is one process: spend it on job runs. No deployment has a
        # schedule, and marking a burst's backlog "Late" is one state change per run.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    }
