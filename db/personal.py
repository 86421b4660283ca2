"""Victims and witnesses of an incident, for the people whose work needs names.

These rows live in the ``restricted`` schema and reach no public output. The functions here
only read: the caller records every read in the audit log in the same transaction
(:func:`db.audit.record`, with :func:`disclosed_fields` as the "what") and commits.

Witness rule: a witness who asked for an alias is shown by it (``shown_as``). Their real
name (and the notes that go with it) is given to editors only for witnesses without an
alias; a contact only when the witness consented to share it. Admins see every field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.models import Incident, Victim, Witness

#: Fields of a victim as served to editors and admins (all of the person, none of the source
#: text: the evidence sentence and the provenance quote stay out of reach here too).
VICTIM_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "alias",
    "sex",
    "age",
    "is_child",
    "category",
    "residence",
    "outcome",
    "notes",
)
#: Fields a reader is told about but which identify no one.
_NOT_PERSONAL = frozenset({"id", "incident_id", "consent_to_share", "withheld", "shown_as"})


def incident_exists(session: Session, incident_id: int) -> bool:
    """Whether an incident of any status has this id (personal data outlives retraction)."""
    return bool(session.scalar(select(exists().where(Incident.id == incident_id))))


def victims_of(session: Session, incident_id: int) -> list[dict[str, Any]]:
    """The incident's victims, every field, in the order they were recorded."""
    rows = session.scalars(
        select(Victim).where(Victim.incident_id == incident_id).order_by(Victim.id)
    )
    return [{field: getattr(victim, field) for field in VICTIM_FIELDS} for victim in rows]


def witnesses_of(session: Session, incident_id: int, *, identities: bool) -> list[dict[str, Any]]:
    """The incident's witnesses under the witness rule; ``identities`` is the admin's view.

    ``withheld`` lists, per witness, the fields that hold a value this reader may not see.
    """
    rows = session.scalars(
        select(Witness).where(Witness.incident_id == incident_id).order_by(Witness.id)
    )
    witnesses = []
    for witness in rows:
        show_name = identities or witness.alias is None
        show_contact = identities or witness.consent_to_share
        withheld = [
            field
            for field, shown in (
                ("name", show_name),
                ("notes", show_name),
                ("contact", show_contact),
            )
            if not shown and getattr(witness, field) is not None
        ]
        witnesses.append(
            {
                "id": witness.id,
                "shown_as": witness.alias if witness.alias is not None else witness.name,
                "alias": witness.alias,
                "name": witness.name if show_name else None,
                "notes": witness.notes if show_name else None,
                "contact": witness.contact if show_contact else None,
                "consent_to_share": witness.consent_to_share,
                "withheld": withheld,
            }
        )
    return witnesses


def disclosed_fields(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The personal fields that carried a value in what was served (for the audit entry)."""
    fields = {
        field
        for row in rows
        for field, value in row.items()
        if field not in _NOT_PERSONAL and value is not None
    }
    return sorted(fields)
