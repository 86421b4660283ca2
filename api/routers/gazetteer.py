"""``/gazetteer``: search and reverse-geocode places; editors add aliases and places.

Each app keeps one resolver over the bundled gazetteer plus the database's editor additions,
rebuilt when the ``places`` data version changes (another process may have added a place).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Caller, require_role
from api.errors import Problem
from db.audit import record
from db.models import DataVersion
from gazetteer import Gazetteer, Resolution, Resolver
from gazetteer.editor import EDITABLE_KINDS, AdditionError, add_alias, add_place, merge_additions

router = APIRouter(prefix="/gazetteer", tags=["gazetteer"])

_VERSION_CHECK_SECONDS = 2.0


class _ResolverHolder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resolver: Resolver | None = None
        self.version: int | None = None
        self.checked_at = 0.0


def _holder(request: Request) -> _ResolverHolder:
    state = request.app.state
    if not hasattr(state, "gazetteer_holder"):
        state.gazetteer_holder = _ResolverHolder()
    holder: _ResolverHolder = state.gazetteer_holder
    return holder


def current_resolver(request: Request, *, force: bool = False) -> Resolver:
    holder = _holder(request)
    with holder.lock:
        now = time.monotonic()
        if (
            holder.resolver is not None
            and not force
            and now - holder.checked_at < _VERSION_CHECK_SECONDS
        ):
            return holder.resolver
        with request.app.state.sessions() as session:
            version = session.scalar(
                select(DataVersion.version).where(DataVersion.layer == "places")
            )
            if holder.resolver is None or force or version != holder.version:
                gazetteer = Gazetteer.load()
                merge_additions(session, gazetteer)
                holder.resolver = Resolver(gazetteer)
                holder.version = version
        holder.checked_at = now
        assert holder.resolver is not None
        return holder.resolver


def _result(resolution: Resolution) -> dict[str, Any]:
    keys = (
        "name",
        "name_ar",
        "pcode",
        "kind",
        "lat",
        "lon",
        "admin1_pcode",
        "admin1_name",
        "admin2_pcode",
        "admin2_name",
        "admin3_pcode",
        "admin3_name",
        "location_precision",
        "score",
    )
    return {key: getattr(resolution, key) for key in keys}


@router.get("/search", summary="Resolve a place name (any spelling, Latin or Arabic)")
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Place name.")],
    context: Annotated[
        str | None,
        Query(max_length=1000, description='Free text such as "eastern suburbs of Hama".'),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    resolver = current_resolver(request)
    resolution = resolver.resolve(q, context)
    results = [_result(resolution)] if resolution.resolved else []
    for candidate in resolution.candidates:
        if len(results) >= limit:
            break
        if candidate.pcode is None or candidate.pcode == resolution.pcode:
            continue
        alternative = resolver.resolve(candidate.pcode)
        if alternative.resolved:
            results.append({**_result(alternative), "score": candidate.score})
    return {
        "query": q,
        "context": context,
        "resolved": resolution.resolved,
        "reason": resolution.reason,
        "results": results[:limit],
    }


@router.get("/reverse", summary="Nearest community and the admin units holding a point")
def reverse(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> dict[str, Any]:
    resolution = current_resolver(request).reverse(lat, lon)
    if not resolution.resolved:
        raise Problem(404, "no place known near this point", reason=resolution.reason)
    return {"resolved": True, "reason": resolution.reason, **_result(resolution)}


class _EditIn(BaseModel):
    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it here (422), not in the driver (500).
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class AliasIn(_EditIn):
    target: str = Field(
        min_length=1, max_length=40, description="P-code, gazetteer id or place id."
    )
    alias: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500, description="Where the spelling comes from.")


class PlaceIn(_EditIn):
    name: str = Field(min_length=1, max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    kind: str = Field(description=f"One of {', '.join(EDITABLE_KINDS)}.")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    source: str = Field(min_length=1, max_length=500)
    parent: str | None = Field(default=None, max_length=40, description="Anchor place P-code.")


def _store_addition(
    request: Request,
    caller: Caller,
    entity: str,
    body: BaseModel,
    write: Callable[[Session], tuple[int, dict[str, Any]]],
) -> dict[str, Any]:
    """One editor addition: written and audited in one transaction, then the resolver reloads."""
    with request.app.state.sessions() as session, session.begin():
        try:
            row_id, answer = write(session)
        except AdditionError as exc:
            raise Problem(422, str(exc)) from None
        record(
            session,
            actor=caller.actor,
            action="create",
            entity=entity,
            entity_id=row_id,
            details=body.model_dump(),
        )
    current_resolver(request, force=True)
    return answer


@router.post("/aliases", status_code=201, summary="Add a spelling of a place (editor)")
def create_alias(
    request: Request, body: AliasIn, caller: Annotated[Caller, Depends(require_role("editor"))]
) -> dict[str, Any]:
    def write(session: Session) -> tuple[int, dict[str, Any]]:
        name_id = add_alias(
            session,
            target=body.target,
            alias=body.alias,
            source=body.source,
            added_by=caller.actor,
        )
        return name_id, {"id": name_id, "target": body.target, "alias": body.alias}

    return _store_addition(request, caller, "place_name", body, write)


@router.post("/places", status_code=201, summary="Add a place such as a camp (editor)")
def create_place(
    request: Request, body: PlaceIn, caller: Annotated[Caller, Depends(require_role("editor"))]
) -> dict[str, Any]:
    def write(session: Session) -> tuple[int, dict[str, Any]]:
        place = add_place(
            session,
            name=body.name,
            kind=body.kind,
            lat=body.lat,
            lon=body.lon,
            source=body.source,
            added_by=caller.actor,
            name_ar=body.name_ar,
            parent=body.parent,
        )
        return place.id, {
            "id": place.id,
            "ref": place.source_ref,
            "admin3_pcode": place.admin3_pcode,
        }

    return _store_addition(request, caller, "place", body, write)
