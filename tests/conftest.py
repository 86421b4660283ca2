"""Test harness: a real PostGIS, one throwaway database per test session, a rollback per test.

The server is ``DATABASE_URL`` when set (its user needs CREATEDB), else the project's embedded
cluster, started here if it is not running. Each session creates ``athar_test_<random>``,
applies the migrations and drops it at the end; each test runs inside a transaction that is
rolled back, so tests see an empty, migrated schema with the reference data loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.cluster import EmbeddedCluster, create_database, drop_database
from db.engine import make_engine, make_session_factory, normalise_url, transaction
from db.migrate import upgrade
from db.parties import load_party_taxonomy
from db.reference import sync_parties
from db.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason="needs ../shared (sample reports, gold files, source data)")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


class Server:
    """Where throwaway databases are made: an admin DSN and a URL builder."""

    def __init__(self, settings: Settings) -> None:
        if settings.database_url:
            base = make_url(normalise_url(settings.database_url))
            self._base = base
            self.admin_dsn = (
                f"host={base.host or 'localhost'} port={base.port or 5432} "
                f"dbname=postgres user={base.username} password={base.password or ''}"
            )
            self.cluster: EmbeddedCluster | None = None
        else:
            self.cluster = EmbeddedCluster(settings)
            self.cluster.start()
            self.admin_dsn = self.cluster.libpq_dsn("postgres")

    def url(self, database: str) -> str:
        if self.cluster is not None:
            return self.cluster.url(database)
        return self._base.set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def server(settings: Settings) -> Server:
    return Server(settings)


@pytest.fixture(scope="session")
def make_database(server: Server) -> Iterator[Callable[[], str]]:
    """Factory of empty throwaway databases (dropped at session end); returns their URLs."""
    created: list[str] = []

    def _make() -> str:
        name = f"athar_test_{uuid.uuid4().hex[:10]}"
        create_database(server.admin_dsn, name)
        created.append(name)
        return server.url(name)

    yield _make
    for name in created:
        drop_database(server.admin_dsn, name)


@pytest.fixture(scope="session")
def engine(make_database: Callable[[], str]) -> Iterator[Engine]:
    """The session's migrated database, with the party taxonomy loaded."""
    db_engine = make_engine(make_database(), application_name="athar-tests")
    upgrade(db_engine)
    with transaction(make_session_factory(db_engine)) as session:
        sync_parties(session, load_party_taxonomy())
    yield db_engine
    db_engine.dispose()


@pytest.fixture(scope="session")
def gazetteer_loaded(engine: Engine) -> Engine:
    """The session database with the bundled gazetteer committed (admin units, places)."""
    from gazetteer.dbload import load_gazetteer

    with transaction(make_session_factory(engine)) as session:
        load_gazetteer(session)
    return engine


@pytest.fixture(scope="session")
def scratch_engine(make_database: Callable[[], str]) -> Iterator[Engine]:
    """A second migrated database with the gazetteer, for tests that must commit.

    Subprocess and CLI tests commit their writes; keeping them here leaves the main test
    database holding only what rolled-back tests put there for the length of one test.
    """
    from gazetteer.dbload import load_gazetteer

    db_engine = make_engine(make_database(), application_name="athar-tests-scratch")
    upgrade(db_engine)
    with transaction(make_session_factory(db_engine)) as session:
        sync_parties(session, load_party_taxonomy())
        load_gazetteer(session)
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def app_client(engine: Engine, connection: Connection) -> Iterator[TestClient]:
    """A client of the app whose sessions join the test's rolled-back transaction."""
    from api.app import create_app

    app = create_app(Settings(), engine=engine)
    app.state.sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def db_session(connection: Connection) -> Iterator[Session]:
    """An ORM session whose commits become savepoints of the rolled-back test transaction."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
