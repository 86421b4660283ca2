"""The embedded PostGIS cluster that ``make run`` and ``make test`` start for the project.

The cluster lives under the state directory (``.athar/pg``), listens on a Unix socket in that
directory and on 127.0.0.1 at a free port, and uses password authentication with a random
password kept in a 0600 file. PostgreSQL refuses to run as root, so when invoked as root every
server command runs as an unprivileged OS user (``postgres`` by default) that owns the data
directory. If that user cannot reach the project folder (a checkout under /root, say), the
cluster is placed under /var/tmp instead and ``.athar/pg`` records where.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from db.settings import Settings

DATABASE_NAME = "athar"
SUPERUSER = "athar"
# Unix socket paths are limited to 107 bytes on Linux, including ".s.PGSQL.<port>".
_MAX_SOCKET_DIR = 90


# The API's workers share these (``athar serve`` warns when --workers could exceed them).
EMBEDDED_MAX_CONNECTIONS = 100


class ClusterError(RuntimeError):
    """A problem with the embedded cluster, with a message meant for a person."""


@dataclass(frozen=True)
class PostgresInstall:
    bindir: Path
    version: int


def find_postgres_install() -> PostgresInstall:
    """The newest PostgreSQL server on this machine that has the PostGIS extension."""
    override = os.environ.get("ATHAR_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        version_dir = bindir.parent.name
        if not (bindir / "initdb").exists():
            continue
        version = int(version_dir) if version_dir.isdigit() else 0
        share = Path(f"/usr/share/postgresql/{version_dir}/extension/postgis.control")
        if override or share.exists():
            return PostgresInstall(bindir=bindir, version=version)
    raise ClusterError(
        "No PostgreSQL server with PostGIS found. Install the packages "
        "(Debian/Ubuntu: apt-get install postgresql-15 postgresql-15-postgis-3), "
        "run `make run` which installs them, or set DATABASE_URL to an existing PostGIS."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # PostgreSQL binds with SO_REUSEADDR too, so a port in TIME_WAIT is still usable.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class EmbeddedCluster:
    """Create, start, stop and describe the project's own PostGIS cluster."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state_dir = settings.state_dir
        self.os_user = settings.pg_user if os.geteuid() == 0 else None
        self.base = self._choose_base()

    # -- layout -------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    @property
    def password_file(self) -> Path:
        # The password stays in the project's own state dir, readable by its user only.
        return self.state_dir / "pg-password"

    @property
    def port_file(self) -> Path:
        return self.state_dir / "pg-port"

    def _choose_base(self) -> Path:
        pointer = self.state_dir / "pg-location"
        if pointer.exists():
            return Path(pointer.read_text().strip())
        local = self.state_dir / "pg"
        if self._os_user_can_reach(self.state_dir) and len(str(local / "run")) < _MAX_SOCKET_DIR:
            return local
        digest = hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:12]
        return Path("/var/tmp") / f"athar-{digest}"

    def _os_user_can_reach(self, path: Path) -> bool:
        if self.os_user is None:
            return True
        probe = path
        while not probe.exists():
            probe = probe.parent
        result = subprocess.run(
            ["test", "-x", str(probe)], user=self.os_user, check=False, capture_output=True
        )
        return result.returncode == 0

    # -- running commands ---------------------------------------------------------------

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        kwargs: dict[str, object] = {}
        if self.os_user is not None:
            try:
                pw = pwd.getpwnam(self.os_user)
            except KeyError as exc:
                raise ClusterError(
                    f"Running as root, but OS user {self.os_user!r} does not exist to own the "
                    "cluster (PostgreSQL refuses to run as root). Install the postgresql "
                    "package, which creates it, or set ATHAR_PG_USER."
                ) from exc
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            env["HOME"] = pw.pw_dir
            env["USER"] = env["LOGNAME"] = self.os_user
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, check=False, cwd="/", **kwargs
        )  # type: ignore[call-overload]
        if check and result.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result

    def _give_to_os_user(self, path: Path) -> None:
        if self.os_user is not None:
            pw = pwd.getpwnam(self.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    def init(self) -> None:
        """Create the data directory once; a second call does nothing."""
        if self.initialised:
            return
        install = find_postgres_install()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.base != self.state_dir / "pg":
            (self.state_dir / "pg-location").write_text(str(self.base) + "\n")
        self.base.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        for path in (self.base, self.socket_dir):
            self._give_to_os_user(path)
        if not self.password_file.exists():
            self.password_file.touch(mode=0o600)
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
        pwfile = self.base / "initdb-password"
        pwfile.write_text(self.password() + "\n")
        pwfile.chmod(0o600)
        self._give_to_os_user(pwfile)
        try:
            self._run(
                [
                    str(install.bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'athar.conf'\n")

    def _write_runtime_conf(self, port: int) -> None:
        # Small-machine settings: the API and tests run short queries; JIT only adds latency.
        conf = self.data_dir / "athar.conf"
        conf.write_text(
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "shared_buffers = 256MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "jit = off\n"
            f"max_connections = {EMBEDDED_MAX_CONNECTIONS}\n"
            "logging_collector = off\n"
        )
        self._give_to_os_user(conf)
        self.port_file.write_text(f"{port}\n")

    def is_running(self) -> bool:
        if not self.initialised:
            return False
        install = find_postgres_install()
        result = self._run(
            [str(install.bindir / "pg_ctl"), "status", "-D", str(self.data_dir)], check=False
        )
        return result.returncode == 0

    def start(self, timeout_s: int = 60) -> None:
        """Start the server (creating it first if needed) and the ``athar`` database."""
        self.init()
        if not self.is_running():
            port = self.port() if self.port_file.exists() else 0
            if not port or not _port_is_free(port):
                port = _free_port()
            self._write_runtime_conf(port)
            install = find_postgres_install()
            self._run(
                [
                    str(install.bindir / "pg_ctl"),
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    str(timeout_s),
                ]
            )
        self._wait_ready(timeout_s)
        self.ensure_database(DATABASE_NAME)

    def stop(self) -> None:
        if not self.is_running():
            return
        install = find_postgres_install()
        self._run(
            [str(install.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"]
        )

    def _wait_ready(self, timeout_s: int) -> None:
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.libpq_dsn("postgres"), connect_timeout=3):
                    return
            except psycopg.OperationalError as exc:
                last_error = exc
                time.sleep(0.2)
        raise ClusterError(f"PostgreSQL did not accept connections: {last_error}")

    # -- databases and URLs ---------------------------------------------------------------

    def libpq_dsn(self, database: str = DATABASE_NAME) -> str:
        return (
            f"host=127.0.0.1 port={self.port()} dbname={database} "
            f"user={SUPERUSER} password={self.password()}"
        )

    def url(self, database: str = DATABASE_NAME) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of a database in this cluster."""
        return (
            f"postgresql+psycopg://{SUPERUSER}:{quote(self.password(), safe='')}"
            f"@127.0.0.1:{self.port()}/{database}"
        )

    def ensure_database(self, name: str) -> None:
        create_database(self.libpq_dsn("postgres"), name)

    def status(self) -> dict[str, object]:
        running = self.is_running()
        return {
            "initialised": self.initialised,
            "running": running,
            "data_dir": str(self.data_dir),
            "socket_dir": str(self.socket_dir),
            "port": self.port() if self.port_file.exists() else None,
            "os_user": self.os_user,
        }

    def destroy(self) -> None:
        """Stop the cluster and delete its files (used by ``athar db destroy``)."""
        with contextlib.suppress(ClusterError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
        for path in (self.port_file, self.state_dir / "pg-location"):
            path.unlink(missing_ok=True)


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_database(admin_dsn: str, name: str) -> bool:
    """Create database ``name`` if missing; True when it was created."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        # Identifiers cannot be bound parameters; the name was validated above.
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(admin_dsn: str, name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
