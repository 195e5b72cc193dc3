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
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
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
                "--worker-class",
                "landgrid.ops.web_worker.Worker",  # its own refusals as OGC exceptions too
                "--access-logfile",
                "-",
                "landgrid.web.app:create_app()",
            ],
            {"PROMETHEUS_MULTIPROC_DIR": str(s.data_dir / "metrics" / f"web-{s.port}")},
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
