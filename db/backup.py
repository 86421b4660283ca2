"""Backups of the project database with pg_dump / pg_restore (custom format).

The dump holds every schema athar owns, including ``restricted`` (personal data): a backup
file is as sensitive as the database and is written with mode 0600.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from db.cluster import ClusterError, find_postgres_install


def _client(program: str) -> str:
    try:
        candidate = find_postgres_install().bindir / program
        if candidate.exists():
            return str(candidate)
    except ClusterError:
        pass
    found = shutil.which(program)
    if found is None:
        raise ClusterError(f"{program} not found: install the PostgreSQL client tools")
    return found


def _libpq_env(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = [
        "--host",
        parsed.host or "localhost",
        "--port",
        str(parsed.port or 5432),
        "--username",
        parsed.username or "postgres",
    ]
    env = dict(os.environ)
    if parsed.password:
        # The password goes through the environment, never the command line (ps shows it).
        env["PGPASSWORD"] = parsed.password
    return args, env


def backup(url: str, out: Path) -> int:
    """Dump the database at ``url`` to ``out``; returns the file size in bytes."""
    args, env = _libpq_env(url)
    database = make_url(url).database or "athar"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.touch(mode=0o600)
    result = subprocess.run(
        [
            _client("pg_dump"),
            *args,
            "--format=custom",
            "--no-owner",
            "--file",
            str(partial),
            database,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ClusterError(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
    # Only a complete dump takes the final name, so a crash never leaves a truncated backup.
    partial.replace(out)
    return out.stat().st_size


# pg_dump's custom format starts with this; athar backup writes nothing else.
_CUSTOM_MAGIC = b"PGDMP"


def check_dump(dump: Path) -> None:
    """Refuse, before anything is touched, a file that is not a pg_dump custom-format archive."""
    if not dump.is_file():
        raise ClusterError(f"no backup file at {dump}")
    try:
        with dump.open("rb") as handle:
            head = handle.read(len(_CUSTOM_MAGIC))
    except OSError as exc:
        raise ClusterError(f"{dump}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise ClusterError(f"{dump}: the file is empty, not a backup")
    if head != _CUSTOM_MAGIC:
        raise ClusterError(
            f"{dump}: byte 0: not a pg_dump custom-format archive (it does not start with "
            "PGDMP); give a file written by athar backup"
        )


def restore(url: str, dump: Path, *, clean: bool = False) -> None:
    """Restore ``dump`` into the database at ``url`` (which must exist), in one transaction."""
    check_dump(dump)
    args, env = _libpq_env(url)
    database = make_url(url).database or "athar"
    options = ["--no-owner", "--single-transaction", "--exit-on-error"]
    if clean:
        options += ["--clean", "--if-exists"]
    result = subprocess.run(
        [_client("pg_restore"), *args, *options, "--dbname", database, str(dump)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(
            f"{dump}: pg_restore failed, nothing restored: {result.stderr.strip()[-2000:]}"
        )
