"""``athar backup`` / ``athar restore``: pg_dump and pg_restore of the project database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from db.settings import Settings


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup_command(settings: Settings, out: Path) -> None:
    """Write a pg_dump (custom format) of the database to OUT (mode 0600)."""
    from db.backup import backup
    from db.cluster import ClusterError
    from db.engine import database_url

    try:
        size = backup(database_url(settings), out)
    except ClusterError as exc:
        click.echo(f"athar: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written: {out} ({size} bytes); it contains personal data, keep it safe")


@click.command("restore")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--database",
    "target",
    default=None,
    help="Restore into this new database (created) instead of the current one.",
)
@click.option("--force", is_flag=True, help="Replace the contents of the current database.")
@click.pass_obj
def restore_command(settings: Settings, dump: Path, target: str | None, force: bool) -> None:
    """Restore DUMP, in one transaction, into a new database or (with --force) the current one."""
    from sqlalchemy.engine import make_url

    from db.backup import check_dump, restore
    from db.cluster import ClusterError, create_database, drop_database
    from db.engine import database_url

    url = database_url(settings)
    if target is None and not force:
        click.echo(
            "athar: restoring over the current database needs --force (or use --database NEW_NAME)",
            err=True,
        )
        sys.exit(1)
    try:
        # A file that is not a backup is refused before a database is created or touched.
        check_dump(dump)
        if target is not None:
            parsed = make_url(url)
            admin = (
                f"host={parsed.host} port={parsed.port or 5432} dbname=postgres "
                f"user={parsed.username} password={parsed.password or ''}"
            )
            if not create_database(admin, target):
                click.echo(
                    f"athar: database {target!r} already exists; choose a new name", err=True
                )
                sys.exit(1)
            url = parsed.set(database=target).render_as_string(hide_password=False)
            try:
                restore(url, dump)
            except ClusterError:
                # The database was made for this restore: a failed one leaves none behind.
                drop_database(admin, target)
                raise
        else:
            restore(url, dump, clean=True)
    except (ClusterError, ValueError) as exc:
        click.echo(f"athar: {exc}", err=True)
        sys.exit(1)
    click.echo(f"restored {dump}" + (f" into {target}" if target else ""))


def register(main: click.Group) -> None:
    main.add_command(backup_command)
    main.add_command(restore_command)
