"""``GET /audit``: the audit log for admins, newest first, filtered and paged.

The log names key holders and what they did, so reading it is itself recorded
(``read_audit``), and a weaker key that asks is recorded as ``denied``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import KEY_VARY, Caller, require_role_audited
from db.audit import MAX_ENTRIES, as_dict, entries, record
from db.queries import MAX_BIGINT

router = APIRouter(tags=["audit"])

DEFAULT_LIMIT = 100


@router.get(
    "/audit",
    summary="The audit log: who wrote or read what, and when (admin)",
    responses={
        401: {"description": "No API key, or an unknown or revoked one (problem+json)"},
        403: {"description": "The key is not an admin's (problem+json; audited as denied)"},
        422: {"description": "Invalid parameter (problem+json)"},
    },
)
def audit_log(
    request: Request,
    caller: Annotated[Caller, Depends(require_role_audited("admin", "audit_log"))],
    actor: Annotated[
        str | None,
        Query(max_length=200, description="`key:<prefix>`, `cli`, `anonymous`, ..."),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=100,
            description="create, revoke, ingest, import, read_personal, read_audit, denied, ...",
        ),
    ] = None,
    entity: Annotated[
        str | None, Query(max_length=100, description="victims, witnesses, api_key, ...")
    ] = None,
    since: Annotated[
        dt.datetime | None,
        Query(description="Entries at or after this time (ISO 8601; no zone means UTC)."),
    ] = None,
    before: Annotated[
        int | None,
        Query(ge=1, le=MAX_BIGINT, description="Entries with a smaller id (the `next` link)."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_ENTRIES, description=f"Entries per page (1–{MAX_ENTRIES}).")
    ] = DEFAULT_LIMIT,
) -> JSONResponse:
    """Entries newest first: `id`, `at`, `actor`, `action`, `entity`, `entity_id`, `details`.
    Follow the `next` link for older ones."""
    filters = {"actor": actor, "action": action, "entity": entity}
    with request.app.state.sessions() as session, session.begin():
        found = entries(session, **filters, since=since, before_id=before, limit=limit)
        rows = [as_dict(entry) for entry in found]
        asked = {key: value for key, value in filters.items() if value is not None}
        if since is not None:
            asked["since"] = since.isoformat()
        record(
            session,
            actor=caller.actor,
            action="read_audit",
            entity="audit_log",
            details={"rows": len(rows), "filters": asked},
        )
    body: dict[str, Any] = {"entries": rows}
    links: list[dict[str, Any]] = [{"rel": "self", "href": str(request.url)}]
    if len(rows) == limit:
        body["next"] = str(request.url.include_query_params(before=rows[-1]["id"], limit=limit))
        links.append({"rel": "next", "href": body["next"]})
    body["links"] = links
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Vary": KEY_VARY})
