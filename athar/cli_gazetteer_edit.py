"""``athar gazetteer load | add-alias | add-place``: the gazetteer in PostGIS, and additions."""

from __future__ import annotations

import sys

import click

from db.settings import Settings


@click.command("load")
@click.option("--force", is_flag=True, help="Reload even if the bundle is unchanged.")
@click.pass_obj
def load(settings: Settings, force: bool) -> None:
    """Load admin units, places and names into PostGIS (idempotent)."""
    from db.engine import database_url, make_engine, make_session_factory, transaction
    from gazetteer.dbload import load_gazetteer

    engine = make_engine(database_url(settings))
    try:
        with transaction(make_session_factory(engine)) as session:
            counts = load_gazetteer(session, force=force)
    finally:
        engine.dispose()
    if counts.skipped:
        click.echo("gazetteer unchanged, already loaded (use --force to reload)")
    else:
        click.echo(
            f"{counts.admin_units} admin units, {counts.places} places, {counts.names} names"
        )


def _edit(settings: Settings, action: str, **fields: object) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from db.audit import record
    from db.engine import database_url, make_engine, make_session_factory, transaction
    from gazetteer.editor import AdditionError, add_alias, add_place

    engine = make_engine(database_url(settings))
    try:
        with transaction(make_session_factory(engine)) as session:
            if action == "alias":
                row_id = add_alias(session, added_by="cli", **fields)  # type: ignore[arg-type]
                record(
                    session,
                    actor="cli",
                    action="create",
                    entity="place_name",
                    entity_id=row_id,
                    details={k: str(v) for k, v in fields.items()},
                )
                click.echo(f"alias stored (name id {row_id})")
            else:
                place = add_place(session, added_by="cli", **fields)  # type: ignore[arg-type]
                record(
                    session,
                    actor="cli",
                    action="create",
                    entity="place",
                    entity_id=place.id,
                    details={k: str(v) for k, v in fields.items()},
                )
                click.echo(f"place stored: {place.source_ref} in {place.admin3_pcode or '?'}")
    except AdditionError as exc:
        click.echo(f"athar: {exc} (nothing stored)", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        click.echo(f"athar: not stored, database unchanged ({cause})", err=True)
        sys.exit(1)
    finally:
        engine.dispose()


@click.command("add-alias")
@click.argument("target")
@click.argument("alias")
@click.option("--source", required=True, help="Where this spelling comes from.")
@click.pass_obj
def add_alias_command(settings: Settings, target: str, alias: str, source: str) -> None:
    """Add ALIAS as a spelling of TARGET (a P-code, gazetteer id or place id)."""
    _edit(settings, "alias", target=target, alias=alias, source=source)


@click.command("add-place")
@click.argument("name")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["community", "neighbourhood", "camp", "landmark", "settlement"]),
)
@click.option("--lat", required=True, type=float)
@click.option("--lon", required=True, type=float)
@click.option("--source", required=True, help="Where the place and its position come from.")
@click.option("--name-ar", default=None, help="Arabic name.")
@click.option("--parent", default=None, help="P-code of the town the place belongs to.")
@click.pass_obj
def add_place_command(
    settings: Settings,
    name: str,
    kind: str,
    lat: float,
    lon: float,
    source: str,
    name_ar: str | None,
    parent: str | None,
) -> None:
    """Add a new place (e.g. a camp) with its source."""
    _edit(
        settings,
        "place",
        name=name,
        kind=kind,
        lat=lat,
        lon=lon,
        source=source,
        name_ar=name_ar,
        parent=parent,
    )


def register(gazetteer_group: click.Group) -> None:
    gazetteer_group.add_command(load)
    gazetteer_group.add_command(add_alias_command)
    gazetteer_group.add_command(add_place_command)
