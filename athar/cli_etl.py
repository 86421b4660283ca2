"""``athar etl ...``: parse reports, import structured incidents, load them into PostGIS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from etl.inputs import clip_message


@click.group("etl")
def etl_group() -> None:
    """Turn reports and incident files into geocoded incidents."""


def _read_report(path: Path) -> str:
    """The report's text; a ClickException (clean message, exit 1) when it cannot be used."""
    from etl.inputs import REPORT_MAX_LINE_CHARS, InputFileError, read_text_file

    try:
        return read_text_file(path, allow_empty=True, max_line_chars=REPORT_MAX_LINE_CHARS)
    except InputFileError as error:
        raise click.ClickException(f"{path}: {error}") from None


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
    status is 1 when any row was skipped. A file that is not the format at all prints nothing
    on stdout.
    """
    from etl.importers import import_acled, import_csv, import_geojson
    from etl.inputs import InputFileError, read_text_file

    chosen = file_format or ("geojson" if path.suffix.lower() in {".geojson", ".json"} else "csv")
    importer = {"csv": import_csv, "geojson": import_geojson, "acled": import_acled}[chosen]
    try:
        result = importer(read_text_file(path))
    except InputFileError as error:
        raise click.ClickException(f"{path}: {error}") from None
    for warning in result.warnings:
        click.echo(f"{path}: {warning.where}: warning: {clip_message(warning.message)}", err=True)
    for problem in result.problems:
        click.echo(f"{path}: {problem.where}: {clip_message(problem.message)}", err=True)
    _dump(result.records)
    if result.problems:
        sys.exit(1)


def register(main: click.Group) -> None:
    main.add_command(etl_group)
