"""``athar export pmtiles``: a PMTiles v3 archive of a tile layer, for static hosting and the field.

The archive holds the same gzip MVT bytes as ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` with the
same filters, for the tiles inside Syria's bounds that can hold data at each zoom. Written
into ``<ATHAR_HOME>/pmtiles/NAME.pmtiles`` it is also served by the API at
``/pmtiles/NAME.pmtiles``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from db.settings import Settings


def _fail(message: str) -> None:
    click.echo(f"athar: {message}", err=True)
    sys.exit(1)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@click.command("pmtiles")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--layer",
    type=click.Choice(["incidents", "landmines", "hazard_areas", "control_zones", "admin_units"]),
    default="incidents",
    show_default=True,
    help="Tile layer to export.",
)
@click.option("--minzoom", type=click.IntRange(0, 22), default=0, show_default=True)
@click.option(
    "--maxzoom",
    type=click.IntRange(0, 22),
    default=None,
    help="Highest zoom (default 14 for incidents, landmines and hazard areas, 10 otherwise).",
)
@click.option("--date", "day", default=None, help="Day of the control zones (default today).")
@click.option("--date-from", default=None, help="First incident day (YYYY-MM-DD).")
@click.option("--date-to", default=None, help="Last incident day (YYYY-MM-DD).")
@click.option("--weapon", multiple=True, help="Weapon codes (repeat or comma-separate).")
@click.option("--perpetrator", multiple=True, help="Perpetrator party codes.")
@click.option("--victim-category", multiple=True, help="Victim categories.")
@click.option("--facility", multiple=True, help="Facility codes.")
@click.option("--massacre/--no-massacre", default=None, help="Only (or no) massacres.")
@click.option("--admin", default=None, help="OCHA P-code of a governorate/district/sub-district.")
@click.option("--bbox", default=None, help="minlon,minlat,maxlon,maxlat (WGS84).")
@click.option("--controlling-force", multiple=True, help="Party codes in control at the time.")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.pass_obj
def export_pmtiles_command(
    settings: Settings,
    out: Path,
    layer: str,
    minzoom: int,
    maxzoom: int | None,
    day: str | None,
    date_from: str | None,
    date_to: str | None,
    weapon: tuple[str, ...],
    perpetrator: tuple[str, ...],
    victim_category: tuple[str, ...],
    facility: tuple[str, ...],
    massacre: bool | None,
    admin: str | None,
    bbox: str | None,
    controlling_force: tuple[str, ...],
    workers: int,
    quiet: bool,
) -> None:
    """Write the PMTiles v3 archive OUT: one layer as gzip MVT tiles, with vector_layers.

    Only tiles inside Syria that can hold data are generated; each is the same tile as the
    live endpoint with the same filters. Written as ATHAR_HOME/pmtiles/NAME.pmtiles, it is
    served at /pmtiles/NAME.pmtiles.
    """
    from api.errors import Problem
    from api.filters import IncidentQuery, filter_from_query
    from api.pmtiles_archive import EmptyArchiveError, export_pmtiles
    from api.tiles import LAYERS
    from db.engine import database_url, make_engine

    spec = LAYERS[layer]
    top = spec.export_maxzoom if maxzoom is None else maxzoom
    if top < minzoom:
        raise click.BadParameter("must not be below --minzoom", param_hint="--maxzoom")
    try:
        # The API's own parameter parser: the CLI accepts and rejects what the API does.
        filters = filter_from_query(
            IncidentQuery(
                date_from=_date(date_from, "--date-from"),
                date_to=_date(date_to, "--date-to"),
                perpetrator=list(perpetrator) or None,
                weapon=list(weapon) or None,
                victim_category=list(victim_category) or None,
                facility=list(facility) or None,
                massacre=massacre,
                admin=admin,
                bbox=bbox,
                controlling_force=list(controlling_force) or None,
            )
        )
    except Problem as exc:
        _fail(exc.detail)
        return
    engine = make_engine(database_url(settings), application_name="athar-export")

    def progress(done: int, total: int) -> None:
        if not quiet and (done == total or done % 500 == 0):
            click.echo(f"\r{done}/{total} tiles", nl=done == total, err=True)

    try:
        report = export_pmtiles(
            engine,
            out,
            layer,
            incident_filter=filters,
            day=_date(day, "--date"),
            minzoom=minzoom,
            maxzoom=top,
            workers=workers,
            max_points=settings.tile_max_points,
            progress=progress,
        )
    except EmptyArchiveError as exc:
        _fail(f"{exc}; nothing written")
        return
    finally:
        engine.dispose()
    zooms = ", ".join(f"z{z}: {count}" for z, count in sorted(report.per_zoom.items()))
    click.echo(
        f"{report.path}: {report.tiles} tiles ({report.tiles_tried} tried; {zooms}), "
        f"{report.bytes / 1024:.0f} KiB in {report.seconds:.1f} s"
    )
    if report.data_changed:
        click.echo("athar: the data changed during the export; run it again", err=True)


def register(export_group: click.Group) -> None:
    export_group.add_command(export_pmtiles_command)
