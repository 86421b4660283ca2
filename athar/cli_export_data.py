"""``athar export incidents OUT``: any incident query to GeoJSON, CSV, GeoPackage or FlatGeobuf.

The filters are those of ``GET /incidents`` and are validated by the same function, so a
file exported here holds exactly what the API would serve for the same query: public
fields only, sensitive incidents on their sub-district. ``--precise`` gives the partners'
view instead (sensitive incidents at their true point, as a partner key sees them in the
API), for files handed to mine-action partners; each such export is written to the audit
log, as the API records reads of restricted data.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from db.settings import Settings

FORMATS = ("geojson", "csv", "gpkg", "fgb")
_SUFFIXES = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".gpkg": "gpkg",
    ".fgb": "fgb",
}


def _split(values: tuple[str, ...]) -> list[str] | None:
    return list(values) or None


@click.command("incidents")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    help="Output format (default: from OUT's suffix; '-' writes GeoJSON or CSV to stdout).",
)
@click.option("--date-from", type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--date-to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD.")
@click.option("--perpetrator", multiple=True, help="Party code(s), comma-separated or repeated.")
@click.option("--weapon", multiple=True, help="Weapon code(s).")
@click.option("--victim-category", multiple=True, help="medical, civil_defense, media, aid_worker.")
@click.option("--facility", multiple=True, help="Facility code(s).")
@click.option("--massacre/--no-massacre", default=None, help="Only massacres / only others.")
@click.option("--admin", help="OCHA P-code of a governorate, district or sub-district.")
@click.option("--bbox", help="minlon,minlat,maxlon,maxlat (WGS84).")
@click.option(
    "--near",
    help="lon,lat,radius_km: incidents within radius_km of the point.",
)
@click.option("--controlling-force", multiple=True, help="Party code(s) in control at the time.")
@click.option(
    "--precise",
    is_flag=True,
    help="Sensitive incidents at their true point, as partner keys see them (for files for "
    "mine-action partners; audited). Default: the public view.",
)
@click.pass_obj
def export_incidents(
    settings: Settings,
    out: Path,
    format_name: str | None,
    date_from: dt.datetime | None,
    date_to: dt.datetime | None,
    perpetrator: tuple[str, ...],
    weapon: tuple[str, ...],
    victim_category: tuple[str, ...],
    facility: tuple[str, ...],
    massacre: bool | None,
    admin: str | None,
    bbox: str | None,
    near: str | None,
    controlling_force: tuple[str, ...],
    precise: bool,
) -> None:
    """Export the incidents matching the filters to OUT, streaming from the database."""
    from pydantic import ValidationError

    from api.errors import Problem
    from api.exports import EXPORT_FORMATS, text_chunks, write_export
    from api.filters import IncidentQuery, filter_from_query
    from db.audit import record
    from db.engine import database_url, make_engine, make_session_factory, transaction

    stdout = str(out) == "-"
    if format_name is None:
        format_name = "geojson" if stdout else _SUFFIXES.get(out.suffix.lower())
        if format_name is None:
            raise click.UsageError(f"cannot tell the format of {out}; pass --format")
    if stdout and EXPORT_FORMATS[format_name].driver is not None:
        raise click.UsageError(f"{format_name} needs a file, not stdout")
    lat = lon = radius_km = None
    if near:
        try:
            lon, lat, radius_km = (float(part) for part in near.split(","))
        except ValueError:
            raise click.BadParameter("expected lon,lat,radius_km", param_hint="--near") from None
    try:
        query = filter_from_query(
            IncidentQuery(
                date_from=date_from.date() if date_from else None,
                date_to=date_to.date() if date_to else None,
                perpetrator=_split(perpetrator),
                weapon=_split(weapon),
                victim_category=_split(victim_category),
                facility=_split(facility),
                massacre=massacre,
                admin=admin,
                bbox=bbox,
                lat=lat,
                lon=lon,
                radius_km=radius_km,
                controlling_force=_split(controlling_force),
            )
        )
    except Problem as problem:
        raise click.UsageError(problem.detail) from None
    except ValidationError as exc:
        # The API's own ranges (IncidentQuery); --near is the only option not typed by click.
        reasons = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise click.BadParameter(reasons, param_hint="--near") from None
    # Where incidents are searched (bbox, near, admin) follows the view, as in the API.
    query = replace(query, precise=precise)

    engine = make_engine(database_url(settings), application_name="athar-export")
    try:
        with make_session_factory(engine)() as session:
            if stdout:
                for chunk in text_chunks(format_name)(session, query):
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
                count = None
            else:
                # Written beside OUT and renamed at the end: a failed export leaves no half
                # file. The suffix stays last: GDAL picks the FlatGeobuf layout by extension.
                partial = out.with_name(f".{out.stem}.partial{out.suffix}")
                partial.unlink(missing_ok=True)
                try:
                    count = write_export(session, query, partial, format_name)
                    os.replace(partial, out)
                finally:
                    partial.unlink(missing_ok=True)
        if precise:
            with transaction(make_session_factory(engine)) as session:
                record(
                    session,
                    actor="cli",
                    action="export_precise",
                    entity="incidents",
                    details={
                        "out": "-" if stdout else out.name,
                        "format": format_name,
                        "rows": count,
                        "filter": query.cache_key(),
                    },
                )
    finally:
        engine.dispose()
    if stdout:
        return
    summary = f"{count} incidents" if count is not None else format_name
    click.echo(f"wrote {out} ({summary})", err=True)


def register(export_group: click.Group) -> None:
    export_group.add_command(export_incidents)
