"""``athar zones ...``, ``athar hazards ...``, ``athar dev synth``: control zones and landmines.

Every command that writes opens one transaction per input file: a refused file leaves the
database as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from db.settings import Settings
from etl.inputs import clip_message

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def _fail(message: str) -> None:
    click.echo(f"athar: {message}", err=True)
    sys.exit(1)


@contextmanager
def _sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    from db.engine import database_url, make_engine, make_session_factory

    engine = make_engine(database_url(settings), application_name="athar-cli")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _coordinate(value: float, name: str, limit: float) -> float:
    if not (math.isfinite(value) and -limit <= value <= limit):
        raise click.BadParameter(f"{value} is not within -{limit:g}..{limit:g}", param_hint=name)
    return value


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@click.group("zones")
def zones_group() -> None:
    """Control zones through time: import, load bundled defaults, query."""


@zones_group.command("build")
@click.option(
    "--from",
    "shared",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder holding ocha_hno2023_syr/ and wikipedia_syria_detailed_map/.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: the package's db/data).",
)
def zones_build(shared: Path, out: Path | None) -> None:
    """Build the bundled zone files and the mine-action severity CSV from source data."""
    from importlib import resources

    from etl.hazards import build_severity_csv
    from etl.zones_build import build_zone_files

    data_dir = out or Path(str(resources.files("db").joinpath("data")))
    for path, features, size in build_zone_files(shared, data_dir / "zones"):
        click.echo(f"{path}: {features} zones, {size / 1024:.0f} KiB")
    path, rows = build_severity_csv(shared, data_dir / "mine_action_severity_2023.csv")
    click.echo(f"{path}: {rows} sub-districts")


@zones_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--series", default="imported", show_default=True, help="Snapshot series name.")
@click.option("--source", default=None, help="Source for features that name none.")
@click.option("--skip-bad", is_flag=True, help="Skip bad features instead of refusing the file.")
@click.pass_obj
def zones_import(
    settings: Settings, file: Path, series: str, source: str | None, skip_bad: bool
) -> None:
    """Import control zones from a GeoJSON FeatureCollection (one transaction).

    A bad feature refuses the whole file (nothing written) unless --skip-bad. The exit
    status is 1 when the file was refused or any feature was skipped.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import transaction
    from etl.inputs import InputFileError
    from etl.zones import ZoneImportError, import_zone_file

    with _sessions(settings) as sessions:
        try:
            with transaction(sessions) as session:
                report = import_zone_file(
                    session, file, series=series, source=source, skip_bad=skip_bad
                )
        except ZoneImportError as exc:
            for issue in exc.report.issues:
                click.echo(f"{file}: {clip_message(str(issue))}", err=True)
            _fail(f"{file}: {exc}")
            return
        except InputFileError as exc:
            _fail(f"{file}: {exc} (file refused, nothing imported)")
            return
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            _fail(f"{file}: not imported, database unchanged ({cause})")
            return
        except ValueError as exc:
            _fail(str(exc))
            return
    for issue in report.issues:
        click.echo(f"{file}: {clip_message(str(issue))}", err=True)
    click.echo(
        f"{file}: {report.inserted} zones imported ({report.replaced} replaced, "
        f"{report.closed} earlier snapshots closed, {report.skipped} features skipped); "
        f"{report.incidents_refreshed} incidents updated"
    )
    if report.skipped:
        sys.exit(1)


@zones_group.command("load")
@click.option("--force", is_flag=True, help="Reload even when the files did not change.")
@click.pass_obj
def zones_load(settings: Settings, force: bool) -> None:
    """Load the bundled zones and mine-action severity (idempotent; user zones untouched)."""
    from db.engine import transaction
    from etl.hazards import load_severity
    from etl.zones import load_bundled_zones

    with _sessions(settings) as sessions:
        with transaction(sessions) as session:
            report = load_bundled_zones(session, force=force)
        with transaction(sessions) as session:
            severity = load_severity(session)
    for name, count in report.files.items():
        click.echo(f"bundled zones {name}: {count} zones loaded")
    for name in report.unchanged:
        click.echo(f"bundled zones {name}: unchanged")
    click.echo(f"{report.incidents_refreshed} incidents updated")
    click.echo(
        f"mine-action severity: {severity.stored} indicator rows "
        f"({severity.skipped} sub-districts not in admin_units)"
    )


@zones_group.command("at")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.argument("day")
@click.pass_obj
def zones_at(settings: Settings, lon: float, lat: float, day: str) -> None:
    """Who controlled LON LAT on DAY (YYYY-MM-DD)? Prints JSON."""
    from db.control import controlling_force_at

    when = _date(day, "DAY")
    _coordinate(lon, "LON", 180)
    _coordinate(lat, "LAT", 90)
    with _sessions(settings) as sessions, sessions() as session:
        answer = controlling_force_at(session, lon, lat, when)
    if answer is None:
        _fail("nothing is known about control there on that day")
        return
    click.echo(json.dumps(answer.as_dict(), indent=2, ensure_ascii=False))


@zones_group.command("refresh")
@click.pass_obj
def zones_refresh(settings: Settings) -> None:
    """Recompute the control zone of every incident."""
    from db.control import refresh_incident_control
    from db.engine import transaction

    with _sessions(settings) as sessions, transaction(sessions) as session:
        changed = refresh_incident_control(session)
    click.echo(f"{changed} incidents updated")


@zones_group.command("disagreements")
@click.option("--from", "date_from", default=None, help="First date (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last date (YYYY-MM-DD).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_obj
def zones_disagreements(
    settings: Settings, date_from: str | None, date_to: str | None, limit: int
) -> None:
    """Incidents whose report names a controlling force the zones do not (JSON lines)."""
    from db.control import control_disagreements

    with _sessions(settings) as sessions, sessions() as session:
        rows = control_disagreements(
            session,
            date_from=_date(date_from, "--from") if date_from else None,
            date_to=_date(date_to, "--to") if date_to else None,
            limit=limit,
            # The operator reads the database directly: nothing to withhold from them.
            precise=True,
        )
    for row in rows:
        click.echo(
            json.dumps(
                {
                    "incident_id": row.incident_id,
                    "date": row.date_start.isoformat(),
                    "place": row.place_text,
                    "reported": list(row.reported),
                    "mapped": list(row.mapped),
                    "method": row.control_method,
                    "zone_id": row.control_zone_id,
                },
                ensure_ascii=False,
            )
        )


@click.group("hazards")
def hazards_group() -> None:
    """Landmine and war-remnant hazard areas."""


@hazards_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "geojson"]),
    default=None,
    help="Input format (default: from the file name).",
)
@click.option("--source", default=None, help="Source for rows that name none.")
@click.pass_obj
def hazards_import(settings: Settings, file: Path, fmt: str | None, source: str | None) -> None:
    """Import hazard areas (upsert by hazard_code); bad rows are reported and skipped.

    A file that is not CSV/GeoJSON with the needed columns, or has no usable row, is refused
    and nothing is written. The exit status is 1 when the file was refused or a row skipped.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import transaction
    from etl.hazards import HazardFileError, import_hazard_file

    fmt = fmt or ("geojson" if file.suffix.lower() in {".geojson", ".json"} else "csv")
    with _sessions(settings) as sessions:
        try:
            with transaction(sessions) as session:
                report = import_hazard_file(session, file, fmt=fmt, default_source=source)
        except HazardFileError as exc:
            _fail(f"{file}: {exc} (file refused, nothing imported)")
            return
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            _fail(f"{file}: not imported, database unchanged ({cause})")
            return
    for issue in [*report.warnings, *report.issues]:
        click.echo(f"{file}: {clip_message(str(issue))}", err=True)
    click.echo(
        f"{file}: {report.inserted} hazard areas added, {report.updated} updated, "
        f"{len(report.issues)} rows skipped"
    )
    if report.issues:
        sys.exit(1)


@hazards_group.command("load-severity")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Severity CSV (default: the bundled db/data/mine_action_severity_2023.csv).",
)
@click.pass_obj
def hazards_load_severity(settings: Settings, path: Path | None) -> None:
    """Load HNO 2023 mine-action severity and PiN per sub-district (idempotent)."""
    from db.engine import transaction
    from etl.hazards import HazardFileError, load_severity

    with _sessions(settings) as sessions:
        try:
            with transaction(sessions) as session:
                report = load_severity(session, path)
        except HazardFileError as exc:
            _fail(f"{path}: {exc} (file refused, nothing loaded)")
            return
    click.echo(
        f"mine-action severity: {report.stored} indicator rows "
        f"({report.skipped} sub-districts not in admin_units)"
    )


@click.group("dev")
def dev_group() -> None:
    """Developer tools: synthetic data for tests and benchmarks."""


@dev_group.command("synth")
@click.option("--incidents", default=10_000, show_default=True, help="Incidents to create.")
@click.option("--hazards", default=500, show_default=True, help="Hazard areas to create.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
@click.option("--clear", is_flag=True, help="Remove all synthetic data (and create none).")
@click.option(
    "--beside-real-data",
    is_flag=True,
    help="Allow generating into a database that holds real incidents (not recommended).",
)
@click.pass_obj
def dev_synth(
    settings: Settings,
    incidents: int,
    hazards: int,
    seed: int,
    clear: bool,
    beside_real_data: bool,
) -> None:
    """Generate a synthetic dataset (source kind 'synthetic'; never mixed with real data).

    Synthetic zones would answer control lookups for real incidents too, so a database that
    holds real incidents is refused: point DATABASE_URL at a development database.
    """
    from db.engine import transaction
    from etl.synth import clear_synthetic, generate_synthetic, real_incident_count

    with _sessions(settings) as sessions, transaction(sessions) as session:
        if clear:
            removed = clear_synthetic(session)
            click.echo(f"removed {removed} synthetic source documents and their data")
            return
        real = real_incident_count(session)
        if real and not beside_real_data:
            click.echo(
                f"athar: this database holds {real} real incidents; synthetic data would mix "
                "with them. Use a development database (DATABASE_URL=...), or pass "
                "--beside-real-data if you really mean it.",
                err=True,
            )
            sys.exit(1)
        report = generate_synthetic(
            session, incidents=incidents, hazards=hazards, seed=seed, log=click.echo
        )
    click.echo(
        f"synthetic dataset {report.source_key}: {report.incidents} incidents "
        f"({report.landmine_incidents} landmine/erw), {report.hazards} hazard areas, "
        f"{report.zones} zones in {report.seconds:.1f} s"
    )


def register(main: click.Group) -> None:
    main.add_command(zones_group)
    main.add_command(hazards_group)
    main.add_command(dev_group)
