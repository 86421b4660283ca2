"""``athar db ...``, ``athar migrate``, ``athar load``, ``athar serve``: database and server."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from db.settings import Settings

if TYPE_CHECKING:
    from db.cluster import EmbeddedCluster


def _cluster(settings: Settings) -> EmbeddedCluster:
    from db.cluster import EmbeddedCluster

    return EmbeddedCluster(settings)


def _fail(message: str) -> None:
    click.echo(f"athar: {message}", err=True)
    sys.exit(1)


@click.group("db")
def db_group() -> None:
    """The embedded PostGIS cluster (ignored when DATABASE_URL is set)."""


@db_group.command("up")
@click.pass_obj
def db_up(settings: Settings) -> None:
    """Create (first time) and start the embedded cluster."""
    from db.cluster import ClusterError

    if settings.database_url:
        click.echo("DATABASE_URL is set: using it, no embedded cluster started.")
        return
    cluster = _cluster(settings)
    try:
        cluster.start()
    except ClusterError as exc:
        _fail(str(exc))
    click.echo(f"PostGIS running: 127.0.0.1:{cluster.port()} and socket {cluster.socket_dir}")


@db_group.command("down")
@click.pass_obj
def db_down(settings: Settings) -> None:
    """Stop the embedded cluster (data is kept)."""
    from db.cluster import ClusterError

    try:
        _cluster(settings).stop()
    except ClusterError as exc:
        _fail(str(exc))
    click.echo("PostGIS stopped.")


@db_group.command("status")
@click.pass_obj
def db_status(settings: Settings) -> None:
    """Print the cluster state as JSON; exit 1 when the database cannot be reached."""
    from sqlalchemy import text

    from db.engine import database_url, make_engine
    from db.migrate import current_revision, head_revision

    state: dict[str, object] = {"external": bool(settings.database_url)}
    if not settings.database_url:
        state.update(_cluster(settings).status())
    try:
        engine = make_engine(database_url(settings))
        with engine.connect() as conn:
            state["postgis"] = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        state["revision"] = current_revision(engine)
        state["head"] = head_revision()
        engine.dispose()
        state["reachable"] = True
    except Exception as exc:  # any failure to reach the database is the answer here
        state["reachable"] = False
        state["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    click.echo(json.dumps(state, indent=2, default=str))
    if not state["reachable"]:
        sys.exit(1)


@db_group.command("url")
@click.pass_obj
def db_url(settings: Settings) -> None:
    """Print the SQLAlchemy URL of the database in use."""
    from db.engine import database_url

    try:
        click.echo(database_url(settings))
    except FileNotFoundError:
        _fail("the embedded cluster has not been created yet: run `athar db up`")


@db_group.command("destroy")
@click.confirmation_option(prompt="Delete the embedded cluster and all its data?")
@click.pass_obj
def db_destroy(settings: Settings) -> None:
    """Stop the embedded cluster and delete its files."""
    _cluster(settings).destroy()
    click.echo("Embedded cluster deleted.")


@click.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_obj
def migrate(settings: Settings, revision: str) -> None:
    """Apply database migrations, then sync reference data (party taxonomy)."""
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import database_url, make_engine, make_session_factory, transaction
    from db.migrate import current_revision, upgrade
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties

    engine = make_engine(database_url(settings))
    try:
        # Each migration runs in one transaction: a failure leaves the previous revision.
        upgrade(engine, revision)
        with transaction(make_session_factory(engine)) as session:
            parties = sync_parties(session, load_party_taxonomy())
        click.echo(f"Database at revision {current_revision(engine)}; {parties} parties synced.")
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        _fail(f"migration failed, database left at its previous revision: {cause}")
    finally:
        engine.dispose()


def connection_budget_warning(workers: int, tile_pool_size: int) -> str | None:
    """Why ``workers`` API processes might run out of database connections, if they might."""
    from db.cluster import EMBEDDED_MAX_CONNECTIONS
    from db.engine import ENGINE_MAX_CONNECTIONS

    # Each worker holds its engine's connections plus its tile pool; past max_connections,
    # requests fail with "too many clients".
    most = workers * (ENGINE_MAX_CONNECTIONS + tile_pool_size)
    if most <= EMBEDDED_MAX_CONNECTIONS:
        return None
    return (
        f"{workers} workers may open up to {most} database connections; the embedded "
        f"cluster allows {EMBEDDED_MAX_CONNECTIONS} (check max_connections of other servers). "
        "Lower --workers or ATHAR_TILE_POOL_SIZE."
    )


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default ATHAR_HOST).")
@click.option("--port", default=None, type=int, help="Port (default ATHAR_PORT).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; each keeps its own tile cache and rate-limit counters.",
)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from api.app import create_app
    from db.engine import database_url

    host = host or settings.host
    port = port or settings.port
    base = f"http://{host}:{port}"
    click.echo(f"athar API:   {base}/")
    click.echo(f"health:      {base}/health")
    click.echo(f"web map:     {base}/map")
    click.echo(f"OpenAPI:     {base}/docs")
    click.echo(f"OGC API:     {base}/ogc")
    warning = connection_budget_warning(workers, settings.tile_pool_size)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    # Worker processes build their own app from the environment: hand them the database
    # this process resolved (the embedded cluster's URL included) and its home.
    os.environ["DATABASE_URL"] = database_url(settings)
    os.environ["ATHAR_HOME"] = str(settings.home)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def register(main: click.Group) -> None:
    main.add_command(db_group)
    main.add_command(migrate)
    main.add_command(serve)
