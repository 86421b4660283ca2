"""``athar keys ...``: create, list and revoke API keys (stored hashed)."""

from __future__ import annotations

import sys

import click

from db.settings import Settings
from db.vocab import API_ROLES


@click.group("keys")
def keys_group() -> None:
    """API keys for partners, editors and admins."""


# Key names are shown by `keys list` in a terminal: no control characters (NUL cannot even be
# stored), and short enough to read.
_MAX_NAME_CHARS = 200


def _key_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("must not be empty")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise click.BadParameter("must not contain control characters")
    if len(value) > _MAX_NAME_CHARS:
        raise click.BadParameter(f"longer than {_MAX_NAME_CHARS} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise click.BadParameter("is not valid Unicode text") from None
    return value


@keys_group.command("create")
@click.option("--name", required=True, callback=_key_name, help="Who or what the key is for.")
@click.option("--role", required=True, type=click.Choice(API_ROLES))
@click.pass_obj
def create(settings: Settings, name: str, role: str) -> None:
    """Create a key and print it once; only its hash is kept."""
    from db.audit import record
    from db.engine import database_url, make_engine, make_session_factory, transaction
    from db.keys import create_key

    engine = make_engine(database_url(settings))
    try:
        with transaction(make_session_factory(engine)) as session:
            key = create_key(session, name=name, role=role)
            record(
                session,
                actor="cli",
                action="create",
                entity="api_key",
                entity_id=key.prefix,
                details={"role": role, "name": name},
            )
    finally:
        engine.dispose()
    click.echo(key.plain)
    click.echo(
        f"(role {key.role}, prefix {key.prefix}; store it now, it is not shown again)", err=True
    )


@keys_group.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """List keys (prefix, role, name, created, revoked); never the keys themselves."""
    from db.engine import database_url, make_engine, make_session_factory
    from db.keys import list_keys

    engine = make_engine(database_url(settings))
    try:
        with make_session_factory(engine)() as session:
            for key in list_keys(session):
                revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
                click.echo(
                    f"{key.key_prefix}\t{key.role}\t{key.name}\t"
                    f"{key.created_at.isoformat()}\trevoked: {revoked}"
                )
    finally:
        engine.dispose()


@keys_group.command("revoke")
@click.argument("prefix")
@click.pass_obj
def revoke(settings: Settings, prefix: str) -> None:
    """Revoke the key with PREFIX (see `athar keys list`)."""
    from db.audit import record
    from db.engine import database_url, make_engine, make_session_factory, transaction
    from db.keys import revoke_key

    engine = make_engine(database_url(settings))
    try:
        with transaction(make_session_factory(engine)) as session:
            done = revoke_key(session, prefix)
            if done:
                record(session, actor="cli", action="revoke", entity="api_key", entity_id=prefix)
    finally:
        engine.dispose()
    if not done:
        click.echo(f"athar: no live key with prefix {prefix!r}", err=True)
        sys.exit(1)
    click.echo(f"revoked {prefix}")


def register(main: click.Group) -> None:
    main.add_command(keys_group)
