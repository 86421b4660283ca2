"""``athar etl ...``: parse reports, import structured incidents, load them into PostGIS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


@click.group("etl")
def etl_group() -> None:
    """Turn reports and incident files into geocoded incidents."""


def _read_report(path: Path) -> str:
    """The report's text; a ClickException (clean message, exit 1) when it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory, not a report") from None
    except OSError as error:
        raise click.ClickException(f"{path}: cannot read ({error.strerror})") from None
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path}: not readable as UTF-8 text (bad byte at offset {error.start}); "
            "convert the report to UTF-8 first"
        ) from None
    if "\x00" in text:
        raise click.ClickException(f"{path}: looks like a binary file, not a text report")
    return text


def _dump(records: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(records, ensure_ascii=False, indent=2))


@etl_group.command("parse")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--tolls",
    "show_tolls",
    is_flag=True,
    help="Print the report's totals (tolls) instead of its incidents.",
)
@click.option(
    "--review",
    "show_review",
    is_flag=True,
    help="Print the passages that look like incidents but could not be parsed.",
)
@click.option(
    "--provenance",
    is_flag=True,
    help="Add each incident's character span in the report to the output.",
)
@click.option(
    "--warnings/--no-warnings",
    "show_warnings",
    default=True,
    help="Print parser warnings on stderr (default: on).",
)
def parse_command(
    report: Path, show_tolls: bool, show_review: bool, provenance: bool, show_warnings: bool
) -> None:
    """Parse REPORT (plain text) and print its incidents as a JSON array.

    The output is the interchange format: every field present, null where the report is
    silent.
    """
    from etl.report import parse_report

    text = _read_report(report)
    parsed = parse_report(text, source_name=report.stem)
    if show_warnings:
        for warning in parsed.warnings:
            click.echo(f"warning: {warning}", err=True)
    if show_tolls:
        _dump([toll.to_interchange() for toll in parsed.tolls])
    elif show_review:
        _dump(
            [
                {
                    "reason": item.reason,
                    "text": item.text,
                    "start": item.span_start,
                    "end": item.span_end,
                }
                for item in parsed.review_items
            ]
        )
    else:
        _dump([incident.to_interchange(provenance=provenance) for incident in parsed.incidents])
    sys.stdout.flush()


@etl_group.command("convert")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "geojson", "acled"]),
    default=None,
    help="File format (default: from the extension; .csv is the athar CSV layout).",
)
def import_file_command(path: Path, file_format: str | None) -> None:
    """Read PATH (CSV, GeoJSON or ACLED export) and print interchange records (no database).

    Bad rows are skipped and listed on stderr with their line (or feature) number; the exit
    status is 1 when any row was skipped.
    """
    from etl.importers import import_acled, import_csv, import_geojson

    text = _read_report(path)
    chosen = file_format or ("geojson" if path.suffix.lower() in {".geojson", ".json"} else "csv")
    importer = {"csv": import_csv, "geojson": import_geojson, "acled": import_acled}[chosen]
    result = importer(text)
    for problem in result.problems:
        click.echo(f"{path}:{problem.line}: {problem.message}", err=True)
    _dump(result.records)
    if result.problems:
        sys.exit(1)


def register(main: click.Group) -> None:
    main.add_command(etl_group)
