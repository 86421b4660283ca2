"""The audit log: every write and every read of personal data, who, when and what.

Actions in use: the writes (``create``, ``revoke``, ``ingest``, ``import``); ``read_personal``
(victims or witnesses served; details say which fields and how many rows), ``read_audit``
(the log itself read over the API) and ``denied`` (a known key refused such a read).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import AuditEntry

#: Most entries one listing returns.
MAX_ENTRIES = 1000


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry in the caller's transaction, so it exists exactly when the change does."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=details or {},
        )
    )


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    since: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, filtered; ``before_id`` continues a listing after its last id.

    A naive ``since`` is taken as UTC. Ids only grow, so paging by id never skips or repeats
    an entry however many are written meanwhile.
    """
    statement = entries_query(
        actor=actor,
        action=action,
        entity=entity,
        since=since,
        before_id=before_id,
        limit=limit,
    )
    return list(session.scalars(statement))


def entries_query(
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    since: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Select[Any]:
    """The statement ``entries`` runs, apart so the tests can EXPLAIN the real thing."""
    if not 1 <= limit <= MAX_ENTRIES:
        raise ValueError(f"limit must be between 1 and {MAX_ENTRIES}")
    statement = select(AuditEntry)
    if actor is not None:
        statement = statement.where(AuditEntry.actor == actor)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if entity is not None:
        statement = statement.where(AuditEntry.entity == entity)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        statement = statement.where(AuditEntry.at >= since)
    if before_id is not None:
        statement = statement.where(AuditEntry.id < before_id)
    return statement.order_by(AuditEntry.id.desc()).limit(limit)


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "details": entry.details,
    }
