"""Engines and sessions, made from settings by whoever starts the process (CLI or app factory).

No engine exists at import time; callers create one and pass it (or a session) down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from db.settings import Settings


def database_url(settings: Settings) -> str:
    """The user's DATABASE_URL if set, else the embedded cluster's (which must be initialised)."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    from db.cluster import EmbeddedCluster

    cluster = EmbeddedCluster(settings)
    return cluster.url()


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _connect_args(application_name: str, statement_timeout_ms: int | None) -> dict[str, object]:
    connect_args: dict[str, object] = {"application_name": application_name, "connect_timeout": 5}
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return connect_args


def make_engine(
    url: str,
    *,
    application_name: str = "athar",
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        connect_args=_connect_args(application_name, statement_timeout_ms),
    )


def make_read_engine(
    url: str | URL,
    *,
    application_name: str = "athar-read",
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
) -> Engine:
    """An engine for short, independent read statements served by the hundred (map tiles).

    * Autocommit: no BEGIN before and no ROLLBACK after each statement, two round trips
      saved. It also keeps psycopg's prepared statements, which a ROLLBACK discards; psycopg
      prepares a statement after its fifth run on a connection, so a warm connection skips
      parsing and planning the tile SQL.
    * No pre-ping (another round trip per checkout): a caller retries once when the error
      says the connection was dropped (``DBAPIError.connection_invalidated``), which also
      makes the pool replace its older connections.
    * LIFO checkout, so the same few warm connections serve a light load.
    """
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=False,
        pool_use_lifo=True,
        isolation_level="AUTOCOMMIT",
        connect_args=_connect_args(application_name, statement_timeout_ms),
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (loaders use this)."""
    with factory() as session, session.begin():
        yield session
