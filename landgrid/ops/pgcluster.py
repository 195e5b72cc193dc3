"""A private PostgreSQL + PostGIS cluster in the project's data folder.

``initdb``/``pg_ctl`` refuse to run as root, so as root every server command runs as the
``postgres`` system user with the data directory owned by it; unprivileged, as oneself.
A cluster is usable only once ``READY_MARKER`` exists: a half-initialised directory left by an
interrupted first start is wiped and initialised again, and a stale ``postmaster.pid`` of a
dead server is removed, so a killed run never breaks the next start.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from landgrid.errors import StackError

READY_MARKER = "landgrid-ready"
PG_VERSIONS = ("17", "16", "15")


def find_pg_bin() -> Path:
    """Directory holding initdb/pg_ctl (Debian keeps them off PATH)."""
    for version in PG_VERSIONS:
        candidate = Path(f"/usr/lib/postgresql/{version}/bin")
        if (candidate / "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise StackError(
        "PostgreSQL server binaries not found: install them "
        "(Debian: apt-get install postgresql-15 postgresql-15-postgis-3) or set DATABASE_URL"
    )


def free_port() -> int:
    """A port nothing listens on now (for throwaway stacks: tests, benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Cluster:
    """One private cluster: its directory, its port, and how to run its commands."""

    directory: Path
    port: int

    def __post_init__(self) -> None:
        self.bin = find_pg_bin()
        self.as_user = "postgres" if os.geteuid() == 0 else None

    @property
    def ready(self) -> bool:
        return (self.directory / READY_MARKER).exists()

    def _run(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout)

    def _chown(self, path: Path) -> None:
        if self.as_user:
            user = pwd.getpwnam(self.as_user)
            os.chown(path, user.pw_uid, user.pw_gid)

    def init(self) -> None:
        """Create the cluster unless a complete one is already there."""
        if self.ready:
            return
        if self.directory.exists():
            shutil.rmtree(self.directory)  # half-initialised by an interrupted start
        self.directory.mkdir(parents=True)
        self._chown(self.directory)
        if (
            self.as_user
            and subprocess.run(
                ["runuser", "-u", self.as_user, "--", "test", "-w", str(self.directory)]
            ).returncode
            != 0
        ):
            raise StackError(
                f"the '{self.as_user}' user cannot reach {self.directory} (a parent folder is "
                "private): set LANDGRID_DATA_DIR to a folder it can enter, or set DATABASE_URL"
            )
        try:
            self._run(
                "initdb",
                "-D",
                str(self.directory),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        except subprocess.CalledProcessError as e:
            raise StackError(f"initdb failed: {e.stderr.strip().splitlines()[-1]}") from e
        except PermissionError as e:
            raise StackError(f"cannot run initdb: {e}") from e
        conf = self.directory / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# landgrid embedded cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "fsync = on\n"
                "logging_collector = off\n"
            )
        (self.directory / READY_MARKER).touch()

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.directory), check=False).returncode == 0

    def pid(self) -> int | None:
        """The postmaster's pid while it runs (read from its pid file: no subprocess, so the
        stack can look every few seconds)."""
        try:
            pid = int((self.directory / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except PermissionError:  # someone else's process: it exists
            return pid
        except OSError:
            return None
        return pid

    def start(self) -> None:
        """Start the server (idempotent): clears a stale pid file, refuses a taken port."""
        if self.running():
            return
        pid_file = self.directory / "postmaster.pid"
        if pid_file.exists():
            pid_file.unlink()
        if port_in_use(self.port):
            raise StackError(
                f"port {self.port} is taken by another program: stop it or set LANDGRID_PG_PORT"
            )
        log = self.directory / "server.log"
        result = self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.directory),
            "-w",
            "-t",
            "60",
            "-l",
            str(log),
            "-o",
            f"-p {self.port}",
            check=False,
        )
        if result.returncode != 0:
            tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
            raise StackError(f"PostgreSQL did not start: {' '.join(tail) or result.stderr}")

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-D", str(self.directory), "-m", "fast", "-w", check=False)

    def ensure_database(self, name: str, postgis: bool = False) -> None:
        """Create a database (and the PostGIS extension) if missing."""
        psql = [
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
        ]
        exists = subprocess.run(
            [*psql, "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                [*psql, "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'],
                capture_output=True,
                text=True,
                check=True,
            )
        if postgis:
            result = subprocess.run(
                [*psql, "-d", name, "-c", "CREATE EXTENSION IF NOT EXISTS postgis"],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise StackError(
                    "PostGIS is not installed for this PostgreSQL "
                    "(Debian: apt-get install postgresql-15-postgis-3)"
                )
