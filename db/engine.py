"""Engines and sessions, made from settings by whoever starts the process (CLI or app factory).

No engine exists at import time; callers create one and pass it (or a session) down.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg_pool import AsyncConnectionPool
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


#: Connections a default engine keeps; under load it opens twice as many more.
ENGINE_POOL_SIZE = 5
#: The most connections one default engine (one API worker's) can hold.
ENGINE_MAX_CONNECTIONS = 3 * ENGINE_POOL_SIZE


def make_engine(
    url: str,
    *,
    application_name: str = "athar",
    statement_timeout_ms: int | None = None,
    pool_size: int = ENGINE_POOL_SIZE,
) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        connect_args=_connect_args(application_name, statement_timeout_ms),
    )


def make_tile_pool(
    url: str | URL,
    *,
    application_name: str = "athar-tiles",
    statement_timeout_ms: int | None = None,
    max_size: int = 10,
) -> AsyncConnectionPool:
    """An asyncio pool of plain psycopg connections for short reads served by the hundred.

    Map tiles come dozens per view and a high-zoom tile is well under a millisecond of SQL,
    so the request path around it decides the latency:

    * asyncio connections: the event loop waits on the socket itself, with no hop to a
      worker thread and back (0.4 ms of a 1.5 ms tile on the test machine);
    * autocommit: no BEGIN before and no ROLLBACK after each statement. A ROLLBACK would
      also make psycopg forget its prepared statements; kept, the tile SQL is prepared
      after its fifth run on a connection and no longer parsed and planned each time;
    * no check before use: a caller retries once on a connection found ``broken``, and
      the pool replaces broken connections when they come back.

    The pool is returned closed: open it inside the server's event loop (app lifespan).
    """
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return AsyncConnectionPool(
        libpq,
        open=False,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, **_connect_args(application_name, statement_timeout_ms)},
        name=application_name,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (loaders use this)."""
    with factory() as session, session.begin():
        yield session
