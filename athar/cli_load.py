"""``athar load``: put the bundled reference and sample data into the database, idempotently.

``make run`` calls it on every start, so each step must be cheap when nothing changed.
"""

from __future__ import annotations

import click

from db.settings import Settings


@click.command("load")
@click.pass_obj
def load(settings: Settings) -> None:
    """Load bundled reference data (parties, gazetteer, zones, severity) and sample incidents."""
    from db.engine import database_url, make_engine, make_session_factory, transaction
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties
    from etl.hazards import load_severity
    from etl.sample import load_sample
    from etl.zones import load_bundled_zones
    from gazetteer.dbload import load_gazetteer

    engine = make_engine(database_url(settings))
    sessions = make_session_factory(engine)
    try:
        with transaction(sessions) as session:
            parties = sync_parties(session, load_party_taxonomy())
        click.echo(f"reference data: {parties} parties")
        with transaction(sessions) as session:
            counts = load_gazetteer(session)
        if counts.skipped:
            click.echo("gazetteer: unchanged, already loaded")
        else:
            click.echo(
                f"gazetteer: {counts.admin_units} admin units, {counts.places} places, "
                f"{counts.names} names"
            )
        with transaction(sessions) as session:
            zones = load_bundled_zones(session)
        loaded = sum(zones.files.values())
        click.echo(
            f"control zones: {loaded} bundled zones loaded, "
            f"{len(zones.unchanged)} file(s) unchanged"
        )
        with transaction(sessions) as session:
            severity = load_severity(session)
        click.echo(f"mine-action severity: {severity.stored} sub-district indicator rows")
        # Incidents last, so each is joined to the control zone of its date when stored.
        with transaction(sessions) as session:
            sample = load_sample(session)
        click.echo(
            f"sample incidents: {sample.incidents} from {sample.documents} report(s) loaded, "
            f"{sample.skipped} report(s) already present"
        )
    finally:
        engine.dispose()


def register(main: click.Group) -> None:
    main.add_command(load)
