"""``athar etl ingest`` and ``athar etl review``: reports into PostGIS, and the review queue.

Each report is one transaction: a report that fails leaves the database as it was and the
others still load. Progress goes to a terminal only; the summary line always prints.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from db.settings import Settings
from etl.inputs import clip_message


@click.command("ingest")
@click.argument(
    "reports", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--publisher", default=None, help="Publisher recorded on each source document.")
@click.option("--force", is_flag=True, help="Re-parse even when a report is unchanged.")
@click.pass_obj
def ingest(
    settings: Settings, reports: tuple[Path, ...], publisher: str | None, force: bool
) -> None:
    """Parse REPORTS and store their incidents, tolls and control observations."""
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import database_url, make_engine, make_session_factory, transaction
    from etl.inputs import REPORT_MAX_LINE_CHARS, InputFileError, read_text_file
    from etl.loaders.report import IngestSummary, ingest_report

    engine = make_engine(database_url(settings))
    sessions = make_session_factory(engine)
    totals = IngestSummary(source_key="*")
    failed: list[str] = []
    show_progress = sys.stderr.isatty() and len(reports) > 1
    try:
        progress = (
            click.progressbar(reports, label="ingesting", file=sys.stderr, show_pos=True)
            if show_progress
            else None
        )
        with progress or contextlib.nullcontext(reports) as bar:
            for path in bar:
                try:
                    content = read_text_file(path, max_line_chars=REPORT_MAX_LINE_CHARS)
                except InputFileError as exc:
                    failed.append(f"{path}: {exc} (report refused, nothing stored)")
                    continue
                try:
                    with transaction(sessions) as session:
                        summary = ingest_report(
                            session,
                            content,
                            source_key=path.stem,
                            publisher=publisher,
                            force=force,
                        )
                except SQLAlchemyError as exc:
                    cause = getattr(exc, "orig", None) or exc
                    failed.append(f"{path}: not stored, database unchanged ({cause})")
                    continue
                for name in (
                    "stored",
                    "updated",
                    "unchanged",
                    "retracted",
                    "review",
                    "tolls",
                    "observations",
                ):
                    setattr(totals, name, getattr(totals, name) + getattr(summary, name))
                if summary.skipped_document:
                    click.echo(f"{path.name}: unchanged since last ingest, skipped", err=True)
                for warning in summary.warnings:
                    click.echo(f"{path.name}: warning: {warning}", err=True)
    finally:
        engine.dispose()
    for message in failed:
        click.echo(f"athar: {message}", err=True)
    click.echo(
        f"{len(reports) - len(failed)} report(s): {totals.stored} stored, {totals.updated} "
        f"updated, {totals.unchanged} unchanged, {totals.retracted} retracted, "
        f"{totals.review} sent to review, {totals.tolls} tolls, "
        f"{totals.observations} control observations"
    )
    if failed:
        sys.exit(1)


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "file_format",
    required=True,
    type=click.Choice(["csv", "geojson", "acled"]),
    help="csv: athar columns (see README); geojson: Point features; acled: ACLED export.",
)
@click.pass_obj
def import_command(settings: Settings, files: tuple[Path, ...], file_format: str) -> None:
    """Load structured incident FILES; bad rows are reported by line and skipped.

    A file that is not the format at all, or has no usable row, is refused and nothing from
    it is stored. The exit status is 1 when any file was refused or any row skipped.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import database_url, make_engine, make_session_factory, transaction
    from etl.inputs import InputFileError
    from etl.loaders.structured import import_structured

    engine = make_engine(database_url(settings))
    sessions = make_session_factory(engine)
    failed = skipped_rows = 0
    try:
        for path in files:
            try:
                with transaction(sessions) as session:
                    outcome = import_structured(session, path, file_format)
            except InputFileError as exc:
                for problem in getattr(exc, "problems", ()):
                    click.echo(
                        f"{path}: {problem.where}: {clip_message(problem.message)}", err=True
                    )
                click.echo(f"athar: {path}: {exc} (file refused, nothing stored)", err=True)
                failed += 1
                continue
            except SQLAlchemyError as exc:
                cause = getattr(exc, "orig", None) or exc
                click.echo(f"athar: {path}: not stored, database unchanged ({cause})", err=True)
                failed += 1
                continue
            for warning in outcome.warnings:
                click.echo(
                    f"{path}: {warning.where}: warning: {clip_message(warning.message)}", err=True
                )
            for message in outcome.summary.warnings:
                click.echo(f"{path}: warning: {message}", err=True)
            for problem in outcome.problems:
                click.echo(f"{path}: {problem.where}: {clip_message(problem.message)}", err=True)
            skipped_rows += len(outcome.problems)
            summary = outcome.summary
            click.echo(
                f"{path.name}: {summary.stored} stored, {summary.updated} updated, "
                f"{summary.unchanged} unchanged, {summary.retracted} retracted, "
                f"{len(outcome.problems)} row problem(s), "
                f"{outcome.resolved_places} place(s) located by the gazetteer"
            )
    finally:
        engine.dispose()
    if failed or skipped_rows:
        sys.exit(1)


@click.command("review")
@click.option(
    "--status",
    default="open",
    show_default=True,
    type=click.Choice(["open", "resolved", "dismissed", "all"]),
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def review(settings: Settings, status: str, as_json: bool) -> None:
    """List passages that looked like incidents but could not be fully parsed."""
    from sqlalchemy import select

    from db.engine import database_url, make_engine, make_session_factory
    from db.models import ReviewItem, SourceDocument

    engine = make_engine(database_url(settings))
    try:
        with make_session_factory(engine)() as session:
            query = (
                select(ReviewItem, SourceDocument.source_key)
                .join(SourceDocument, SourceDocument.id == ReviewItem.document_id, isouter=True)
                .order_by(ReviewItem.id)
            )
            if status != "all":
                query = query.where(ReviewItem.status == status)
            for item, source_key in session.execute(query):
                if as_json:
                    click.echo(
                        json.dumps(
                            {
                                "id": item.id,
                                "document": source_key,
                                "status": item.status,
                                "reason": item.reason,
                                "start": item.start_offset,
                                "end": item.end_offset,
                                "excerpt": item.excerpt,
                            },
                            ensure_ascii=False,
                        )
                    )
                else:
                    click.echo(
                        f"#{item.id} [{source_key} {item.start_offset}-{item.end_offset}]"
                        f" {item.reason}\n    {item.excerpt[:200]}"
                    )
    finally:
        engine.dispose()


@click.command("sample")
@click.option(
    "--from",
    "reports_dir",
    default="../shared/reports",
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of report .txt files.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def sample(reports_dir: Path, out: Path | None) -> None:
    """Rebuild the bundled sample of incidents (facts only, no report text) from reports."""
    from etl.sample import SAMPLE_FILE, write_sample

    target = out or SAMPLE_FILE
    count = write_sample(reports_dir, target)
    click.echo(f"{count} incidents written to {target}")


def register(etl_group: click.Group) -> None:
    etl_group.add_command(ingest)
    etl_group.add_command(import_command)
    etl_group.add_command(review)
    etl_group.add_command(sample)
