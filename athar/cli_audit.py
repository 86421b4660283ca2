"""``athar audit list``: read the audit log (writes, reads of personal data, refusals).

This reads the table with the database's own credentials, which already allow reading it
directly, so the listing is not itself recorded (``GET /audit`` over the API is).
"""

from __future__ import annotations

import datetime as dt
import json

import click

from db.settings import Settings


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO date or date-time such as 2026-11-22 or 2026-11-22T08:00+02:00",
            param_hint="--since",
        ) from None
    # Without a zone the time is taken as UTC by db.audit, as in GET /audit.
    return moment


@click.group("audit")
def audit_group() -> None:
    """The audit log: who wrote or read what, and when."""


@audit_group.command("list")
@click.option("--since", help="Entries at or after this date or time (ISO 8601; UTC if no zone).")
@click.option("--actor", help="Only this actor: key:<prefix>, cli, ...")
@click.option("--action", help="Only this action: create, read_personal, denied, ...")
@click.option("--entity", help="Only this entity: victims, witnesses, api_key, ...")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=100, show_default=True, help="Most entries."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_(
    settings: Settings,
    since: str | None,
    actor: str | None,
    action: str | None,
    entity: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Entries newest first: id, time, actor, action, entity, entity id, details."""
    from db.audit import as_dict, entries
    from db.engine import database_url, make_engine, make_session_factory

    moment = _since(since)
    engine = make_engine(database_url(settings), application_name="athar-cli")
    try:
        with make_session_factory(engine)() as session:
            found = [
                as_dict(entry)
                for entry in entries(
                    session, actor=actor, action=action, entity=entity, since=moment, limit=limit
                )
            ]
    finally:
        engine.dispose()
    for entry in found:
        details = json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)
        if as_json:
            click.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        else:
            click.echo(
                f"{entry['id']}\t{entry['at']}\t{entry['actor']}\t{entry['action']}\t"
                f"{entry['entity']}\t{entry['entity_id'] or '-'}\t{details}"
            )


def register(main: click.Group) -> None:
    main.add_command(audit_group)
