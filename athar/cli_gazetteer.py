"""``athar gazetteer ...``: build, load and query the bundled gazetteer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import click

JSONL_FIELDS = (
    "lat",
    "lon",
    "pcode",
    "admin1_pcode",
    "admin2_pcode",
    "admin3_pcode",
    "location_precision",
    "score",
    "name",
)


@click.group("gazetteer")
def gazetteer_group() -> None:
    """Resolve Syrian place names to coordinates and admin units."""


@gazetteer_group.command("build")
@click.option(
    "--from",
    "source_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder with the raw sources (OCHA COD-AB, OpenSyria, GeoNames, camps...).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the data files (default: the package's gazetteer/data).",
)
def build_command(source_dir: Path, out_dir: Path | None) -> None:
    """Build the compact gazetteer data files from the raw sources."""
    from gazetteer.build import DATA_DIR, build

    if not source_dir.is_dir():
        raise click.ClickException(f"source folder not found: {source_dir}")
    report = build(source_dir, out_dir or DATA_DIR)
    click.echo(json.dumps(report, indent=2))


@gazetteer_group.command("resolve")
@click.argument("name", required=False)
@click.option("--context", default=None, help="Free text around the name (admin words...).")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read {"id","name","context"} lines on stdin, write one answer per line.',
)
def resolve_command(name: str | None, context: str | None, jsonl: bool) -> None:
    """Resolve NAME (or, with --jsonl, a stream of names) to a place."""
    from gazetteer import default_resolver

    if jsonl:
        if name is not None:
            raise click.UsageError("give either NAME or --jsonl, not both")
        # Read bytes so one line of bad UTF-8 is reported and skipped, not fatal.
        bad = run_jsonl(sys.stdin.buffer, sys.stdout, sys.stderr)
        if bad:
            click.echo(f"{bad} bad input line(s) skipped", err=True)
            sys.exit(1)
        return
    if name is None:
        raise click.UsageError("NAME is required unless --jsonl is given")
    result = default_resolver().resolve(name, context)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


def run_jsonl(stdin: Iterable[str] | Iterable[bytes], stdout: TextIO, stderr: TextIO) -> int:
    """Resolve JSON lines from ``stdin`` to ``stdout``; returns the number of bad lines."""
    from gazetteer import default_resolver

    resolver = default_resolver()
    bad = 0
    for number, raw in enumerate(stdin, start=1):
        try:
            line: str = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if not line.strip():
                continue
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
            name = request.get("name")
            if not isinstance(name, str):
                raise ValueError('"name" must be a string')
            context = request.get("context")
            if context is not None and not isinstance(context, str):
                raise ValueError('"context" must be a string or null')
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            bad += 1
            stderr.write(f"line {number}: {exc}\n")
            continue
        result = resolver.resolve(name, context)
        answer: dict[str, Any] = {"id": request.get("id")}
        for key in JSONL_FIELDS:
            answer[key] = getattr(result, key)
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    stdout.flush()
    return bad


def register(main: click.Group) -> None:
    main.add_command(gazetteer_group)
