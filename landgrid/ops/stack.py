"""The embedded stack behind ``make serve``: PostgreSQL, Prefect server and worker, gunicorn.

Each service is a child process with its log in ``<data_dir>/logs``; the console shows only
what a person needs (steps, URLs, one-line errors). Once up, the stack supervises: a child
that exits (the worker, the reconciler, the Prefect server, gunicorn; the private
PostgreSQL too) is restarted after a backoff (1 s, doubling to 30 s while it keeps failing
fast) and the others keep running; each restart is said on the console. Start-up waits
follow progress (a service that still uses CPU or writes its log is still starting), not a
fixed timeout. Ctrl-C (or SIGTERM) stops every child, then the database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from landgrid.auth.mode import auth_summary, check_auth_settings
from landgrid.db import engine
from landgrid.errors import StackError
from landgrid.ops.pgcluster import Cluster, port_in_use
from landgrid.settings import Settings

Say = Callable[[str], None]
STALL = 180.0  # seconds a starting service may show no sign of progress
BACKOFF = (1.0, 30.0)  # first and longest wait before a restart
STEADY = 60.0  # seconds up after which a child counts as healthy again (backoff reset)
POLL = 0.5
DB_GRACE = 3.0  # seconds the private PostgreSQL may be down before the stack starts it


@dataclass
class Supervised:
    """How a child was started, so that it can be started again, and its restart state."""

    args: list[str]
    env: dict[str, str]
    started: float = field(default_factory=time.monotonic)
    failures: int = 0  # exits in a row, each soon after its start
    due: float | None = None  # when a restart is due (the child has exited)


class Stack:
    def __init__(self, settings: Settings, say: Say = print) -> None:
        self.settings = settings
        self.say = say
        self.children: dict[str, subprocess.Popen] = {}
        self.supervised: dict[str, Supervised] = {}
        self.cluster: Cluster | None = None
        self.cluster_due: float | None = None
        self.cluster_failures = 0
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
    def log_path(self, name: str) -> Path:
        return self.settings.data_dir / "logs" / f"{name}.log"

    def spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        self.launch(name, args, {**self.env, **(extra_env or {})})

    def launch(self, name: str, args: list[str], env: dict[str, str]) -> None:
        with self.log_path(name).open("ab") as log:
            self.children[name] = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.settings.pygeoapi_config.parent,
                start_new_session=True,
            )
        previous = self.supervised.get(name)
        self.supervised[name] = Supervised(args, env, failures=previous.failures if previous else 0)

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

    def wait_prefect(self, stall: float = STALL) -> None:
        self.wait_ready("prefect-server", f"{self.settings.prefect_api}/health", stall)

    def wait_ready(self, name: str, url: str, stall: float = STALL) -> None:
        """Until ``url`` answers. Fails when the child exits, or shows no progress (no CPU
        used, nothing logged) for ``stall`` seconds: a loaded machine only makes it slower.
        Says how long it has been every 15 s."""
        started = last_progress = last_said = time.monotonic()
        mark = self.activity(name)
        while True:
            self.check_children()
            try:
                if requests.get(url, timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            moment = time.monotonic()
            if (now_mark := self.activity(name)) != mark:
                mark, last_progress = now_mark, moment
            elif moment - last_progress > stall:
                raise StackError(
                    f"{name} shows no progress for {stall:.0f} s and does not answer "
                    f"(see {self.log_path(name)})"
                )
            if moment - last_said >= 15:
                self.say(f"{name}: still starting ({moment - started:.0f} s)")
                last_said = moment
            time.sleep(POLL)

    def activity(self, name: str) -> tuple[float, int]:
        """CPU seconds of the child and its descendants, and the size of its log: either
        growing means it is still making progress."""
        cpu = 0.0
        try:
            root = psutil.Process(self.children[name].pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                cpu += times.user + times.system
        except (psutil.Error, KeyError):
            pass
        try:
            size = self.log_path(name).stat().st_size
        except OSError:
            size = 0
        return round(cpu, 1), size

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
                "--worker-class",
                "landgrid.ops.web_worker.Worker",  # its own refusals as OGC exceptions too
                "--access-logfile",
                "-",
                "landgrid.web.app:create_app()",
            ],
        )

    def wait_web(self, stall: float = STALL) -> None:
        self.wait_ready("web", f"http://127.0.0.1:{self.settings.port}/", stall)

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
        """Supervise until Ctrl-C/SIGTERM."""
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            self.supervise()
            time.sleep(POLL)

    # supervision -------------------------------------------------------------------------
    def supervise(self) -> None:
        """One look at every child (and the private cluster): restart what is due."""
        moment = time.monotonic()
        for name, child in self.children.items():
            state = self.supervised[name]
            if child.poll() is not None and state.due is None:
                self.exited(name, child, state, moment)
            elif state.due is not None and moment >= state.due:
                self.say(f"{name}: restarting")
                self.launch(name, state.args, state.env)
        if self.cluster is not None:
            self.supervise_cluster(moment)

    def exited(self, name: str, child: subprocess.Popen, state: Supervised, moment: float) -> None:
        """Note a child's exit, clean up what it left, schedule its restart."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)  # what it started dies with it
        self.forget_service(child.pid)
        up = moment - state.started
        state.failures = 0 if up > STEADY else state.failures + 1
        delay = min(BACKOFF[0] * 2 ** max(state.failures - 1, 0), BACKOFF[1])
        state.due = moment + delay
        self.say(
            f"WARNING: {name} exited (code {child.returncode}) after {up:.0f} s; "
            f"restarting in {delay:.0f} s (see {self.log_path(name)})"
        )

    def forget_service(self, pid: int) -> None:
        """Remove a dead worker's or reconciler's beat at once: ``/health`` shows the part
        missing while it restarts (not only once its beat is stale)."""
        from landgrid.jobs.store import JobStore

        with contextlib.suppress(SQLAlchemyError):
            JobStore(self.settings.db_url()).forget_service(f"{socket.gethostname()}:{pid}")

    def supervise_cluster(self, moment: float) -> None:
        assert self.cluster is not None
        if self.cluster_due is None:
            if self.cluster.pid() is not None:
                return
            # an operator's `pg_ctl restart` is down for a moment: give it time to come back
            delay = min(DB_GRACE * 2**self.cluster_failures, BACKOFF[1])
            self.cluster_due = moment + delay
            self.say(f"WARNING: PostgreSQL stopped; restarting in {delay:.0f} s unless it is back")
        elif moment >= self.cluster_due:
            if self.cluster.pid() is not None:
                self.say("PostgreSQL: back")
            else:
                self.restart_cluster()
            self.cluster_due = None

    def restart_cluster(self) -> None:
        assert self.cluster is not None
        try:
            self.cluster.start()
        except StackError as exc:
            self.cluster_failures += 1
            self.say(f"WARNING: PostgreSQL did not start ({exc}); trying again")
        else:
            self.cluster_failures = 0
            self.say("PostgreSQL: restarted")

    def stop(self) -> None:
        for child in self.children.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
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
