"""Engines and sessions, made from settings by whoever starts the process (CLI or app factory).

No engine exists at import time; callers create one and pass it (or a session) down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
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


def make_engine(
    url: str,
    *,
    application_name: str = "athar",
    statement_timeout_ms: int | None = None,
    pool_size: int = 5,
) -> Engine:
    options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
    connect_args: dict[str, object] = {"application_name": application_name, "connect_timeout": 5}
    if options:
        connect_args["options"] = options
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (loaders use this)."""
    with factory() as session, session.begin():
        yield session
