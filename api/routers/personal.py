"""``/incidents/{id}/victims`` and ``/incidents/{id}/witnesses``: personal data, audited.

Only editor and admin keys read these (no key: 401; a partner key: 403, recorded as
``denied``). Every read, including one that finds nobody or no incident, writes one
``read_personal`` audit entry in the transaction that reads the rows: actor (the key's
prefix), the incident, how many rows and which personal fields were served — never the
values. Witnesses are shown under the rule of :mod:`db.personal`: by alias when they asked
for one, their real name and notes to admins only in that case, their contact to editors
only with their consent. Answers are never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.auth import KEY_VARY, Caller, require_role_audited
from api.errors import Problem
from db.audit import record
from db.keys import role_at_least
from db.personal import disclosed_fields, incident_exists, victims_of, witnesses_of
from db.queries import MAX_BIGINT

router = APIRouter(tags=["personal data"])

#: The weakest role that reads names of victims and witnesses.
PERSONAL_ROLE = "editor"

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown or revoked one (problem+json)"},
    403: {"description": "The key's role is below editor (problem+json; audited as denied)"},
    404: {"description": "No incident with this id (problem+json; the read is audited)"},
}


def _read_personal(
    request: Request,
    caller: Caller,
    incident_id: int,
    entity: str,
    read: Callable[[Session], list[dict[str, Any]]],
) -> JSONResponse:
    """Read and audit in one transaction; an unknown incident is audited, then a 404."""
    found = 0 <= incident_id <= MAX_BIGINT
    with request.app.state.sessions() as session, session.begin():
        found = found and incident_exists(session, incident_id)
        rows = read(session) if found else []
        details: dict[str, Any] = {
            "rows": len(rows),
            "fields": disclosed_fields(rows),
            "role": caller.role,
        }
        if not found:
            details["incident_found"] = False
        withheld = sorted({field for row in rows for field in row.get("withheld", ())})
        if withheld:
            details["withheld"] = withheld
        record(
            session,
            actor=caller.actor,
            action="read_personal",
            entity=entity,
            # A number out of bigint range names no incident; keep the entry short anyway.
            entity_id=str(incident_id)[:40],
            details=details,
        )
    if not found:
        raise Problem(404, f"no incident with id {incident_id}")
    return JSONResponse(
        {"incident_id": incident_id, entity: rows},
        headers={"Cache-Control": "no-store", "Vary": KEY_VARY},
    )


@router.get(
    "/incidents/{incident_id}/victims",
    summary="Victims of an incident, with names (editor; audited)",
    responses=_RESPONSES,
)
def incident_victims(
    request: Request,
    incident_id: int,
    caller: Annotated[
        Caller, Depends(require_role_audited(PERSONAL_ROLE, "victims", "incident_id"))
    ],
) -> JSONResponse:
    """Every recorded field of each victim: name, alias, sex, age, whether a child,
    category, residence, outcome, notes. Needs an editor or admin key; each call is written
    to the audit log (who, when, which incident, how many rows, which fields)."""
    return _read_personal(
        request, caller, incident_id, "victims", lambda session: victims_of(session, incident_id)
    )


@router.get(
    "/incidents/{incident_id}/witnesses",
    summary="Witnesses of an incident (editor; admin for protected identities; audited)",
    responses=_RESPONSES,
)
def incident_witnesses(
    request: Request,
    incident_id: int,
    caller: Annotated[
        Caller, Depends(require_role_audited(PERSONAL_ROLE, "witnesses", "incident_id"))
    ],
) -> JSONResponse:
    """Each witness as `shown_as` (their alias if they asked for one, else their name).

    Editors get the real `name` and `notes` only of witnesses without an alias, and a
    `contact` only where `consent_to_share` is true; admins get every field. `withheld` lists
    the fields that hold a value the caller may not see. Each call is audited.
    """
    identities = role_at_least(caller.role, "admin")
    return _read_personal(
        request,
        caller,
        incident_id,
        "witnesses",
        lambda session: witnesses_of(session, incident_id, identities=identities),
    )
